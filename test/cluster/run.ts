/**
 * One run on the production-shaped cluster (scripts/cluster): PostgreSQL, two Temporal server processes, three
 * worker processes (worker/main.ts) sharing the PostgreSQL notice ledger (NOTICE_LEDGER_URL), the SMTP sink, and a
 * driver that walks N reviews through the fault run's scenarios (test/faults/scenarios.ts) without time skipping:
 * the timed ones move their planned release a couple of minutes ahead, so deadline enforcement, the closure notice
 * and the disposal requests come in real minutes. Meanwhile: workers killed with SIGKILL (one of them right after
 * the sink accepted its message) and started again, one server process killed with SIGKILL and started again,
 * PostgreSQL restarted once.
 *
 * Afterwards the fault run's checks (test/faults): every review's final state, the sink against the statuses by
 * Message-ID (ledger.ts, with the sender of each copy known by its EHLO name), every history replayed.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { messageIdFor } from '../../activities/message-id';
import { ClusterError, TemporalCluster } from '../../scripts/cluster/cluster';
import { withDatabase } from '../../shared/postgres';
import { SmtpSink } from '../../shared/smtp-sink';
import { workflowIdFor } from '../../workflows/messages';
import type { ReviewStatus } from '../../workflows/types';
import { historyEvidence } from '../faults/history-evidence';
import { firstRecordTimes } from '../faults/ledger-file';
import type { RecordRow } from '../faults/ledger-file';
import { writeRunRecord } from '../faults/run-record';
import { buildLedger } from '../faults/ledger';
import type { Ledger } from '../faults/ledger';
import { RetryingClient, sleep } from '../faults/retrying-client';
import { awaitResult, driveReview, EXPECTED, fetchHistory, queryStatus, reviewRequest, STEPS, TIMED_SCENARIOS } from '../faults/scenarios';
import type { DriveContext, ReviewPlan, ScenarioName } from '../faults/scenarios';
import { WorkerProcess, workerEnv } from '../faults/worker-process';

const ROOT = path.resolve(__dirname, '../..');
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

export interface ClusterRunConfig {
  reviews: number;
  seed: number;
  /** The timed scenarios' planned release, this far after their evaluations are in: [min, max] seconds. */
  releaseInSec: [number, number];
  /** Reviews start spread over this long. */
  rampMs: number;
  /** Faults strike between 10 s and this long after the reviews are launched. */
  faultSpanMs: number;
  /** Worker kills (at random moments; one more comes right after an SMTP acceptance). */
  workerKills: number;
  /** Every review must have finished by then, from the launch. */
  settleMs: number;
}

/** Scenario shares of N reviews (the rest are cancelled). */
const SHARES: [ScenarioName, number][] = [['completed', 0.3], ['expired', 0.3], ['critical', 0.2], ['withdrawn', 0.1]];

export function scenarioCounts(n: number): Record<ScenarioName, number> {
  const out = { completed: 0, expired: 0, critical: 0, withdrawn: 0, cancelled: 0 } as Record<ScenarioName, number>;
  for (const [s, share] of SHARES) out[s] = Math.max(1, Math.round(n * share));
  out.cancelled = Math.max(1, n - SHARES.reduce((a, [s]) => a + out[s], 0));
  return out;
}

export interface ReviewCheck {
  reviewId: string;
  scenario: ScenarioName;
  problems: string[];
}

export interface ClusterRunResult {
  runDir: string;
  timings: { clusterStartMs: number; workersReadyMs: number; allClosedMs: number; durationMs: number };
  faults: { workerKills: number; afterAcceptKills: number; serverKills: number; serverDownMs: number; postgresRestarts: number; postgresDownMs: number; workerStarts: number; workerCrashes: number };
  reviews: ReviewCheck[];
  counts: Record<ScenarioName, number>;
  ledger: Ledger;
  mails: number;
  mailsBySender: Record<string, number>;
  history: { workflowTaskFailed: string[]; workflowTaskTimedOut: number; activityRetries: number; replayed: number; replayFailures: string[] };
  clientRetries: number;
  errors: string[];
  tally: string;
}

function random(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

/** Promise.allSettled over `jobs`, at most `limit` running at once; results in order. */
async function settleLimited<T>(jobs: (() => Promise<T>)[], limit: number): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]().then((value) => ({ status: 'fulfilled', value }) as const, (reason: unknown) => ({ status: 'rejected', reason }) as const);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  return out;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];
const noticeKeys = (s: ReviewStatus): string => s.notices.map((n) => `${n.kind} -> ${n.audience}`).sort().join('|');

