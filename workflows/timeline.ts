/**
 * The timeline: every date rule of DESIGN.md, as pure functions of a review's state and "now".
 * The workflow asks it what is due; the CLI preview and the status view ask the same functions, so no
 * rule is computed in two places. All instants are epoch milliseconds; calendar arithmetic happens in
 * the review's IANA zone with luxon, so "+30 days" keeps the wall-clock time across DST changes.
 */
import { DateTime, IANAZone } from 'luxon';
import { isBusinessDay } from './federal-holidays';
import type { NoticeKind, Policy } from './types';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Calendars show minutes: two instants less than a minute apart are the same date on an invite. */
export function sameOnCalendar(a: number, b: number): boolean {
  return Math.abs(a - b) < 60_000;
}

export const DEFAULT_POLICY: Policy = {
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

/** A due evaluation is never later than this many calendar days before the window end. */
export const DUE_BEFORE_WINDOW_END_DAYS = 2;

export interface PauseSpan {
  start: number;
  end: number | null;
}

export interface TimelineEvaluation {
  track: string;
  reviewerId: string;
  dueDay: number;
  /** When set, the evaluation is due this many business days after T0 instead of `dueDay` calendar days. */
  dueBusinessDays?: number | null;
  submitted: boolean;
  /** When the current reviewer was assigned: no reminder is due before that. */
  assignedAt: number;
}

export interface TimelineState {
  timeZone: string;
  policy: Policy;
  createdAt: number;
  plannedReleaseAt: number | null;
  accessGrantedAt: number | null;
  pauses: PauseSpan[];
  phase: 'awaiting-access' | 'in-review' | 'paused' | 'disposal' | 'closed';
  closedAt: number | null;
  evaluations: TimelineEvaluation[];
  /** Parties (`lab` or a reviewer id) whose disposal confirmation is still missing. */
  disposalPending: string[];
}

export type ActionKind = Extract<
  NoticeKind,
  'access-reminder' | 'close-reminder' | 'reviewer-reminder' | 'evaluation-overdue' | 'director-escalation' | 'disposal-overdue'
> | 'lapse' | 'window-end' | 'auto-resume';

/** Something the timeline says happens at `at`. `id` is deterministic: the same action is never done twice. */
export interface TimelineAction {
  id: string;
  kind: ActionKind;
  at: number;
  /** Reminders of one series: when several are due at once only the latest is sent. */
  series?: string;
  track?: string;
  reviewerId?: string;
  party?: string;
  /** For reminders: the deadline they remind of, and the days before it. */
  deadline?: number;
  daysBefore?: number;
}

export function isValidTimeZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.isValidZone(zone);
}

/**
 * Zone-aware date arithmetic (luxon, Intl) costs ~0.1 ms a call, and the main loop asks the same questions
 * again and again: with 50 tracks one pass over the timeline took 37 ms, and catching up on 100 due actions
 * 3.8 s — past the SDK's isolate execution timeout on a loaded machine, which crashes the workflow thread
 * ("async hook stack has become corrupted"). These functions are pure, so their answers are remembered;
 * the memo is small and simply starts over when full.
 */
const MEMO_LIMIT = 512;
function memo<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args: A): R => {
    const key = args.join('|');
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(...args);
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, value);
    return value;
  };
}

export const addCalendarDays = memo((ms: number, days: number, zone: string): number => DateTime.fromMillis(ms, { zone }).plus({ days }).toMillis());

/**
 * `days` business days after `ms` (weekends and observed US federal holidays skipped, see
 * federal-holidays.ts), at the same wall-clock time in `zone`. Counting starts the day after `ms`, so an
 * instant on a Saturday + 1 business day is the Monday.
 */
export const addBusinessDays = memo((ms: number, days: number, zone: string): number => {
  let dt = DateTime.fromMillis(ms, { zone });
  for (let n = 0; n < days; ) {
    dt = dt.plus({ days: 1 });
    if (isBusinessDay(dt)) n++;
  }
  return dt.toMillis();
});

/** The instant itself when it falls on a business day in `zone`, else the same wall-clock time on the next one. */
export const nextBusinessDay = memo((ms: number, zone: string): number => {
  let dt = DateTime.fromMillis(ms, { zone });
  while (!isBusinessDay(dt)) dt = dt.plus({ days: 1 });
  return dt.toMillis();
});

export function isBusinessDayAt(ms: number, zone: string): boolean {
  return isBusinessDay(DateTime.fromMillis(ms, { zone }));
}

/** ISO 8601 with the zone's offset, e.g. 2027-01-20T09:00:00.000-08:00. */
export const toIso = memo((ms: number, zone: string): string => {
  const iso = DateTime.fromMillis(ms, { zone }).toISO();
  if (iso === null) throw new Error(`cannot express ${ms} in zone ${zone}`);
  return iso;
});

