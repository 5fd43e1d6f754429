/** Every update validator: a rejected update returns a message naming the problem and changes nothing. */
import type { WorkflowHandle } from '@temporalio/client';
import {
  assignReviewerUpdate, cancelReviewUpdate, closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, pauseClockUpdate,
  resumeClockUpdate, setReleaseDateUpdate, statusQuery, submitEvaluationUpdate, withdrawUpdate,
} from '../../workflows/messages';
import { withoutDelivery } from '../support/assertions';
import { eventually } from '../support/cli';
import { request } from '../support/fixtures';
import { rejectionOf } from '../support/rejection';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });


/** Sends an update that must be rejected; checks the message and that status is unchanged. */
async function expectRejected(h: WorkflowHandle, send: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = withoutDelivery(await h.query(statusQuery));
  expect(await rejectionOf(send())).toMatch(message);
  const after = withoutDelivery(await h.query(statusQuery));
  expect(after).toEqual(before);
}

const riley = { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' };

test('before access: submissions, pauses, closing and disposal are refused; bad arguments name their field', async () => {
  const h = await t.start(request());
  await expectRejected(h, () => h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'x' }] }), /cannot submit an evaluation: .* is awaiting-access/);
  await expectRejected(h, () => h.executeUpdate(pauseClockUpdate, { args: [{ by: 'lab' }] }), /cannot pause the clock/);
  await expectRejected(h, () => h.executeUpdate(resumeClockUpdate, { args: [{ by: 'lab' }] }), /cannot resume the clock/);
  await expectRejected(h, () => h.executeUpdate(closeReviewUpdate, { args: [{ by: 'pm' }] }), /cannot close the review/);
  await expectRejected(h, () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'x' }] }), /cannot confirm disposal/);
  await expectRejected(h, () => h.executeUpdate(grantAccessUpdate, { args: [{} as never] }), /^by: is required/);
  await expectRejected(h, () => h.executeUpdate(cancelReviewUpdate, { args: [{ by: 'pm' } as never] }), /^reason: is required/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'bio', reviewer: { ...riley, id: 'r5', email: 'not-an-email' } }] }), /^reviewer.email: must be a valid e-mail address/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'bio', reviewer: { ...riley, email: 'other@clearinghouse.example' } }] }), /reviewer.email: reviewer "r1" is already known with another e-mail/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'Bad Track!', reviewer: riley }] }), /^track: must be a track name/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'bio', reviewer: riley, dueDay: 31 }] }), /^dueDay: must be at most 30/);
  await expectRejected(h, () => h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: '2020-01-01T09:00:00-08:00' }] }), /^plannedReleaseAt: must be in the future/);
  await expectRejected(h, () => h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: '2027-01-20 09:00' }] }), /^plannedReleaseAt: must be an ISO 8601 date-time with an offset/);
  await expectRejected(h, () => h.executeUpdate(withdrawUpdate, { args: [{ by: 'lab', extra: 1 } as never] }), /unknown field\(s\) "extra"/);
});

test('in review: wrong track, wrong reviewer, second submission, bad severity, second grant, cancel, over-long summary', async () => {
  const h = await t.start(request());
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const submit = (a: object) => () => h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok', ...a } as never] });
  await expectRejected(h, submit({ track: 'bio-uplift' }), /^track: unknown track "bio-uplift"; tracks of this review: cyber-offense/);
  await expectRejected(h, submit({ reviewerId: 'r7' }), /^reviewerId: unknown reviewer "r7"/);
  await expectRejected(h, submit({ severity: 'severe' }), /^severity: must be one of none, low, medium, high, critical/);
  await expectRejected(h, submit({ summary: 'x'.repeat(20_001) }), /^summary: must be at most 20000 bytes of UTF-8/);
  await expectRejected(h, submit({ summary: '   ' }), /^summary: must not be empty/);
  await expectRejected(h, () => h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] }), /cannot grant access: .* is in-review/);
  await expectRejected(h, () => h.executeUpdate(cancelReviewUpdate, { args: [{ by: 'pm', reason: 'x' }] }), /cannot cancel the review/);

  await h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'autonomy', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' } }] });
  await expectRejected(h, submit({ reviewerId: 'r2' }), /^reviewerId: reviewer "r2" is not assigned to track "cyber-offense"/);
  await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok' }] });
  await expectRejected(h, submit({}), /^track: an evaluation for "cyber-offense" was already submitted at/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'cyber-offense', reviewer: { id: 'r3', name: 'Kim', email: 'kim@clearinghouse.example' } }] }), /^track: "cyber-offense" already has a submitted evaluation/);
  await t.env.sleep('23 days');
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'late', reviewer: { id: 'r4', name: 'Lee', email: 'lee@clearinghouse.example' }, dueDay: 22 }] }), /^dueDay: day 22 .* has already passed/);
});

