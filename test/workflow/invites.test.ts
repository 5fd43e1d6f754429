/**
 * Calendar invites end to end, on the time-skipping server with mail through a real SMTP sink: each event
 * read back from the delivered mail with ical.js. Stable UID per review and deadline; SEQUENCE rises when a
 * date moves (pause/resume, release date, new due rule); CANCEL at close for deadlines still ahead.
 */
import {
  assignReviewerUpdate, closeReviewUpdate, grantAccessUpdate, pauseClockUpdate, resumeClockUpdate, setReleaseDateUpdate, submitEvaluationUpdate,
  withdrawUpdate,
} from '../../workflows/messages';
import { addBusinessDays, isBusinessDayAt, parseInstant } from '../../workflows/timeline';
import type { NoticeKind, ReviewStatus } from '../../workflows/types';
import { noticesOf, settled, waitUntil } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { invitesOf, mailWith, utc } from '../support/mail';
import type { ParsedInvite } from '../support/mail';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { act } from '../support/act';
import { SETTLE_MS } from '../../workflows/calendar-sync';

/** Calendar updates wait until the dates have settled: SETTLE_MS after the last accepted update. */
const SETTLED = SETTLE_MS + 60_000;

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

/** The calendar events of the notice of `kind` to `audience` whose id contains `key`, as delivered. */
async function invites(s: ReviewStatus, kind: NoticeKind, audience: string, key = ''): Promise<ParsedInvite[]> {
  const n = noticesOf(s, kind).filter((x) => x.audience === audience && x.id.includes(key)).at(-1);
  if (!n) throw new Error(`no ${kind} notice to ${audience} (${key})`);
  return invitesOf(await mailWith(t.sink, n.messageId));
}

/** Waits until the review has issued a notice whose id contains each of `keys` (a calendar update follows its update). */
async function issued(reviewId: string, ...keys: string[]): Promise<void> {
  await waitUntil(async () => {
    const s = await t.status(reviewId);
    return keys.every((k) => s.notices.some((n) => n.id.includes(k)));
  }, `notices ${keys.join(', ')} of ${reviewId}`);
}

test('window end and due date: invites, two updates with rising SEQUENCE, then CANCEL at withdrawal', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  let s = await settled(t, req.reviewId);

  // 1. The clock starts: the lab, the PM and the reviewer each get the window end; the reviewer the due date too.
  const windowAt = utc(g.clock.windowEndsAt);
  const dueAt = utc(g.evaluations[0].dueAt);
  const lab0 = await invites(s, 'clock-started', 'lab', '/start/');
  expect(lab0).toEqual([expect.objectContaining({ method: 'REQUEST', sequence: 0, start: windowAt, status: 'CONFIRMED', attendees: ['security@acme.example'] })]);
  const uid = lab0[0].uid;
  expect(uid).toBe(`${req.reviewId}/calendar/window-end@frontier-review.local`);
  for (const a of ['pm', 'reviewer:r1']) expect((await invites(s, 'clock-started', a, '/start/'))[0]).toMatchObject({ uid, sequence: 0, start: windowAt });
  const due0 = (await invites(s, 'reviewer-assigned', 'reviewer:r1'))[0];
  expect(due0).toMatchObject({ method: 'REQUEST', sequence: 0, start: dueAt, attendees: ['riley@clearinghouse.example'] });
  expect(due0.uid).not.toBe(uid);

  // 2. A day's pause: both dates move a day later; the same events come back with SEQUENCE 1.
  await t.env.sleep('1 day');
  await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team', reason: 'gateway outage' }] });
  await t.env.sleep('1 day');
  const resumed = await act(h, resumeClockUpdate, { by: 'Sec Team' });
  await t.env.sleep(SETTLED);
  await issued(req.reviewId, 'window-end:seq1', ':seq1');
  s = await settled(t, req.reviewId);
  const lab1 = await invites(s, 'clock-started', 'lab', 'window-end:seq1');
  expect(lab1).toEqual([expect.objectContaining({ uid, method: 'REQUEST', sequence: 1, start: utc(resumed.clock.windowEndsAt) })]);
  expect(Date.parse(lab1[0].start) - Date.parse(windowAt)).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  expect((await invites(s, 'reviewer-assigned', 'reviewer:r1', ':seq1'))[0]).toMatchObject({ uid: due0.uid, sequence: 1, start: utc(resumed.evaluations[0].dueAt) });
  const labMail = await mailWith(t.sink, noticesOf(s, 'clock-started').find((n) => n.id.includes('window-end:seq1') && n.audience === 'lab')?.messageId);
  expect(labMail.subject).toMatch(/Review window end moved/);
  expect(labMail.text).toMatch(/It was .* The attached calendar event replaces the earlier one/);

  // 3. The lab brings its release forward: the window end moves earlier, the due date to window end − 2 days. SEQUENCE 2.
  const release = new Date(Date.parse(g.clock.startedAt as string) + 10 * 24 * 3600 * 1000).toISOString();
  const early = await act(h, setReleaseDateUpdate, { plannedReleaseAt: release });
  await t.env.sleep(SETTLED);
  await issued(req.reviewId, 'window-end:seq2', ':seq2');
  s = await settled(t, req.reviewId);
  for (const a of ['lab', 'pm', 'reviewer:r1']) {
    expect(await invites(s, 'clock-started', a, 'window-end:seq2')).toEqual([expect.objectContaining({ uid, sequence: 2, start: utc(early.clock.windowEndsAt) })]);
  }
  expect((await invites(s, 'reviewer-assigned', 'reviewer:r1', ':seq2'))[0]).toMatchObject({ uid: due0.uid, sequence: 2, start: utc(early.evaluations[0].dueAt) });

  // 4. Withdrawn: both deadlines are still ahead, so the closure notices cancel them (SEQUENCE 3).
  const closed = await act(h, withdrawUpdate, { by: 'Sec Team', reason: 'release moved to another programme' });
  expect(closed.phase).toBe('disposal');
  s = await settled(t, req.reviewId);
  expect(await invites(s, 'review-closed', 'lab')).toEqual([expect.objectContaining({ uid, method: 'CANCEL', status: 'CANCELLED', sequence: 3 })]);
  const reviewer = await invites(s, 'review-closed', 'reviewer:r1');
  expect(reviewer.map((i) => [i.uid, i.method, i.sequence])).toEqual([[uid, 'CANCEL', 3], [due0.uid, 'CANCEL', 3]]);
  expect(noticesOf(s, 'review-closed').find((n) => n.audience === 'pm')?.invites).toEqual(['CANCEL window-end#3']);
  await recordHistory(h, 'calendar-invites-moved-and-cancelled');
});

