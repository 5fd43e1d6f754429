/**
 * Worker memory. The worker runs in a child process of its own (node --expose-gc); at each level we start
 * reviews until that many are open, wait until their intake mails are out and the worker has been idle for
 * 1.5 s, then the child collects garbage twice, waits a second and reports process.memoryUsage() (median of
 * three reads). RSS is the whole process: V8 heaps of the main thread and the workflow thread, and the Rust
 * core (its workflow state machines and caches).
 *
 * - uncapped: maxCachedWorkflows above the largest level, so every open review stays cached;
 *   "per 1,000 cached" = (RSS at the level − RSS of the idle worker) ÷ level × 1,000, and the marginal slope;
 * - capped: maxCachedWorkflows = cap, `cappedTotal` reviews started, RSS at evenly spaced checkpoints;
 *   "flat" = every checkpoint within ±10% of the first one (the cache is full from the first checkpoint on).
 */
import { workflowIdFor } from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { BREAKDOWN_VARIANTS, startWorker, waitMails } from '../context';
import { benchRequest } from '../requests';
import { mb, pool } from '../stats';
import type { WorkerProcess } from '../worker-process';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface MemoryPoint {
  open: number;
  cached: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
}

export interface MemoryResult {
  idle: MemoryPoint;
  uncapped: MemoryPoint[];
  /** (RSS − idle RSS) per 1,000 cached, at each uncapped level. */
  perThousandMB: number[];
  /** Slope between the smallest and largest uncapped level, per 1,000 cached. */
  marginalPerThousandMB: number | null;
  cap: number;
  capped: MemoryPoint[];
  /** Largest deviation of a capped checkpoint from the mean of the checkpoints, in % (target: within ±10). */
  cappedDeviationPct: number | null;
  /** Largest deviation of a capped checkpoint from the first one, in % (stricter; for context). */
  cappedDeviationFromFirstPct: number | null;
  /**
   * RSS per 1,000 cached workflows that load only part of the review's code, at one level, same method:
   * the engine floor (a workflow that waits for a signal), + workflows/timeline.ts (luxon), + workflows/validation.ts
   * (valibot schemas, which import the timeline); the full review is the uncapped figure at the same level.
   */
  breakdown?: {
    level: number;
    perThousandMB: Record<string, number>;
    /** Worker CPU per started workflow (first workflow task, module instantiation included), ms. */
    cpuMsPerStart: Record<string, number>;
    points: Record<string, { idle: MemoryPoint; open: MemoryPoint }>;
  };
}

/** Flatness of the capped series: largest deviation from the mean of the checkpoints, and from the first one, in %. */
export function cappedDeviation(capped: MemoryPoint[]): { cappedDeviationPct: number | null; cappedDeviationFromFirstPct: number | null } {
  if (capped.length < 2) return { cappedDeviationPct: null, cappedDeviationFromFirstPct: null };
  const mean = capped.reduce((a, p) => a + p.rssMB, 0) / capped.length;
  const first = capped[0].rssMB;
  const pct = (x: number): number => Math.round(x * 1000) / 10;
  return {
    cappedDeviationPct: pct(Math.max(...capped.map((p) => Math.abs(p.rssMB - mean) / mean))),
    cappedDeviationFromFirstPct: pct(Math.max(...capped.map((p) => Math.abs(p.rssMB - first) / first))),
  };
}

async function point(worker: WorkerProcess, open: number): Promise<MemoryPoint> {
  const { memory, cached } = await worker.memory();
  return { open, cached, rssMB: mb(memory.rss), heapUsedMB: mb(memory.heapUsed), externalMB: mb(memory.external) };
}

/** Starts reviews `from`..`to`-1 and waits until their intake mails are out and the worker is idle. */
async function openReviews(ctx: DevContext, worker: WorkerProcess, prefix: string, from: number, to: number): Promise<void> {
  const { client, sink } = ctx;
  const mark = sink.messages.length;
  const ids = Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);
  await pool(ids, ctx.cfg.startConcurrency, (id) =>
    client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue: worker.config.taskQueue, workflowId: workflowIdFor(id), args: [benchRequest(id)], typedSearchAttributes: STARTING_SEARCH_ATTRIBUTES }));
  await waitMails(sink, mark, (m) => m.messageId.startsWith(`<${prefix}-`) && m.messageId.includes('/intake-ack/'), 2 * ids.length, 900_000);
  await worker.drained({ quietMs: 1500, timeoutMs: 900_000 });
  // Only its own mails: in a smoke run the abuse phase and the storm count theirs at the same sink meanwhile.
  const others = sink.messages.filter((m) => !m.messageId.startsWith(`<${prefix}-`));
  sink.messages.splice(0, sink.messages.length, ...others);
}

