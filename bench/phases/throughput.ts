/**
 * Start throughput: N reviews started concurrently vs N no-op workflows (one no-op activity), same server,
 * same run, each on a warmed-up worker of its own (same tuning), batches in ABBA order.
 *
 * Three instants per batch, measured from the first start request:
 * - accepted: the last start request returned (the server's share only);
 * - side effects: the start's side effects happened: both intake-ack mails of every review are at the sink,
 *   every no-op activity has run;
 * - drained: the worker had nothing in flight for a second: every workflow task and activity the starts caused
 *   is done (for a review also the task recording its notices as sent). The ratio target uses this one.
 */
import { workflowIdFor } from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { startWorker, waitMails } from '../context';
import type { noopWorkflow } from '../noop-workflow';
import { benchRequest } from '../requests';
import { machineCpuMs, processCpuMs } from '../proc';
import { pool, sleep } from '../stats';
import type { WorkerProcess } from '../worker-process';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface BatchResult {
  kind: 'review' | 'noop';
  round: number;
  n: number;
  acceptedPerSec: number;
  sideEffectsPerSec: number;
  drainedPerSec: number;
  drainedSeconds: number;
  /** CPU charged to the batch per workflow, ms: the worker process, the dev server, and this process (client + SMTP sink). */
  cpuMsPerWorkflow: { worker: number; server: number | null; bench: number };
  /** Share of the machine's CPU that was busy during the batch (other processes included), %. */
  machineBusyPct: number;
}

export interface ThroughputResult {
  n: number;
  rounds: number;
  startConcurrency: number;
  batches: BatchResult[];
  review: { acceptedPerSec: number; sideEffectsPerSec: number; drainedPerSec: number };
  noop: { acceptedPerSec: number; sideEffectsPerSec: number; drainedPerSec: number };
  /** Mean CPU ms per workflow (worker, server) by kind, and the throughput ratio they predict for a CPU-bound machine. */
  cpu: { review: { worker: number; server: number | null }; noop: { worker: number; server: number | null }; predictedRatio: number | null };
  /** reviews/s ÷ no-op/s, on the drained rate (target ≥ 0.8); the others for context. */
  ratio: number;
  ratioAccepted: number;
  ratioSideEffects: number;
  /** The drained ratio of each round (review batch ÷ the no-op batch next to it): the spread shows the noise. */
  roundRatios: number[];
}

const rate = (n: number, ms: number): number => Math.round((n / (ms / 1000)) * 10) / 10;

async function batch(ctx: DevContext, kind: 'review' | 'noop', worker: WorkerProcess, prefix: string, n: number, concurrency: number): Promise<Omit<BatchResult, 'round'>> {
  const { client, sink } = ctx;
  const taskQueue = worker.config.taskQueue;
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const mark = sink.messages.length;
  const before = await worker.status();
  const server0 = ctx.serverPid ? processCpuMs(ctx.serverPid) : null;
  const bench0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const t0 = Date.now();
  await pool(ids, concurrency, async (id): Promise<void> => {
    if (kind === 'review') await client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue, workflowId: workflowIdFor(id), args: [benchRequest(id)], typedSearchAttributes: STARTING_SEARCH_ATTRIBUTES });
    else await client.workflow.start<typeof noopWorkflow>('noopWorkflow', { taskQueue, workflowId: id, args: [] });
  });
  const accepted = Date.now();
  let sideEffects: number;
  if (kind === 'review') {
    const intake = (m: { messageId: string }): boolean => m.messageId.startsWith(`<${prefix}-`) && m.messageId.includes('/intake-ack/');
    sideEffects = (await waitMails(sink, mark, intake, 2 * n, 600_000)).receivedAt;
  } else {
    const s = await worker.drained({ quietMs: 200, extra: (st) => st.activitiesDone - before.activitiesDone >= n });
    sideEffects = s.lastActivityAt;
  }
  const after = await worker.drained({ quietMs: 1000 });
  const drained = after.lastBusyAt;
  const server1 = ctx.serverPid ? processCpuMs(ctx.serverPid) : null;
  const bench1 = process.cpuUsage(bench0);
  const machine1 = machineCpuMs();
  const per = (ms: number): number => Math.round((ms / n) * 100) / 100;
  return {
    kind, n,
    cpuMsPerWorkflow: {
      worker: per(after.cpuMs - before.cpuMs),
      server: server0 !== null && server1 !== null ? per(server1 - server0) : null,
      bench: per((bench1.user + bench1.system) / 1000),
    },
    machineBusyPct: Math.round(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 1000) / 10,
    acceptedPerSec: rate(n, accepted - t0),
    sideEffectsPerSec: rate(n, sideEffects - t0),
    drainedPerSec: rate(n, drained - t0),
    drainedSeconds: Math.round((drained - t0) / 100) / 10,
  };
}