test('closing at the window end cancels nothing (the deadline happened); an early close cancels what is still ahead', async () => {
  const req = request({ policy: { windowDays: 5, closeReminderDays: [], reviewerReminderDays: [] } });
  req.evaluations[0].dueDay = 2;
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  for (let i = 0; i < 11; i++) await t.env.sleep('12 hours');
  const s = await settled(t, req.reviewId);
  expect(s.outcome).toBe('expired');
  expect(noticesOf(s, 'review-closed').every((n) => n.invites === undefined)).toBe(true);

  const req2 = request();
  const h2 = await t.start(req2);
  await h2.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h2.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'none', summary: 'nothing found' }] });
  const closed = await act(h2, closeReviewUpdate, { by: 'Pat PM' });
  expect(closed.outcome).toBe('completed');
  // The submitted evaluation's due date was still ahead too: off the reviewer's calendar with the window end.
  expect(noticesOf(closed, 'review-closed').map((n) => [n.audience, n.invites])).toEqual([
    ['lab', ['CANCEL window-end#1']], ['pm', ['CANCEL window-end#1']], ['reviewer:r1', ['CANCEL window-end#1', 'CANCEL due:cyber-offense#1']],
  ]);
});

test('business days: due 10 business days after the clock start; the invite and the text agree; a new rule moves it', async () => {
  const req = request();
  req.evaluations[0] = { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueBusinessDays: 10 };
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = parseInstant(g.clock.startedAt as string) as number;
  const due = parseInstant(g.evaluations[0].dueAt as string) as number;
  expect(due).toBe(addBusinessDays(t0, 10, 'America/New_York'));
  expect(isBusinessDayAt(due, 'America/New_York')).toBe(true);
  expect(g.evaluations[0].dueBusinessDays).toBe(10);
  // 10 business days always span at least 12 calendar days (from a Sunday; 14 from a weekday).
  expect(due - t0).toBeGreaterThanOrEqual(12 * 24 * 3600 * 1000);
  let s = await settled(t, req.reviewId);
  const assigned = noticesOf(s, 'reviewer-assigned')[0];
  const mail = await mailWith(t.sink, assigned.messageId);
  expect(mail.text).toContain('(10 business days after the clock start)');
  expect(invitesOf(mail)).toEqual([expect.objectContaining({ sequence: 0, start: utc(due) })]);

  const moved = await act(h, assignReviewerUpdate, { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueBusinessDays: 5 });
  const due2 = parseInstant(moved.evaluations[0].dueAt as string) as number;
  expect(due2).toBe(addBusinessDays(t0, 5, 'America/New_York'));
  await t.env.sleep(SETTLED);
  await issued(req.reviewId, ':seq1');
  s = await settled(t, req.reviewId);
  const update = noticesOf(s, 'reviewer-assigned').find((n) => n.id.includes(':seq1'));
  expect(update?.invites).toEqual(['REQUEST due:cyber-offense#1']);
  expect(invitesOf(await mailWith(t.sink, update?.messageId))[0]).toMatchObject({ sequence: 1, start: utc(due2) });
  await recordHistory(h, 'business-days-due');
});

test('a pause of seconds moves the dates by seconds: no calendar update for that; a later real move is measured from the first date', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  await t.env.sleep('1 hour');
  await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team', reason: 'VPN blip' }] });
  await t.env.sleep('20 seconds');
  const resumed = await act(h, resumeClockUpdate, { by: 'Sec Team' });
  // Past the settling time, so an update for this move would have gone out by now (none may).
  await t.env.sleep(SETTLED);
  let s = await settled(t, req.reviewId);
  const moved = Date.parse(resumed.clock.windowEndsAt as string) - Date.parse(g.clock.windowEndsAt as string);
  expect(moved).toBeGreaterThanOrEqual(20_000); // the window end did move by the pause…
  expect(moved).toBeLessThan(60_000);
  expect(s.notices.filter((n) => n.id.includes(':seq'))).toEqual([]); // …but nobody's calendar is bothered with it
  // A second pause, of two hours: now the dates move for real, and the update carries the full move.
  await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team', reason: 'gateway outage' }] });
  await t.env.sleep('2 hours');
  const again = await act(h, resumeClockUpdate, { by: 'Sec Team' });
  await t.env.sleep(SETTLED);
  await issued(req.reviewId, 'window-end:seq1');
  s = await settled(t, req.reviewId);
  const lab1 = await invites(s, 'clock-started', 'lab', 'window-end:seq1');
  expect(lab1).toEqual([expect.objectContaining({ method: 'REQUEST', sequence: 1, start: utc(again.clock.windowEndsAt) })]);
  expect(s.notices.filter((n) => n.id.includes(':seq2'))).toEqual([]);
  await recordHistory(h, 'calendar-seconds-move');
});
