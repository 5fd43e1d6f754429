/** Every way a review can end, on the time-skipping server, with notices checked by recipient and time. */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import {
  assignReviewerUpdate, cancelReviewUpdate, closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, submitEvaluationUpdate,
  withdrawUpdate, workflowIdFor,
} from '../../workflows/messages';
import { reviewWorkflow } from '../../workflows/review-workflow';
import { advanceDays, noticeLog, noticesOf, plusDays, settled, wall } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { act, expectAck } from '../support/act';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

const NY = 'America/New_York';

test('completed: all evaluations in, PM told it is ready, closes early, disposal confirmed', async () => {
  const req = request();
  const h = await t.start(req);
  await t.env.sleep('2 days');
  const granted = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  expect(granted.phase).toBe('in-review');
  const t0 = granted.clock.startedAt as string;
  expect(wall(granted.clock.windowEndsAt as string, NY)).toBe(plusDays(t0, 30, NY));
  expect(wall(granted.evaluations[0].dueAt as string, NY)).toBe(plusDays(t0, 21, NY));

  await t.env.sleep('5 days');
  const submitted = await act(h, submitEvaluationUpdate, { track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'No novel exploit capability.' });
  expect(submitted.evaluations[0]).toMatchObject({ status: 'submitted', severity: 'low' });
  expect(noticesOf(submitted, 'ready-to-close').map((n) => n.audience)).toEqual(['pm']);
  await settled(t, req.reviewId); // the PM reads it before closing (else it is suppressed: the review is already closed)

  const closed = await act(h, closeReviewUpdate, { by: 'Pat PM', reason: 'all tracks done' });
  expect(closed).toMatchObject({ phase: 'disposal', outcome: 'completed' });
  expect(noticesOf(closed, 'review-closed').map((n) => n.audience).sort()).toEqual(['lab', 'pm', 'reviewer:r1']);
  expect(noticesOf(closed, 'disposal-request').map((n) => n.audience).sort()).toEqual(['lab', 'reviewer:r1']);
  expect(closed.disposal.map((d) => d.party)).toEqual(['lab', 'r1']);
  // Let the disposal requests go out first: one still in flight when its party confirms is suppressed (delivery.test.ts).
  await settled(t, req.reviewId);

  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team', note: 'credentials revoked' }] });
  const done = await act(h, confirmDisposalUpdate, { party: 'r1', by: 'Riley' });
  expect(done.phase).toBe('closed');
  const result = await h.result();
  expect(result).toMatchObject({ phase: 'closed', outcome: 'completed' });

  const s = await settled(t, req.reviewId);
  const start = s.createdAt;
  expect(noticeLog(s)).toEqual([
    `intake-ack -> lab @ ${wall(start, NY)}`,
    `intake-ack -> pm @ ${wall(start, NY)}`,
    `clock-started -> lab @ ${wall(t0, NY)}`,
    `clock-started -> pm @ ${wall(t0, NY)}`,
    `clock-started -> reviewer:r1 @ ${wall(t0, NY)}`, // the window end goes on every reviewer's calendar too
    `reviewer-assigned -> reviewer:r1 @ ${wall(t0, NY)}`,
    `ready-to-close -> pm @ ${plusDays(t0, 5, NY)}`,
    `review-closed -> lab @ ${plusDays(t0, 5, NY)}`,
    `review-closed -> pm @ ${plusDays(t0, 5, NY)}`,
    `review-closed -> reviewer:r1 @ ${plusDays(t0, 5, NY)}`,
    `disposal-request -> lab @ ${plusDays(t0, 5, NY)}`,
    `disposal-request -> reviewer:r1 @ ${plusDays(t0, 5, NY)}`,
  ]);
  expect(s.notices.filter((n) => n.state !== 'sent')).toEqual([]);
  expect(s.events.map((e) => e.type)).toEqual([
    'review-started', 'access-granted', 'evaluation-submitted', 'review-closed', 'disposal-confirmed', 'disposal-confirmed', 'disposal-complete',
  ]);

  // The mail itself: right recipients, Message-ID from the notice id, the lab told no preclearance is needed.
  const closedToLab = noticesOf(s, 'review-closed').find((n) => n.audience === 'lab');
  await t.sink.waitFor((ms) => ms.some((m) => m.messageId === closedToLab?.messageId));
  const mail = t.sink.messages.find((m) => m.messageId === closedToLab?.messageId);
  expect(mail?.envelopeTo).toEqual(['security@acme.example']);
  const parsed = await simpleParser(mail?.raw ?? '');
  expect(parsed.subject).toContain(req.reviewId);
  expect(parsed.text).toContain('no licence, preclearance or permit');
  expect(parsed.text).toContain('cyber-offense: severity low');
  expect(parsed.text).toContain('Government access to the model ends now');
  await recordHistory(h, 'completed-closed-early');
});