/** Calendar date (yyyy-MM-dd) of an instant in a zone; used in ids so a moved deadline gets fresh reminders. */
export const dayKey = memo((ms: number, zone: string): string => DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd'));

/**
 * Parses an ISO date-time that carries an offset or Z; returns null when it does not. A full date and a time
 * are required: luxon would read a bare time as "today" and "2027-1231" as a local date (its "-1231" looks
 * like an offset), both of which depend on the host's clock or zone.
 */
export function parseInstant(iso: string): number | null {
  if (typeof iso !== 'string' || !/^\d{4}-?\d{2}-?\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso)) return null;
  const dt = DateTime.fromISO(iso, { setZone: true });
  return dt.isValid ? dt.toMillis() : null;
}

function pauseLength(p: PauseSpan, now: number): number {
  return Math.max(0, (p.end ?? now) - p.start);
}

/** Total paused time so far (an open pause counts up to now). */
export function pausedMs(s: TimelineState, now: number): number {
  return s.pauses.reduce((sum, p) => sum + pauseLength(p, now), 0);
}

export function pauseBudgetMs(s: TimelineState): number {
  return s.policy.maxPauseDays * DAY_MS;
}

/** The instant an open pause runs out of budget and the clock resumes by itself. */
export function pauseBudgetEndsAt(s: TimelineState): number | null {
  const open = s.pauses.find((p) => p.end === null);
  if (!open) return null;
  const closed = s.pauses.filter((p) => p.end !== null).reduce((sum, p) => sum + pauseLength(p, 0), 0);
  return open.start + Math.max(0, pauseBudgetMs(s) - closed);
}

/** A deadline moves by the length of every pause that began before it (as already moved by earlier pauses). */
function shiftByPauses(base: number, s: TimelineState, now: number): number {
  let d = base;
  for (const p of [...s.pauses].sort((a, b) => a.start - b.start)) {
    if (p.start < d) d += pauseLength(p, now);
  }
  return d;
}

/** Access not granted by this instant: the review lapses. The lab's release also ends the chance. */
export function accessDeadline(s: TimelineState): number {
  const d = addCalendarDays(s.createdAt, s.policy.accessGrantDeadlineDays, s.timeZone);
  return s.plannedReleaseAt !== null ? Math.min(d, s.plannedReleaseAt) : d;
}

/** T0 + windowDays calendar days + paused time, capped at the planned release. Null before access. */
export function windowEnd(s: TimelineState, now: number): number | null {
  if (s.accessGrantedAt === null) return null;
  const base = addCalendarDays(s.accessGrantedAt, s.policy.windowDays, s.timeZone);
  const shifted = shiftByPauses(base, s, now);
  return s.plannedReleaseAt !== null ? Math.min(shifted, s.plannedReleaseAt) : shifted;
}

/**
 * T0 + dueDay calendar days, moved by pauses, never later than window end − 2 days. When the window is
 * too short for that margin (release right after access), the evaluation is due at the window end.
 * With `dueBusinessDays` the date is T0 + that many business days instead; a pause moves it by the paused
 * time and then on to the next business day. The window-end cap wins over the business-day rule.
 */
export function evaluationDue(s: TimelineState, dueDay: number, now: number, dueBusinessDays: number | null = null): number | null {
  const end = windowEnd(s, now);
  if (s.accessGrantedAt === null || end === null) return null;
  const own = dueBusinessDays !== null && dueBusinessDays !== undefined
    ? nextBusinessDay(shiftByPauses(addBusinessDays(s.accessGrantedAt, dueBusinessDays, s.timeZone), s, now), s.timeZone)
    : shiftByPauses(addCalendarDays(s.accessGrantedAt, dueDay, s.timeZone), s, now);
  const latest = addCalendarDays(end, -DUE_BEFORE_WINDOW_END_DAYS, s.timeZone);
  if (latest <= s.accessGrantedAt) return end;
  return Math.min(own, latest);
}

export function disposalDue(s: TimelineState): number | null {
  return s.closedAt === null ? null : addCalendarDays(s.closedAt, s.policy.disposalDays, s.timeZone);
}

function reminders(
  deadline: number,
  days: number[],
  notBefore: number,
  zone: string,
  make: (d: number, at: number) => TimelineAction,
): TimelineAction[] {
  return days
    .map((d) => make(d, addCalendarDays(deadline, -d, zone)))
    .filter((a) => a.at > notBefore && a.at < deadline);
}

