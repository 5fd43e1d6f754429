/**
 * Worker memory. The worker runs in a child process of its own (node --expose-gc); at each level we start
 * workflows until that many are open, wait until their first work is done and the worker has been idle for
 * 1.5 s, then the child collects garbage twice (every thread), waits a second and reports process.memoryUsage()
 * (median of three reads) and the workflow thread's V8 heap. RSS is the whole process: V8 heaps of the main
 * thread and the workflow thread, and the Rust core (its workflow state machines and caches).
 *
 * - review vs engine floor (the target): `memRounds` rounds in ABBA order (floor, review, review, floor), each a
 *   fresh worker with MALLOC_ARENA_MAX fixed; a round's figure is the RSS slope from `memWarm` cached workflows to
 *   each level, per 1,000 — the warm-up pays the one-off costs (the sandbox context, the bundle's modules, the
 *   allocator's first arenas), which differ between the two bundles and swamped the per-workflow figure when it
 *   was measured from the idle worker (floor 65–253 MB per 1,000 in three runs of the same code). The last round
 *   of each kind goes on to the higher levels; the review's uncapped series is its last round.
 * - capped: maxCachedWorkflows = cap, `cappedTotal` reviews started, RSS at evenly spaced checkpoints;
 *   "flat" = every checkpoint within ±10% of their mean (the cache is full from the first checkpoint on).
 */
import { workflowIdFor } from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { BREAKDOWN_VARIANTS, startWorker, waitMails } from '../context';
import { benchRequest } from '../requests';
import { mb, percentile, pool } from '../stats';
import type { WorkerProcess } from '../worker-process';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface MemoryPoint {
  open: number;
  cached: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  /** V8 heap used by the worker threads (the workflow sandbox), after a collection. Absent in older results. */
  workflowHeapMB?: number;
}

export type MemoryKind = 'floor' | 'review';

/** One fresh worker of one kind: RSS at the warm-up and at each level it reached. */
export interface MemoryRound {
  kind: MemoryKind;
  idle: MemoryPoint;
  warm: MemoryPoint;
  points: MemoryPoint[];
  /** (RSS at the level − RSS at the warm-up) ÷ (cached at the level − cached at the warm-up) × 1,000, per level. */
  slopeMB: number[];
  /** Same slope of the workflow thread's V8 heap. */
  workflowHeapSlopeMB: number[];
  /** Worker CPU per started workflow from the warm-up to the first level (first workflow task), ms. */
  cpuMsPerStart: number;
}

/** Medians over the rounds of each kind, and the review's ratio to the floor, at each level. */
export interface MemoryComparison {
  warm: number;
  mallocArenaMax: number;
  rounds: MemoryRound[];
  perLevel: { level: number; floorMB: number | null; reviewMB: number | null; ratio: number | null; floorHeapMB: number | null; reviewHeapMB: number | null; rounds: { floor: number; review: number } }[];
}

export interface MemoryResult {
  /** The target's figure: review vs engine floor, interleaved rounds (absent in results before 2026-12-01 noon). */
  comparison?: MemoryComparison;
  idle: MemoryPoint;
  uncapped: MemoryPoint[];
  /** (RSS − idle RSS) per 1,000 cached, at each uncapped level (context: includes the one-off costs). */
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
   * RSS per 1,000 cached workflows that do part of what a review does, at one level, same slope (since 2026-12-01
   * noon; from the idle worker before), one round each: + the engine work of a review's first task without its code
   * (commands), + workflows/timeline.ts (luxon), + workflows/validation.ts (valibot schemas, which import the
   * timeline) — the last two not preloaded; floor and review are the comparison's medians.
   * `points[v].idle` is the warm-up point.
   */
  breakdown?: {
    level: number;
    perThousandMB: Record<string, number>;
    /** Worker CPU per started workflow (first workflow task), ms. */
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
  return { open, cached, rssMB: mb(memory.rss), heapUsedMB: mb(memory.heapUsed), externalMB: mb(memory.external), workflowHeapMB: mb(memory.workflowHeapUsed) };
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
}

/** Starts empty workflows (a breakdown bundle's `breakdownWorkflow`) `from`..`to`-1; waits until all are cached and the worker is idle. */
async function openEmpty(ctx: DevContext, worker: WorkerProcess, prefix: string, from: number, to: number, withInput = false): Promise<void> {
  const ids = Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);
  await pool(ids, ctx.cfg.startConcurrency, async (id) => {
    await ctx.client.workflow.start('breakdownWorkflow', { taskQueue: worker.config.taskQueue, workflowId: id, args: withInput ? [benchRequest(id)] : [] });
  });
  await worker.drained({ quietMs: 1500, timeoutMs: 900_000, extra: (s) => s.cached >= to });
}

