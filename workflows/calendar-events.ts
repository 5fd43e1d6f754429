/**
 * The deadline events a review puts on people's calendars: the window end (lab, program manager,
 * reviewers) and each track's due date (its reviewer). One event per deadline, with a stable UID; each
 * change of its date or status raises its SEQUENCE, as RFC 5546 asks. Pure functions over ReviewState.
 */
import type { Audience, InviteSpec } from './types';
import type { CalendarEvent, ReviewState } from './review-state';
import { toIso } from './timeline';

export const WINDOW_END_EVENT = 'window-end';
export const dueEventKey = (track: string): string => `due:${track}`;

export function inviteOf(ev: CalendarEvent, method: InviteSpec['method'], zone: string): InviteSpec {
  return { key: ev.key, sequence: ev.sequence, method, at: toIso(ev.at, zone), ...(ev.track ? { track: ev.track } : {}) };
}

/** "REQUEST window-end#2": how status lists the events a notice carried. */
export const describeInvite = (i: InviteSpec): string => `${i.method} ${i.key}#${i.sequence}`;

/**
 * Adds `audience` to the event for `key` (creating it at `at`) and returns it, for the REQUEST to send
 * them. An event nobody holds any more takes the new date (sequence raised); one that others hold keeps
 * the date their calendars show, and the next date sync (syncCalendar) moves everyone together.
 */
export function attend(s: ReviewState, key: string, at: number, audience: Audience, track?: string): CalendarEvent {
  let ev = s.calendar.find((x) => x.key === key);
  if (!ev) {
    ev = { key, at, sequence: 0, audiences: [], cancelled: false, ...(track ? { track } : {}) };
    s.calendar.push(ev);
  } else if ((ev.cancelled || ev.audiences.length === 0) && ev.at !== at) {
    ev.at = at;
    ev.cancelled = false;
    ev.sequence++;
  }
  if (!ev.audiences.includes(audience)) ev.audiences.push(audience);
  return ev;
}

/** Takes `audience` off the event; returns the event (sequence raised) for the CANCEL to send them. */
export function unattend(s: ReviewState, key: string, audience: Audience): CalendarEvent | null {
  const ev = s.calendar.find((x) => x.key === key);
  if (!ev || ev.cancelled || !ev.audiences.includes(audience)) return null;
  ev.audiences = ev.audiences.filter((a) => a !== audience);
  ev.sequence++;
  return ev;
}

/** At close: every event still ahead of `closedAt` is cancelled; returns the CANCELs per audience. */
export function cancelOpenEvents(s: ReviewState, closedAt: number, zone: string): Map<Audience, InviteSpec[]> {
  const out = new Map<Audience, InviteSpec[]>();
  for (const ev of s.calendar) {
    if (ev.cancelled || ev.at <= closedAt) continue;
    ev.cancelled = true;
    ev.sequence++;
    for (const a of ev.audiences) out.set(a, [...(out.get(a) ?? []), inviteOf(ev, 'CANCEL', zone)]);
  }
  return out;
}
