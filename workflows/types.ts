/** Shared shapes of the review: defined once, imported by the workflow, the activities and the client. */
import type { AccessPackage, PackageView } from './access-package';
import type { EvaluationRecord } from './evaluation-record';
import type { ReceiptEnvelope } from './record-types';
import type { EvidenceRetentionView, EvidenceView } from './evidence';

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
  /** The model a reviewer evaluated is not the one in the access package (its digest or API version): the PM is told at once. */
  'evaluated-model-mismatch',
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
  /** Due this many calendar days after the clock start (default policy.dueDay). */
  dueDay?: number;
  /** Alternative to dueDay: due this many business days (US federal calendar) after the clock start. */
  dueBusinessDays?: number;
}

/** A review's own webhook: every notice of the review is POSTed there too (see activities/webhooks.ts). */
export interface WebhookTarget {
  url: string;
}

export interface ReviewRequest {
  reviewId: string;
  model: { name: string; version: string };
  /**
   * `id`: the lab's stable identity, which lab tokens are bound to (the name is only shown). Optional for
   * requests written before it existed; such a review is matched by its name.
   */
  lab: { id?: string; name: string; timeZone: string; contacts: Person[] };
  programManager: Person;
  director: Person;
  evaluations: EvaluationRequest[];
  plannedReleaseAt?: string;
  timeZone: string;
  policy?: Partial<Policy>;
  /** Optional: endpoints (chat tools, ticketing) that receive a signed JSON copy of every notice. */
  webhooks?: WebhookTarget[];
  /** Events one run may record before the review continues as new (default and maximum: limits.ts). */
  historyBudget?: { events?: number };
  /** Optional: what the lab hands over (access-package.ts); missing items are listed in notices and can be completed later. */
  package?: AccessPackage;
}

// ---- update arguments (one object each, see DESIGN.md) ----
export interface ActorInput {
  by: string;
  reason?: string;
}
export type GrantAccessInput = { by: string };
/** `by`: who acted, for the audit trail (default 'pm'). */
export type AssignReviewerInput = { track: string; reviewer: Reviewer; dueDay?: number; dueBusinessDays?: number; by?: string };
/** `record`: how the result can be reproduced (evaluation-record.ts). */
export type SubmitEvaluationInput = { track: string; reviewerId: string; severity: Severity; summary: string; record?: EvaluationRecord };
/** `by`: who acted, for the audit trail (default 'lab'). */
export type SetReleaseDateInput = { plannedReleaseAt: string; by?: string };
export type CancelInput = { by: string; reason: string };
/** `destroyed`: digests (sha256:…) of the evidence files the party attests it destroyed (workflows/evidence.ts). */
export type ConfirmDisposalInput = { party: string; by: string; note?: string; destroyed?: string[] };

/** Who a notice is addressed to: one audience per notice, so each e-mail has one set of dates and one call to action. */
export const UPDATE_NAMES = [
  'grantAccess', 'assignReviewer', 'submitEvaluation', 'setReleaseDate', 'pauseClock', 'resumeClock', 'withdraw', 'closeReview', 'cancelReview', 'confirmDisposal',
  'completePackage',
  'attachEvidence',
] as const;
export type UpdateName = (typeof UPDATE_NAMES)[number];

/**
 * What an accepted update answers: a few hundred bytes. Temporal stores every update result in the
 * history, so the full status (which grows with every update) is never returned: read it with `status`.
 */
export interface UpdateAck {
  reviewId: string;
  update: UpdateName;
  phase: Phase;
  outcome: Outcome | null;
  /** ISO with offset in the review's zone; null before access is granted. */
  windowEndsAt: string | null;
  /** What the update changed, as the audit trail says it (at most 300 characters). */
  detail: string;
  /** For a limited action (release-date changes, pauses, reassignments of this track): how many more are accepted. */
  remaining?: number;
}

/** What a review's workflow returns when it completes. */
export interface ReviewResult {
  reviewId: string;
  phase: 'closed';
  outcome: Outcome | null;
  closedAt: string | null;
  error?: string;
}

