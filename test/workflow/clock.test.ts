/** What moves the clock: release dates, pauses; and what must happen at once: critical findings, assignments. */
import { simpleParser } from 'mailparser';
import { DateTime } from 'luxon';
import {
  assignReviewerUpdate, grantAccessUpdate, pauseClockUpdate, resumeClockUpdate, setReleaseDateUpdate, submitEvaluationUpdate,
} from '../../workflows/messages';
import { advanceDays, noticeLog, noticesOf, plusDays, settled, wall } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { rejectionOf } from '../support/rejection';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { act } from '../support/act';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

const NY = 'America/New_York';
const isoPlus = (iso: string, days: number): string => DateTime.fromISO(iso, { setZone: true }).setZone(NY).plus({ days }).toISO() as string;

test('release date moved earlier than day 30 caps the window, then later again restores day 30', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = g.clock.startedAt as string;

  const early = await act(h, setReleaseDateUpdate, { plannedReleaseAt: isoPlus(t0, 10) });
  expect(wall(early.clock.windowEndsAt as string, NY)).toBe(plusDays(t0, 10, NY));
  // Due date pulled in to window end − 2 days.
  expect(wall(early.evaluations[0].dueAt as string, NY)).toBe(plusDays(t0, 8, NY));

  await advanceDays(t, 4); // the 7-days-before reminder of the early date (day 3) fires
  const late = await act(h, setReleaseDateUpdate, { plannedReleaseAt: isoPlus(t0, 45), by: 'Acme Release Desk' });
  expect(wall(late.clock.windowEndsAt as string, NY)).toBe(plusDays(t0, 30, NY));
  expect(wall(late.evaluations[0].dueAt as string, NY)).toBe(plusDays(t0, 21, NY));

  await advanceDays(t, 27);
  const s = await settled(t, req.reviewId);
  expect(s.outcome).toBe('expired');
  expect(wall(s.closedAt as string, NY)).toBe(plusDays(t0, 30, NY));
  // Reminders for the early date, then a fresh series for the restored date.
  expect(noticeLog(s).filter((l) => l.startsWith('close-reminder'))).toEqual([
    `close-reminder -> lab @ ${plusDays(t0, 3, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 23, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 27, NY)}`,
    `close-reminder -> lab @ ${plusDays(t0, 29, NY)}`,
  ]);
  // Who reported each date: the lab by default, or the name given.
  expect(s.events.filter((e) => e.type === 'release-date-set').map((e) => e.by)).toEqual(['lab', 'Acme Release Desk']);
  await recordHistory(h, 'release-date-earlier-then-later');
});

test('release date moved to two days out: stale reminders are superseded, only the latest goes', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = g.clock.startedAt as string;
  await advanceDays(t, 10);
  await h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: isoPlus(t0, 12) }] });
  await t.env.sleep('1 hour');
  const s = await settled(t, req.reviewId);
  // 7- and 3-days-before are past: superseded; the 1-day reminder is not yet due.
  expect(noticesOf(s, 'close-reminder')).toHaveLength(1);
  expect(s.events.filter((e) => e.type === 'notice-superseded')).toHaveLength(1);
  // The evaluation is now due at window end − 2 days = day 10, already past: overdue at once.
  expect(s.evaluations[0].status).toBe('overdue');
  expect(noticesOf(s, 'evaluation-overdue').map((n) => n.audience)).toEqual(['pm', 'reviewer:r1']);
  await recordHistory(h, 'release-date-superseded-reminders');
});

test('pause and resume move the window end and the due dates by the paused time', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = g.clock.startedAt as string;
  await t.env.sleep('2 days');
  const paused = await act(h, pauseClockUpdate, { by: 'Sec Team', reason: 'access gateway outage' });
  expect(paused.phase).toBe('paused');
  expect(paused.clock.paused).toBe(true);
  await t.env.sleep('3 days');
  const resumed = await act(h, resumeClockUpdate, { by: 'Sec Team' });
  expect(resumed.phase).toBe('in-review');
  // The pause lasted from its audit entry to the resume's: the 3 skipped days plus whatever real time passed between
  // the calls. Measured there, not allowed for with a tolerance; every date moves by exactly that.
  const at = (type: string): number => Date.parse(resumed.events.find((e) => e.type === type)?.at as string);
  const pauseMs = at('clock-resumed') - at('clock-paused');
  expect(resumed.clock.pausedMs).toBe(pauseMs);
  expect(pauseMs).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
  const plusDaysMs = (days: number): number => DateTime.fromISO(t0, { setZone: true }).setZone(NY).plus({ days }).toMillis();
  expect(Date.parse(resumed.clock.windowEndsAt as string)).toBe(plusDaysMs(30) + pauseMs);
  expect(Date.parse(resumed.evaluations[0].dueAt as string)).toBe(plusDaysMs(21) + pauseMs);
  expect(resumed.events.map((e) => e.type)).toEqual(['review-started', 'access-granted', 'clock-paused', 'clock-resumed']);
  // Nothing fired during the pause that belonged after it: no reminders yet.
  expect(noticesOf(resumed, 'close-reminder')).toHaveLength(0);
  await recordHistory(h, 'pause-resume');
});

