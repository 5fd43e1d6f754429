/**
 * The plan preview (`review plan`, `POST /api/plan`, the dashboard's "Preview"): every dated event and notice a
 * request will produce if nothing else happens — access granted at a given instant (or never), no evaluation
 * submitted, no pause, no disposal confirmed — without starting anything.
 *
 * It drives the workflow's own transitions (workflows/transitions.ts) over virtual time with an outbox that
 * lists the notices instead of sending them: ids, audiences and instants come from the same code, and nothing
 * of the workflow is copied here. test/workflow/plan.test.ts runs the same request on the time-skipping server
 * and proves that the notices (ids, kinds, audiences, instants) are the same.
 */
import { viewPackage } from '../workflows/access-package';
import type { PackageView } from '../workflows/access-package';
import { DateTime } from 'luxon';
import { currentWindowEnd, evaluationDueAt, initialState, recipients, toTimelineState } from '../workflows/review-state';
import type { ReviewState } from '../workflows/review-state';
import { accessDeadline, disposalDue, nextActionAt, parseInstant, toIso } from '../workflows/timeline';
import type { TimelineAction } from '../workflows/timeline';
import { grantAccess, intake, noticeId, processDue } from '../workflows/transitions';
import type { Outbox, ReviewContext } from '../workflows/transitions';
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
  /** The request's access package and what is missing from it (the acknowledgement and the access reminders list it). */
  package?: PackageView;
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
  const notices: PlannedNotice[] = [];
  const deadlines: PlannedDeadline[] = [];
  const deadline = (kind: DeadlineKind, label: string, ms: number, track?: string): void => {
    deadlines.push({ kind, label, at: toIso(ms, zone), atLabZone: toIso(ms, labZone), ...(track ? { track } : {}) });
  };
  let now = startAt;

  // An outbox that lists what the workflow's would send: same ids, same recipients, never the same notice twice.
  const out: Outbox = {
    notify({ kind, audience, key, track }) {
      const id = noticeId(request.reviewId, kind, key, audience);
      if (notices.some((n) => n.id === id)) return;
      const { to, timeZone } = recipients(s, audience);
      if (to.length === 0) return;
      const condition = CONDITIONS[kind];
      notices.push({
        id, kind, audience, to: to.map((p) => p.email), ...(track ? { track } : {}), at: toIso(now, zone), atRecipientZone: toIso(now, timeZone),
        recipientTimeZone: timeZone, ...(condition ? { condition } : {}),
      });
    },
  };
  const c: ReviewContext = { s, now: () => now, out, flags: { v2: true, coreV2: true, record: true }, handled: new Set<string>(), publish: () => undefined };

  // The deadlines a person plans around, beside the notices.
  const granted = (): void => {
    deadline('clock-start', 'Access granted: the clock starts', now);
    deadline('window-end', 'Window ends: the review closes whatever is pending', currentWindowEnd(s, now) as number);
    for (const e of s.evaluations) deadline('evaluation-due', `Evaluation due: ${e.track} (${e.reviewer.id})`, evaluationDueAt(s, e, now) as number, e.track);
  };
  const acted = (a: TimelineAction): void => {
    const e = a.track ? s.evaluations.find((x) => x.track === a.track && x.reviewer.id === a.reviewerId) : undefined;
    if (a.kind === 'director-escalation' && e) deadline('director-escalation', `Escalation to the director if ${e.track} is still missing`, now, e.track);
  };

  // The workflow's main loop over virtual time: intake, then every due action in order, access at grantAt.
  intake(c);
  if (s.plannedReleaseAt !== null) deadline('planned-release', "Lab's planned release (caps the window)", s.plannedReleaseAt);
  if (grantAt === 'never') deadline('access-deadline', 'Access deadline: the review lapses without access', accessDeadline(toTimelineState(s)));
  let grantPending = grantAt !== 'never';
  for (let guard = 0; guard < 10_000 && s.phase !== 'closed'; guard++) {
    const open = s.phase !== 'disposal';
    processDue(c, acted);
    if (open && s.phase === 'disposal') deadline('disposal-due', 'Disposal confirmations due', disposalDue(toTimelineState(s)) as number);
    const next = nextActionAt(toTimelineState(s), now, c.handled);
    if (grantPending && s.phase === 'awaiting-access' && (next === null || (grantAt as number) <= next)) {
      now = grantAt as number;
      grantPending = false;
      grantAccess(c, 'lab');
      granted();
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
    ...(request.package ? { package: viewPackage(request.package, 0) } : {}),
  };
}