test('expired: window end closes the review with an evaluation pending; overdue escalates to PM then director; disposal overdue', async () => {
  const req = request({ evaluations: [
    { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 21 },
    { track: 'bio-uplift', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, dueDay: 14 },
  ] });
  const h = await t.start(req);
  const granted = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = granted.clock.startedAt as string;
  await advanceDays(t, 10);
  await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'bio-uplift', reviewerId: 'r2', severity: 'medium', summary: 'Moderate uplift.' }] });
  await advanceDays(t, 21);
  const s = await t.status(req.reviewId);
  expect(s.phase).toBe('disposal');
  expect(s.outcome).toBe('expired');
  expect(wall(s.closedAt as string, NY)).toBe(plusDays(t0, 30, NY));
  expect(s.evaluations.map((e) => [e.track, e.status])).toEqual([['cyber-offense', 'not-completed'], ['bio-uplift', 'submitted']]);

  const log = noticeLog(s);
  const expected = [
    `reviewer-reminder -> reviewer:r1 @ ${plusDays(t0, 18, NY)}`,
    `evaluation-overdue -> pm @ ${plusDays(t0, 21, NY)}`,
    `evaluation-overdue -> reviewer:r1 @ ${plusDays(t0, 21, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 23, NY)}`,
    `director-escalation -> director @ ${plusDays(t0, 24, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 27, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 29, NY)}`,
    `review-closed -> lab @ ${plusDays(t0, 30, NY)}`,
    `disposal-request -> reviewer:r2 @ ${plusDays(t0, 30, NY)}`,
  ];
  for (const line of expected) expect(log).toContain(line);
  // bio-uplift was submitted before its reminder (day 11) and due date: no reminder, no escalation for it.
  expect(log.filter((l) => l.includes('reviewer:r2'))).toEqual([
    `clock-started -> reviewer:r2 @ ${wall(t0, NY)}`,
    `reviewer-assigned -> reviewer:r2 @ ${wall(t0, NY)}`,
    `review-closed -> reviewer:r2 @ ${plusDays(t0, 30, NY)}`,
    `disposal-request -> reviewer:r2 @ ${plusDays(t0, 30, NY)}`,
  ]);
  expect(noticesOf(s, 'director-escalation')).toHaveLength(1);
  expect(s.events.map((e) => e.type)).toEqual(expect.arrayContaining(['evaluation-overdue', 'director-escalation', 'deadline-enforced', 'evaluation-not-completed']));

  // Nobody confirms disposal: 5 days later, each party is reminded and the director and PM are told.
  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'r2', by: 'Sam' }] });
  await advanceDays(t, 6);
  const late = await settled(t, req.reviewId);
  const overdue = noticeLog(late).filter((l) => l.startsWith('disposal-overdue'));
  const at = plusDays(s.closedAt as string, 5, NY);
  expect(overdue.sort()).toEqual([
    `disposal-overdue -> director @ ${at}`, `disposal-overdue -> director @ ${at}`,
    `disposal-overdue -> lab @ ${at}`, `disposal-overdue -> pm @ ${at}`, `disposal-overdue -> pm @ ${at}`,
    `disposal-overdue -> reviewer:r1 @ ${at}`,
  ].sort());
  expect(late.phase).toBe('disposal');
  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] });
  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'r1', by: 'Pat PM', note: 'confirmed by phone' }] });
  expect(await h.result()).toMatchObject({ outcome: 'expired' });
  await recordHistory(h, 'expired-with-escalations-and-disposal-overdue');
});

test('withdrawn before access: closed at once, no disposal', async () => {
  const req = request();
  const h = await t.start(req);
  await t.env.sleep('1 day');
  const s = await act(h, withdrawUpdate, { by: 'Sec Team', reason: 'release postponed' });
  expect(s).toMatchObject({ phase: 'closed', outcome: 'withdrawn', disposal: [] });
  expect(await h.result()).toMatchObject({ outcome: 'withdrawn' });
  const done = await settled(t, req.reviewId);
  expect(noticesOf(done, 'review-closed').map((n) => n.audience)).toEqual(['lab', 'pm']);
  expect(noticesOf(done, 'disposal-request')).toHaveLength(0);
  await recordHistory(h, 'withdrawn-before-access');
});

