/**
 * Dates on calendars follow the review: when the window end or a pending evaluation's due date has moved
 * (release date, pause and resume, a new due day), everyone holding the event gets the update, same UID,
 * higher SEQUENCE. Not while paused: dates slide until the clock resumes.
 *
 * Coalesced (review-core-v2): a lab moving its release date back and forth used to send every attendee an
 * update per move. Now an update waits until no change has been accepted for SETTLE_MS, and one event is
 * updated at most MAX_UPDATES_PER_DAY times in any 24 hours: however many moves, each attendee gets a few
 * updates a day at most, each with the date as it then stands.
 */
import { inviteOf, WINDOW_END_EVENT } from './calendar-events';
import type { NoticeReason } from './notice-reasons';
import { currentWindowEnd, evaluationDueAt } from './review-state';
import { DAY_MS, sameOnCalendar } from './timeline';
import type { ReviewContext } from './transitions';

export const SETTLE_MS = 10 * 60_000;
export const MAX_UPDATES_PER_DAY = 3;

export interface CalendarSyncOptions {
  /** Reviews started before calendar-minute-moves sent updates for moves of seconds (patched() at the branch). */
  minuteMoves: () => boolean;
  coalesce: boolean;
}

/** Sends the updates that are due; returns when a held-back update falls due (coalesced only), or null. */
export function syncCalendar(c: ReviewContext, o: CalendarSyncOptions): number | null {
  const { s } = c;
  const t = c.now();
  let wake: number | null = null;
  for (const ev of s.calendar) {
    if (ev.cancelled || ev.audiences.length === 0) continue;
    const e = ev.key === WINDOW_END_EVENT ? undefined : s.evaluations.find((x) => x.track === ev.track);
    if (ev.key !== WINDOW_END_EVENT && (!e || e.submittedAt !== null)) continue;
    const current = e ? evaluationDueAt(s, e, t) : currentWindowEnd(s, t);
    if (current === null || current === ev.at) continue;
    // Same minute on the calendar: no update e-mail. The event keeps its date and later moves are measured from it.
    if (sameOnCalendar(current, ev.at) && (o.coalesce || o.minuteMoves())) continue;
    if (o.coalesce) {
      const recent = ev.updates ?? [];
      const dayFull = recent.length >= MAX_UPDATES_PER_DAY ? recent[recent.length - MAX_UPDATES_PER_DAY] + DAY_MS : 0;
      const ready = Math.max((s.lastUpdateAt ?? 0) + SETTLE_MS, dayFull);
      if (ready > t) {
        wake = wake === null ? ready : Math.min(wake, ready);
        continue;
      }
      ev.updates = [...recent, t].slice(-MAX_UPDATES_PER_DAY);
    }
    const previous = ev.at;
    ev.at = current;
    ev.sequence++;
    const invite = inviteOf(ev, 'REQUEST', s.request.timeZone);
    const reason: NoticeReason = { type: 'calendar', key: ev.key, sequence: ev.sequence };
    for (const audience of ev.audiences) {
      if (e) {
        c.out.notify({
          kind: 'reviewer-assigned', audience, key: `${e.track}:${e.reviewer.id}:seq${ev.sequence}`, track: e.track,
          dates: { dueAt: current, previousAt: previous, windowEndsAt: currentWindowEnd(s, t) }, facts: { track: e.track, update: true },
          extra: () => ({ invites: [invite], reason }),
        });
      } else {
        c.out.notify({
          kind: 'clock-started', audience, key: `window-end:seq${ev.sequence}`, dates: { startedAt: s.accessGrantedAt, windowEndsAt: current, previousAt: previous },
          facts: { update: true }, extra: () => ({ invites: [invite], reason }),
        });
      }
    }
  }
  return wake;
}
