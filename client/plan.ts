/**
 * The plan preview (`review plan`, `POST /api/plan`, the dashboard's "Preview"): every dated event and notice a
 * request will produce if nothing else happens — access granted at a given instant (or never), no evaluation
 * submitted, no pause, no disposal confirmed — without starting anything.
 *
 * It drives the workflow's own pure modules: the state is `initialState`, every date comes from the timeline
 * (`dueActions`/`nextActionAt`/`windowEnd`/`evaluationDue`/`disposalDue`), recipients from `recipients`, and
 * notice ids are built as the workflow builds them. What is mirrored here is only which audiences each
 * timeline action addresses; test/workflow/plan.test.ts runs the same request on the time-skipping server
 * and proves that the notices (ids, kinds, audiences, instants) are the same.
 */
import { DateTime } from 'luxon';
import { currentWindowEnd, evaluationDueAt, initialState, recipients, toTimelineState } from '../workflows/review-state';
import type { ReviewState } from '../workflows/review-state';
import { accessDeadline, disposalDue, dueActions, nextActionAt, parseInstant, toIso } from '../workflows/timeline';
import type { TimelineAction } from '../workflows/timeline';
import type { Audience, NoticeKind, ReviewRequest } from '../workflows/types';
import { ReviewError } from './errors';

export interface PlanOptions {
  /** When the review is started (epoch ms); default now. */
  startAt?: number;
  /** When access is granted (epoch ms); `'never'` for the lapse scenario; default: at the start. */
  accessGrantedAt?: number | 'never';
}

export interface PlannedNotice {
  /** The id the workflow gives the notice (deterministic). */
  id: string;
  kind: NoticeKind;
  audience: Audience;
  to: string[];
  track?: string;
  /** ISO instant in the review's zone, and the same instant in the recipient's zone. */
  at: string;
  atRecipientZone: string;
  recipientTimeZone: string;
  /** Under which condition it still goes out, when the plan's scenario is not the only possibility. */
  condition?: string;
}

export type DeadlineKind = 'access-deadline' | 'clock-start' | 'evaluation-due' | 'director-escalation' | 'window-end' | 'planned-release' | 'disposal-due';

export interface PlannedDeadline {
  kind: DeadlineKind;
  label: string;
  at: string;
  atLabZone: string;
  track?: string;
}

export interface Plan {
  reviewId: string;
  timeZone: string;
  labTimeZone: string;
  startAt: string;
  /** Null in the lapse scenario. */
  accessGrantedAt: string | null;
  /** The scenario in words. */
  scenario: string;
  outcome: 'expired' | 'completed' | 'lapsed';
  deadlines: PlannedDeadline[];
  notices: PlannedNotice[];
}

const CONDITIONS: Partial<Record<NoticeKind, string>> = {
  'access-reminder': 'only while access is not granted',
  'review-lapsed': 'only if access is never granted',
  'reviewer-reminder': 'only while the evaluation is not submitted',
  'evaluation-overdue': 'only if the evaluation is not submitted by then',
  'director-escalation': 'only if the evaluation is still missing then',
  'close-reminder': 'only while the window still ends then (release date, pauses move it)',
  'review-closed': 'at the window end, unless closed or withdrawn earlier',
  'disposal-request': 'after close',
  'disposal-overdue': 'only if disposal is not confirmed by then',
};

/** Validates the request against `startAt` (not the real clock): a plan may be made for a start in the past or future. */
function check(request: ReviewRequest, startAt: number, grant: number | 'never'): void {
  const s = initialState(request, startAt, request.plannedReleaseAt ? parseInstant(request.plannedReleaseAt) : null);
  if (grant === 'never') return;
  const lapse = accessDeadline(toTimelineState(s));
  if (grant < startAt) {
    throw new ReviewError('validation', `accessGrantedAt: must not be before the start (${toIso(startAt, request.timeZone)})`, [{ path: 'accessGrantedAt', message: 'must not be before the start' }]);
  }
  if (grant >= lapse) {
    const message = `must be before the access deadline ${toIso(lapse, request.timeZone)}: the review lapses then`;
    throw new ReviewError('validation', `accessGrantedAt: ${message}`, [{ path: 'accessGrantedAt', message }]);
  }
}

