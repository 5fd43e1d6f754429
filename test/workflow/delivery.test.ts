/** Mail trouble never loses or duplicates a notice, and never holds up the review's deadlines. */
import { grantAccessUpdate, submitEvaluationUpdate } from '../../workflows/messages';
import { noticesOf, plusDays, settled, waitUntil, wall } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

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
  const refused = (): number => t.sink.stats.temporaryFailures[421] ?? 0;
  const before = refused();
  const req = request();
  await t.start(req);
  // Both intake notices tried for real and answered 421: wait for those answers themselves.
  await waitUntil(() => refused() - before >= 2, 'a 421 answer to each intake notice');
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sending', 'sending']);
  t.sink.faults = {};
  await t.env.sleep('15 minutes'); // let the retry timers fire
  s = await settled(t, req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => [n.state, copies(n.messageId)])).toEqual([['sent', 1], ['sent', 1]]);
});

test('SMTP down at the window end: the review still closes on time, the notices go out when mail is back', async () => {
  const req = request({ policy: { windowDays: 5, closeReminderDays: [] } });
  req.evaluations[0].dueDay = 2;
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const g = await t.status(req.reviewId); // an update answers with an acknowledgement; the state is queried
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
  const closing = noticesOf(s, 'review-closed');
  expect(closing.length).toBeGreaterThan(0);
  expect(closing.filter((n) => n.state !== 'sending')).toEqual([]);
  t.sink.faults = {};
  await t.env.sleep('2 hours');
  s = await settled(t, req.reviewId, 30_000);
  expect(s.notices.length).toBeGreaterThan(closing.length);
  expect(s.notices.filter((n) => n.state !== 'sent' || copies(n.messageId) !== 1)).toEqual([]);
});
