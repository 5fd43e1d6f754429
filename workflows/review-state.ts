/**
 * The review's state and the pure functions over it: building the timeline's view, the status view,
 * recipients. No Temporal APIs here, so the same code serves the workflow, tests and previews.
 */
import { evidenceViews, retentionView } from './evidence';
import type { EvidenceStateFields } from './evidence';
import { accessDeadline, disposalDue, evaluationDue, pauseBudgetMs, pausedMs, toIso, windowEnd } from './timeline';
import type { TimelineState } from './timeline';
import { resolvePolicy } from './validation';
import type { AccessPackage } from './access-package';
import { viewPackage } from './access-package';
import type { EvaluationRecord } from './evaluation-record';
import type { ReceiptState } from './record-types';
import type {
  Audience, AuditEvent, EvaluationStatus, EvaluationView, NoticeRecord, Outcome, Person, Phase, Policy, ReviewRequest,
  ReviewStatus, Reviewer, Severity,
} from './types';

export interface EvaluationState {
  track: string;
  reviewer: Reviewer;
  dueDay: number;
  /** Business-day due rule; null for the calendar-day rule (dueDay). */
  dueBusinessDays: number | null;
  assignedAt: number;
  submittedAt: number | null;
  severity: Severity | null;
  summary: string | null;
  /** How often the track changed hands (bounded: see limits.ts). Absent in states carried from older code. */
  reassignments?: number;
  /** How the submitted result can be reproduced (evaluation-record.ts), when given. */
  record?: EvaluationRecord;
  /** Submitted after its due date (for the review card's metrics; absent before review-card and when on time). */
  late?: boolean;
}

export interface DisposalState {
  party: string;
  confirmedAt: number | null;
  by: string | null;
  note: string | null;
  /** Digests of the evidence the party attested it destroyed. */
  destroyed?: string[];
}

/**
 * A deadline event on people's calendars (RFC 5545): the window end, or one track's due date. Its UID is
 * stable (review + key); every change of date, attendee or status raises `sequence`.
 */
export interface CalendarEvent {
  key: string;
  track?: string;
  /** The date the attendees' calendars show now. */
  at: number;
  sequence: number;
  audiences: Audience[];
  cancelled: boolean;
  /** When the latest date updates went out (coalesced: a few per event per day, see calendar-sync.ts). */
  updates?: number[];
}

export interface ReviewState extends EvidenceStateFields {
  request: ReviewRequest;
  policy: Policy;
  createdAt: number;
  plannedReleaseAt: number | null;
  accessGrantedAt: number | null;
  pauses: { start: number; end: number | null }[];
  phase: Phase;
  outcome: Outcome | null;
  closedAt: number | null;
  evaluations: EvaluationState[];
  /** Reviewer ids that held access at some point: each must confirm disposal. */
  accessHolders: string[];
  disposal: DisposalState[];
  notices: NoticeRecord[];
  events: AuditEvent[];
  /** Timeline action ids already done (or superseded). */
  handled: string[];
  /** Calendar events sent (reviews started with calendar invites only). */
  calendar: CalendarEvent[];
  /** Addresses the mail server refused permanently: later notices skip them while another recipient remains. */
  bounced: { address: string; at: number; error: string }[];
  /** Reviewers replaced on a track: they held access, so they still get the closure and disposal notices. */
  formerReviewers: Reviewer[];
  /** Set from patched('notify-former-reviewers'): reviews started before it keep their recorded notices. */
  notifyFormerReviewers: boolean;
  /** Accepted setReleaseDate calls (bounded: see limits.ts). */
  releaseDateMoves?: number;
  /** When the last update was accepted: calendar updates wait until the dates have settled. */
  lastUpdateAt?: number;
  /** Runs of this review before the current one (continue-as-new). */
  continuedRuns?: number;
  /** The access package as completed so far (starts as the request's). */
  package?: AccessPackage;
  /** Accepted completePackage calls (bounded: see limits.ts). */
  packageUpdates?: number;
  /** The closure receipt once signed, or why it was not (reviews started with patch verifiable-record). */
  receipt?: ReceiptState;
}