/** ABBA…: floor, review, review, floor, floor, review, … — drift over the phase falls on both kinds alike. */
export function roundOrder(rounds: number): MemoryKind[] {
  const order: MemoryKind[] = [];
  for (let i = 0; i < rounds; i++) order.push(...(i % 2 === 0 ? (['floor', 'review'] as const) : (['review', 'floor'] as const)));
  return order;
}

const slope = (from: number, to: number, n: number): number => Math.round(((to - from) / n) * 1000 * 10) / 10;

/** One fresh worker: idle, warm-up, then each level; `label` names its task queue and workflow ids. */
async function memoryRound(
  ctx: DevContext, label: string, kind: MemoryKind, levels: number[], bundlePath?: string, withInput = false,
): Promise<MemoryRound> {
  const { cfg, runId } = ctx;
  const prefix = `mem${label}-${runId}`;
  const open = kind === 'review' ? openReviews : (c: DevContext, w: WorkerProcess, p: string, from: number, to: number) => openEmpty(c, w, p, from, to, withInput);
  const worker = await startWorker(ctx, kind === 'review' ? 'review' : 'noop', `bench-${runId}-mem-${label}`, {
    tuning: { maxCachedWorkflows: levels[levels.length - 1] + 100 },
    mallocArenaMax: cfg.mallocArenaMax,
    ...(bundlePath ? { bundlePath } : {}),
  });
  try {
    const idle = await point(worker, 0);
    await open(ctx, worker, prefix, 0, cfg.memWarm);
    const warm = await point(worker, cfg.memWarm);
    const cpu0 = (await worker.status()).cpuMs;
    let cpuMsPerStart = 0;
    const points: MemoryPoint[] = [];
    let at = cfg.memWarm;
    for (const level of levels.filter((l) => l > cfg.memWarm)) {
      await open(ctx, worker, prefix, at, level);
      if (points.length === 0) cpuMsPerStart = Math.round((((await worker.status()).cpuMs - cpu0) / (level - at)) * 100) / 100;
      at = level;
      points.push(await point(worker, level));
    }
    const round = {
      kind, idle, warm, points, cpuMsPerStart,
      slopeMB: points.map((p) => slope(warm.rssMB, p.rssMB, p.cached - warm.cached)),
      workflowHeapSlopeMB: points.map((p) => slope(warm.workflowHeapMB ?? 0, p.workflowHeapMB ?? 0, p.cached - warm.cached)),
    };
    ctx.log(`  ${label}: idle ${idle.rssMB} MB, ${warm.cached} cached ${warm.rssMB} MB, ${points.map((p, i) => `${p.cached} cached ${p.rssMB} MB (${round.slopeMB[i]} MB per 1,000; workflow heap ${round.workflowHeapSlopeMB[i]})`).join(', ')}`);
    return round;
  } finally {
    await worker.stop();
  }
}

const median = (xs: number[]): number | null => (xs.length === 0 ? null : Math.round(percentile([...xs].sort((a, b) => a - b), 50) * 10) / 10);

/** Medians per kind and level over the rounds that reached it, and the ratio review ÷ floor. */
export function compareRounds(rounds: MemoryRound[], levels: number[]): MemoryComparison['perLevel'] {
  return levels.map((level) => {
    const at = (kind: MemoryKind, key: 'slopeMB' | 'workflowHeapSlopeMB'): number[] =>
      rounds.filter((r) => r.kind === kind).flatMap((r) => r.points.flatMap((p, i) => (p.open === level ? [r[key][i]] : [])));
    const floorMB = median(at('floor', 'slopeMB'));
    const reviewMB = median(at('review', 'slopeMB'));
    return {
      level, floorMB, reviewMB,
      ratio: floorMB !== null && floorMB > 0 && reviewMB !== null ? Math.round((reviewMB / floorMB) * 100) / 100 : null,
      floorHeapMB: median(at('floor', 'workflowHeapSlopeMB')),
      reviewHeapMB: median(at('review', 'workflowHeapSlopeMB')),
      rounds: { floor: at('floor', 'slopeMB').length, review: at('review', 'slopeMB').length },
    };
  });
}

