/** Mail trouble never loses or duplicates a notice, and never holds up the review's deadlines. */
import { grantAccessUpdate, submitEvaluationUpdate } from '../../workflows/messages';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import type { NoticeBatch } from '../../workflows/types';
import { noticesOf, plusDays, settled, waitUntil, wall } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { act } from '../support/act';
import { localActivitiesIn } from '../support/history-events';
import type { WorkflowHandle } from '@temporalio/client';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });
afterEach(() => { t.sink.faults = {}; });

const NY = 'America/New_York';
const copies = (messageId: string | undefined): number => t.sink.messages.filter((m) => m.messageId === messageId).length;

test('a permanent rejection (550) is not retried and is recorded in status; other recipients still get theirs', async () => {
  t.sink.faults = { rejectRecipients: ['director@clearinghouse.example'] };
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'bad' }] });
  const s = await settled(t, req.reviewId);
  const director = noticesOf(s, 'critical-finding').find((n) => n.audience === 'director');
  expect(director?.state).toBe('failed');
  expect(director?.error).toMatch(/permanently: .*550/);
  expect(s.events.find((e) => e.type === 'notice-failed')?.detail).toMatch(/critical-finding to director/);
  const pm = noticesOf(s, 'critical-finding').find((n) => n.audience === 'pm');
  expect(pm?.state).toBe('sent');
  expect(copies(pm?.messageId)).toBe(1);
  expect(s.phase).toBe('in-review'); // the review carries on
});

/** How a review's notice batches went: local attempts that sent or failed, and sendNotices activities scheduled. */
async function deliveries(h: WorkflowHandle): Promise<{ localSent: number; localFailed: number; activities: number }> {
  const events = (await h.fetchHistory()).events ?? [];
  const local = localActivitiesIn(events).filter((m) => m.type === 'sendNotices');
  return {
    localSent: local.filter((m) => !m.failed).length,
    localFailed: local.filter((m) => m.failed).length,
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendNotices').length,
  };
}

test('a batch of notices goes out within the workflow task that created it: a local activity, no sendNotices activity', async () => {
  const req = request();
  const h = await t.start(req);
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const s = await settled(t, req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sent', 'sent']);
  expect(noticesOf(s, 'clock-started').map((n) => n.state)).toEqual(['sent', 'sent', 'sent']);
  for (const n of s.notices) expect(copies(n.messageId)).toBe(1);
  // Intake (one batch) and the grant (clock-started and reviewer-assigned, one batch): two markers, no activity.
  expect(await deliveries(h)).toEqual({ localSent: 2, localFailed: 0, activities: 0 });
});

test('a temporary failure (421) is retried with backoff until the server recovers; the notice arrives once', async () => {
  t.sink.faults = { temporaryFailure: 421 };
  const req = request();
  const h = await t.start(req);
  await new Promise((r) => setTimeout(r, 1500)); // first attempts fail for real
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sending', 'sending']);
  // Minutes after a failed local attempt, a new batch goes straight to the activity: no second 5-second try.
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  t.sink.faults = {};
  await t.env.sleep('15 minutes'); // let the retry timers fire
  s = await settled(t, req.reviewId);
  for (const n of noticesOf(s, 'intake-ack')) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
  for (const n of noticesOf(s, 'clock-started')) expect(n.state).toBe('sent');
  // The quick local attempt failed once; the sendNotices activity took the batch over and retried it, and the grant's
  // batch went to an activity of its own at once.
  expect(await deliveries(h)).toEqual({ localSent: 0, localFailed: 1, activities: 2 });
  // Ten minutes on (workflow time), batches are tried locally again.
  await act(h, submitEvaluationUpdate, { track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'bad' });
  s = await settled(t, req.reviewId);
  expect(noticesOf(s, 'critical-finding').map((n) => n.state)).toEqual(['sent', 'sent', 'sent']);
  expect(await deliveries(h)).toEqual({ localSent: 1, localFailed: 1, activities: 2 });
});

test('one notice of a batch deferred (450): the batch is retried and the notices that went out are not sent again', async () => {
  t.sink.faults = { deferRecipients: ['riley@clearinghouse.example'] };
  const req = request();
  const h = await t.start(req);
  // One workflow task: clock-started to lab, PM and reviewer and reviewer-assigned to the reviewer, one activity.
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const arrived = (kind: string): number => t.sink.messages.filter((m) => m.messageId.startsWith(`<${req.reviewId}/${kind}/`)).length;
  await waitUntil(() => arrived('clock-started') === 2 && (t.sink.stats.temporaryFailures[450] ?? 0) >= 2, 'the first attempt: lab and PM sent, the reviewer deferred');
  t.sink.faults = {};
  await t.env.sleep('15 minutes'); // the retry's backoff
  const s = await settled(t, req.reviewId);
  const batch = [...noticesOf(s, 'clock-started'), ...noticesOf(s, 'reviewer-assigned')];
  expect(batch).toHaveLength(4);
  for (const n of batch) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
  // The four were first tried together in a local activity, which failed on the deferral; one sendNotices activity
  // then took the same four over (and the ledger kept the lab's and PM's from going twice).
  expect(await deliveries(h)).toEqual({ localSent: 1, localFailed: 1, activities: 1 });
  const events = (await h.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendNotices').map((e) => ({
    id: Number(e.eventId), batch: defaultPayloadConverter.fromPayload<NoticeBatch>(e.activityTaskScheduledEventAttributes?.input?.payloads?.[0] as Payload),
  }));
  const grant = scheduled.find((x) => x.batch.notices.some((n) => n.kind === 'clock-started'));
  expect(grant?.batch.notices.map((n) => n.id).sort()).toEqual(batch.map((n) => n.id).sort());
});

test('SMTP down at the window end: the review still closes on time, the notices go out when mail is back', async () => {
  const req = request({ policy: { windowDays: 5, closeReminderDays: [] } });
  req.evaluations[0].dueDay = 2;
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  for (let i = 0; i < 9; i++) await t.env.sleep('12 hours');
  await t.env.sleep('11 hours');
  await settled(t, req.reviewId);
  // Mail goes down an hour before the window ends. (Every retry is a real attempt, so keep the outage short.)
  t.sink.faults = { temporaryFailure: 451 };
  await t.env.sleep('2 hours');
  let s = await t.status(req.reviewId);
  expect(s.phase).toBe('disposal');
  expect(s.outcome).toBe('expired');
  expect(wall(s.closedAt as string, NY)).toBe(plusDays(g.clock.startedAt as string, 5, NY));
  expect(noticesOf(s, 'review-closed').every((n) => n.state === 'sending')).toBe(true);
  t.sink.faults = {};
  await t.env.sleep('2 hours');
  s = await settled(t, req.reviewId, 30_000);
  for (const n of s.notices) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
});