export function initialState(request: ReviewRequest, now: number, plannedReleaseAt: number | null): ReviewState {
  const policy = resolvePolicy(request.policy);
  return {
    request,
    policy,
    createdAt: now,
    plannedReleaseAt,
    accessGrantedAt: null,
    pauses: [],
    phase: 'awaiting-access',
    outcome: null,
    closedAt: null,
    evaluations: request.evaluations.map((e) => ({
      track: e.track, reviewer: e.reviewer, dueDay: e.dueDay ?? policy.dueDay, dueBusinessDays: e.dueBusinessDays ?? null, assignedAt: now,
      submittedAt: null, severity: null, summary: null,
    })),
    accessHolders: [],
    disposal: [],
    notices: [],
    events: [],
    handled: [],
    calendar: [],
    bounced: [],
    formerReviewers: [],
    notifyFormerReviewers: false,
    ...(request.package ? { package: request.package } : {}),
  };
}

export function toTimelineState(s: ReviewState): TimelineState {
  return {
    timeZone: s.request.timeZone,
    policy: s.policy,
    createdAt: s.createdAt,
    plannedReleaseAt: s.plannedReleaseAt,
    accessGrantedAt: s.accessGrantedAt,
    pauses: s.pauses,
    phase: s.phase,
    closedAt: s.closedAt,
    evaluations: s.evaluations.map((e) => ({
      track: e.track, reviewerId: e.reviewer.id, dueDay: e.dueDay, dueBusinessDays: e.dueBusinessDays, submitted: e.submittedAt !== null, assignedAt: e.assignedAt,
    })),
    disposalPending: s.disposal.filter((d) => d.confirmedAt === null).map((d) => d.party),
  };
}

export const isClosed = (s: ReviewState): boolean => s.phase === 'disposal' || s.phase === 'closed';

/** After close, dates are frozen at the close instant. */
export const referenceTime = (s: ReviewState, now: number): number => (s.closedAt !== null ? Math.min(s.closedAt, now) : now);

export function evaluationDueAt(s: ReviewState, e: EvaluationState, now: number): number | null {
  return evaluationDue(toTimelineState(s), e.dueDay, referenceTime(s, now), e.dueBusinessDays);
}

export function evaluationStatus(s: ReviewState, e: EvaluationState, now: number): EvaluationStatus {
  if (e.submittedAt !== null) return 'submitted';
  if (s.closedAt !== null) return 'not-completed';
  const due = evaluationDueAt(s, e, now);
  return due !== null && now >= due ? 'overdue' : 'pending';
}

export function currentWindowEnd(s: ReviewState, now: number): number | null {
  return windowEnd(toTimelineState(s), referenceTime(s, now));
}

export function recipients(s: ReviewState, audience: Audience): { to: Person[]; timeZone: string } {
  const { to, timeZone } = addressees(s, audience);
  // A refused address is skipped while someone else can still be reached (a lab's other contacts).
  const bounced = new Set(s.bounced.map((b) => b.address.toLowerCase()));
  const deliverable = to.filter((p) => !bounced.has(p.email.toLowerCase()));
  return { to: deliverable.length > 0 ? deliverable : to, timeZone };
}

function addressees(s: ReviewState, audience: Audience): { to: Person[]; timeZone: string } {
  const zone = s.request.timeZone;
  if (audience === 'lab') return { to: s.request.lab.contacts, timeZone: s.request.lab.timeZone };
  if (audience === 'pm') return { to: [s.request.programManager], timeZone: zone };
  if (audience === 'director') return { to: [s.request.director], timeZone: zone };
  const id = audience.slice('reviewer:'.length);
  const r = s.evaluations.find((e) => e.reviewer.id === id)?.reviewer ?? s.request.evaluations.find((e) => e.reviewer.id === id)?.reviewer
    ?? (s.notifyFormerReviewers ? s.formerReviewers.find((x) => x.id === id) : undefined);
  return { to: r ? [r] : [], timeZone: zone };
}

export function reviewerById(s: ReviewState, id: string): Reviewer | undefined {
  return s.evaluations.find((e) => e.reviewer.id === id)?.reviewer;
}