export async function throughputPhase(ctx: DevContext): Promise<ThroughputResult> {
  const { cfg, runId } = ctx;
  const workers = {
    review: await startWorker(ctx, 'review', `bench-${runId}-tp-review`),
    noop: await startWorker(ctx, 'noop', `bench-${runId}-tp-noop`),
  };
  try {
    // Warm-up: load the bundle, create the V8 context, open SMTP and gRPC paths; not measured.
    const warm = cfg.smoke ? 0 : Math.min(50, cfg.n);
    for (const kind of warm > 0 ? (['noop', 'review'] as const) : []) {
      await batch(ctx, kind, workers[kind], `${kind === 'review' ? 'tpr' : 'tpn'}-${runId}-warm`, warm, cfg.startConcurrency);
    }
    const batches: BatchResult[] = [];
    for (let round = 0; round < cfg.rounds; round++) {
      const order: ('review' | 'noop')[] = round % 2 === 0 ? ['noop', 'review'] : ['review', 'noop'];
      for (const kind of order) {
        if (!cfg.smoke) await sleep(1000);
        const b = await batch(ctx, kind, workers[kind], `${kind === 'review' ? 'tpr' : 'tpn'}-${runId}-${round}`, cfg.n, cfg.startConcurrency);
        batches.push({ ...b, round });
        ctx.log(`  ${kind} batch ${round}: accepted ${b.acceptedPerSec}/s, side effects ${b.sideEffectsPerSec}/s, drained ${b.drainedPerSec}/s (${b.drainedSeconds} s); `
          + `CPU ms/workflow: worker ${b.cpuMsPerWorkflow.worker}, server ${b.cpuMsPerWorkflow.server}, bench ${b.cpuMsPerWorkflow.bench}; machine ${b.machineBusyPct}% busy`);
      }
      ctx.sink.messages.splice(0);
    }
    const mean = (kind: 'review' | 'noop', k: 'acceptedPerSec' | 'sideEffectsPerSec' | 'drainedPerSec'): number => {
      const xs = batches.filter((b) => b.kind === kind).map((b) => b[k]);
      return Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
    };
    const agg = (kind: 'review' | 'noop') => ({ acceptedPerSec: mean(kind, 'acceptedPerSec'), sideEffectsPerSec: mean(kind, 'sideEffectsPerSec'), drainedPerSec: mean(kind, 'drainedPerSec') });
    const review = agg('review');
    const noop = agg('noop');
    const cpuOf = (kind: 'review' | 'noop') => {
      const bs = batches.filter((b) => b.kind === kind);
      const avg = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
      const servers = bs.map((b) => b.cpuMsPerWorkflow.server);
      return { worker: avg(bs.map((b) => b.cpuMsPerWorkflow.worker)), server: servers.every((x) => x !== null) ? avg(servers as number[]) : null };
    };
    const cr = cpuOf('review');
    const cn = cpuOf('noop');
    const predictedRatio = cr.server !== null && cn.server !== null ? Math.round(((cn.worker + cn.server) / (cr.worker + cr.server)) * 1000) / 1000 : null;
    const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
    return {
      n: cfg.n, rounds: cfg.rounds, startConcurrency: cfg.startConcurrency, batches, review, noop,
      cpu: { review: cr, noop: cn, predictedRatio },
      ratio: ratio(review.drainedPerSec, noop.drainedPerSec),
      ratioAccepted: ratio(review.acceptedPerSec, noop.acceptedPerSec),
      ratioSideEffects: ratio(review.sideEffectsPerSec, noop.sideEffectsPerSec),
      roundRatios: Array.from({ length: cfg.rounds }, (_, r) => {
        const rv = batches.find((b) => b.round === r && b.kind === 'review');
        const nv = batches.find((b) => b.round === r && b.kind === 'noop');
        return rv && nv ? ratio(rv.drainedPerSec, nv.drainedPerSec) : NaN;
      }),
    };
  } finally {
    await workers.review.stop();
    await workers.noop.stop();
  }
}