/** Every time-driven action for the review's current phase, past or future, with its instant. */
export function scheduledActions(s: TimelineState, now: number): TimelineAction[] {
  const z = s.timeZone;
  const out: TimelineAction[] = [];
  if (s.phase === 'awaiting-access') {
    const lapseAt = accessDeadline(s);
    for (const d of s.policy.accessReminderDays) {
      const at = addCalendarDays(s.createdAt, d, z);
      if (at < lapseAt) out.push({ id: `access-reminder:${d}d`, kind: 'access-reminder', at, series: 'access-reminder', deadline: lapseAt });
    }
    out.push({ id: 'lapse', kind: 'lapse', at: lapseAt });
  } else if ((s.phase === 'in-review' || s.phase === 'paused') && s.accessGrantedAt !== null) {
    const end = windowEnd(s, now) as number;
    const endKey = dayKey(end, z);
    // While paused, deadlines slide forward every moment: reminders wait for the resume, or they would
    // be re-issued daily for each new date.
    const remind = s.phase === 'in-review';
    if (remind) out.push(
      ...reminders(end, s.policy.closeReminderDays, s.accessGrantedAt, z, (d, at) => ({
        id: `close-reminder:${d}d:${endKey}`, kind: 'close-reminder', at, series: 'close-reminder', deadline: end, daysBefore: d,
      })),
    );
    out.push({ id: 'window-end', kind: 'window-end', at: end });
    for (const e of s.evaluations) {
      if (e.submitted) continue;
      const due = evaluationDue(s, e.dueDay, now, e.dueBusinessDays ?? null) as number;
      const key = `${e.track}:${e.reviewerId}`;
      if (remind) out.push(
        ...reminders(due, s.policy.reviewerReminderDays, Math.max(s.accessGrantedAt, e.assignedAt), z, (d, at) => ({
          id: `reviewer-reminder:${key}:${d}d:${dayKey(due, z)}`, kind: 'reviewer-reminder', at, series: `reviewer-reminder:${key}`,
          track: e.track, reviewerId: e.reviewerId, deadline: due, daysBefore: d,
        })),
      );
      out.push({ id: `evaluation-overdue:${key}`, kind: 'evaluation-overdue', at: due, track: e.track, reviewerId: e.reviewerId, deadline: due });
      const escalateAt = addCalendarDays(due, s.policy.directorEscalationDays, z);
      if (escalateAt < end) {
        out.push({ id: `director-escalation:${key}`, kind: 'director-escalation', at: escalateAt, track: e.track, reviewerId: e.reviewerId, deadline: due });
      }
    }
    const resumeAt = s.phase === 'paused' ? pauseBudgetEndsAt(s) : null;
    if (resumeAt !== null) out.push({ id: `auto-resume:${s.pauses.length}`, kind: 'auto-resume', at: resumeAt });
  } else if (s.phase === 'disposal') {
    const due = disposalDue(s) as number;
    for (const party of s.disposalPending) {
      out.push({ id: `disposal-overdue:${party}`, kind: 'disposal-overdue', at: due, party, deadline: due });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}

/**
 * Actions due now that have not been handled, oldest first. Of several due reminders in one series only
 * the latest is kept: a lab told "1 day left" need not also get the stale "7 days left".
 */
export function dueActions(s: TimelineState, now: number, handled: ReadonlySet<string>): { due: TimelineAction[]; superseded: TimelineAction[] } {
  const open = scheduledActions(s, now).filter((a) => a.at <= now && !handled.has(a.id));
  const latestOfSeries = new Map<string, TimelineAction>();
  for (const a of open) if (a.series) latestOfSeries.set(a.series, a);
  const due: TimelineAction[] = [];
  const superseded: TimelineAction[] = [];
  for (const a of open) {
    if (a.series && latestOfSeries.get(a.series) !== a) superseded.push(a);
    else due.push(a);
  }
  return { due, superseded };
}

/** The next instant at which something becomes due, or null when nothing time-driven remains. */
export function nextActionAt(s: TimelineState, now: number, handled: ReadonlySet<string>): number | null {
  const future = scheduledActions(s, now).filter((a) => a.at > now && !handled.has(a.id));
  return future.length ? Math.min(...future.map((a) => a.at)) : null;
}

/** Days remaining until a deadline, counted in calendar days of the zone (0 on the day itself). */
export function daysRemaining(now: number, deadline: number, zone: string): number {
  const a = DateTime.fromMillis(now, { zone }).startOf('day');
  const b = DateTime.fromMillis(deadline, { zone }).startOf('day');
  return Math.round(b.diff(a, 'days').days);
}

/** The digest's week: from `now` to the same wall-clock time seven calendar days later, in `zone`. */
export function digestWeek(now: number, zone: string, days = 7): { from: number; to: number; key: string } {
  return { from: now, to: addCalendarDays(now, days, zone), key: dayKey(now, zone) };
}
