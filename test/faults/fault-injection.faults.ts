/**
 * Fault injection (`npm run test:faults`): worker kill -9, dev server restarts on the same SQLite database, SMTP
 * outages, while ~20 reviews run their scenarios in real time. See run.ts for the setup and ledger.ts for how
 * delivery is checked by Message-ID. The tally is printed whatever the outcome.
 *
 * FAULTS_SEED=<n> replays a run's fault schedule (the seed is in the tally); FAULTS_KEEP=1 keeps the run's
 * directory (driver.log, worker.log, the SQLite database) even when it is clean. ~6 minutes on an idle 2-core
 * machine, 7-8 when it is loaded (a slow worker start stretches the kill phase: 424 s measured at 6.3 s startups);
 * the limit comes from the run's own bounds (runBoundMs).
 */
import { DEFAULT_CONFIG, isClean, REFUSED, runBoundMs, runFaults } from './run';
import type { FaultRunConfig, FaultRunResult } from './run';

const seed = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : Math.floor(Math.random() * 2 ** 31);
const cfg: FaultRunConfig = { ...DEFAULT_CONFIG, seed };
let run: FaultRunResult;

beforeAll(async () => {
  run = await runFaults(cfg);
  // Printed whatever the assertions say: the tally is the suite's report.
  process.stdout.write(run.tally);
}, runBoundMs(cfg)); // the run's own bounds fail first, with the tally; never the runner's clock

test('the run itself went through: no driver step or fault loop failed', () => {
  expect(run.errors).toEqual([]);
});

test('faults of every kind were injected while reviews ran', () => {
  const f = run.faults;
  // kills of a working (polling) worker; kills during a startup come on top and are counted apart
  expect(f.workerKills).toBeGreaterThanOrEqual(30);
  expect(f.workerKills).toBe(f.killsByMode.random + f.killsByMode['after-accept'] + f.killsByMode['during-stall']);
  expect(f.killsByMode['after-accept']).toBeGreaterThan(0);
  expect(f.serverRestarts).toBeGreaterThanOrEqual(10);
  expect(f.smtpRefused).toBeGreaterThan(0); // SMTP down: connections refused
  expect(f.sink.temporaryFailures[421] ?? 0).toBeGreaterThan(0);
  expect(f.sink.temporaryFailures[451] ?? 0).toBeGreaterThan(0);
  expect(f.sink.stalledAccepted).toBeGreaterThan(0); // a slow reply that its client waited for
  expect(f.sink.rejectedRecipients).toBeGreaterThan(0);
  expect(f.workerCrashes).toBe(0); // the worker never died by itself (only by our kill -9)
});

test('every review reaches the final state (phase, outcome, evaluations, notices) it reaches without faults', () => {
  expect(run.reviews.filter((r) => r.problems.length > 0)).toEqual([]);
  expect(run.reviews.filter((r) => !r.baseline)).toHaveLength(Object.values(cfg.reviews).reduce((a, b) => a + b, 0));
});

test('every notice recorded as sent arrived; none lost, none unexpected', () => {
  const l = run.ledger;
  expect(l.lost).toEqual([]);
  expect(l.unexpected).toEqual([]);
  expect(l.delivered).toBe(l.sent);
  expect(l.failedUnexpectedly).toEqual([]);
});

test('no notice arrived twice, except in the crash window: its sender killed before the ledger entry, the retry in the history', () => {
  expect(run.ledger.duplicates.filter((d) => d.verdicts.some((v) => !v.explained))).toEqual([]);
  expect(run.ledger.unexplainedDuplicateCopies).toBe(0);
});

test('every suppression holds up against the review\'s final state (no notice dropped under a reason that did not hold)', () => {
  expect(run.ledger.wronglySuppressed).toEqual([]);
});

test(`the 550 recipient's notices are recorded as failed (or partly refused), never lost silently`, () => {
  const l = run.ledger;
  expect(l.failedAsRecorded.length).toBeGreaterThan(0);
  expect(l.failedAsRecorded.every((n) => n.to.every((a) => a === REFUSED) && /550/.test(n.detail))).toBe(true);
  expect(l.partiallyRejected.length).toBeGreaterThan(0);
  expect(l.alerts).toBeGreaterThan(0); // the program manager was told about the refused address
  expect(l.deliveredToBlocked).toEqual([]);
});

test('no workflow task failed in any history', () => {
  expect(run.history.workflowTaskFailed).toEqual([]);
});

test('every history replays on the workflow code that wrote it (a restarted worker can carry on)', () => {
  expect(run.history.replayFailures).toEqual([]);
});

test('the run is clean by every check above (its logs are removed)', () => {
  expect(isClean(run, cfg)).toBe(true);
});
