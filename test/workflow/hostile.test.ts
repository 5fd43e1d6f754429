/**
 * Hostile updates against a live review: every rejected update leaves the state unchanged and no
 * workflow task ever fails, whatever a person sends.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import fc from 'fast-check';
import { grantAccessUpdate, statusQuery } from '../../workflows/messages';
import type { ReviewStatus } from '../../workflows/types';
import { withoutDelivery } from '../support/assertions';
import { request } from '../support/fixtures';
import { hostileValue, mutate, pathsOf } from '../support/hostile';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

/** Delivery goes on in the background, and while paused the clock's derived dates slide with time. */
const strip = (s: ReviewStatus): ReviewStatus => {
  const sliding = s.phase === 'paused';
  return {
    ...withoutDelivery(s),
    clock: sliding ? { ...s.clock, pausedMs: 0, windowEndsAt: null } : s.clock,
    evaluations: s.evaluations.map((e) => (sliding ? { ...e, dueAt: null } : e)),
  };
};

const UPDATES: [string, Record<string, unknown>][] = [
  ['grantAccess', { by: 'Sec Team' }],
  ['assignReviewer', { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' } }],
  ['submitEvaluation', { track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok' }],
  // half a year out whenever it runs: a fixed date would turn this valid update into a refused one once it passed
  ['setReleaseDate', { plannedReleaseAt: new Date(Date.now() + 180 * 24 * 3600 * 1000).toISOString() }],
  ['pauseClock', { by: 'Sec Team' }],
  ['resumeClock', { by: 'Sec Team' }],
  ['withdraw', { by: 'Sec Team' }],
  ['closeReview', { by: 'Pat PM' }],
  ['cancelReview', { by: 'Pat PM', reason: 'x' }],
  ['confirmDisposal', { party: 'lab', by: 'Sec Team' }],
];

test('400 hostile updates: rejections change nothing, no workflow task fails', async () => {
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const samples = fc.sample(
    fc.constantFrom(...UPDATES).chain(([name, valid]) =>
      fc.tuple(fc.constant(name), fc.oneof(hostileValue, fc.tuple(fc.constantFrom(...pathsOf(valid)), hostileValue).map(([p, x]) => mutate(valid, p, x))))),
    { numRuns: 400, seed: 20261129 },
  );
  let rejected = 0;
  // A sample that closes the review starts the closure receipt's signing, an activity that settles on its own time:
  // each comparison starts from a settled status, so only the rejected update could change it.
  const settled = async (): Promise<ReturnType<typeof strip>> => {
    for (let i = 0; i < 600; i++) {
      const status = await h.query(statusQuery);
      if (status.receiptError !== 'signing') return strip(status);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the closure receipt was still being signed after 30 s');
  };
  for (const [name, arg] of samples) {
    const before = await settled();
    try {
      await h.executeUpdate(name, { args: [arg] });
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
      const after = strip(await h.query(statusQuery));
      expect(after.events).toEqual(before.events);
      expect(after).toEqual(before);
      rejected++;
    }
  }
  expect(rejected).toBeGreaterThan(350);
  const history = await h.fetchHistory();
  const failedTasks = (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  expect(failedTasks).toEqual([]);
  expect((await h.describe()).status.name).toBe('RUNNING');
});