/** maxCachedWorkflows = cap, `cappedTotal` reviews opened, RSS at evenly spaced checkpoints. */
async function cappedSeries(ctx: DevContext): Promise<MemoryPoint[]> {
  const { cfg, runId } = ctx;
  const capped: MemoryPoint[] = [];
  const worker = await startWorker(ctx, 'review', `bench-${runId}-mem-capped`, { tuning: { maxCachedWorkflows: cfg.cap }, mallocArenaMax: cfg.mallocArenaMax });
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
  return capped;
}

export async function memoryPhase(ctx: DevContext): Promise<MemoryResult> {
  const { cfg } = ctx;
  const floorBundle = ctx.bundles.breakdown?.floor;
  if (!floorBundle) throw new Error('memory phase: the engine floor bundle was not built');
  const levels = cfg.memLevels;
  const order = roundOrder(cfg.memRounds);
  const allRounds = async (): Promise<MemoryRound[]> => {
    const out: MemoryRound[] = [];
    for (const [i, kind] of order.entries()) {
      // The last round of each kind goes on to the higher levels; the others stop at the first.
      const last = order.lastIndexOf(kind) === i;
      out.push(await memoryRound(ctx, `${kind}${i + 1}`, kind, last ? levels : levels.slice(0, 1), kind === 'floor' ? floorBundle : undefined));
    }
    return out;
  };
  // Smoke takes the capped series beside the rounds (its figures are not measurements; one after the other adds ~6 s).
  const [rounds, capped] = cfg.smoke ? await Promise.all([allRounds(), cappedSeries(ctx)]) : [await allRounds(), await cappedSeries(ctx)];
  const comparison: MemoryComparison = { warm: cfg.memWarm, mallocArenaMax: cfg.mallocArenaMax, rounds, perLevel: compareRounds(rounds, levels) };
  for (const c of comparison.perLevel) ctx.log(`  at ${c.level} cached: review ${c.reviewMB} vs floor ${c.floorMB} MB per 1,000 = ${c.ratio}× (medians of ${c.rounds.review} and ${c.rounds.floor} rounds)`);

  // The review's uncapped series, over its idle worker (context; the target's figure is the slope above).
  const lastReview = [...rounds].reverse().find((r) => r.kind === 'review');
  if (!lastReview) throw new Error('memory phase: no review round');
  const idle = lastReview.idle;
  const uncapped = lastReview.points;

  const perThousandMB = uncapped.map((p) => slope(idle.rssMB, p.rssMB, p.cached));
  const lo = uncapped[0];
  const hi = uncapped[uncapped.length - 1];
  const marginalPerThousandMB = uncapped.length > 1 && hi.cached > lo.cached ? slope(lo.rssMB, hi.rssMB, hi.cached - lo.cached) : null;

  // Partial loads, one round each at the first level, same slope: where the review's share above the floor goes.
  let breakdown: MemoryResult['breakdown'];
  if (cfg.breakdown) {
    const level = levels[0];
    const first = comparison.perLevel[0];
    const perThousandMB: Record<string, number> = { floor: first.floorMB ?? NaN, review: first.reviewMB ?? NaN };
    const cpuMsPerStart: Record<string, number> = { floor: median(rounds.filter((r) => r.kind === 'floor').map((r) => r.cpuMsPerStart)) ?? NaN };
    const points: Record<string, { idle: MemoryPoint; open: MemoryPoint }> = {};
    for (const variant of BREAKDOWN_VARIANTS.filter((v) => v !== 'floor')) {
      const bundlePath = ctx.bundles.breakdown?.[variant];
      if (!bundlePath) continue;
      // An empty-workflow bundle like the floor's (kind 'floor' here means: not the review).
      const r = await memoryRound(ctx, variant, 'floor', [level], bundlePath, variant === 'commands');
      perThousandMB[variant] = r.slopeMB[0];
      cpuMsPerStart[variant] = r.cpuMsPerStart;
      points[variant] = { idle: r.warm, open: r.points[0] };
    }
    breakdown = { level, perThousandMB, cpuMsPerStart, points };
  }
  const { cappedDeviationPct, cappedDeviationFromFirstPct } = cappedDeviation(capped);
  return { comparison, idle, uncapped, perThousandMB, marginalPerThousandMB, cap: cfg.cap, capped, cappedDeviationPct, cappedDeviationFromFirstPct, ...(breakdown ? { breakdown } : {}) };
}
