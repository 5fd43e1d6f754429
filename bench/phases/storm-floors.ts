/**
 * The notice storm's floors, each sending as many mails to the same sink over an SMTP pool of the storm's size:
 * - nodemailer: plain nodemailer in the bench process, every message queued at once on a warmed pool (the target's
 *   floor: what the SMTP path alone allows; the sink shares this process's event loop with it, as with the storm);
 * - engine: no-op workflows whose timers fire at one instant, each then running one activity that sends one mail
 *   (bench/noop-workflow.ts), on a worker with the storm's activity slots: what Temporal alone allows on this machine.
 */
import nodemailer from 'nodemailer';
import os from 'node:os';
import type { SmtpSink, StoredMail } from '../../shared/smtp-sink';
import type { DevContext } from '../context';
import { startWorker } from '../context';
import type { noopTimerMailWorkflow } from '../noop-workflow';
import { withPooling } from '../smtp-url';
import { pool, sleep, summarize } from '../stats';
import type { Summary } from '../stats';

export interface Arrivals {
  arrived: number;
  /** First to last arrival, s, and the rate over it: (arrived − 1) ÷ that. */
  seconds: number;
  mailsPerSec: number;
  /** Arrival − due instant, ms (null where there is no instant: the nodemailer floor). */
  latenessMs: Summary | null;
  /** SMTP sessions the mails came over. */
  connections: number;
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The rate while mail flowed, the same way for the storm and both floors; lateness where there is a due instant. */
export function arrivals(mails: StoredMail[], instant: number | null): Arrivals {
  const times = mails.map((m) => m.receivedAt.getTime()).sort((a, b) => a - b);
  const seconds = times.length > 1 ? Math.max(0.001, (times[times.length - 1] - times[0]) / 1000) : 0;
  return {
    arrived: mails.length, seconds: round(seconds, 3), mailsPerSec: seconds > 0 ? round((times.length - 1) / seconds) : 0,
    latenessMs: instant === null ? null : summarize(times.map((t) => t - instant)), connections: new Set(mails.map((m) => m.connectionId)).size,
  };
}

/** Plain nodemailer, pooled like the storm worker, sends `n` copies of `raw` at once; the pool is opened first. */
export async function nodemailerFloor(sink: SmtpSink, raw: string, n: number, poolSize: number, tag: string): Promise<Arrivals> {
  const transport = nodemailer.createTransport(withPooling(sink.url, poolSize));
  const send = (to: string): Promise<unknown> => transport.sendMail({ envelope: { from: 'noreply@clearinghouse.example', to: [to] }, raw });
  try {
    await Promise.all(Array.from({ length: poolSize }, (_, i) => send(`${tag}-warm-${i}@bench.example`)));
    const mark = sink.messages.length;
    await Promise.all(Array.from({ length: n }, (_, i) => send(`${tag}-${i}@bench.example`)));
    return arrivals(sink.messages.slice(mark).filter((m) => m.envelopeTo[0]?.startsWith(`${tag}-`)), null);
  } finally {
    transport.close();
  }
}

export interface EngineFloor extends Arrivals {
  loadAverage: number[];
  prepSlackSeconds: number;
}

/** `n` no-op workflows due at one instant, one mail each, on a worker tuned like the storm's. */
export async function engineFloor(ctx: DevContext, n: number, poolSize: number, slots: number | null, tag: string): Promise<EngineFloor> {
  const { client, sink } = ctx;
  const worker = await startWorker(ctx, 'noop', `bench-${tag}`, {
    smtpUrl: `${sink.url}?maxConnections=${poolSize}`,
    ...(slots !== null ? { tuning: { maxConcurrentActivityTaskExecutions: slots } } : {}),
  });
  const start = (id: string, at: number, to: string): Promise<unknown> =>
    client.workflow.start<typeof noopTimerMailWorkflow>('noopTimerMailWorkflow', { taskQueue: worker.config.taskQueue, workflowId: id, args: [{ at, to }] });
  try {
    // Warm-up, due at once: opens the pool and times a start.
    const w = Math.min(20, n);
    const t0 = Date.now();
    await pool(Array.from({ length: w }, (_, i) => i), 50, (i) => start(`${tag}-warm-${i}`, 0, `${tag}-warm-${i}@bench.example`));
    await worker.drained({ quietMs: 300 });
    const lead = ((Date.now() - t0) / w) * n * 1.5 + 3000;
    const instant = Math.ceil((Date.now() + lead) / 1000) * 1000;
    await pool(Array.from({ length: n }, (_, i) => i), 50, (i) => start(`${tag}-${i}`, instant, `${tag}-${i}@bench.example`));
    await worker.drained({ quietMs: 300 });
    const prepSlackSeconds = round((instant - Date.now()) / 1000);
    const loadAverage = os.loadavg().map((x) => round(x, 2));
    const mark = sink.messages.length;
    await sleep(instant - Date.now());
    const mine = (m: StoredMail): boolean => m.envelopeTo[0]?.startsWith(`${tag}-`) === true && !m.envelopeTo[0].includes('-warm-');
    await sink.waitFor((ms) => ms.slice(mark).filter(mine).length >= n, 120_000 + n * 200).catch(() => undefined);
    return { ...arrivals(sink.messages.slice(mark).filter(mine), instant), loadAverage, prepSlackSeconds };
  } finally {
    await worker.stop();
  }
}