export type Audience = 'lab' | 'pm' | 'director' | `reviewer:${string}`;

/**
 * `suppressed`: just before sending, the reason for the notice no longer held (e.g. an overdue notice for
 * an evaluation submitted a moment earlier); `reason` says why.
 */
export type NoticeState = 'sending' | 'sent' | 'failed' | 'superseded' | 'suppressed';

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
  /** Addresses the mail server refused permanently (5xx); the program manager is alerted once per address. */
  rejected?: string[];
  /** Why a notice was suppressed. */
  reason?: string;
  /** Calendar events carried: `REQUEST uid#sequence` or `CANCEL uid#sequence`. */
  invites?: string[];
  /** The webhook copy, when webhooks are configured: delivered to `targets` endpoints, or failed. */
  webhook?: { state: 'sent' | 'failed'; targets: number; error?: string };
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
  /** Set when the due date counts business days rather than calendar days. */
  dueBusinessDays: number | null;
  status: EvaluationStatus;
  severity: Severity | null;
  summary: string | null;
  submittedAt: string | null;
  /** How the result can be reproduced, when the reviewer gave it. */
  record?: EvaluationRecord | null;
}

export interface ReviewStatus {
  reviewId: string;
  model: { name: string; version: string };
  /** `id`: absent for reviews requested without one (they are matched by name). */
  lab: { id?: string; name: string; timeZone: string };
  programManager: Person;
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
  /** `destroyed`: the digests the party attested it destroyed (absent when it attested none). */
  disposal: { party: string; confirmedAt: string | null; by: string | null; destroyed?: string[] }[];
  disposalDueAt: string | null;
  /** Evidence files recorded (claim checks: the files are in the evidence store); absent from older workers. */
  evidence?: EvidenceView[];
  /** When the files are deleted (the lab's retention after close); null while the review has none. */
  evidenceRetention?: EvidenceRetentionView | null;
  notices: NoticeRecord[];
  events: AuditEvent[];
  /**
   * Every reviewer who holds or held an assignment, with the address their token is bound to (the API checks a
   * reviewer token's id and e-mail against it). Clearinghouse-only in every view; absent from older workers.
   */
  reviewers?: { id: string; email: string }[];
  /** The access package and what is missing from it (absent when the request had none). */
  package?: PackageView;
  /** The signed closure receipt (DSSE envelope), from close on, for reviews started with it (patch verifiable-record). */
  receipt?: ReceiptEnvelope | null;
  /** Why the closure receipt could not be signed (no signing key configured, signing failed). */
  receiptError?: string;
  /** Set only when the start request was refused inside the workflow (it bypassed the client's check). */
  error?: string;
}

/** Instants a notice may refer to (ISO with offset, review zone). */
export interface NoticeDates {
  accessDeadlineAt?: string;
  releaseAt?: string;
  startedAt?: string;
  windowEndsAt?: string;
  dueAt?: string;
  submittedAt?: string;
  closedAt?: string;
  disposalDueAt?: string;
  /** For an updated calendar date: where it was before. */
  previousAt?: string;
}
export type NoticeDateKey = keyof NoticeDates;

/** Everything else a template may say, typed; each kind uses the fields its template names. */
export interface NoticeFacts {
  /** When the workflow issued the notice: "days remaining" are counted from here. */
  now?: string;
  windowDays?: number;
  daysRemaining?: number;
  track?: string;
  reviewerName?: string;
  summary?: string;
  tracks?: number;
  outcome?: Outcome;
  reason?: string;
  party?: string;
  by?: string;
  severity?: Severity;
  level?: number;
  /** A date of an earlier notice moved: this one carries the updated calendar event. */
  update?: boolean;
  /** The recipient was replaced on the track: the calendar event is cancelled for them. */
  unassigned?: boolean;
  /** Business days, when the due date counts them. */
  dueBusinessDays?: number;
  /** Access-package items still missing (itemLabel words), for the intake acknowledgement and access reminders. */
  packageMissing?: string[];
  /** Why the evaluated model differs from the package's. */
  mismatch?: string;
  /** disposal-request: what the recipient holds (model access, evidence files with their digests). */
  holdings?: string[];
}

