/**
 * A notice recorded `suppressed` claims its reason had lapsed when it was due to go out (workflows/notice-reasons.ts).
 * The fault ledger does not take that on trust: a retry that suppressed a notice by mistake would otherwise drop it
 * unseen (it is neither lost nor unexpected). Each suppression is re-checked against the review's final status: its
 * audit entry exists, and what the reason names happened before that entry and is still so at the end. Pure.
 */
import type { AuditEvent, NoticeRecord, ReviewStatus } from '../../workflows/types';

/** The audit entry the workflow writes when a suppression comes back (`<kind> to <audience>: <reason>`). */
const suppressionEntry = (n: NoticeRecord): string => `${n.kind} to ${n.audience}: ${n.reason ?? ''}`;

/** Events of `type` whose detail passes `detail`, written before the entry at `before` (audit order). */
function before(events: AuditEvent[], index: number, type: string, detail: (d: string) => boolean = () => true): AuditEvent[] {
  return events.slice(0, index).filter((e) => e.type === type && detail(e.detail));
}

/** A calendar event carried by a notice: `REQUEST uid#sequence` or `CANCEL uid#sequence`. */
function invitesOf(n: NoticeRecord): { method: string; key: string; sequence: number }[] {
  return (n.invites ?? []).flatMap((i) => {
    const m = /^(REQUEST|CANCEL) (.+)#(\d+)$/.exec(i);
    return m ? [{ method: m[1], key: m[2], sequence: Number(m[3]) }] : [];
  });
}

/** Null when the suppression of `n` holds up against the final status `s`; otherwise why not. */
export function suppressionProblem(s: ReviewStatus, n: NoticeRecord): string | null {
  const reason = n.reason ?? '';
  const at = s.events.findIndex((e) => e.type === 'notice-suppressed' && e.detail === suppressionEntry(n));
  if (at < 0) return `no notice-suppressed audit entry "${suppressionEntry(n)}"`;
  const events = s.events;
  const evaluation = (track: string) => s.evaluations.find((e) => e.track === track);
  let m: RegExpExecArray | null;

  if (reason === 'access has been granted') {
    return before(events, at, 'access-granted').length && s.clock.startedAt !== null ? null : 'access was not granted before the suppression';
  }
  if ((m = /^the review is closed \(outcome (\w+)\)$/.exec(reason))) {
    const outcome = m[1];
    if (s.outcome !== outcome) return `the review's final outcome is ${s.outcome}, not ${outcome}`;
    return before(events, at, 'review-closed', (d) => d.startsWith(`outcome ${outcome}`)).length ? null : 'the review was not closed before the suppression';
  }
  if ((m = /^the review is ([a-z-]+)$/.exec(reason))) {
    // an access reminder after the review left awaiting-access some other way than a grant
    const left = ['review-closed', 'withdrawn', 'review-lapsed'].some((type) => before(events, at, type).length > 0);
    return left && s.phase !== 'awaiting-access' ? null : `the review had not left awaiting-access (${m[1]}) before the suppression`;
  }
  if ((m = /^the (.+) evaluation has been submitted$/.exec(reason))) {
    const track = m[1];
    if (evaluation(track)?.status !== 'submitted') return `the ${track} evaluation is ${evaluation(track)?.status ?? 'missing'} in the final status`;
    return before(events, at, 'evaluation-submitted', (d) => d.startsWith(`${track}:`)).length ? null : `the ${track} evaluation was submitted only after the suppression`;
  }
  if ((m = /^track (.+) was reassigned to (.+)$/.exec(reason))) {
    const [, track, to] = m;
    return before(events, at, 'reviewer-reassigned', (d) => d.startsWith(`${track}:`) && d.includes(`→ ${to}`)).length ? null : `track ${track} was not reassigned to ${to} before the suppression`;
  }
  if ((m = /^track (.+) no longer exists$/.exec(reason))) {
    return evaluation(m[1]) ? `track ${m[1]} still exists` : null;
  }
  if (reason === 'the clock is paused') {
    return before(events, at, 'clock-paused').length ? null : 'the clock was never paused before the suppression';
  }
  if (reason === 'the window end has moved') {
    const moves = ['release-date-set', 'clock-paused', 'clock-resumed'].some((type) => before(events, at, type).length > 0);
    return moves ? null : 'nothing moved the window end before the suppression';
  }
  if ((m = /^(.+) confirmed disposal$/.exec(reason))) {
    const party = m[1];
    if (!s.disposal.some((d) => d.party === party && d.confirmedAt !== null)) return `${party} has not confirmed disposal in the final status`;
    return before(events, at, 'disposal-confirmed', (d) => d.startsWith(party)).length ? null : `${party} confirmed disposal only after the suppression`;
  }
  if (reason === 'the calendar event was cancelled' || reason === 'a newer calendar update replaces it') {
    const cancelled = reason === 'the calendar event was cancelled';
    const mine = invitesOf(n).filter((i) => i.method === 'REQUEST');
    if (mine.length === 0) return 'a calendar suppression of a notice that carries no calendar update';
    const suppressedAt = Date.parse(events[at].at);
    const later = s.notices.filter((o) => o !== n && Date.parse(o.at) <= suppressedAt).flatMap(invitesOf);
    const replaced = mine.every((i) => later.some((o) => o.key === i.key && (cancelled ? o.method === 'CANCEL' : o.method === 'REQUEST' && o.sequence > i.sequence)));
    return replaced ? null : `no ${cancelled ? 'cancellation' : 'newer update'} of ${mine.map((i) => `${i.key}#${i.sequence}`).join(', ')} was issued before the suppression`;
  }
  return `reason "${reason}" is not one this check knows: it cannot be confirmed (extend test/faults/suppressions.ts)`;
}