test('withdrawn after access: disposal from the lab and every reviewer who held access', async () => {
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await t.env.sleep('3 days');
  // Reassigned: both the old and the new reviewer held access.
  await h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'cyber-offense', reviewer: { id: 'r9', name: 'Jo', email: 'jo@clearinghouse.example' } }] });
  const s = await act(h, withdrawUpdate, { by: 'Sec Team' });
  expect(s).toMatchObject({ phase: 'disposal', outcome: 'withdrawn' });
  expect(s.disposal.map((d) => d.party)).toEqual(['lab', 'r1', 'r9']);
  expect(s.evaluations[0]).toMatchObject({ reviewerId: 'r9', status: 'not-completed' });
  // The replaced reviewer held access too: told of the close and asked to confirm disposal.
  for (const kind of ['review-closed', 'disposal-request'] as const) {
    expect(noticesOf(s, kind).filter((n) => n.audience === 'reviewer:r1').map((n) => n.to)).toEqual([['riley@clearinghouse.example']]);
  }
  await recordHistory(h, 'withdrawn-after-access');
});

test('lapsed: access never granted → reminders on day 3 and 7, lapse on day 14', async () => {
  const req = request({ lab: { name: 'Acme AI', timeZone: 'Asia/Kolkata', contacts: [{ name: 'Sec', email: 'sec@acme.example' }, { name: 'Legal', email: 'legal@acme.example' }] } });
  const h = await t.start(req);
  await advanceDays(t, 15);
  expect(await h.result()).toMatchObject({ phase: 'closed', outcome: 'lapsed' });
  const s = await settled(t, req.reviewId);
  const c = s.createdAt;
  expect(noticeLog(s)).toEqual([
    `intake-ack -> lab @ ${wall(c, NY)}`,
    `intake-ack -> pm @ ${wall(c, NY)}`,
    `access-reminder -> lab @ ${plusDays(c, 3, NY)}`,
    `access-reminder -> pm @ ${plusDays(c, 3, NY)}`,
    `access-reminder -> lab @ ${plusDays(c, 7, NY)}`,
    `access-reminder -> pm @ ${plusDays(c, 7, NY)}`,
    `review-lapsed -> pm @ ${plusDays(c, 14, NY)}`,
    `review-lapsed -> lab @ ${plusDays(c, 14, NY)}`,
    `review-closed -> lab @ ${plusDays(c, 14, NY)}`,
    `review-closed -> pm @ ${plusDays(c, 14, NY)}`,
  ]);
  expect(noticesOf(s, 'access-reminder')[0].to).toEqual(['sec@acme.example', 'legal@acme.example']);
  // The lab's copy gives dates in the lab's zone (India) and the review zone.
  const msgId = noticesOf(s, 'review-lapsed').find((n) => n.audience === 'lab')?.messageId;
  await t.sink.waitFor((ms) => ms.some((m) => m.messageId === msgId));
  const text = (await simpleParser(t.sink.messages.find((m) => m.messageId === msgId)?.raw ?? '')).text ?? '';
  expect(text).toContain('(Asia/Kolkata)');
  expect(text).toContain('(America/New_York)');
  await recordHistory(h, 'lapsed');
});

test('cancelled by the PM before access', async () => {
  const req = request();
  const h = await t.start(req);
  const s = await act(h, cancelReviewUpdate, { by: 'Pat PM', reason: 'lab chose another programme' });
  expect(s).toMatchObject({ phase: 'closed', outcome: 'cancelled' });
  expect(s.evaluations[0].status).toBe('not-completed');
  expect(await h.result()).toMatchObject({ outcome: 'cancelled' });
  expect(s.events.at(-1)).toMatchObject({ type: 'review-closed', by: 'Pat PM' });
  await recordHistory(h, 'cancelled');
});

test('an update that arrives with the start (update-with-start) runs after the review is recorded as started', async () => {
  const req = request();
  const startWorkflowOperation = new WithStartWorkflowOperation(reviewWorkflow, {
    workflowId: workflowIdFor(req.reviewId), taskQueue: t.taskQueue, args: [req], workflowIdConflictPolicy: 'FAIL',
  });
  const ack = await t.env.client.workflow.executeUpdateWithStart(grantAccessUpdate, { args: [{ by: 'Sec Team' }], startWorkflowOperation });
  const s = await t.status(req.reviewId);
  expectAck(ack, s, 'grantAccess');
  expect(s.phase).toBe('in-review');
  expect(s.events.map((e) => e.type)).toEqual(['review-started', 'access-granted']);
  const done = await settled(t, req.reviewId);
  expect(noticesOf(done, 'intake-ack').map((n) => n.state)).toEqual(['sent', 'sent']);
  expect(noticesOf(done, 'clock-started').length).toBeGreaterThanOrEqual(3);
});