async function breakdownPhase(ctx: DevContext, level: number): Promise<NonNullable<MemoryResult['breakdown']>> {
  const { client, runId } = ctx;
  const perThousandMB: Record<string, number> = {};
  const cpuMsPerStart: Record<string, number> = {};
  const points: Record<string, { idle: MemoryPoint; open: MemoryPoint }> = {};
  for (const variant of BREAKDOWN_VARIANTS) {
    const bundlePath = ctx.bundles.breakdown?.[variant];
    if (!bundlePath) continue;
    const worker = await startWorker(ctx, 'noop', `bench-${runId}-mem-${variant}`, { bundlePath, tuning: { maxCachedWorkflows: level + 100 } });
    try {
      const idle = await point(worker, 0);
      const cpu0 = (await worker.status()).cpuMs;
      const ids = Array.from({ length: level }, (_, i) => `memb-${variant}-${runId}-${i}`);
      await pool(ids, ctx.cfg.startConcurrency, async (id) => {
        await client.workflow.start('breakdownWorkflow', { taskQueue: worker.config.taskQueue, workflowId: id, args: [] });
      });
      const done = await worker.drained({ quietMs: 1500, timeoutMs: 900_000, extra: (s) => s.cached >= level });
      cpuMsPerStart[variant] = Math.round(((done.cpuMs - cpu0) / level) * 100) / 100;
      const open = await point(worker, level);
      points[variant] = { idle, open };
      perThousandMB[variant] = Math.round(((open.rssMB - idle.rssMB) / open.cached) * 1000 * 10) / 10;
      ctx.log(`  breakdown ${variant}: ${open.cached} cached, RSS ${idle.rssMB} → ${open.rssMB} MB = ${perThousandMB[variant]} MB per 1,000; worker CPU ${cpuMsPerStart[variant]} ms per start`);
    } finally {
      await worker.stop();
    }
  }
  return { level, perThousandMB, cpuMsPerStart, points };
}

export async function memoryPhase(ctx: DevContext): Promise<MemoryResult> {
  const { cfg, runId } = ctx;
  const top = cfg.memLevels[cfg.memLevels.length - 1];
  const uncapped: MemoryPoint[] = [];
  let idle: MemoryPoint;
  let worker = await startWorker(ctx, 'review', `bench-${runId}-mem-open`, { tuning: { maxCachedWorkflows: top + 100 } });
  try {
    idle = await point(worker, 0);
    ctx.log(`  idle worker: RSS ${idle.rssMB} MB`);
    let open = 0;
    for (const level of cfg.memLevels) {
      await openReviews(ctx, worker, `mem-${runId}`, open, level);
      open = level;
      const p = await point(worker, open);
      uncapped.push(p);
      ctx.log(`  ${open} open, ${p.cached} cached: RSS ${p.rssMB} MB, heap ${p.heapUsedMB} MB`);
    }
  } finally {
    await worker.stop();
  }

  const capped: MemoryPoint[] = [];
  worker = await startWorker(ctx, 'review', `bench-${runId}-mem-capped`, { tuning: { maxCachedWorkflows: cfg.cap } });
  try {
    let open = 0;
    for (let k = 1; k <= cfg.checkpoints; k++) {
      const target = Math.round((cfg.cappedTotal * k) / cfg.checkpoints);
      await openReviews(ctx, worker, `memc-${runId}`, open, target);
      open = target;
      const p = await point(worker, open);
      capped.push(p);
      ctx.log(`  capped at ${cfg.cap}: ${open} open, ${p.cached} cached: RSS ${p.rssMB} MB, heap ${p.heapUsedMB} MB`);
    }
  } finally {
    await worker.stop();
  }

  const perThousandMB = uncapped.map((p) => Math.round(((p.rssMB - idle.rssMB) / p.cached) * 1000 * 10) / 10);
  const lo = uncapped[0];
  const hi = uncapped[uncapped.length - 1];
  const marginalPerThousandMB = uncapped.length > 1 && hi.cached > lo.cached ? Math.round(((hi.rssMB - lo.rssMB) / (hi.cached - lo.cached)) * 1000 * 10) / 10 : null;
  const breakdown = cfg.breakdown && ctx.bundles.breakdown ? await breakdownPhase(ctx, cfg.memLevels[0]) : undefined;
  if (breakdown) {
    const review = uncapped[0];
    breakdown.perThousandMB.review = Math.round(((review.rssMB - idle.rssMB) / review.cached) * 1000 * 10) / 10;
  }
  const { cappedDeviationPct, cappedDeviationFromFirstPct } = cappedDeviation(capped);
  return { idle, uncapped, perThousandMB, marginalPerThousandMB, cap: cfg.cap, capped, cappedDeviationPct, cappedDeviationFromFirstPct, ...(breakdown ? { breakdown } : {}) };
}
