/**
 * One fault-injection run against the real stack: the Temporal CLI dev server (SQLite file, fixed loopback port),
 * the project's worker as a child process (worker/main.ts), the SMTP sink, and a driver that walks ~20 reviews
 * through their scenarios while faults strike:
 *
 * - the worker is killed with SIGKILL at random points (and right after the SMTP sink accepted a message, and in
 *   the middle of a stalled DATA reply) and started again;
 * - the dev server is stopped and started again on the same database and port;
 * - the SMTP sink refuses connections, answers 421 and 451, stalls its DATA replies, and refuses one recipient
 *   with 550 throughout.
 *
 * First a fault-free baseline runs one review per scenario; afterwards every review under faults must reach the
 * same final state and record the same notices as its scenario's baseline, and the sink must hold exactly the
 * notices (and delivery alerts) the statuses record as sent (see ledger.ts).
 *
 * The documented crash window (activities/ledger.ts): a notice can arrive twice, both copies with the same
 * Message-ID, when the worker dies after the SMTP server accepted the message (250) and before the send is written
 * to the worker's delivery ledger; the activity is retried after its start-to-close timeout and finds no entry.
 * ledger.ts accepts an extra copy only with that evidence: the killed process held the copy, its ledger entry came
 * later, the history shows the retry. Any other duplicate is a bug, whatever else went wrong at the time.
 */
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messageIdFor } from '../../activities/message-id';
import { SmtpSink } from '../../shared/smtp-sink';
import type { SinkStats } from '../../shared/smtp-sink';
import { serverPaths } from '../../shared/temporal-servers';
import { workflowIdFor } from '../../workflows/messages';
import type { ReviewResult } from '../../workflows/review-workflow';
import type { ReviewStatus } from '../../workflows/types';
import { freePort, RestartableDevServer } from './dev-server';
import { historyEvidence } from './history-evidence';
import { writeRunRecord } from './run-record';
import { buildLedger } from './ledger';
import type { Ledger } from './ledger';
import { ledgerRecordTimes } from './ledger-file';
import { isAnswer, RetryingClient, sleep } from './retrying-client';
import {
  awaitResult, driveReview, EXPECTED, fetchHistory, queryStatus, REFUSED, reviewRequest, SCENARIOS, STEPS, TIMED_SCENARIOS,
} from './scenarios';
import type { DriveContext, PlanOptions, ReviewPlan, ScenarioName } from './scenarios';
import { formatTally, isClean, median } from './tally';
import { WorkerProcess, workerEnv } from './worker-process';

const ROOT = path.resolve(__dirname, '../..');
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

export { REFUSED } from './scenarios';
export { isClean } from './tally';

export interface FaultRunConfig {
  seed: number;
  /** Reviews under faults, per scenario. */
  reviews: Record<ScenarioName, number>;
  /** Kills of a polling worker (kills during its startup come on top, counted apart) and dev server restarts to inject. */
  killTarget: number;
  restartTarget: number;
  /**
   * Hard bounds, from the start of the faulty phase: kills and restarts stop here even if short of the target;
   * the driver gives up; every review must have completed.
   */
  killPhaseMs: number;
  restartPhaseMs: number;
  smtpPhaseMs: number;
  driveMs: number;
  settleMs: number;
}

export const DEFAULT_CONFIG: Omit<FaultRunConfig, 'seed'> = {
  reviews: { completed: 5, expired: 5, withdrawn: 3, critical: 4, cancelled: 3 },
  killTarget: 32,
  restartTarget: 11,
  // Bounds, not durations: on an idle 2-core machine the kills are done in ~120 s and every review has finished
  // ~130 s later (notices caught by a kill wait out their 2-minute start-to-close timeout). Every kill counted waits
  // for a polling worker: where a worker needs 6 s to start (a loaded machine, measured) a kill takes ~8 s and the
  // phase ~260 s; the reviews then need another ~130 s to finish.
  killPhaseMs: 300 * SECOND,
  restartPhaseMs: 170 * SECOND,
  smtpPhaseMs: 280 * SECOND,
  driveMs: 450 * SECOND,
  settleMs: 500 * SECOND,
};

