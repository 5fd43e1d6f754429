/**
 * The timeline's date rules (DESIGN.md rules table). Every expected instant is an ISO literal worked out by
 * hand from the calendar (DST dates, month lengths), never read back from the implementation; `at()` only
 * turns such a literal into epoch ms with the platform's own parser.
 *
 * Calendar facts used below:
 * - America/New_York: DST starts Sun 2027-03-14 (02:00 EST → 03:00 EDT); ends Sun 2026-11-01 and
 *   Sun 2027-11-07 (02:00 EDT → 01:00 EST). 2028 starts Sun 2028-03-12.
 * - Australia/Sydney: DST ends Sun 2027-04-04 (+11:00 → +10:00), starts Sun 2027-10-03 (+10:00 → +11:00).
 * - Asia/Kolkata: +05:30 all year.
 * - February has 28 days in 2027 and 29 in 2028.
 */
import {
  DAY_MS, DEFAULT_POLICY, DUE_BEFORE_WINDOW_END_DAYS, accessDeadline, addCalendarDays, daysRemaining, disposalDue, dueActions,
  evaluationDue, isValidTimeZone, nextActionAt, parseInstant, pauseBudgetEndsAt, pauseBudgetMs, pausedMs, scheduledActions, toIso,
  windowEnd,
} from '../../workflows/timeline';
import type { TimelineAction, TimelineEvaluation, TimelineState } from '../../workflows/timeline';
import type { Policy } from '../../workflows/types';

const HOUR_MS = 60 * 60 * 1000;
const NY = 'America/New_York';
const SYD = 'Australia/Sydney';
const KOL = 'Asia/Kolkata';