/** A calendar event a notice carries: which deadline, its revision, and whether it is set or cancelled. */
export interface InviteSpec {
  /** `window-end` or `due:<track>`: with the review id, the event's stable UID. */
  key: string;
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  /** The deadline, ISO with offset. */
  at: string;
  track?: string;
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
  dates: NoticeDates;
  facts: NoticeFacts;
  findings?: { track: string; severity: Severity | null; status: EvaluationStatus }[];
  /** Calendar events (RFC 5545) to attach. */
  invites?: InviteSpec[];
  /** The review's first run id: scopes the delivery ledger (a retry or a reset keeps it; a reused review id does not). */
  runKey?: string;
  /** Ask the workflow, just before sending, whether the notice's reason still holds. */
  checkBeforeSend?: boolean;
  /** The review's own webhook endpoints (global ones come from the worker's configuration). */
  webhooks?: string[];
  /**
   * Delivery side effects done by the notice activity itself (reviews started with patch
   * `delivery-in-activity`): the webhook copy when the review has no webhooks of its own (so the workflow
   * never decides from a worker's configuration), and the alert to the program manager when an address is
   * refused (so no command is ever scheduled from an activity's result).
   */
  inline?: { webhookCopy: boolean; programManager: Person };
  /** The signed closure receipt the lab's review-closed mail carries as an attachment. */
  receipt?: ReceiptEnvelope;
}

export interface NoticeResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
  /** The server's reply to the refused recipients, when some were refused. */
  rejectedResponse?: string;
  /** Set when the notice was not sent because its reason no longer held. */
  suppressed?: string;
  /** Global webhook endpoints configured on the worker that sent it. */
  webhookTargets?: number;
  /** The webhook copy posted by the notice activity itself (payload `inline.webhookCopy`), when there was a target. */
  webhook?: { targets: number; delivered: number; error?: string };
}

/**
 * What the notices of one workflow task share: sent once per batch rather than once per notice (patch
 * review-core-v3). `now` is each notice's `facts.now`, the moment of the task.
 */
export type NoticeShared = Pick<NoticePayload, 'reviewId' | 'model' | 'labName' | 'reviewTimeZone' | 'runKey' | 'webhooks' | 'inline'> & { now?: string };

/** The notices one workflow task created, sent by one `sendNotices` activity. */
export interface NoticeBatch {
  shared: NoticeShared;
  notices: Omit<NoticePayload, Exclude<keyof NoticeShared, 'now'>>[];
  /** compact-history: results leave out a Message-ID that is the notice id's default one (workflows/message-id.ts). */
  compact?: true;
}

/**
 * One notice's outcome in a batch, in the order of the batch's notices. A permanent rejection is an outcome, not
 * a failure of the batch; temporary trouble with any notice fails the batch, which is retried (the ledger keeps
 * the notices that went out from going twice). The result carries only what the workflow records.
 */
export type NoticeOutcome =
  | { sent: Partial<Pick<NoticeResult, 'messageId'>> & Pick<NoticeResult, 'rejectedResponse' | 'suppressed' | 'webhook'> & { rejected?: string[]; response?: string } }
  | { refused: { message: string; rejected: string[]; response: string } };

/** An alert to the program manager about delivery itself (not a review notice): a refused address. */
export interface DeliveryAlert {
  id: string;
  kind: 'address-rejected';
  reviewId: string;
  model: { name: string; version: string };
  programManager: Person;
  noticeId: string;
  noticeKind: NoticeKind;
  audience: Audience;
  address: string;
  error: string;
  runKey?: string;
  webhooks?: string[];
}

export interface WebhookResult {
  targets: number;
  delivered: number;
  /** Not posted: the notice's reason no longer held. */
  suppressed?: string;
}