test('a pause runs out at maxPauseDays: the clock resumes by itself and no further pause is accepted', async () => {
  const req = request({ policy: { maxPauseDays: 2 } });
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] });
  await advanceDays(t, 3);
  const s = await t.status(req.reviewId);
  expect(s.phase).toBe('in-review');
  expect(s.clock.pausedMs).toBe(2 * 24 * 3600 * 1000);
  expect(s.events.at(-1)).toMatchObject({ type: 'clock-resumed', by: 'system' });
  expect(await rejectionOf(h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] }))).toMatch(/pause budget of 2 days \(policy.maxPauseDays\) is used up/);
  await recordHistory(h, 'pause-auto-resume');
});

test('critical finding: immediate escalation to PM and director, notice to the lab without the internal summary', async () => {
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await t.env.sleep('26 days');
  const s = await act(h, submitEvaluationUpdate, { track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'Autonomous exploit chain for CVE-class bugs in 3 of 5 targets.' });
  const crit = noticesOf(s, 'critical-finding');
  expect(crit.map((n) => [n.audience, n.to[0]])).toEqual([
    ['pm', 'pm@clearinghouse.example'], ['director', 'director@clearinghouse.example'], ['lab', 'security@acme.example'],
  ]);
  const submittedAt = s.evaluations[0].submittedAt as string;
  for (const n of crit) expect(wall(n.at, NY)).toBe(wall(submittedAt, NY));
  const done = await settled(t, req.reviewId);
  const byAudience = async (a: string): Promise<string> => {
    const id = noticesOf(done, 'critical-finding').find((n) => n.audience === a)?.messageId;
    await t.sink.waitFor((ms) => ms.some((m) => m.messageId === id));
    return (await simpleParser(t.sink.messages.find((m) => m.messageId === id)?.raw ?? '')).text ?? '';
  };
  expect(await byAudience('director')).toContain('Autonomous exploit chain');
  const lab = await byAudience('lab');
  expect(lab).toContain('critical severity');
  expect(lab).not.toContain('Autonomous exploit chain');
  expect(done.events.map((e) => e.type)).toContain('critical-finding');
  await recordHistory(h, 'critical-finding');
});

test('a track added after access: reviewer told at once with the due date; reassignment notifies the new reviewer', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  const t0 = g.clock.startedAt as string;
  await t.env.sleep('2 days');
  const s = await act(h, assignReviewerUpdate, { track: 'autonomy', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, dueDay: 25 });
  expect(s.evaluations.find((e) => e.track === 'autonomy')).toMatchObject({ reviewerId: 'r2', status: 'pending' });
  expect(wall(s.evaluations[1].dueAt as string, NY)).toBe(plusDays(t0, 25, NY));
  expect(noticesOf(s, 'reviewer-assigned').map((n) => n.audience)).toEqual(['reviewer:r1', 'reviewer:r2']);
  const r = await act(h, assignReviewerUpdate, { track: 'cyber-offense', reviewer: { id: 'r3', name: 'Kim', email: 'kim@clearinghouse.example' } });
  expect(r.evaluations[0]).toMatchObject({ reviewerId: 'r3' });
  expect(wall(r.evaluations[0].dueAt as string, NY)).toBe(plusDays(t0, 21, NY));
  // r1 is told the track went to someone else (its due-date event cancelled); r3 gets the assignment.
  expect(noticesOf(r, 'reviewer-assigned').map((n) => [n.audience, n.invites])).toEqual([
    ['reviewer:r1', ['REQUEST due:cyber-offense#0']], ['reviewer:r2', ['REQUEST due:autonomy#0']],
    ['reviewer:r1', ['CANCEL due:cyber-offense#1']], ['reviewer:r3', ['REQUEST due:cyber-offense#1']],
  ]);
  expect(r.events.at(-1)).toMatchObject({ type: 'reviewer-reassigned' });
  await recordHistory(h, 'assign-and-reassign');
});