/** The plan for an already validated request (see validateRequest in review-client.ts). */
export function buildPlan(request: ReviewRequest, options: PlanOptions = {}): Plan {
  const startAt = options.startAt ?? Date.now();
  const grantAt = options.accessGrantedAt ?? startAt;
  check(request, startAt, grantAt);
  const zone = request.timeZone;
  const labZone = request.lab.timeZone;
  const s: ReviewState = initialState(request, startAt, request.plannedReleaseAt ? parseInstant(request.plannedReleaseAt) : null);
  const handled = new Set<string>();
  const notices: PlannedNotice[] = [];
  const deadlines: PlannedDeadline[] = [];
  const deadline = (kind: DeadlineKind, label: string, ms: number, track?: string): void => {
    deadlines.push({ kind, label, at: toIso(ms, zone), atLabZone: toIso(ms, labZone), ...(track ? { track } : {}) });
  };

  // The workflow's notify(): same id, same recipients, never the same notice twice.
  const notify = (kind: NoticeKind, audience: Audience, key: string, at: number, track?: string): void => {
    const id = `${request.reviewId}/${kind}/${key}/${audience}`;
    if (notices.some((n) => n.id === id)) return;
    const { to, timeZone } = recipients(s, audience);
    if (to.length === 0) return;
    const condition = CONDITIONS[kind];
    notices.push({
      id, kind, audience, to: to.map((p) => p.email), ...(track ? { track } : {}), at: toIso(at, zone), atRecipientZone: toIso(at, timeZone),
      recipientTimeZone: timeZone, ...(condition ? { condition } : {}),
    });
  };

  const close = (t: number): void => {
    s.closedAt = t;
    const hadAccess = s.accessGrantedAt !== null;
    s.outcome = !hadAccess ? 'lapsed' : s.evaluations.every((e) => e.submittedAt !== null) ? 'completed' : 'expired';
    const audiences: Audience[] = ['lab', 'pm', ...(hadAccess ? s.accessHolders.map((id) => `reviewer:${id}` as Audience) : [])];
    for (const a of audiences) notify('review-closed', a, 'close', t);
    if (hadAccess) {
      s.phase = 'disposal';
      s.disposal = ['lab', ...s.accessHolders].map((party) => ({ party, confirmedAt: null, by: null, note: null }));
      for (const d of s.disposal) notify('disposal-request', d.party === 'lab' ? 'lab' : `reviewer:${d.party}`, 'close', t);
      deadline('disposal-due', 'Disposal confirmations due', disposalDue(toTimelineState(s)) as number);
    } else {
      s.phase = 'closed';
    }
  };

  const grant = (t: number): void => {
    s.accessGrantedAt = t;
    s.phase = 'in-review';
    s.accessHolders = [...new Set(s.evaluations.map((e) => e.reviewer.id))];
    deadline('clock-start', 'Access granted: the clock starts', t);
    for (const a of ['lab', 'pm', ...s.accessHolders.map((id) => `reviewer:${id}`)] as Audience[]) notify('clock-started', a, 'start', t);
    for (const e of s.evaluations) notify('reviewer-assigned', `reviewer:${e.reviewer.id}`, `${e.track}:${e.reviewer.id}`, t, e.track);
    deadline('window-end', 'Window ends: the review closes whatever is pending', currentWindowEnd(s, t) as number);
    for (const e of s.evaluations) {
      const due = evaluationDueAt(s, e, t) as number;
      deadline('evaluation-due', `Evaluation due: ${e.track} (${e.reviewer.id})`, due, e.track);
    }
  };

  // The workflow's handleAction(), reduced to whom each action addresses.
  const act = (a: TimelineAction, t: number): void => {
    const e = a.track ? s.evaluations.find((x) => x.track === a.track && x.reviewer.id === a.reviewerId) : undefined;
    switch (a.kind) {
      case 'access-reminder':
        notify('access-reminder', 'lab', a.id, t);
        notify('access-reminder', 'pm', a.id, t);
        return;
      case 'lapse':
        notify('review-lapsed', 'pm', 'lapse', t);
        notify('review-lapsed', 'lab', 'lapse', t);
        close(t);
        return;
      case 'close-reminder':
        notify('close-reminder', 'lab', a.id, t);
        return;
      case 'window-end':
        close(t);
        return;
      case 'reviewer-reminder':
        if (e) notify('reviewer-reminder', `reviewer:${e.reviewer.id}`, a.id, t, e.track);
        return;
      case 'evaluation-overdue':
        if (!e) return;
        for (const who of ['pm', `reviewer:${e.reviewer.id}`] as Audience[]) notify('evaluation-overdue', who, `${e.track}:${e.reviewer.id}`, t, e.track);
        return;
      case 'director-escalation':
        if (!e) return;
        deadline('director-escalation', `Escalation to the director if ${e.track} is still missing`, t, e.track);
        notify('director-escalation', 'director', `${e.track}:${e.reviewer.id}`, t, e.track);
        return;
      case 'auto-resume':
        return; // no pause in a plan
      case 'disposal-overdue': {
        const party = a.party as string;
        notify('disposal-overdue', party === 'lab' ? 'lab' : `reviewer:${party}`, party, t);
        notify('disposal-overdue', 'director', party, t);
        notify('disposal-overdue', 'pm', party, t);
        return;
      }
    }
  };

  // The workflow's main loop over virtual time: intake, then every due action in order, access at grantAt.
  notify('intake-ack', 'lab', 'intake', startAt);
  notify('intake-ack', 'pm', 'intake', startAt);
  if (s.plannedReleaseAt !== null) deadline('planned-release', "Lab's planned release (caps the window)", s.plannedReleaseAt);
  if (grantAt === 'never') deadline('access-deadline', 'Access deadline: the review lapses without access', accessDeadline(toTimelineState(s)));
  let now = startAt;
  let grantPending = grantAt !== 'never';
  for (let guard = 0; guard < 10_000 && s.phase !== 'closed'; guard++) {
    const { due, superseded } = dueActions(toTimelineState(s), now, handled);
    for (const a of superseded) handled.add(a.id);
    if (due.length > 0) {
      handled.add(due[0].id);
      act(due[0], now);
      continue;
    }
    const next = nextActionAt(toTimelineState(s), now, handled);
    if (grantPending && (next === null || (grantAt as number) <= next)) {
      now = grantAt as number;
      grantPending = false;
      grant(now);
      continue;
    }
    if (next === null) break;
    now = next;
  }

  const byTime = <T extends { at: string }>(a: T, b: T): number => DateTime.fromISO(a.at).toMillis() - DateTime.fromISO(b.at).toMillis();
  return {
    reviewId: request.reviewId,
    timeZone: zone,
    labTimeZone: labZone,
    startAt: toIso(startAt, zone),
    accessGrantedAt: grantAt === 'never' ? null : toIso(grantAt, zone),
    scenario: grantAt === 'never'
      ? 'access is never granted: reminders, then the review lapses'
      : `access granted ${grantAt === startAt ? 'at the start' : `at ${toIso(grantAt, zone)}`}; no evaluation submitted, no pause, no disposal confirmed: every reminder, escalation and the deadline enforcement a review can produce`,
    outcome: (s.outcome ?? 'expired') as Plan['outcome'],
    deadlines: deadlines.sort(byTime),
    notices: notices.map((n, i) => ({ n, i })).sort((a, b) => byTime(a.n, b.n) || a.i - b.i).map(({ n }) => n),
  };
}
