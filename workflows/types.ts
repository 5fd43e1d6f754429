/** Shared shapes of the review: defined once, imported by the workflow, the activities and the client. */

export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Phase = 'awaiting-access' | 'in-review' | 'paused' | 'disposal' | 'closed';
export type Outcome = 'completed' | 'expired' | 'withdrawn' | 'lapsed' | 'cancelled';
export type EvaluationStatus = 'pending' | 'submitted' | 'overdue' | 'not-completed';

export const NOTICE_KINDS = [
  'intake-ack',
  'access-reminder',
  'review-lapsed',
  'clock-started',
  'reviewer-assigned',
  'reviewer-reminder',
  'evaluation-overdue',
  'director-escalation',
  'critical-finding',
  'close-reminder',
  'ready-to-close',
  'review-closed',
  'disposal-request',
  'disposal-overdue',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface Person {
  name: string;
  email: string;
}
export interface Reviewer extends Person {
  id: string;
}

export interface Policy {
  windowDays: number;
  accessReminderDays: number[];
  accessGrantDeadlineDays: number;
  closeReminderDays: number[];
  dueDay: number;
  reviewerReminderDays: number[];
  directorEscalationDays: number;
  maxPauseDays: number;
  disposalDays: number;
}

export interface EvaluationRequest {
  track: string;
  reviewer: Reviewer;
  dueDay?: number;
}

export interface ReviewRequest {
  reviewId: string;
  model: { name: string; version: string };
  lab: { name: string; timeZone: string; contacts: Person[] };
  programManager: Person;
  director: Person;
  evaluations: EvaluationRequest[];
  plannedReleaseAt?: string;
  timeZone: string;
  policy?: Partial<Policy>;
}

// ---- update arguments (one object each, see DESIGN.md) ----
export interface ActorInput {
  by: string;
  reason?: string;
}
export type GrantAccessInput = { by: string };
export type AssignReviewerInput = { track: string; reviewer: Reviewer; dueDay?: number };
export type SubmitEvaluationInput = { track: string; reviewerId: string; severity: Severity; summary: string };
export type SetReleaseDateInput = { plannedReleaseAt: string };
export type CancelInput = { by: string; reason: string };
export type ConfirmDisposalInput = { party: string; by: string; note?: string };

/** Who a notice is addressed to: one audience per notice, so each e-mail has one set of dates and one call to action. */
export type Audience = 'lab' | 'pm' | 'director' | `reviewer:${string}`;

export type NoticeState = 'sending' | 'sent' | 'failed' | 'superseded';

export interface NoticeRecord {
  id: string;
  kind: NoticeKind;
  audience: Audience;
  to: string[];
  at: string;
  state: NoticeState;
  messageId?: string;
  error?: string;
  track?: string;
}

export interface AuditEvent {
  at: string;
  type: string;
  by: string;
  detail: string;
}

export interface EvaluationView {
  track: string;
  reviewerId: string;
  reviewerName: string;
  dueAt: string | null;
  status: EvaluationStatus;
  severity: Severity | null;
  summary: string | null;
  submittedAt: string | null;
}

export interface ReviewStatus {
  reviewId: string;
  model: { name: string; version: string };
  lab: { name: string; timeZone: string };
  timeZone: string;
  phase: Phase;
  outcome: Outcome | null;
  createdAt: string;
  plannedReleaseAt: string | null;
  policy: Policy;
  clock: {
    startedAt: string | null;
    windowEndsAt: string | null;
    accessDeadlineAt: string | null;
    pausedMs: number;
    pauseBudgetMs: number;
    paused: boolean;
  };
  closedAt: string | null;
  evaluations: EvaluationView[];
  disposal: { party: string; confirmedAt: string | null; by: string | null }[];
  disposalDueAt: string | null;
  notices: NoticeRecord[];
  events: AuditEvent[];
}

/** What the workflow hands the notice activity: everything a template needs, nothing it must look up. */
export interface NoticePayload {
  id: string;
  kind: NoticeKind;
  audience: Audience;
  to: { name: string; email: string }[];
  reviewId: string;
  model: { name: string; version: string };
  labName: string;
  recipientTimeZone: string;
  reviewTimeZone: string;
  /** Instants the text refers to, ISO with offset. */
  dates: Record<string, string>;
  facts: Record<string, string | number | boolean>;
  findings?: { track: string; severity: Severity | null; status: EvaluationStatus }[];
}

export interface NoticeResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
}