/** When the shared ledger recorded each mail (notice or alert id), ms: evidence for the crash-window verdicts. */
async function ledgerRecordTimes(url: string): Promise<Map<string, number>> {
  const c = new PgClient({ connectionString: url });
  await c.connect();
  try {
    return firstRecordTimes((await c.query<RecordRow>('SELECT notice_id, recorded_at FROM notices')).rows);
  } finally {
    await c.end();
  }
}

export async function runCluster(cfg: ClusterRunConfig): Promise<ClusterRunResult> {
  const t0 = Date.now();
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-cluster-'));
  chmodSync(runDir, 0o755); // PostgreSQL runs as the `postgres` account (as root): its directory is inside
  const logStream = createWriteStream(path.join(runDir, 'driver.log'));
  const log = (line: string): void => {
    logStream.write(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}\n`);
  };
  const rnd = random(cfg.seed);
  const bundle = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  if (!bundle) throw new Error('FRONTIER_REVIEW_TEST_BUNDLE is not set: run through jest.cluster.config.js (its global setup bundles the workflows)');
  const errors: string[] = [];
  const sink = new SmtpSink();
  let cluster: TemporalCluster | undefined;
  const workers: WorkerProcess[] = [];
  let rc: RetryingClient | undefined;
  let keep = true;
  try {
    cluster = await TemporalCluster.start({ dataDir: path.join(runDir, 'cluster'), port: 0, shards: 16, log });
    const clusterStartMs = Date.now() - t0;
    const cl = cluster;
    // The workers' shared notice ledger: a database of its own on the cluster's PostgreSQL (restarted with it).
    const admin = new PgClient({ connectionString: cl.postgresUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE notice_ledger').finally(() => admin.end());
    const ledgerUrl = withDatabase(cl.postgresUrl, 'notice_ledger');
    await sink.listen(0, '127.0.0.1');
    const taskQueue = `cluster-${cfg.seed.toString(36)}`;
    for (const name of ['w1', 'w2', 'w3']) {
      const env = workerEnv({
        TEMPORAL_ADDRESS: cl.address, TEMPORAL_NAMESPACE: 'default', TASK_QUEUE: taskQueue,
        // nodemailer's `name` (EHLO): the sink records which worker sent each copy.
        SMTP_URL: `${sink.url}?name=${name}`, MAIL_FROM: 'frontier-review <noreply@clearinghouse.example>',
        FRONTIER_REVIEW_WORKFLOW_BUNDLE: bundle, NOTICE_LEDGER_URL: ledgerUrl,
      });
      workers.push(new WorkerProcess({ cwd: ROOT, env, logFile: path.join(runDir, `worker-${name}.log`), maxStarts: 30, restartDelayMs: 1000 }));
    }
    for (const w of workers) w.start();
    for (const [i, w] of workers.entries()) {
      if (!(await w.waitReady(Date.now() + 90 * SECOND))) throw new Error(`worker w${i + 1} did not start; see ${runDir}/worker-w${i + 1}.log`);
    }
    const workersReadyMs = Date.now() - t0;
    rc = await RetryingClient.connect(cl.address, log);
    log(`cluster ${cl.address} (${cl.nodes.map((n) => `${n.name} pid ${n.pid}`).join(', ')}), ledger ${ledgerUrl}, sink ${sink.url}`);

    // ---------- the reviews ----------
    const C = Date.now();
    const stats = { updates: 0, updatesFoundApplied: 0, startsFoundStarted: 0 };
    const ctx: DriveContext = { rc, taskQueue, deadline: C + cfg.settleMs, log, stats };
    const tag = C.toString(36);
    const counts = scenarioCounts(cfg.reviews);
    const plans: ReviewPlan[] = [];
    for (const [scenario, n] of Object.entries(counts) as [ScenarioName, number][]) {
      for (let i = 0; i < n; i++) {
        const reviewId = `cl-${tag}-${scenario}-${i}`;
        plans.push({
          scenario, reviewId, startAfterMs: Math.round(rnd(0, cfg.rampMs)), stepDelaysMs: STEPS[scenario].map(() => Math.round(rnd(500, 3000))),
          request: reviewRequest({ reviewId, plannedReleaseAt: new Date(C + 60 * DAY).toISOString() }),
          ...(TIMED_SCENARIOS.has(scenario) ? { releaseInMs: Math.round(rnd(cfg.releaseInSec[0], cfg.releaseInSec[1]) * SECOND) } : {}),
        });
      }
    }
    const driving = Promise.allSettled(plans.map((p) => driveReview(ctx, p)));

    // ---------- the faults, spread over the span ----------
    const at = (fraction: number): number => C + 10 * SECOND + fraction * (cfg.faultSpanMs - 10 * SECOND);
    const until = async (t: number): Promise<void> => sleep(t - Date.now());
    let workerKills = 0;
    let afterAcceptKills = 0;
    let serverDownMs = 0;
    let postgresDownMs = 0;
    const workerLoop = async (): Promise<void> => {
      for (let k = 0; k < cfg.workerKills; k++) {
        await until(at((k + 0.5) / (cfg.workerKills + 1)));
        const w = workers[k % workers.length];
        await w.waitReady(Date.now() + 60 * SECOND);
        const killed = await w.kill9();
        if (killed) workerKills++;
        log(`worker w${(k % workers.length) + 1} killed (pid ${killed?.pid})`);
        await sleep(rnd(500, 2000));
        w.start();
      }
    };
    const acceptKill = async (): Promise<void> => {
      // Whichever worker the sink accepts a message from next, killed at once: its ledger entry may not be written yet
      // (the crash window). Counted only when a message did come.
      await until(at(0.45));
      const from = sink.messages.length;
      const seen = await sink.waitFor((m) => m.length > from, 120 * SECOND).then(() => true, () => false);
      const sender = seen ? sink.messages[from].clientName : undefined;
      const i = Number(/^w(\d)$/.exec(sender ?? '')?.[1] ?? 0) - 1;
      if (i < 0) {
        errors.push(`after-accept kill: ${seen ? `a message from an unknown sender (${sender})` : 'no message accepted for 120 s'}`);
        return;
      }
      const killed = await workers[i].kill9();
      if (killed) afterAcceptKills++;
      log(`worker ${sender} killed right after the sink accepted its message (pid ${killed?.pid})`);
      await sleep(1000);
      workers[i].start();
    };
    const serverKill = async (): Promise<void> => {
      await until(at(0.3));
      const node = cl.nodes[1];
      await node.kill();
      const down = Date.now();
      log(`server ${node.name} killed with SIGKILL`);
      await sleep(rnd(3 * SECOND, 8 * SECOND));
      await node.start(Date.now() + 120 * SECOND);
      serverDownMs = Date.now() - down;
      log(`server ${node.name} up again after ${serverDownMs} ms (pid ${node.pid})`);
    };
    const postgresRestart = async (): Promise<void> => {
      await until(at(0.7));
      const down = Date.now();
      log('PostgreSQL: stopping');
      await cl.restartPostgres(rnd(1 * SECOND, 3 * SECOND));
      postgresDownMs = Date.now() - down;
      log(`PostgreSQL up again after ${postgresDownMs} ms`);
    };
    const loops = await Promise.allSettled([workerLoop(), acceptKill(), serverKill(), postgresRestart()]);
    loops.forEach((r, i) => {
      if (r.status === 'rejected') errors.push(`${['worker kill loop', 'after-accept kill', 'server kill', 'PostgreSQL restart'][i]}: ${errorText(r.reason)}`);
    });
    log('faults done');
    (await driving).forEach((r, i) => {
      if (r.status === 'rejected') errors.push(`driver of ${plans[i].reviewId}: ${errorText(r.reason)}`);
    });
    log('every driver done');

    // ---------- settle and collect ----------
    const settled = await Promise.allSettled(plans.map((p) => awaitResult(ctx, p.reviewId, C + cfg.settleMs)));
    settled.forEach((r, i) => {
      if (r.status === 'rejected') errors.push(`result of ${plans[i].reviewId}: ${errorText(r.reason)}`);
    });
    const allClosedMs = Date.now() - C;
    log(`all results in after ${allClosedMs} ms`);
    const collectDeadline = Date.now() + 120 * SECOND;
    const statusOf = new Map<string, ReviewStatus>();
    // A few at a time: each query of a review no worker holds in its cache replays its whole history first.
    (await settleLimited(plans.map((p) => () => queryStatus(ctx, p.reviewId, collectDeadline)), 16)).forEach((r, i) => {
      if (r.status === 'fulfilled') statusOf.set(plans[i].reviewId, r.value);
      else errors.push(`status of ${plans[i].reviewId}: ${errorText(r.reason)}`);
    });
    const histories = (await settleLimited(plans.map((p) => () => fetchHistory(ctx, p.reviewId, collectDeadline)), 16)).map((r, i) => {
      if (r.status === 'fulfilled') return r.value;
      errors.push(`history of ${plans[i].reviewId}: ${errorText(r.reason)}`);
      return { events: [] };
    });

    // ---------- checks ----------
    const E = temporal.api.enums.v1.EventType;
    const history: ClusterRunResult['history'] = { workflowTaskFailed: [], workflowTaskTimedOut: 0, activityRetries: 0, replayed: 0, replayFailures: [] };
    const replayable = histories.map((h, i) => ({ workflowId: workflowIdFor(plans[i].reviewId), history: h })).filter((x) => (x.history.events?.length ?? 0) > 0);
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundle } }, replayable)) {
      history.replayed++;
      if (r.error) history.replayFailures.push(`${r.workflowId}: ${/Nondeterminism error: [^"\\]*/.exec(r.error.message)?.[0] ?? r.error.message.slice(0, 300)}`);
    }
    histories.forEach((h, i) => {
      for (const ev of h.events ?? []) {
        if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
          const a = ev.workflowTaskFailedEventAttributes;
          history.workflowTaskFailed.push(`${plans[i].reviewId} event ${ev.eventId}: ${temporal.api.enums.v1.WorkflowTaskFailedCause[a?.cause ?? 0]}: ${a?.failure?.message ?? ''}`);
        } else if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) history.workflowTaskTimedOut++;
        else if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_STARTED) history.activityRetries += Math.max(0, (ev.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
      }
    });

    // Final states: the scenario's; notices: the same kinds to the same audiences as the scenario's other reviews.
    const signature = new Map<ScenarioName, Map<string, number>>();
    for (const p of plans) {
      const s = statusOf.get(p.reviewId);
      if (!s) continue;
      const m = signature.get(p.scenario) ?? new Map<string, number>();
      m.set(noticeKeys(s), (m.get(noticeKeys(s)) ?? 0) + 1);
      signature.set(p.scenario, m);
    }
    const usual = (sc: ScenarioName): string => [...(signature.get(sc) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    const reviews: ReviewCheck[] = plans.map((p) => {
      const s = statusOf.get(p.reviewId);
      if (!s) return { reviewId: p.reviewId, scenario: p.scenario, problems: ['its status could not be read (see the errors)'] };
      const want = EXPECTED[p.scenario];
      const problems: string[] = [];
      if (s.phase !== want.phase || s.outcome !== want.outcome) problems.push(`status ${s.phase}/${s.outcome}, expected ${want.phase}/${want.outcome}`);
      const evals = s.evaluations.map((e) => `${e.status}:${e.severity}`).join(', ');
      const wantEvals = want.evaluations.map((e) => `${e.status}:${e.severity}`).join(', ');
      if (evals !== wantEvals) problems.push(`evaluations ${evals}, expected ${wantEvals}`);
      if (noticeKeys(s) !== usual(p.scenario)) problems.push(`notices [${noticeKeys(s)}] differ from the scenario's usual [${usual(p.scenario)}]`);
      if (TIMED_SCENARIOS.has(p.scenario) && !s.events.some((e) => e.type === 'review-closed')) problems.push('no review-closed event (deadline enforcement)');
      return { reviewId: p.reviewId, scenario: p.scenario, problems };
    });

    const recorded = await ledgerRecordTimes(ledgerUrl);
    const lives = (name: string | undefined) => workers[Number(/^w(\d)$/.exec(name ?? '')?.[1] ?? 0) - 1]?.lives ?? [];
    const ledger = buildLedger([...statusOf.values()], sink.messages, {
      messageIdFor: (id) => messageIdFor(id), blocked: [], workers: [], workersOf: lives, recordedAt: (id) => recorded.get(id),
      ...historyEvidence(histories, plans.map((p) => p.reviewId)),
    });
    const mailsBySender: Record<string, number> = {};
    for (const m of sink.messages) mailsBySender[m.clientName ?? '?'] = (mailsBySender[m.clientName ?? '?'] ?? 0) + 1;

    const result: ClusterRunResult = {
      runDir,
      timings: { clusterStartMs, workersReadyMs, allClosedMs, durationMs: Date.now() - t0 },
      faults: {
        workerKills, afterAcceptKills, serverKills: cl.nodes.reduce((a, n) => a + n.stats.kills, 0), serverDownMs,
        postgresRestarts: cl.stats.postgresRestarts, postgresDownMs,
        workerStarts: workers.reduce((a, w) => a + w.stats.starts, 0), workerCrashes: workers.reduce((a, w) => a + w.stats.crashes, 0),
      },
      reviews, counts, ledger, mails: sink.messages.length, mailsBySender, history, clientRetries: rc.stats.retries, errors, tally: '',
    };
    keep = process.env.CLUSTER_KEEP === '1' || !isClean(result);
    if (keep) writeRunRecord(runDir, sink.messages, ledger);
    result.tally = formatTally(result, cfg, keep);
    return result;
  } catch (e) {
    if (e instanceof ClusterError) throw new Error(`the cluster did not start: ${e.message}`);
    throw e;
  } finally {
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    await rc?.close().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await sink.close().catch(() => undefined);
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
    if (!keep) rmSync(runDir, { recursive: true, force: true });
  }
}

export function isClean(r: ClusterRunResult): boolean {
  const l = r.ledger;
  return r.errors.length === 0 && r.reviews.every((x) => x.problems.length === 0) && l.lost.length === 0 && l.unexpected.length === 0
    && l.unexplainedDuplicateCopies === 0 && l.failedUnexpectedly.length === 0 && l.wronglySuppressed.length === 0
    && r.history.replayFailures.length === 0 && r.history.workflowTaskFailed.length === 0;
}

function formatTally(r: ClusterRunResult, cfg: ClusterRunConfig, kept: boolean): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const l = r.ledger;
  const f = r.faults;
  return [
    '',
    `== cluster run: ${cfg.reviews} reviews (seed ${cfg.seed}); ${s(r.timings.durationMs)} in all ==`,
    `  cluster start ${s(r.timings.clusterStartMs)}; 3 workers polling at ${s(r.timings.workersReadyMs)}; every review closed ${s(r.timings.allClosedMs)} after the launch`,
    `  reviews: ${Object.entries(r.counts).map(([k, v]) => `${k} ${r.reviews.filter((x) => x.scenario === k && x.problems.length === 0).length}/${v}`).join(', ')}`,
    `  faults: worker kill -9 ${f.workerKills} + ${f.afterAcceptKills} right after an acceptance (${f.workerStarts} worker starts, ${f.workerCrashes} crashes); server kill -9 ${f.serverKills} (down ${s(f.serverDownMs)}); PostgreSQL restarts ${f.postgresRestarts} (down ${s(f.postgresDownMs)})`,
    `  notices: ${l.expected} recorded (${l.sent} sent, ${l.notSent} suppressed/superseded), ${r.mails} messages at the sink (${Object.entries(r.mailsBySender).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `  lost ${l.lost.length}; unexpected ${l.unexpected.length}; duplicates ${l.duplicateCopies} (crash window ${l.explainedDuplicateCopies}, unexplained ${l.unexplainedDuplicateCopies}); sent once then recorded suppressed (crash window) ${l.sentThoughSuppressed.length}; failed unexpectedly ${l.failedUnexpectedly.length}`,
    `  histories: ${r.history.replayed} replayed, ${r.history.replayFailures.length} failures; workflow tasks failed ${r.history.workflowTaskFailed.length}, timed out ${r.history.workflowTaskTimedOut}; activity retries ${r.history.activityRetries}; client retries ${r.clientRetries}`,
    ...l.duplicates.map((d) => `  duplicate ${d.id} x${d.copies}: ${d.verdicts.map((v) => (v.explained ? v.why : `UNEXPLAINED: ${v.why}`)).join('; ')}`),
    ...l.sentThoughSuppressed.map((d) => `  sent, then recorded suppressed: ${d.id}: ${d.verdicts[0]?.why ?? ''}`),
    ...l.lost.map((x) => `  LOST ${x.id} (${x.state}): ${x.detail}`),
    ...l.unexpected.map((x) => `  UNEXPECTED ${x.messageId}: ${x.why}`),
    ...l.failedUnexpectedly.map((x) => `  FAILED ${x.id}: ${x.detail}`),
    ...r.reviews.filter((x) => x.problems.length).slice(0, 20).map((x) => `  STATE ${x.reviewId}: ${x.problems.join('; ')}`),
    ...r.history.workflowTaskFailed.slice(0, 20).map((x) => `  WFT FAILED ${x}`),
    ...r.history.replayFailures.slice(0, 20).map((x) => `  REPLAY FAILED ${x}`),
    ...r.errors.slice(0, 30).map((x) => `  ERROR ${x}`),
    `logs: ${r.runDir}${kept ? '' : ' (removed: clean run; CLUSTER_KEEP=1 keeps them)'}`,
    '',
  ].join('\n');
}
