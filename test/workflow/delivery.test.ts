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

test('a temporary failure (421) is retried with backoff until the server recovers; the notice arrives once', async () => {
  t.sink.faults = { temporaryFailure: 421 };
  const req = request();
  await t.start(req);
  await new Promise((r) => setTimeout(r, 1500)); // first attempts fail for real
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sending', 'sending']);
  t.sink.faults = {};
  await t.env.sleep('15 minutes'); // let the retry timers fire
  s = await settled(t, req.reviewId);
  for (const n of noticesOf(s, 'intake-ack')) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
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
  // The four went in one sendNotices activity, attempted more than once.
  const events = (await h.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendNotices').map((e) => ({
    id: Number(e.eventId), batch: defaultPayloadConverter.fromPayload<NoticeBatch>(e.activityTaskScheduledEventAttributes?.input?.payloads?.[0] as Payload),
  }));
  const grant = scheduled.find((x) => x.batch.notices.some((n) => n.kind === 'clock-started'));
  expect(grant?.batch.notices.map((n) => n.id).sort()).toEqual(batch.map((n) => n.id).sort());
  const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === grant?.id);
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThan(1);
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