test('pause beyond maxPauseDays is refused', async () => {
  const h = await t.start(request({ policy: { maxPauseDays: 1 } }));
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] });
  await t.env.sleep('1 day');
  await h.executeUpdate(resumeClockUpdate, { args: [{ by: 'Sec Team' }] }).catch(() => undefined); // may already have auto-resumed
  await expectRejected(h, () => h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] }), /pause budget of 1 days \(policy.maxPauseDays\) is used up/);
});

test('after close: everything but disposal is refused; unknown or repeated disposal party is refused', async () => {
  const h = await t.start(request());
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h.executeUpdate(withdrawUpdate, { args: [{ by: 'Sec Team' }] });
  // The close starts the closure receipt's signing, an activity that settles on its own time: compare from after it,
  // so only a rejected update could change the status.
  await eventually(() => h.query(statusQuery), (s) => s.receiptError !== 'signing');
  await expectRejected(h, () => h.executeUpdate(withdrawUpdate, { args: [{ by: 'Sec Team' }] }), /is closed \(outcome withdrawn\); no further changes/);
  await expectRejected(h, () => h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: '2030-01-01T00:00:00Z' }] }), /is closed/);
  await expectRejected(h, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'x', reviewer: riley }] }), /is closed/);
  await expectRejected(h, () => h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'late' }] }), /cannot submit an evaluation: .* is disposal/);
  await expectRejected(h, () => h.executeUpdate(closeReviewUpdate, { args: [{ by: 'pm' }] }), /cannot close the review/);
  await expectRejected(h, () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'r9', by: 'x' }] }), /^party: unknown party "r9"; expected one of: lab, r1/);
  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] });
  await expectRejected(h, () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] }), /^party: "lab" already confirmed disposal at/);
});

test('a start request that bypassed the client is refused inside the workflow without failing it', async () => {
  const bad = request({ policy: { windowDays: 45 }, timeZone: 'Mars/Olympus' });
  const h = await t.start(bad);
  const result = await h.result();
  expect(result).toMatchObject({ phase: 'closed', outcome: 'cancelled' });
  expect(result.error).toMatch(/policy.windowDays: must be at most 30/);
  expect(result.error).toMatch(/timeZone: must be an IANA time zone/);
  expect(t.sink.messages.filter((m) => m.raw.includes(bad.reviewId))).toHaveLength(0);
  // Status still answers with every contract field, and says why.
  const s = await h.query(statusQuery);
  expect(s).toMatchObject({ reviewId: bad.reviewId, phase: 'closed', outcome: 'cancelled', evaluations: [], notices: [], clock: { startedAt: null, windowEndsAt: null } });
  expect(s.events).toEqual([expect.objectContaining({ type: 'request-rejected', detail: expect.stringMatching(/policy.windowDays/) })]);
  expect(s.error).toMatch(/timeZone: must be an IANA time zone/);
});

test('a second start with the same reviewId fails', async () => {
  const req = request();
  await t.start(req);
  await expect(t.start(req)).rejects.toThrow(/Workflow execution already started/);
});
