/** What every dev-server phase shares: the server, the client, the SMTP sink, the bundles, worker children. */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SmtpSink, StoredMail } from '../shared/smtp-sink';
import type { BenchConfig } from './config';
import { WorkerProcess } from './worker-process';
import type { WorkerTuning } from './worker-protocol';

export const BREAKDOWN_VARIANTS = ['floor', 'commands', 'timeline', 'validation'] as const;
export type BreakdownVariant = (typeof BREAKDOWN_VARIANTS)[number];

export const MAIL_FROM = 'frontier-review bench <noreply@clearinghouse.example>';

export interface DevContext {
  cfg: BenchConfig;
  env: TestWorkflowEnvironment;
  client: Client;
  sink: SmtpSink;
  bundles: { review: string; noop: string; breakdown?: Partial<Record<BreakdownVariant, string>> };
  /** Short id of this run: keeps workflow ids and task queues of one run apart from the last. */
  runId: string;
  /** The run's temporary directory (SQLite files, bundles, ledgers). */
  tmpDir: string;
  /** pid of the dev server, to charge batches the server CPU they cost (Linux only). */
  serverPid?: number;
  log(msg: string): void;
}

export async function startWorker(
  ctx: DevContext, kind: 'review' | 'noop', taskQueue: string, opts: { tuning?: WorkerTuning; smtpUrl?: string; bundlePath?: string; mallocArenaMax?: number } = {},
): Promise<WorkerProcess> {
  return WorkerProcess.start({
    kind,
    address: ctx.env.address,
    namespace: ctx.env.namespace ?? 'default',
    taskQueue,
    bundlePath: opts.bundlePath ?? (kind === 'review' ? ctx.bundles.review : ctx.bundles.noop),
    smtpUrl: opts.smtpUrl ?? ctx.sink.url,
    mailFrom: MAIL_FROM,
    tuning: { ...ctx.cfg.tuning, ...(opts.tuning ?? {}) },
    ledgerPath: path.join(ctx.tmpDir, `ledger-${taskQueue}.sqlite`),
    ...(ctx.cfg.smoke ? { memorySettleMs: 300 } : {}),
    ...(opts.mallocArenaMax ? { mallocArenaMax: opts.mallocArenaMax } : {}),
  });
}

/**
 * Waits until `n` mails matching `match` arrived at the sink at index `from` or later. Returns when the
 * benchmark saw the n-th (performance.now()) and when the sink stored it (epoch ms).
 */
export async function waitMails(
  sink: SmtpSink, from: number, match: (m: StoredMail) => boolean, n: number, timeoutMs = 60_000,
): Promise<{ seenAt: number; receivedAt: number }> {
  let cursor = from;
  let count = 0;
  let last: StoredMail | undefined;
  await sink.waitFor((ms) => {
    for (; cursor < ms.length && count < n; cursor++) {
      if (match(ms[cursor])) {
        count++;
        last = ms[cursor];
      }
    }
    return count >= n;
  }, timeoutMs);
  return { seenAt: performance.now(), receivedAt: (last as StoredMail).receivedAt.getTime() };
}

/** Mail of one notice kind for one review: Message-IDs are `<reviewId/kind/key/audience@domain>`. */
export const noticeMail = (reviewId: string, kind: string) => (m: StoredMail): boolean => m.messageId.startsWith(`<${reviewId}/${kind}/`);