/** How long the fault-free baseline may take (it waits out a lost activity task's 2-minute timeout at worst). */
const BASELINE_MS = 150 * SECOND;
/** Reading statuses and histories after the reviews finished. */
const COLLECT_MS = 60 * SECOND;

/**
 * The longest a run can take by its own bounds (baseline, faults and settling, collecting, then replay and teardown):
 * the suite's time limit, so a slow run fails on the bound that names what was slow, with its tally, never on a
 * test-runner timeout that says nothing.
 */
export function runBoundMs(cfg: Pick<FaultRunConfig, 'settleMs'>): number {
  return BASELINE_MS + cfg.settleMs + COLLECT_MS + 90 * SECOND;
}

type SmtpFaultKind = 'down' | '421' | '451' | 'stall';
/** A window lasts at least `minMs` and until it struck `hits` times (so no fault goes unused when mail is quiet), at most `maxMs`. */
interface SmtpWindow { kind: SmtpFaultKind; minMs: number; maxMs: number; hits: number }
/** How long the sink holds back each DATA reply in the stall window. */
const STALL_MS = 1500;

/**
 * The SMTP outages of the faulty phase, in order, with gaps between them; the 550 for one recipient lasts the
 * whole phase. Every failed attempt doubles a notice's retry interval (5 s initial), so the windows are short.
 * A stall window counts the stalled replies that reached their client; a refusal is seen in the worker's log.
 */
// The 421 and 451 windows stay on up to 40 s: since a workflow task's notices share one activity (review-core-v3)
// mail comes in fewer, larger bursts, and a run saw three 25 s windows of 421 pass without a single attempt.
const SMTP_PLAN: SmtpWindow[] = [
  { kind: '421', minMs: 5 * SECOND, maxMs: 40 * SECOND, hits: 3 },
  { kind: 'stall', minMs: 8 * SECOND, maxMs: 25 * SECOND, hits: 2 },
  { kind: '451', minMs: 5 * SECOND, maxMs: 40 * SECOND, hits: 3 },
  { kind: 'down', minMs: 5 * SECOND, maxMs: 25 * SECOND, hits: 2 },
];

/** Polling kills before the first kill during a startup (those then strike every sixth time, on top of the target). */
const POLLING_KILLS_FIRST = 12;

/** Where a kill strikes: a random moment of a polling worker, its startup, right after an SMTP acceptance, a stalled reply. */
type KillMode = 'random' | 'startup' | 'after-accept' | 'during-stall';

export interface ReviewCheck {
  reviewId: string;
  scenario: ScenarioName;
  baseline: boolean;
  problems: string[];
}

export interface FaultRunResult {
  seed: number;
  runDir: string;
  durationMs: number;
  faultPhaseMs: number;
  tally: string;
  faults: {
    /** Kills of a polling worker (a working one): the figure the target and the README count. */
    workerKills: number;
    /** Kills of a worker still starting up (not polling yet): on top of `workerKills`. */
    startupKills: number;
    killsByMode: Record<KillMode, number>;
    serverRestarts: number;
    outageMs: number[];
    smtpWindows: Record<SmtpFaultKind, number>;
    sink: SinkStats;
    smtpRefused: number;
    workerStarts: number;
    workerStartupMs: number[];
    workerFailedStarts: number;
    workerCrashes: number;
    clientCallsRetried: number;
    clientRetries: number;
  };
  ledger: Ledger;
  reviews: ReviewCheck[];
  history: {
    workflowTaskFailed: string[]; workflowTaskTimedOut: number; activityRetries: number; activityTimedOut: number; activityFailed: number;
    /** What the attempt before each successful (or final) one failed with: evidence of which faults reached the activities. */
    lastFailures: Record<string, number>;
    /** Start-to-close timeouts in the fault-free baseline (an activity task lost without any fault). */
    baselineTimeouts: number;
    /** Histories that do not replay on the workflow code that wrote them (a restarted worker could not go on). */
    replayFailures: string[];
  };
  /** Failures of the driver or the fault loops (each one fails the suite). */
  errors: string[];
}