/** Epoch ms of an ISO literal with offset (parsed by the JS engine, not by the code under test). */
function at(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad literal ${iso}`);
  return ms;
}

/** The design's defaults, written out here rather than taken from DEFAULT_POLICY. */
const POLICY: Policy = {
  windowDays: 30,
  accessReminderDays: [3, 7],
  accessGrantDeadlineDays: 14,
  closeReminderDays: [7, 3, 1],
  dueDay: 21,
  reviewerReminderDays: [3],
  directorEscalationDays: 3,
  maxPauseDays: 10,
  disposalDays: 5,
};

const evaluation = (over: Partial<TimelineEvaluation> = {}): TimelineEvaluation => ({
  track: 'cyber-offense', reviewerId: 'r1', dueDay: 21, submitted: false, assignedAt: at('2027-01-01T09:00:00-05:00'), ...over,
});

/** A review in New York whose access was granted Mon 2027-01-04 09:00 EST; no DST until March. */
const T0_JAN = '2027-01-04T09:00:00-05:00';

function state(over: Partial<TimelineState> = {}): TimelineState {
  return {
    timeZone: NY,
    policy: { ...POLICY },
    createdAt: at('2027-01-01T09:00:00-05:00'),
    plannedReleaseAt: null,
    accessGrantedAt: at(T0_JAN),
    pauses: [],
    phase: 'in-review',
    closedAt: null,
    evaluations: [evaluation()],
    disposalPending: [],
    ...over,
  };
}

/** Compact view of an action list: id and instant. */
const view = (actions: TimelineAction[]): { id: string; at: number }[] => actions.map((a) => ({ id: a.id, at: a.at }));

test('DEFAULT_POLICY holds the defaults of the design table', () => {
  expect(DEFAULT_POLICY).toEqual(POLICY);
  expect(DUE_BEFORE_WINDOW_END_DAYS).toBe(2);
  expect(DAY_MS).toBe(86_400_000);
});

describe('addCalendarDays keeps the wall-clock time', () => {
  test.each([
    // [zone, from, days, expected, elapsed hours]
    ['US spring forward (2027-03-14)', NY, '2027-03-10T09:00:00-05:00', 7, '2027-03-17T09:00:00-04:00', 7 * 24 - 1],
    ['US spring forward, backwards', NY, '2027-03-17T09:00:00-04:00', -7, '2027-03-10T09:00:00-05:00', -(7 * 24 - 1)],
    ['US fall back (2026-11-01)', NY, '2026-10-29T18:00:00-04:00', 5, '2026-11-03T18:00:00-05:00', 5 * 24 + 1],
    ['US fall back (2027-11-07)', NY, '2027-11-05T08:15:00-04:00', 3, '2027-11-08T08:15:00-05:00', 3 * 24 + 1],
    ['one day over the spring-forward night', NY, '2027-03-13T12:00:00-05:00', 1, '2027-03-14T12:00:00-04:00', 23],
    ['one day over the fall-back night', NY, '2026-10-31T12:00:00-04:00', 1, '2026-11-01T12:00:00-05:00', 25],
    ['Kolkata, no DST', KOL, '2027-03-10T09:00:00+05:30', 7, '2027-03-17T09:00:00+05:30', 7 * 24],
    ['Sydney, DST ends first Sunday of April', SYD, '2027-04-01T09:00:00+11:00', 7, '2027-04-08T09:00:00+10:00', 7 * 24 + 1],
    ['Sydney, DST starts first Sunday of October', SYD, '2027-10-01T09:00:00+10:00', 7, '2027-10-08T09:00:00+11:00', 7 * 24 - 1],
  ])('%s', (_name, zone, from, days, expected, hours) => {
    const result = addCalendarDays(at(from), days, zone);
    expect(result).toBe(at(expected));
    expect(result - at(from)).toBe(hours * HOUR_MS);
  });

  test('the same instant plus the same days lands differently by zone', () => {
    // 2027-03-10 14:00Z is 09:00 in New York and 19:30 in Kolkata; a week later New York is on EDT.
    const from = at('2027-03-10T14:00:00Z');
    expect(addCalendarDays(from, 7, NY)).toBe(at('2027-03-17T13:00:00Z'));
    expect(addCalendarDays(from, 7, KOL)).toBe(at('2027-03-17T14:00:00Z'));
  });

  test('a wall-clock time that does not exist on the target day moves forward, never back', () => {
    // 02:30 on 2027-03-14 does not exist in New York (02:00 → 03:00).
    const result = addCalendarDays(at('2027-03-13T02:30:00-05:00'), 1, NY);
    expect(result).toBe(at('2027-03-14T03:30:00-04:00'));
  });
});

describe('windowEnd: T0 + windowDays calendar days + paused time, capped at the planned release', () => {
  test('null before access is granted', () => {
    expect(windowEnd(state({ accessGrantedAt: null, phase: 'awaiting-access' }), at(T0_JAN))).toBeNull();
  });

  test.each([
    ['no DST in the window', NY, T0_JAN, '2027-02-03T09:00:00-05:00', 30 * 24],
    ['across US spring forward 2027-03-14', NY, '2027-02-20T10:00:00-05:00', '2027-03-22T10:00:00-04:00', 30 * 24 - 1],
    ['across US fall back 2026-11-01', NY, '2026-10-15T09:00:00-04:00', '2026-11-14T09:00:00-05:00', 30 * 24 + 1],
    ['across US fall back 2027-11-07', NY, '2027-10-20T17:30:00-04:00', '2027-11-19T17:30:00-05:00', 30 * 24 + 1],
    ['Kolkata (no DST)', KOL, '2027-03-10T09:00:00+05:30', '2027-04-09T09:00:00+05:30', 30 * 24],
    ['Sydney, DST ends 2027-04-04', SYD, '2027-03-20T09:00:00+11:00', '2027-04-19T09:00:00+10:00', 30 * 24 + 1],
    ['Sydney, DST starts 2027-10-03', SYD, '2027-09-20T09:00:00+10:00', '2027-10-20T09:00:00+11:00', 30 * 24 - 1],
    // 2028-02 has 29 days: Feb 10 + 19 = Feb 29, + 11 = Mar 11 (still EST: DST starts 2028-03-12).
    ['leap year: 2028-02-10 + 30 days', NY, '2028-02-10T12:00:00-05:00', '2028-03-11T12:00:00-05:00', 30 * 24],
    // 2027-02 has 28 days: Feb 10 + 18 = Feb 28, + 12 = Mar 12.
    ['non-leap year: 2027-02-10 + 30 days', NY, '2027-02-10T12:00:00-05:00', '2027-03-12T12:00:00-05:00', 30 * 24],
    ['landing on 29 Feb 2028', KOL, '2028-01-30T16:00:00+05:30', '2028-02-29T16:00:00+05:30', 30 * 24],
  ])('%s', (_name, zone, t0, expected, hours) => {
    const s = state({ timeZone: zone, accessGrantedAt: at(t0) });
    const end = windowEnd(s, at(t0)) as number;
    expect(end).toBe(at(expected));
    expect(end - at(t0)).toBe(hours * HOUR_MS);
  });

  test('windowDays below 30 is honoured', () => {
    const s = state({ policy: { ...POLICY, windowDays: 14 } });
    expect(windowEnd(s, at(T0_JAN))).toBe(at('2027-01-18T09:00:00-05:00'));
  });

  test('a release date before day 30 caps the window at the release instant', () => {
    // 2027-01-25 12:00 PST = 15:00 EST.
    const s = state({ plannedReleaseAt: at('2027-01-25T12:00:00-08:00') });
    expect(windowEnd(s, at(T0_JAN))).toBe(at('2027-01-25T15:00:00-05:00'));
  });

  test('a release date after day 30 does not cap the window', () => {
    const s = state({ plannedReleaseAt: at('2027-02-10T09:00:00-08:00') });
    expect(windowEnd(s, at(T0_JAN))).toBe(at('2027-02-03T09:00:00-05:00'));
  });

  test('a release exactly at day 30 leaves the end where it was', () => {
    const s = state({ plannedReleaseAt: at('2027-02-03T09:00:00-05:00') });
    expect(windowEnd(s, at(T0_JAN))).toBe(at('2027-02-03T09:00:00-05:00'));
  });
});

describe('pauses', () => {
  // 2027-01-10 12:00 → 2027-01-12 18:00 EST: 54 hours.
  const pause54h = { start: at('2027-01-10T12:00:00-05:00'), end: at('2027-01-12T18:00:00-05:00') };
  const later = at('2027-01-20T00:00:00-05:00');

  test('a closed pause moves the window end and a later due date by the paused time', () => {
    const s = state({ pauses: [pause54h] });
    expect(windowEnd(s, later)).toBe(at('2027-02-05T15:00:00-05:00'));
    // Due T0 + 21 = 2027-01-25 09:00, + 54 h.
    expect(evaluationDue(s, 21, later)).toBe(at('2027-01-27T15:00:00-05:00'));
    expect(pausedMs(s, later)).toBe(54 * HOUR_MS);
  });

  test('a pause that starts after a due date does not move that due date, but moves the window end', () => {
    const s = state({ pauses: [{ start: at('2027-01-26T09:00:00-05:00'), end: at('2027-01-28T09:00:00-05:00') }] });
    const now = at('2027-01-29T00:00:00-05:00');
    expect(evaluationDue(s, 21, now)).toBe(at('2027-01-25T09:00:00-05:00'));
    expect(windowEnd(s, now)).toBe(at('2027-02-05T09:00:00-05:00'));
  });

  test('a pause that begins before a due date already moved by an earlier pause moves it again', () => {
    // Pause 1: 5 days from 01-20 09:00 moves the due date 01-25 → 01-30 09:00. Pause 2 (1 day) starts 01-27,
    // after the original due date but before the moved one: due 01-31 09:00. Window end: 02-03 + 6 days.
    const s = state({
      pauses: [
        { start: at('2027-01-27T09:00:00-05:00'), end: at('2027-01-28T09:00:00-05:00') },
        { start: at('2027-01-20T09:00:00-05:00'), end: at('2027-01-25T09:00:00-05:00') },
      ],
    });
    const now = at('2027-01-29T00:00:00-05:00');
    expect(evaluationDue(s, 21, now)).toBe(at('2027-01-31T09:00:00-05:00'));
    expect(windowEnd(s, now)).toBe(at('2027-02-09T09:00:00-05:00'));
  });

  test('an open pause counts up to now', () => {
    const s = state({ phase: 'paused', pauses: [{ start: at('2027-01-10T12:00:00-05:00'), end: null }] });
    expect(pausedMs(s, at('2027-01-11T12:00:00-05:00'))).toBe(DAY_MS);
    expect(windowEnd(s, at('2027-01-11T12:00:00-05:00'))).toBe(at('2027-02-04T09:00:00-05:00'));
    // Six hours later the end has moved six hours further.
    expect(windowEnd(s, at('2027-01-11T18:00:00-05:00'))).toBe(at('2027-02-04T15:00:00-05:00'));
    expect(evaluationDue(s, 21, at('2027-01-11T12:00:00-05:00'))).toBe(at('2027-01-26T09:00:00-05:00'));
  });

  test('the release date still caps a window extended by pauses', () => {
    const s = state({ pauses: [pause54h], plannedReleaseAt: at('2027-02-04T09:00:00-05:00') });
    expect(windowEnd(s, later)).toBe(at('2027-02-04T09:00:00-05:00'));
  });

  test('pause budget: maxPauseDays in total; an open pause resumes by itself when the budget is used up', () => {
    const s = state({
      phase: 'paused',
      pauses: [
        { start: at('2027-01-10T12:00:00-05:00'), end: at('2027-01-12T12:00:00-05:00') }, // 2 days used
        { start: at('2027-01-15T08:00:00-05:00'), end: null },
      ],
    });
    expect(pauseBudgetMs(s)).toBe(10 * DAY_MS);
    // 8 days left of the budget: 2027-01-15 08:00 + 8 days.
    expect(pauseBudgetEndsAt(s)).toBe(at('2027-01-23T08:00:00-05:00'));
    const resume = scheduledActions(s, at('2027-01-16T08:00:00-05:00')).filter((a) => a.kind === 'auto-resume');
    expect(view(resume)).toEqual([{ id: 'auto-resume:2', at: at('2027-01-23T08:00:00-05:00') }]);
  });

  test('with the budget already used up the open pause ends at once', () => {
    const s = state({
      phase: 'paused',
      pauses: [
        { start: at('2027-01-05T09:00:00-05:00'), end: at('2027-01-15T09:00:00-05:00') }, // 10 days
        { start: at('2027-01-16T09:00:00-05:00'), end: null },
      ],
    });
    expect(pauseBudgetEndsAt(s)).toBe(at('2027-01-16T09:00:00-05:00'));
  });

  test('no auto-resume without an open pause', () => {
    const s = state({ pauses: [pause54h] });
    expect(pauseBudgetEndsAt(s)).toBeNull();
    expect(scheduledActions(s, later).some((a) => a.kind === 'auto-resume')).toBe(false);
  });
});

describe('evaluationDue: T0 + dueDay, never later than window end − 2 calendar days', () => {
  test('null before access', () => {
    expect(evaluationDue(state({ accessGrantedAt: null, phase: 'awaiting-access' }), 21, at(T0_JAN))).toBeNull();
  });

  test.each([
    [21, '2027-01-25T09:00:00-05:00'],
    [7, '2027-01-11T09:00:00-05:00'],
    [28, '2027-02-01T09:00:00-05:00'], // exactly window end − 2 days
    [29, '2027-02-01T09:00:00-05:00'], // capped
    [30, '2027-02-01T09:00:00-05:00'], // capped
  ])('dueDay %i', (dueDay, expected) => {
    expect(evaluationDue(state(), dueDay, at(T0_JAN))).toBe(at(expected));
  });

  test('the cap is 2 calendar days, also across DST', () => {
    // Window end 2027-03-22 10:00 EDT → latest 2027-03-20 10:00 EDT. Day 21 = 2027-03-13 10:00 EST (before DST).
    const s = state({ accessGrantedAt: at('2027-02-20T10:00:00-05:00') });
    expect(evaluationDue(s, 30, at('2027-02-20T10:00:00-05:00'))).toBe(at('2027-03-20T10:00:00-04:00'));
    expect(evaluationDue(s, 21, at('2027-02-20T10:00:00-05:00'))).toBe(at('2027-03-13T10:00:00-05:00'));
    // T0 2027-02-13 10:00 EST → end 2027-03-15 10:00 EDT; two calendar days earlier is 03-13 10:00 EST, only 47 h before.
    const s2 = state({ accessGrantedAt: at('2027-02-13T10:00:00-05:00') });
    expect(evaluationDue(s2, 30, at('2027-02-13T10:00:00-05:00'))).toBe(at('2027-03-13T10:00:00-05:00'));
  });

  test('an early release pulls the due date to release − 2 days', () => {
    const s = state({ plannedReleaseAt: at('2027-01-20T09:00:00-05:00') });
    expect(evaluationDue(s, 21, at(T0_JAN))).toBe(at('2027-01-18T09:00:00-05:00'));
  });

  test('a window too short for the 2-day margin makes the evaluation due at the window end', () => {
    const s = state({ plannedReleaseAt: at('2027-01-05T09:00:00-05:00') });
    expect(evaluationDue(s, 21, at(T0_JAN))).toBe(at('2027-01-05T09:00:00-05:00'));
  });
});

describe('accessDeadline and disposalDue', () => {
  const created = '2027-03-05T10:00:00-05:00';
  const awaiting = (over: Partial<TimelineState> = {}): TimelineState =>
    state({ createdAt: at(created), accessGrantedAt: null, phase: 'awaiting-access', ...over });

  test('intake + 14 calendar days (across spring forward)', () => {
    expect(accessDeadline(awaiting())).toBe(at('2027-03-19T10:00:00-04:00'));
  });

  test('capped at an earlier planned release', () => {
    expect(accessDeadline(awaiting({ plannedReleaseAt: at('2027-03-12T09:00:00-05:00') }))).toBe(at('2027-03-12T09:00:00-05:00'));
  });

  test('not moved by a later planned release', () => {
    expect(accessDeadline(awaiting({ plannedReleaseAt: at('2027-04-01T00:00:00Z') }))).toBe(at('2027-03-19T10:00:00-04:00'));
  });

  test('disposal is due close + 5 calendar days', () => {
    expect(disposalDue(state())).toBeNull();
    expect(disposalDue(state({ phase: 'disposal', closedAt: at('2027-03-12T15:00:00-05:00') }))).toBe(at('2027-03-17T15:00:00-04:00'));
  });
});

describe('scheduledActions', () => {
  test('awaiting access: reminders at intake + 3 and + 7 days, then the lapse at + 14 days', () => {
    const s = state({ createdAt: at('2027-03-05T10:00:00-05:00'), accessGrantedAt: null, phase: 'awaiting-access' });
    const actions = scheduledActions(s, at('2027-03-05T10:00:00-05:00'));
    expect(view(actions)).toEqual([
      { id: 'access-reminder:3d', at: at('2027-03-08T10:00:00-05:00') },
      { id: 'access-reminder:7d', at: at('2027-03-12T10:00:00-05:00') },
      { id: 'lapse', at: at('2027-03-19T10:00:00-04:00') },
    ]);
    expect(actions.map((a) => a.kind)).toEqual(['access-reminder', 'access-reminder', 'lapse']);
    expect(actions[0].series).toBe('access-reminder');
    expect(actions[0].deadline).toBe(at('2027-03-19T10:00:00-04:00'));
  });

  test('awaiting access: the 7-day reminder after spring forward keeps the intake wall-clock time', () => {
    const s = state({ createdAt: at('2027-03-10T10:00:00-05:00'), accessGrantedAt: null, phase: 'awaiting-access' });
    expect(view(scheduledActions(s, at('2027-03-10T10:00:00-05:00')))).toEqual([
      { id: 'access-reminder:3d', at: at('2027-03-13T10:00:00-05:00') },
      { id: 'access-reminder:7d', at: at('2027-03-17T10:00:00-04:00') },
      { id: 'lapse', at: at('2027-03-24T10:00:00-04:00') },
    ]);
  });

  test('awaiting access with an early release: the lapse moves to the release, later reminders are dropped', () => {
    const s = state({
      createdAt: at('2027-03-05T10:00:00-05:00'), accessGrantedAt: null, phase: 'awaiting-access',
      plannedReleaseAt: at('2027-03-10T10:00:00-05:00'),
    });
    expect(view(scheduledActions(s, at('2027-03-05T10:00:00-05:00')))).toEqual([
      { id: 'access-reminder:3d', at: at('2027-03-08T10:00:00-05:00') },
      { id: 'lapse', at: at('2027-03-10T10:00:00-05:00') },
    ]);
  });

  test('in review: close reminders, reviewer reminder, overdue, director escalation, window end (across DST)', () => {
    // T0 2027-02-20 10:00 EST; window end 2027-03-22 10:00 EDT; day 21 = 2027-03-13 10:00 EST.
    const t0 = at('2027-02-20T10:00:00-05:00');
    const s = state({ accessGrantedAt: t0 });
    const actions = scheduledActions(s, t0);
    expect(view(actions)).toEqual([
      { id: 'reviewer-reminder:cyber-offense:r1:3d:2027-03-13', at: at('2027-03-10T10:00:00-05:00') },
      { id: 'evaluation-overdue:cyber-offense:r1', at: at('2027-03-13T10:00:00-05:00') },
      { id: 'close-reminder:7d:2027-03-22', at: at('2027-03-15T10:00:00-04:00') },
      { id: 'director-escalation:cyber-offense:r1', at: at('2027-03-16T10:00:00-04:00') },
      { id: 'close-reminder:3d:2027-03-22', at: at('2027-03-19T10:00:00-04:00') },
      { id: 'close-reminder:1d:2027-03-22', at: at('2027-03-21T10:00:00-04:00') },
      { id: 'window-end', at: at('2027-03-22T10:00:00-04:00') },
    ]);
    const byId = new Map(actions.map((a) => [a.id, a]));
    expect(byId.get('close-reminder:3d:2027-03-22')).toMatchObject({
      kind: 'close-reminder', series: 'close-reminder', deadline: at('2027-03-22T10:00:00-04:00'), daysBefore: 3,
    });
    expect(byId.get('reviewer-reminder:cyber-offense:r1:3d:2027-03-13')).toMatchObject({
      kind: 'reviewer-reminder', track: 'cyber-offense', reviewerId: 'r1', deadline: at('2027-03-13T10:00:00-05:00'), daysBefore: 3,
    });
    expect(byId.get('evaluation-overdue:cyber-offense:r1')).toMatchObject({ kind: 'evaluation-overdue', track: 'cyber-offense', reviewerId: 'r1' });
    expect(byId.get('director-escalation:cyber-offense:r1')).toMatchObject({
      kind: 'director-escalation', deadline: at('2027-03-13T10:00:00-05:00'),
    });
  });

  test('a reminder before the DST change keeps the wall-clock time of the window end', () => {
    // T0 2027-02-13 10:00 EST → end 2027-03-15 10:00 EDT; 7 days before is 03-08 10:00 EST (167 h earlier).
    const s = state({ accessGrantedAt: at('2027-02-13T10:00:00-05:00'), evaluations: [] });
    expect(view(scheduledActions(s, at('2027-02-13T10:00:00-05:00')))).toEqual([
      { id: 'close-reminder:7d:2027-03-15', at: at('2027-03-08T10:00:00-05:00') },
      { id: 'close-reminder:3d:2027-03-15', at: at('2027-03-12T10:00:00-05:00') },
      { id: 'close-reminder:1d:2027-03-15', at: at('2027-03-14T10:00:00-04:00') },
      { id: 'window-end', at: at('2027-03-15T10:00:00-04:00') },
    ]);
  });

  test('submitted evaluations have no reminders or escalations; each pending one has its own', () => {
    const s = state({
      evaluations: [
        evaluation({ track: 'cyber-offense', reviewerId: 'r1', submitted: true }),
        evaluation({ track: 'bio', reviewerId: 'r2', dueDay: 14 }),
      ],
    });
    const ids = scheduledActions(s, at(T0_JAN)).map((a) => a.id);
    expect(ids.filter((id) => id.includes('cyber-offense'))).toEqual([]);
    // Day 14 = 2027-01-18 09:00; reminder 01-15; escalation 01-21.
    expect(ids).toEqual(expect.arrayContaining([
      'reviewer-reminder:bio:r2:3d:2027-01-18', 'evaluation-overdue:bio:r2', 'director-escalation:bio:r2',
    ]));
    const escalation = scheduledActions(s, at(T0_JAN)).find((a) => a.id === 'director-escalation:bio:r2') as TimelineAction;
    expect(escalation.at).toBe(at('2027-01-21T09:00:00-05:00'));
  });

  test('no director escalation when due + 3 days would fall after the window end', () => {
    // Day 28 = 2027-02-01 09:00; + 3 days = 02-04, after the end 02-03.
    const s = state({ evaluations: [evaluation({ dueDay: 28 })] });
    const kinds = scheduledActions(s, at(T0_JAN)).map((a) => a.kind);
    expect(kinds).toContain('evaluation-overdue');
    expect(kinds).not.toContain('director-escalation');
  });

  test('reminders that would fall before access are not scheduled', () => {
    // Release 2027-01-08 09:00 caps the window at 4 days: the 7-day close reminder would be before T0.
    const s = state({ plannedReleaseAt: at('2027-01-08T09:00:00-05:00'), evaluations: [] });
    expect(view(scheduledActions(s, at(T0_JAN)))).toEqual([
      { id: 'close-reminder:3d:2027-01-08', at: at('2027-01-05T09:00:00-05:00') },
      { id: 'close-reminder:1d:2027-01-08', at: at('2027-01-07T09:00:00-05:00') },
      { id: 'window-end', at: at('2027-01-08T09:00:00-05:00') },
    ]);
  });

  test('disposal: one overdue action per pending party at close + 5 days', () => {
    const closed = at('2027-03-12T15:00:00-05:00');
    const s = state({ phase: 'disposal', closedAt: closed, disposalPending: ['lab', 'r1'] });
    const actions = scheduledActions(s, closed);
    expect(view(actions)).toEqual([
      { id: 'disposal-overdue:lab', at: at('2027-03-17T15:00:00-04:00') },
      { id: 'disposal-overdue:r1', at: at('2027-03-17T15:00:00-04:00') },
    ]);
    expect(actions.map((a) => a.party)).toEqual(['lab', 'r1']);
    expect(view(scheduledActions({ ...s, disposalPending: ['r1'] }, closed)).map((a) => a.id)).toEqual(['disposal-overdue:r1']);
  });

  test('closed: nothing is scheduled', () => {
    expect(scheduledActions(state({ phase: 'closed', closedAt: at('2027-02-03T09:00:00-05:00') }), at('2027-02-04T00:00:00Z'))).toEqual([]);
  });
});

describe('dueActions', () => {
  const allIn = (): TimelineState => state({ evaluations: [evaluation({ submitted: true })] });

  test('several reminders of one series due at once: only the latest is kept, the rest are superseded', () => {
    // Window end 2027-02-03 09:00; reminders at 01-27, 01-31, 02-02. All three have passed by 02-02 10:00.
    const { due, superseded } = dueActions(allIn(), at('2027-02-02T10:00:00-05:00'), new Set());
    expect(due.map((a) => a.id)).toEqual(['close-reminder:1d:2027-02-03']);
    expect(superseded.map((a) => a.id)).toEqual(['close-reminder:7d:2027-02-03', 'close-reminder:3d:2027-02-03']);
  });

  test('handled actions are neither due nor superseded', () => {
    const handled = new Set(['close-reminder:7d:2027-02-03']);
    const { due, superseded } = dueActions(allIn(), at('2027-02-01T10:00:00-05:00'), handled);
    expect(due.map((a) => a.id)).toEqual(['close-reminder:3d:2027-02-03']);
    expect(superseded).toEqual([]);
  });

  test('nothing in the future is due', () => {
    const { due, superseded } = dueActions(allIn(), at('2027-01-27T08:59:59-05:00'), new Set());
    expect(due).toEqual([]);
    expect(superseded).toEqual([]);
  });

  test('an action is due exactly at its instant', () => {
    const { due } = dueActions(allIn(), at('2027-01-27T09:00:00-05:00'), new Set());
    expect(due.map((a) => a.id)).toEqual(['close-reminder:7d:2027-02-03']);
  });

  test('different series and non-reminder actions do not supersede each other; oldest first', () => {
    // By 01-28 10:00: reviewer reminder 01-22, overdue 01-25, close reminder 7d 01-27, director escalation 01-28 09:00.
    const { due, superseded } = dueActions(state(), at('2027-01-28T10:00:00-05:00'), new Set());
    expect(due.map((a) => a.id)).toEqual([
      'reviewer-reminder:cyber-offense:r1:3d:2027-01-25',
      'evaluation-overdue:cyber-offense:r1',
      'close-reminder:7d:2027-02-03',
      'director-escalation:cyber-offense:r1',
    ]);
    expect(superseded).toEqual([]);
  });

  test('access reminders supersede each other too', () => {
    const s = state({ createdAt: at('2027-03-05T10:00:00-05:00'), accessGrantedAt: null, phase: 'awaiting-access' });
    const { due, superseded } = dueActions(s, at('2027-03-13T10:00:00-05:00'), new Set());
    expect(due.map((a) => a.id)).toEqual(['access-reminder:7d']);
    expect(superseded.map((a) => a.id)).toEqual(['access-reminder:3d']);
  });

  test('a window end moved by a new release date gets fresh reminder ids', () => {
    // The 7-day reminder for 02-03 went out on 01-27 09:00. At 10:00 the lab moves its release to 01-30 09:00:
    // the new series (01-23, 01-27, 01-29) has new ids; of the two already passed only the later is sent.
    const now = at('2027-01-27T10:00:00-05:00');
    const handled = new Set(['close-reminder:7d:2027-02-03']);
    const moved = { ...allIn(), plannedReleaseAt: at('2027-01-30T09:00:00-05:00') };
    const ids = scheduledActions(moved, now).map((a) => a.id);
    expect(ids).toEqual(['close-reminder:7d:2027-01-30', 'close-reminder:3d:2027-01-30', 'close-reminder:1d:2027-01-30', 'window-end']);
    const { due, superseded } = dueActions(moved, now, handled);
    expect(due.map((a) => a.id)).toEqual(['close-reminder:3d:2027-01-30']);
    expect(superseded.map((a) => a.id)).toEqual(['close-reminder:7d:2027-01-30']);
  });

  test('a pause that moves the due date gives the reviewer reminder a fresh id', () => {
    const s = state({ pauses: [{ start: at('2027-01-10T12:00:00-05:00'), end: at('2027-01-12T18:00:00-05:00') }] });
    const reminder = scheduledActions(s, at('2027-01-13T00:00:00-05:00')).find((a) => a.kind === 'reviewer-reminder') as TimelineAction;
    expect(reminder.id).toBe('reviewer-reminder:cyber-offense:r1:3d:2027-01-27');
    expect(reminder.at).toBe(at('2027-01-24T15:00:00-05:00'));
  });
});

describe('nextActionAt', () => {
  test('the earliest future action that is not handled', () => {
    const s = state();
    expect(nextActionAt(s, at(T0_JAN), new Set())).toBe(at('2027-01-22T09:00:00-05:00'));
    expect(nextActionAt(s, at(T0_JAN), new Set(['reviewer-reminder:cyber-offense:r1:3d:2027-01-25']))).toBe(at('2027-01-25T09:00:00-05:00'));
  });

  test('an action at exactly now is not "next" (it is due)', () => {
    expect(nextActionAt(state(), at('2027-01-25T09:00:00-05:00'), new Set())).toBe(at('2027-01-27T09:00:00-05:00'));
  });

  test('awaiting access: the first reminder', () => {
    const s = state({ createdAt: at('2027-03-05T10:00:00-05:00'), accessGrantedAt: null, phase: 'awaiting-access' });
    expect(nextActionAt(s, at('2027-03-05T10:00:00-05:00'), new Set())).toBe(at('2027-03-08T10:00:00-05:00'));
  });

  test('null when nothing time-driven remains', () => {
    expect(nextActionAt(state({ phase: 'closed', closedAt: at('2027-02-03T09:00:00-05:00') }), at('2027-02-04T00:00:00Z'), new Set())).toBeNull();
    expect(nextActionAt(state({ phase: 'disposal', closedAt: at('2027-02-03T09:00:00-05:00') }), at('2027-02-04T00:00:00Z'), new Set())).toBeNull();
  });
});

describe('daysRemaining counts calendar days in the zone', () => {
  test.each([
    ['same day', NY, '2027-01-20T08:00:00-05:00', '2027-01-20T23:00:00-05:00', 0],
    ['late evening to early next morning', NY, '2027-01-20T23:00:00-05:00', '2027-01-21T00:30:00-05:00', 1],
    ['a week across spring forward', NY, '2027-03-13T09:00:00-05:00', '2027-03-20T08:00:00-04:00', 7],
    ['two days across spring forward (46.5 h)', NY, '2027-03-13T00:30:00-05:00', '2027-03-15T00:00:00-04:00', 2],
    ['two days across fall back (49 h)', NY, '2026-10-31T12:00:00-04:00', '2026-11-02T12:00:00-05:00', 2],
    ['past deadline is negative', NY, '2027-03-20T09:00:00-04:00', '2027-03-13T09:00:00-05:00', -7],
  ])('%s', (_name, zone, now, deadline, expected) => {
    expect(daysRemaining(at(now), at(deadline), zone)).toBe(expected);
  });

  test('the zone decides which calendar day it is', () => {
    // 2027-01-21 04:30Z: 23:30 on the 20th in New York, 10:00 on the 21st in Kolkata. Deadline 13:00Z on the 21st.
    expect(daysRemaining(at('2027-01-21T04:30:00Z'), at('2027-01-21T13:00:00Z'), NY)).toBe(1);
    expect(daysRemaining(at('2027-01-21T04:30:00Z'), at('2027-01-21T13:00:00Z'), KOL)).toBe(0);
  });
});

describe('toIso', () => {
  test.each([
    ['America/Los_Angeles', '2027-01-20T17:00:00Z', '2027-01-20T09:00:00.000-08:00'],
    [NY, '2027-01-20T17:00:00Z', '2027-01-20T12:00:00.000-05:00'],
    [NY, '2027-07-20T17:00:00Z', '2027-07-20T13:00:00.000-04:00'],
    [KOL, '2027-01-20T17:00:00Z', '2027-01-20T22:30:00.000+05:30'],
    [SYD, '2027-01-20T17:00:00Z', '2027-01-21T04:00:00.000+11:00'],
    [SYD, '2027-07-20T17:00:00Z', '2027-07-21T03:00:00.000+10:00'],
  ])('%s: %s → %s', (zone, instant, expected) => {
    expect(toIso(at(instant), zone)).toBe(expected);
  });

  test('round-trips to the same instant', () => {
    for (const ms of [at('2027-03-14T06:59:59Z'), at('2027-03-14T07:00:00Z'), at('2026-11-01T05:30:00Z'), at('2026-11-01T06:30:00Z')]) {
      expect(Date.parse(toIso(ms, NY))).toBe(ms);
    }
  });

  test('the two 01:30s of the fall-back night get different offsets', () => {
    expect(toIso(at('2026-11-01T05:30:00Z'), NY)).toBe('2026-11-01T01:30:00.000-04:00');
    expect(toIso(at('2026-11-01T06:30:00Z'), NY)).toBe('2026-11-01T01:30:00.000-05:00');
  });
});

describe('parseInstant', () => {
  test.each([
    ['2027-01-20T09:00:00-08:00', '2027-01-20T17:00:00Z'],
    ['2027-01-20T09:00:00Z', '2027-01-20T09:00:00Z'],
    ['2027-01-20T09:00:00+0530', '2027-01-20T03:30:00Z'],
    ['2027-01-20T09:00:00.250+05:30', '2027-01-20T03:30:00.250Z'],
    ['2027-01-20T09:00-05:00', '2027-01-20T14:00:00Z'],
  ])('accepts %s', (input, expected) => {
    expect(parseInstant(input)).toBe(at(expected));
  });

  test.each([
    ['no offset', '2027-01-20T09:00:00'],
    ['date only', '2027-01-20'],
    ['time only, with offset ("today" would depend on the clock)', '09:00:00-08:00'],
    ['date in mixed format, no time or offset', '2027-1231'],
    ['impossible date', '2027-13-40T00:00:00Z'],
    ['not a date', 'next Tuesday'],
    ['empty', ''],
    ['offset without minutes', '2027-01-20T09:00:00-08'],
  ])('rejects %s', (_name, input) => {
    expect(parseInstant(input)).toBeNull();
  });

  test('rejects non-strings', () => {
    expect(parseInstant(1800435600000 as unknown as string)).toBeNull();
    expect(parseInstant(undefined as unknown as string)).toBeNull();
  });
});

describe('isValidTimeZone', () => {
  test.each([NY, KOL, SYD, 'America/Los_Angeles', 'UTC', 'Europe/Berlin'])('%s is valid', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });
  test.each(['', 'Mars/Olympus_Mons', 'America/Springfield', 'New York', 'local'])('%j is not', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
  test('non-strings are not', () => {
    expect(isValidTimeZone(undefined as unknown as string)).toBe(false);
    expect(isValidTimeZone(5 as unknown as string)).toBe(false);
  });
});

describe('reminders respect pauses and late assignments', () => {
  test('while paused, no reminder is scheduled (the deadline slides); after resume they come back', () => {
    const paused = state({ phase: 'paused', pauses: [{ start: at('2027-01-20T09:00:00-05:00'), end: null }] });
    const during = scheduledActions(paused, at('2027-01-29T09:00:00-05:00'));
    expect(during.filter((a) => a.kind === 'close-reminder' || a.kind === 'reviewer-reminder')).toEqual([]);
    const resumed = state({ phase: 'in-review', pauses: [{ start: at('2027-01-20T09:00:00-05:00'), end: at('2027-01-22T09:00:00-05:00') }] });
    // Window end 2027-02-03 09:00 + 2 days = 2027-02-05 09:00; the 7-day reminder falls on 2027-01-29 09:00.
    expect(scheduledActions(resumed, at('2027-01-22T09:00:00-05:00')).find((a) => a.id.startsWith('close-reminder:7d'))?.at)
      .toBe(at('2027-01-29T09:00:00-05:00'));
  });

  test('a reviewer assigned after the reminder instant gets no stale reminder', () => {
    // Due 2027-01-25 09:00 (T0 + 21); the 3-day reminder would be 2027-01-22 09:00; assigned 2027-01-23.
    const s = state({ evaluations: [evaluation({ assignedAt: at('2027-01-23T10:00:00-05:00') })] });
    expect(scheduledActions(s, at('2027-01-23T10:00:00-05:00')).filter((a) => a.kind === 'reviewer-reminder')).toEqual([]);
    const early = state({ evaluations: [evaluation({ assignedAt: at(T0_JAN) })] });
    expect(scheduledActions(early, at(T0_JAN)).filter((a) => a.kind === 'reviewer-reminder').map((a) => a.at)).toEqual([at('2027-01-22T09:00:00-05:00')]);
  });
});
