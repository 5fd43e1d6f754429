/**
 * Preview and reality cannot diverge: the plan `review plan` prints (client/plan.ts, from the timeline
 * module) must be exactly the notices a real review sends when it runs its full course on the time-skipping
 * server — same ids, kinds, audiences, recipients and instants. Also the what-if simulation (`review
 * simulate`), which runs the real workflow with scripted events.
 */
import { grantAccessUpdate } from '../../workflows/messages';
import type { ReviewRequest, ReviewStatus } from '../../workflows/types';
import { buildPlan } from '../../client/plan';
import type { Plan } from '../../client/plan';
import { simulate } from '../../client/simulate';
import { advanceDays, settled } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

/** id → [kind, audience, recipients, instant in ms] for notices that went out (or are going out). */
function ofRun(s: ReviewStatus): Map<string, [string, string, string, number]> {
  return new Map(s.notices.map((n) => [n.id, [n.kind, n.audience, [...n.to].sort().join(','), Date.parse(n.at)]]));
}
function ofPlan(p: Plan): Map<string, [string, string, string, number]> {
  return new Map(p.notices.map((n) => [n.id, [n.kind, n.audience, [...n.to].sort().join(','), Date.parse(n.at)]]));
}

function expectSame(plan: Plan, run: ReviewStatus): void {
  const a = ofPlan(plan);
  const b = ofRun(run);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [id, [kind, audience, to, at]] of a) {
    const [k2, a2, to2, at2] = b.get(id) as [string, string, string, number];
    expect([id, k2, a2, to2]).toEqual([id, kind, audience, to]);
    // A timer starts when its workflow task completes, so a busy worker makes it fire a little after the
    // instant the timeline asked for (real servers too). Notices state times to the minute: compare at that.
    expect({ id, off: Math.abs(at2 - at) < 60_000 }).toEqual({ id, off: true });
  }
  // Order: the run's notices in the plan's order (both by time, then by issue order).
  expect(run.notices.map((n) => n.id)).toEqual(plan.notices.map((n) => n.id));
}

test('full run with access on day 4: every notice the plan lists, and no other, at the same instants', async () => {
  const req: ReviewRequest = request({
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 12 },
      { track: 'bio-misuse', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' } },
      { track: 'autonomy', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueBusinessDays: 10 },
    ],
    policy: { windowDays: 28, closeReminderDays: [7, 2], accessReminderDays: [1, 3] },
  });
  const h = await t.start(req);
  await advanceDays(t, 4);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await advanceDays(t, 28 + 5 + 2);
  const run = await settled(t, req.reviewId, 60_000);
  expect(run.phase).toBe('disposal');
  expect(run.outcome).toBe('expired');

  const plan = buildPlan(req, { startAt: Date.parse(run.createdAt), accessGrantedAt: Date.parse(run.clock.startedAt as string) });
  expect(plan.outcome).toBe('expired');
  expectSame(plan, run);
  // The plan's deadlines are the run's dates.
  const deadline = (kind: string, track?: string): number => Date.parse(plan.deadlines.find((d) => d.kind === kind && (track === undefined || d.track === track))?.at as string);
  expect(deadline('window-end')).toBe(Date.parse(run.clock.windowEndsAt as string));
  for (const e of run.evaluations) expect(deadline('evaluation-due', e.track)).toBe(Date.parse(e.dueAt as string));
  // Counted from the close, i.e. from when the window-end timer actually fired (a few ms after the instant).
  expect(Math.abs(deadline('disposal-due') - Date.parse(run.disposalDueAt as string))).toBeLessThan(60_000);
  // Every kind a full course produces is covered.
  expect(new Set(plan.notices.map((n) => n.kind))).toEqual(new Set([
    'intake-ack', 'access-reminder', 'clock-started', 'reviewer-assigned', 'reviewer-reminder', 'evaluation-overdue', 'director-escalation',
    'close-reminder', 'review-closed', 'disposal-request', 'disposal-overdue',
  ]));
}, 300_000);

test('never granted, release date before the access deadline: the plan lapses the review when the run does', async () => {
  // The time-skipping server's clock is ahead of the real one after the first test: count from it.
  const release = new Date((await t.env.currentTimeMs()) + 9 * 86_400_000).toISOString();
  const req: ReviewRequest = request({ plannedReleaseAt: release });
  await t.start(req);
  await advanceDays(t, 11);
  const run = await settled(t, req.reviewId, 60_000);
  expect(run).toMatchObject({ phase: 'closed', outcome: 'lapsed' });
  const plan = buildPlan(req, { startAt: Date.parse(run.createdAt), accessGrantedAt: 'never' });
  expect(plan.outcome).toBe('lapsed');
  expectSame(plan, run);
}, 300_000);

test('what-if simulation: access on day 2, critical finding on day 20, release moved earlier: the notices in order', async () => {
  const req: ReviewRequest = request({
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' } },
      { track: 'bio-misuse', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' } },
    ],
  });
  const lines: string[] = [];
  // Bounded, with the simulation's own progress in the failure (one CI run hung here once, without a trace).
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`simulate did not finish within 240 s; progress: ${lines.join(' | ')}`)), 240_000);
  });
  const result = await Promise.race([stuck, simulate(req, {
    steps: [
      { day: 2, action: 'grantAccess', args: { by: 'Acme Security' } },
      { day: 10, action: 'setReleaseDate', args: { plannedReleaseAt: 'day 26' } },
      { day: 20, action: 'submitEvaluation', args: { track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'Novel exploit chain.' } },
      { day: 30, action: 'submitEvaluation', args: { track: 'bio-misuse', reviewerId: 'r2', severity: 'low', summary: 'too late' } },
    ],
    untilDay: 30,
  }, { onProgress: (l) => lines.push(`${new Date().toISOString().slice(11, 19)} ${l}`), workflowBundlePath: process.env.FRONTIER_REVIEW_TEST_BUNDLE })])
    .finally(() => clearTimeout(timer));
  // A step the review did not answer: the failure shows the simulation's progress (with its diagnosis of the history).
  try {
    expect(result.steps.map((s) => [s.action, s.ok])).toEqual([['grantAccess', true], ['setReleaseDate', true], ['submitEvaluation', true], ['submitEvaluation', false]]);
  } catch (e) {
    (e as Error).message += `\nsimulation progress:\n${lines.join('\n')}`;
    throw e;
  }
  expect(result.steps[3].error).toMatch(/disposal|closed/);
  const kinds = result.notices.map((n) => `${n.kind}->${n.audience}`);
  expect(kinds.slice(0, 2)).toEqual(['intake-ack->lab', 'intake-ack->pm']);
  for (const k of ['critical-finding->pm', 'critical-finding->director', 'critical-finding->lab', 'review-closed->lab']) expect(kinds).toContain(k);
  // In order of time, and the window was capped by the moved release (day 26, not day 32).
  const times = result.notices.map((n) => Date.parse(n.at));
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  const startDay = Date.parse(result.startAt);
  const closedAt = Date.parse(result.final.closedAt as string);
  expect(Math.round((closedAt - startDay) / 86_400_000)).toBe(26);
  expect(result.final.outcome).toBe('expired');
  expect(result.mails).toBeGreaterThan(10);
}, 300_000);