/** mulberry32: a small seeded generator, so a run's schedule can be replayed with FAULTS_SEED. */
function random(seed: number): { next: () => number; between: (lo: number, hi: number) => number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (lo, hi) => lo + (hi - lo) * next() };
}

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // a runtime exists already in this process
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];
const noticeKeys = (s: ReviewStatus): string[] => s.notices.map((n) => `${n.kind} -> ${n.audience}`).sort();

export async function runFaults(cfg: FaultRunConfig): Promise<FaultRunResult> {
  const t0 = Date.now();
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-faults-'));
  const logStream = createWriteStream(path.join(runDir, 'driver.log'));
  const log = (line: string): void => {
    logStream.write(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}\n`);
  };
  const rnd = random(cfg.seed);
  const bundle = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  if (!bundle) throw new Error('FRONTIER_REVIEW_TEST_BUNDLE is not set: run through jest.faults.config.js (its global setup bundles the workflows)');
  const cli = process.env.TEMPORAL_CLI_PATH ?? serverPaths().cli;
  quietRuntime();

  const server = new RestartableDevServer({ cli, port: await freePort(), dbFilename: path.join(runDir, 'temporal.sqlite') });
  const sink = new SmtpSink();
  let worker: WorkerProcess | undefined;
  let rc: RetryingClient | undefined;
  const errors: string[] = [];
  let keepLogs = true;
  try {
    await server.start();
    await sink.listen(0, '127.0.0.1');
    rc = await RetryingClient.connect(server.address, log);
    const taskQueue = `faults-${cfg.seed.toString(36)}`;
    const ledgerPath = path.join(runDir, 'notice-ledger.sqlite');
    // The child gets only the settings the brief names; nothing inherited may point it elsewhere (TEMPORAL_*, keys).
    const childEnv = workerEnv({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: taskQueue,
      SMTP_URL: sink.url,
      MAIL_FROM: 'frontier-review <noreply@clearinghouse.example>',
      FRONTIER_REVIEW_WORKFLOW_BUNDLE: bundle,
      // the run's own delivery ledger (the default is .data/ of the working tree, shared with `npm start`)
      NOTICE_LEDGER_PATH: ledgerPath,
      NOTICE_LEDGER_URL: '', // the SQLite file above, whatever the caller's shell says: ledger-file.ts reads it
    });
    const w = new WorkerProcess({
      cwd: ROOT, env: childEnv, logFile: path.join(runDir, 'worker.log'), maxStarts: 250, restartDelayMs: 1000,
      // the SDK logs each failed activity attempt: the only place a refused SMTP connection shows
      countLines: { smtpRefused: new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${sink.port}\\b`) },
    });
    worker = w;
    w.start();
    if (!(await w.waitReady(Date.now() + 60 * SECOND))) throw new Error(`the worker did not start; see ${path.join(runDir, 'worker.log')}`);
    log(`server ${server.address}, sink ${sink.url}, task queue ${taskQueue}, seed ${cfg.seed}`);

    const stats = { updates: 0, updatesFoundApplied: 0, startsFoundStarted: 0 };
    // Generous: even without faults an activity task can be lost in dispatch and wait out its 2-minute timeout.
    const ctx: DriveContext = { rc, taskQueue, deadline: Date.now() + BASELINE_MS, log, stats };
    const tag = Date.now().toString(36);
    const iso = (ms: number): string => new Date(ms).toISOString();

    // ---------- baseline: one review per scenario, no faults ----------
    const baselinePlans: ReviewPlan[] = SCENARIOS.map((scenario) => {
      const reviewId = `flt-${tag}-base-${scenario}`;
      return {
        scenario, reviewId, request: reviewRequest({ reviewId, plannedReleaseAt: iso(Date.now() + 60 * DAY) }), startAfterMs: 0,
        stepDelaysMs: STEPS[scenario].map(() => 200), ...(TIMED_SCENARIOS.has(scenario) ? { releaseInMs: 8 * SECOND } : {}),
      };
    });
    const settled = async (what: string, ps: Promise<unknown>[]): Promise<void> => {
      const failed = (await Promise.allSettled(ps)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) throw new Error(`${what}: ${failed.map((r) => errorText(r.reason)).join('; ')}`);
    };
    await settled('baseline (no faults)', baselinePlans.map((p) => driveReview(ctx, p)));
    await settled('baseline (no faults)', baselinePlans.map((p) => awaitResult(ctx, p.reviewId, ctx.deadline)));
    const baseline = new Map<ScenarioName, ReviewStatus>();
    for (const p of baselinePlans) baseline.set(p.scenario, await queryStatus(ctx, p.reviewId));
    log(`baseline done: ${[...baseline.entries()].map(([k, s]) => `${k}=${s.outcome}/${s.notices.length} notices`).join(', ')}`);

    // ---------- the faulty phase ----------
    sink.faults = { rejectRecipients: [REFUSED] };
    const C = Date.now();
    ctx.deadline = C + cfg.driveMs;
    const plans: ReviewPlan[] = [];
    const ms = (lo: number, hi: number): number => Math.round(rnd.between(lo * SECOND, hi * SECOND));
    const plan = (scenario: ScenarioName, i: number, startAfterMs: number, o: Partial<PlanOptions> = {}): void => {
      const reviewId = `flt-${tag}-${scenario}-${i}`;
      plans.push({
        scenario, reviewId, startAfterMs, stepDelaysMs: STEPS[scenario].map(() => ms(0.5, 5)),
        request: reviewRequest({ reviewId, plannedReleaseAt: iso(C + 60 * DAY), ...o }),
        // the release (and so the window end) a few tens of seconds out: deadline enforcement fires in real time
        ...(TIMED_SCENARIOS.has(scenario) ? { releaseInMs: ms(20, 40) } : {}),
      });
    };
    for (let i = 0; i < cfg.reviews.completed; i++) plan('completed', i, ms(0, 40), i < 2 ? { reviewer2Email: REFUSED } : {});
    for (let i = 0; i < cfg.reviews.expired; i++) plan('expired', i, ms(0, 30), i === 0 ? { reviewer2Email: REFUSED } : {});
    for (let i = 0; i < cfg.reviews.critical; i++) plan('critical', i, ms(0, 30), i === 0 ? { extraLabContact: REFUSED } : {});
    for (let i = 0; i < cfg.reviews.withdrawn; i++) plan('withdrawn', i, ms(0, 60));
    for (let i = 0; i < cfg.reviews.cancelled; i++) plan('cancelled', i, ms(0, 60));

    const kills: { at: number; mode: KillMode }[] = [];
    const pollingKills = (): number => kills.filter((k) => k.mode !== 'startup').length;
    let stallSince: number | null = null;
    let stallAcceptedFrom = 0;
    const smtpWindows: Record<SmtpFaultKind, number> = { down: 0, '421': 0, '451': 0, stall: 0 };

    const killLoop = async (): Promise<void> => {
      const until = C + cfg.killPhaseMs;
      let stallKills = 0;
      let acceptKills = 0;
      // The target counts kills of a polling worker only: a worker killed while it starts up holds no task, so such
      // kills (every sixth, for the startup path) come on top and are reported apart.
      while (pollingKills() < cfg.killTarget && Date.now() < until) {
        if (!w.alive) w.start();
        const spawnedAt = Date.now();
        const n = kills.length;
        const startup = median(w.stats.startupMs.slice(-6)) || 2 * SECOND;
        // Time left per polling kill still to come: a kill during a startup is extra, made only when there is time for it.
        const budget = (until - Date.now()) / Math.max(1, cfg.killTarget - pollingKills());
        let mode: KillMode = 'random';
        if (pollingKills() >= POLLING_KILLS_FIRST && n % 6 === 4 && budget > 2 * startup + 3 * SECOND) {
          // a random moment of the startup: loading modules and the bundle, connecting, registering
          await sleep(rnd.between(300, Math.max(400, startup - 200)));
          if (!w.ready) mode = 'startup';
        } else if (!(await w.waitReady(Math.min(until, spawnedAt + 30 * SECOND)))) {
          // Not up after 30 s: killed where it is, counted apart. (The bound was 12 s; at 10-12 s startups on an
          // overloaded machine that turned half the kills into startup kills and left SMTP windows without mail.)
          mode = 'startup';
        } else if (stallSince !== null && stallKills < 1 && sink.stats.stalledAccepted > stallAcceptedFrom) {
          mode = 'during-stall'; // once, after a stalled reply of this window did reach its client
        } else if (n % 6 === 1 && acceptKills < 3) {
          mode = 'after-accept';
        }
        if (mode === 'during-stall') {
          // kill while the sink holds back its reply: the client hangs up, so nothing was accepted
          const stalled = sink.stats.stalledReplies;
          const give = Date.now() + 5 * SECOND;
          while (sink.stats.stalledReplies === stalled && Date.now() < give) await sleep(20);
          if (sink.stats.stalledReplies === stalled) mode = 'random';
          else {
            stallKills++;
            await sleep(rnd.between(100, Math.max(200, STALL_MS - 300)));
          }
        } else if (mode === 'after-accept') {
          // kill the moment the sink accepted a message: the activity cannot have reported its completion
          const count = sink.messages.length;
          await sink.waitFor((m) => m.length > count, 5 * SECOND).then(() => { acceptKills++; }, () => { mode = 'random'; });
        }
        if (mode === 'random') {
          if (stallSince !== null && sink.stats.stalledAccepted === stallAcceptedFrom) {
            // No stalled reply of this window has reached its client yet: hold the kill until one has, or the window
            // ends. A killed worker's activities wait out their start-to-close timeout before another attempt, so
            // kills every few seconds left a run's three stall windows with 36 stalled replies, all abandoned.
            const from = stallAcceptedFrom;
            while (stallSince !== null && sink.stats.stalledAccepted === from && Date.now() < until) await sleep(50);
          }
          // a random moment of a polling worker; while the sink stalls, long enough for a stalled reply to get through
          await sleep(stallSince !== null ? rnd.between(STALL_MS + 500, STALL_MS + 1500) : rnd.between(300, 2000));
        }
        const killed = await w.kill9();
        if (killed?.killedAt) {
          // What the process was doing when the signal went, whatever the plan was: polling or not yet.
          const struck: KillMode = killed.readyAt === null ? 'startup' : mode === 'startup' ? 'random' : mode;
          kills.push({ at: killed.killedAt, mode: struck });
          log(`worker kill #${kills.length} (${struck}, pid ${killed.pid})`);
        }
        await sleep(rnd.between(0, 200));
        w.start();
      }
    };

    const serverLoop = async (): Promise<void> => {
      const until = C + cfg.restartPhaseMs;
      await sleep(rnd.between(4 * SECOND, 7 * SECOND));
      while (server.stats.stops < cfg.restartTarget && Date.now() < until) {
        await server.stop();
        log(`dev server stopped (#${server.stats.stops})`);
        await sleep(rnd.between(300, 2000));
        await server.start();
        log('dev server up again');
        await sleep(rnd.between(5 * SECOND, 8 * SECOND));
      }
    };

    const smtpLoop = async (): Promise<void> => {
      const until = C + cfg.smtpPhaseMs;
      try {
        for (const win of SMTP_PLAN) {
          const hits = (): number => (win.kind === 'stall' ? sink.stats.stalledAccepted : win.kind === 'down' ? w.stats.lines.smtpRefused ?? 0 : sink.stats.temporaryFailures[Number(win.kind)] ?? 0);
          const first = hits();
          // A window that struck nothing (no mail while it was on) is opened again, a bounded number of times.
          for (let attempt = 1; attempt <= 3 && hits() === first; attempt++) {
            await sleep(rnd.between(3 * SECOND, 6 * SECOND));
            if (Date.now() > until) throw new Error(`no time left for the SMTP ${win.kind} fault (${attempt - 1} windows struck nothing)`);
            // Switch the fault on while mail flows (the next acceptance): with the worker killed every few seconds
            // most notices wait out a 2-minute activity timeout, and a minute can pass without a single attempt.
            const count = sink.messages.length;
            await sink.waitFor((m) => m.length > count, 60 * SECOND).catch(() => log(`smtp ${win.kind}: no mail for 60 s; on anyway`));
            const before = hits();
            const started = Date.now();
            smtpWindows[win.kind]++;
            log(`smtp ${win.kind} on (window ${attempt})`);
            if (win.kind === 'stall') {
              stallSince = started;
              stallAcceptedFrom = sink.stats.stalledAccepted;
            }
            if (win.kind === 'down') sink.down();
            else sink.faults = { ...sink.faults, ...(win.kind === 'stall' ? { stallMs: STALL_MS } : { temporaryFailure: Number(win.kind) }) };
            while (Date.now() - started < win.minMs || (hits() - before < win.hits && Date.now() - started < win.maxMs)) await sleep(200);
            sink.faults = { rejectRecipients: [REFUSED] };
            stallSince = null;
            await sink.up();
            log(`smtp ${win.kind} off after ${Date.now() - started} ms, ${hits() - before} hits`);
          }
        }
      } finally {
        sink.faults = { rejectRecipients: [REFUSED] };
        await sink.up();
      }
    };

    const recordFailure = (what: string) => (r: PromiseSettledResult<unknown>): void => {
      if (r.status === 'rejected') errors.push(`${what}: ${errorText(r.reason)}`);
    };
    let faulting = true;
    const monitor = async (): Promise<void> => {
      let last = '';
      while (faulting) {
        const now = `sink: ${sink.messages.length} accepted, ${sink.stats.stalledReplies} stalled, ${sink.stats.abandoned} abandoned; worker ${w.ready ? 'polling' : w.alive ? 'starting' : 'down'}; server ${server.running ? 'up' : 'down'}`;
        if (now !== last) log(now);
        last = now;
        await sleep(500);
      }
    };
    const monitoring = monitor();
    const driving = Promise.allSettled(plans.map((p) => driveReview(ctx, p)));
    const loops = await Promise.allSettled([killLoop(), serverLoop(), smtpLoop()]);
    faulting = false;
    await monitoring;
    loops.forEach((r, i) => recordFailure(['worker kill loop', 'server restart loop', 'smtp fault loop'][i])(r));
    const faultPhaseMs = Date.now() - C;
    log(`fault phase over after ${faultPhaseMs} ms`);
    // Everything back up for good; then the reviews must finish by themselves.
    await server.start();
    await sink.up();
    if (!(await w.waitReady(Date.now() + 60 * SECOND))) errors.push('the worker did not come back after the fault phase');
    (await driving).forEach((r, i) => recordFailure(`driver of ${plans[i].reviewId}`)(r));

    // ---------- settle and collect ----------
    const all = [...baselinePlans.map((p) => ({ p, baseline: true })), ...plans.map((p) => ({ p, baseline: false }))];
    const settleDeadline = C + cfg.settleMs;
    const results = new Map<string, ReviewResult>();
    const stuck = new Map<string, string>();
    /** The result; or, for a workflow whose task fails on a nondeterminism error (it never recovers), why it is stuck. */
    const settle = async (id: string): Promise<ReviewResult | string> => {
      for (;;) {
        try {
          return await awaitResult(ctx, id, Math.min(settleDeadline, Date.now() + 20 * SECOND));
        } catch (e) {
          if (isAnswer(e) || Date.now() >= settleDeadline) throw e;
        }
        const h = await fetchHistory(ctx, id, Date.now() + 15 * SECOND).catch(() => undefined);
        const nde = h?.events?.find((ev) => ev.workflowTaskFailedEventAttributes?.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
        if (nde) return `stuck: workflow task ${nde.eventId} failed with ${nde.workflowTaskFailedEventAttributes?.failure?.message ?? 'a nondeterminism error'}`;
      }
    };
    (await Promise.allSettled(all.map(({ p }) => settle(p.reviewId)))).forEach((r, i) => {
      const id = all[i].p.reviewId;
      if (r.status === 'rejected') errors.push(`result of ${id}: ${errorText(r.reason)}`);
      else if (typeof r.value === 'string') stuck.set(id, r.value);
      else results.set(id, r.value);
    });
    log('all results in');
    const collectDeadline = Date.now() + COLLECT_MS;
    // A stuck review cannot answer queries: its status is missing (and the review fails below).
    const statusOf = new Map<string, ReviewStatus>();
    const readable = all.filter(({ p }) => !stuck.has(p.reviewId));
    (await Promise.allSettled(readable.map(({ p }) => queryStatus(ctx, p.reviewId, collectDeadline)))).forEach((r, i) => {
      if (r.status === 'fulfilled') statusOf.set(readable[i].p.reviewId, r.value);
      else errors.push(`status of ${readable[i].p.reviewId}: ${errorText(r.reason)}`);
    });
    const histories = (await Promise.allSettled(all.map(({ p }) => fetchHistory(ctx, p.reviewId, collectDeadline)))).map((r, i) => {
      if (r.status === 'fulfilled') return r.value;
      errors.push(`history of ${all[i].p.reviewId}: ${errorText(r.reason)}`);
      return { events: [] };
    });

    // ---------- checks ----------
    const E = temporal.api.enums.v1.EventType;
    const history: FaultRunResult['history'] = {
      workflowTaskFailed: [], workflowTaskTimedOut: 0, activityRetries: 0, activityTimedOut: 0, activityFailed: 0, lastFailures: {}, baselineTimeouts: 0,
      replayFailures: [],
    };
    // Every history must replay on the bundle that wrote it: otherwise any worker without the review in its cache
    // (after a restart, or to answer a query about a finished review) fails on it.
    const replayable = histories.map((h, i) => ({ workflowId: workflowIdFor(all[i].p.reviewId), history: h })).filter((x) => (x.history.events?.length ?? 0) > 0);
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundle } }, replayable)) {
      if (r.error) history.replayFailures.push(`${r.workflowId}: ${/Nondeterminism error: [^"\\]*/.exec(r.error.message)?.[0] ?? r.error.message.slice(0, 300)}`);
    }
    const classify = (m: string): string =>
      /StartToClose/i.test(m) ? 'start-to-close timeout' : /ECONNREFUSED/.test(m) ? 'connection refused' : /\b421\b/.test(m) ? '421' : /\b451\b/.test(m) ? '451' : `other: ${m.slice(0, 60)}`;
    histories.forEach((h, i) => {
      for (const ev of h.events ?? []) {
        if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
          const a = ev.workflowTaskFailedEventAttributes;
          const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[a?.cause ?? 0];
          history.workflowTaskFailed.push(`${all[i].p.reviewId} event ${ev.eventId}: ${cause}: ${a?.failure?.message ?? ''}`);
        } else if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) history.workflowTaskTimedOut++;
        else if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          const a = ev.activityTaskStartedEventAttributes;
          history.activityRetries += Math.max(0, (a?.attempt ?? 1) - 1);
          if (a?.lastFailure?.message) {
            const k = classify(a.lastFailure.message);
            history.lastFailures[k] = (history.lastFailures[k] ?? 0) + 1;
            if (all[i].baseline && k === 'start-to-close timeout') history.baselineTimeouts++;
          }
        }
        else if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) history.activityTimedOut++;
        else if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_FAILED) history.activityFailed++;
      }
    });

    const reviews: ReviewCheck[] = all.map(({ p, baseline: isBaseline }) => {
      const s = statusOf.get(p.reviewId);
      const want = EXPECTED[p.scenario];
      if (!s) return { reviewId: p.reviewId, scenario: p.scenario, baseline: isBaseline, problems: [stuck.get(p.reviewId) ?? 'its status could not be read (see the errors)'] };
      const problems: string[] = [];
      const result = results.get(p.reviewId);
      if (result && (result.phase !== want.phase || result.outcome !== want.outcome)) problems.push(`result ${result.phase}/${result.outcome}, expected ${want.phase}/${want.outcome}`);
      if (s.phase !== want.phase || s.outcome !== want.outcome) problems.push(`status ${s.phase}/${s.outcome}, expected ${want.phase}/${want.outcome}`);
      const evals = s.evaluations.map((e) => `${e.status}:${e.severity}`);
      const wantEvals = want.evaluations.map((e) => `${e.status}:${e.severity}`);
      if (evals.join(',') !== wantEvals.join(',')) problems.push(`evaluations ${evals.join(', ')}, expected ${wantEvals.join(', ')}`);
      const base = baseline.get(p.scenario) as ReviewStatus;
      if (isBaseline) {
        // suppressed: by the time it was due to go out, its reason no longer held (the baseline moves quickly)
        const unsent = s.notices.filter((n) => n.state !== 'sent' && n.state !== 'suppressed');
        if (unsent.length) problems.push(`baseline notices neither sent nor suppressed: ${unsent.map((n) => `${n.id} ${n.state}`).join(', ')}`);
      } else if (noticeKeys(s).join('|') !== noticeKeys(base).join('|')) {
        const got = noticeKeys(s);
        const exp = noticeKeys(base);
        const missing = exp.filter((k) => !got.includes(k));
        const extra = got.filter((k) => !exp.includes(k));
        problems.push(`notices differ from the fault-free run: missing [${missing.join('; ')}], extra [${extra.join('; ')}]`);
      }
      // a notice recorded failed must also be in the audit trail, never silent
      for (const n of s.notices.filter((x) => x.state === 'failed')) {
        if (!s.events.some((e) => e.type === 'notice-failed' && e.detail.startsWith(`${n.kind} to ${n.audience}`))) problems.push(`failed notice ${n.id} has no notice-failed audit event`);
      }
      return { reviewId: p.reviewId, scenario: p.scenario, baseline: isBaseline, problems };
    });

    // Mail of a review without a status cannot be accounted for: left out of the ledger (that review fails above).
    const unreadable = all.map(({ p }) => p.reviewId).filter((id) => !statusOf.has(id));
    const mails = sink.messages.filter((m) => !unreadable.some((id) => m.messageId.startsWith(`<${id}/`)));
    // The evidence an extra copy needs: which process held it (lives), when the worker's ledger recorded it, the retry.
    const recorded = ledgerRecordTimes(ledgerPath);
    const ledger = buildLedger([...statusOf.values()], mails, {
      messageIdFor: (id) => messageIdFor(id), blocked: [REFUSED], workers: w.lives, recordedAt: (id) => recorded.get(id),
      ...historyEvidence(histories, all.map(({ p }) => p.reviewId)),
    });

    const killsByMode: Record<KillMode, number> = { random: 0, startup: 0, 'after-accept': 0, 'during-stall': 0 };
    for (const k of kills) killsByMode[k.mode]++;
    const outageMs = server.outages.map((o) => (o.until ?? Date.now()) - o.at);
    const faults: FaultRunResult['faults'] = {
      workerKills: pollingKills(), startupKills: killsByMode.startup, killsByMode, serverRestarts: server.outages.length, outageMs, smtpWindows,
      sink: JSON.parse(JSON.stringify(sink.stats)) as SinkStats,
      smtpRefused: w.stats.lines.smtpRefused ?? 0, workerStarts: w.stats.starts, workerStartupMs: w.stats.startupMs, workerFailedStarts: w.stats.failedStarts, workerCrashes: w.stats.crashes,
      clientCallsRetried: rc.stats.retriedCalls, clientRetries: rc.stats.retries,
    };
    const durationMs = Date.now() - t0;
    const result: FaultRunResult = { seed: cfg.seed, runDir, durationMs, faultPhaseMs, tally: '', faults, ledger, reviews, history, errors };
    keepLogs = process.env.FAULTS_KEEP === '1' || !isClean(result, cfg);
    if (keepLogs) writeRunRecord(runDir, sink.messages, ledger);
    result.tally = formatTally(result, stats, sink.messages.length, keepLogs);
    return result;
  } catch (e) {
    errors.push(errorText(e));
    throw e;
  } finally {
    await worker?.stop().catch(() => undefined);
    await rc?.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await sink.close().catch(() => undefined);
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
    // Keep the logs (and the database) of a failed run for inspection; drop those of a clean one.
    if (!keepLogs) rmSync(runDir, { recursive: true, force: true });
  }
}
