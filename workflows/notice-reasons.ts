/**
 * Why a notice is sent, and whether that still holds. The notice activity asks the workflow (query
 * `noticeCheck`) just before it hands a notice to the mail server; a notice whose reason has lapsed — an
 * overdue notice for an evaluation submitted a moment ago — is suppressed and recorded as such. Pure.
 */
import type { ReviewState } from './review-state';
import { currentWindowEnd, isClosed } from './review-state';

export type NoticeReason =
  /** Access reminders: only while access has not been granted. */
  | { type: 'awaiting-access' }
  /** Reminders, overdue notices, escalations: only while this reviewer's evaluation is outstanding. */
  | { type: 'evaluation-pending'; track: string; reviewerId: string }
  /** An assignment: only while the reviewer still holds the track. */
  | { type: 'assigned'; track: string; reviewerId: string }
  /** A close reminder: only while the window still ends at the date it names. */
  | { type: 'window-end'; at: number }
  /** Only while the review is open (ready-to-close). */
  | { type: 'open' }
  /** Disposal requests and reminders: only until the party confirms. */
  | { type: 'disposal-pending'; party: string }
  /** An updated calendar date: only while no newer update or cancellation of the event exists. */
  | { type: 'calendar'; key: string; sequence: number };

/** Null when the reason still holds; otherwise what changed, in words for the status. */
export function lapsedBecause(s: ReviewState, r: NoticeReason, now: number): string | null {
  switch (r.type) {
    case 'awaiting-access':
      return s.phase === 'awaiting-access' ? null : s.accessGrantedAt !== null ? 'access has been granted' : `the review is ${s.phase}`;
    case 'evaluation-pending':
    case 'assigned': {
      if (isClosed(s)) return `the review is closed (outcome ${s.outcome})`;
      const e = s.evaluations.find((x) => x.track === r.track);
      if (!e) return `track ${r.track} no longer exists`;
      if (e.reviewer.id !== r.reviewerId) return `track ${r.track} was reassigned to ${e.reviewer.id}`;
      if (r.type === 'evaluation-pending' && e.submittedAt !== null) return `the ${r.track} evaluation has been submitted`;
      return null;
    }
    case 'window-end': {
      if (isClosed(s)) return `the review is closed (outcome ${s.outcome})`;
      if (s.phase === 'paused') return 'the clock is paused';
      return currentWindowEnd(s, now) === r.at ? null : 'the window end has moved';
    }
    case 'open':
      return isClosed(s) ? `the review is closed (outcome ${s.outcome})` : null;
    case 'disposal-pending': {
      const d = s.disposal.find((x) => x.party === r.party);
      return d && d.confirmedAt !== null ? `${r.party} confirmed disposal` : null;
    }
    case 'calendar': {
      const ev = s.calendar.find((x) => x.key === r.key);
      if (!ev) return null;
      if (ev.cancelled) return 'the calendar event was cancelled';
      return ev.sequence > r.sequence ? 'a newer calendar update replaces it' : null;
    }
  }
}
