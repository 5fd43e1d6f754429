/**
 * The reviews on the production-shaped cluster (`npm run test:cluster`; see run.ts): CLUSTER_REVIEWS reviews (200 by
 * default) through their lifecycle in real minutes on two Temporal server processes and PostgreSQL, three workers
 * sharing the PostgreSQL notice ledger, while a worker, a server process and PostgreSQL fail. The tally is printed
 * whatever the outcome. CLUSTER_SEED replays a run's schedule; CLUSTER_KEEP=1 keeps its directory (logs, database).
 */
import { isClean, runCluster } from './run';
import type { ClusterRunConfig, ClusterRunResult } from './run';

const SECOND = 1000;

function reviewsFromEnv(): number {
  const raw = process.env.CLUSTER_REVIEWS ?? '200';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 5 || n > 2000) throw new Error(`CLUSTER_REVIEWS=${raw} must be a whole number from 5 to 2000`);
  return n;
}

const reviews = reviewsFromEnv();
const small = reviews < 100;
const cfg: ClusterRunConfig = {
  reviews,
  seed: process.env.CLUSTER_SEED ? Number(process.env.CLUSTER_SEED) : Math.floor(Math.random() * 2 ** 31),
  // A couple of minutes at full size; under one at the reduced CI size, to stay within its time. Faults strike early
  // enough that the activities a killed worker held (2-minute start-to-close timeout) are retried before the end.
  releaseInSec: small ? [40, 60] : [120, 180],
  rampMs: small ? 10 * SECOND : 60 * SECOND,
  faultSpanMs: small ? 50 * SECOND : 180 * SECOND,
  workerKills: small ? 3 : 6,
  settleMs: small ? 300 * SECOND : 900 * SECOND,
};
let run: ClusterRunResult;

beforeAll(async () => {
  run = await runCluster(cfg);
  process.stdout.write(run.tally);
}, cfg.settleMs + 600 * SECOND); // cluster start (minutes on a loaded machine), collecting and replaying come on top

test('the run went through: no driver step or fault failed', () => {
  expect(run.errors).toEqual([]);
});

test('the faults struck: worker kill -9 (one right after an acceptance), a server process kill -9, a PostgreSQL restart', () => {
  expect(run.faults.workerKills).toBe(cfg.workerKills);
  expect(run.faults.afterAcceptKills).toBe(1);
  expect(run.faults.serverKills).toBe(1);
  expect(run.faults.postgresRestarts).toBe(1);
  expect(run.faults.workerCrashes).toBe(0); // no worker died by itself
});

test('every review reached its expected final state (phase, outcome, evaluations, notices)', () => {
  expect(run.reviews.filter((r) => r.problems.length > 0)).toEqual([]);
  expect(run.reviews).toHaveLength(reviews);
});

test('no notice lost, none unexpected; the three workers all sent mail', () => {
  expect(run.ledger.lost).toEqual([]);
  expect(run.ledger.unexpected).toEqual([]);
  expect(run.ledger.failedUnexpectedly).toEqual([]);
  expect(run.ledger.delivered).toBe(run.ledger.sent);
  expect(run.ledger.sent).toBeGreaterThan(reviews * 2);
  expect(Object.keys(run.mailsBySender).sort()).toEqual(['w1', 'w2', 'w3']);
});

test('no notice sent twice (by Message-ID), except in the crash window: its sender killed before the ledger entry, the retry in the history', () => {
  expect(run.ledger.duplicates.filter((d) => d.verdicts.some((v) => !v.explained))).toEqual([]);
  expect(run.ledger.unexplainedDuplicateCopies).toBe(0);
  expect(run.ledger.wronglySuppressed).toEqual([]);
});

test('every history replays on the workflow code; no workflow task failed', () => {
  expect(run.history.replayed).toBe(reviews);
  expect(run.history.replayFailures).toEqual([]);
  expect(run.history.workflowTaskFailed).toEqual([]);
});

test('the run is clean by every check above (its logs are removed)', () => {
  expect(isClean(run)).toBe(true);
});