export function buildStatus(s: ReviewState, now: number): ReviewStatus {
  const z = s.request.timeZone;
  const iso = (ms: number | null): string | null => (ms === null ? null : toIso(ms, z));
  const ts = toTimelineState(s);
  const ref = referenceTime(s, now);
  const evaluations: EvaluationView[] = s.evaluations.map((e) => ({
    track: e.track,
    reviewerId: e.reviewer.id,
    reviewerName: e.reviewer.name,
    dueAt: iso(evaluationDueAt(s, e, now)),
    dueBusinessDays: e.dueBusinessDays,
    status: evaluationStatus(s, e, now),
    severity: e.severity,
    summary: e.summary,
    submittedAt: iso(e.submittedAt),
    ...(e.record ? { record: e.record } : {}),
  }));
  return {
    reviewId: s.request.reviewId,
    model: s.request.model,
    lab: { ...(s.request.lab.id !== undefined ? { id: s.request.lab.id } : {}), name: s.request.lab.name, timeZone: s.request.lab.timeZone },
    programManager: s.request.programManager,
    timeZone: z,
    phase: s.phase,
    outcome: s.outcome,
    createdAt: toIso(s.createdAt, z),
    plannedReleaseAt: iso(s.plannedReleaseAt),
    policy: s.policy,
    clock: {
      startedAt: iso(s.accessGrantedAt),
      windowEndsAt: iso(windowEnd(ts, ref)),
      accessDeadlineAt: s.accessGrantedAt === null && s.closedAt === null ? iso(accessDeadline(ts)) : null,
      pausedMs: pausedMs(ts, ref),
      pauseBudgetMs: pauseBudgetMs(ts),
      paused: s.phase === 'paused',
    },
    closedAt: iso(s.closedAt),
    evaluations,
    disposal: s.disposal.map((d) => ({ party: d.party, confirmedAt: iso(d.confirmedAt), by: d.by, ...(d.destroyed ? { destroyed: [...d.destroyed] } : {}) })),
    disposalDueAt: s.phase === 'disposal' || (s.closedAt !== null && s.disposal.length > 0) ? iso(disposalDue(ts)) : null,
    notices: s.notices.map((n) => ({ ...n, to: [...n.to] })),
    events: [...s.events],
    reviewers: reviewersOf(s),
    ...(s.package ? { package: viewPackage(s.package, s.packageUpdates ?? 0) } : {}),
    ...(s.receipt !== undefined ? ('envelope' in s.receipt ? { receipt: s.receipt.envelope } : { receipt: null, receiptError: s.receipt.error }) : {}),
    evidence: evidenceViews(s),
    evidenceRetention: retentionView(s),
  };
}

/** Current, requested and former reviewers, once each (a query only: nothing here reaches the history). */
function reviewersOf(s: ReviewState): { id: string; email: string }[] {
  const seen = new Map<string, string>();
  for (const r of [...s.evaluations.map((e) => e.reviewer), ...s.request.evaluations.map((e) => e.reviewer), ...s.formerReviewers]) {
    if (!seen.has(r.id)) seen.set(r.id, r.email);
  }
  return [...seen].map(([id, email]) => ({ id, email }));
}

/**
 * Status of a review whose start request was refused inside the workflow: every contract field is
 * present (nothing to show), the reason is in `error` and the audit trail.
 */
export function rejectedRequestStatus(reviewId: string, error: string, at: number): ReviewStatus {
  const iso = toIso(at, 'UTC');
  return {
    reviewId,
    model: { name: '', version: '' },
    lab: { name: '', timeZone: 'UTC' },
    programManager: { name: '', email: '' },
    timeZone: 'UTC',
    phase: 'closed',
    outcome: 'cancelled',
    createdAt: iso,
    plannedReleaseAt: null,
    policy: resolvePolicy(undefined),
    clock: { startedAt: null, windowEndsAt: null, accessDeadlineAt: null, pausedMs: 0, pauseBudgetMs: 0, paused: false },
    closedAt: iso,
    evaluations: [],
    disposal: [],
    disposalDueAt: null,
    notices: [],
    events: [{ at: iso, type: 'request-rejected', by: 'system', detail: error }],
    error,
  };
}
