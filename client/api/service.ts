/**
 * What the API and the dashboard do on a person's behalf: every operation checks the role and the scope
 * (access.ts), then goes through the typed client library. Both doors call these, so they cannot disagree.
 */
import { parseInstant, daysRemaining, isValidTimeZone, toIso } from '../../workflows/timeline';
import type { ReviewStatus } from '../../workflows/types';
import { buildExport, chainOf, renderExport } from '../export';
import { recordFromInspectLog } from '../inspect-log';
import type { ReceiptEnvelope } from '../../workflows/record-types';
import type { EvaluationRecord } from '../../workflows/evaluation-record';
import type { ExportFormat } from '../export';
import { buildPlan } from '../plan';
import type { Plan } from '../plan';
import { ReviewError, validateRequest } from '../review-client';
import type { ListFilter, ReviewClient, ReviewSummary, StartedReview, UpdateArg, UpdateName } from '../review-client';
import { FALLBACK_STATUS_MAX, readEntries } from '../read-model/read';
import type { CardCache } from '../read-model/card-cache';
import type { ReadEntry } from '../read-model/read';
import type { ReviewFacts } from '../read-model/facts';
import { argumentScope, factsInScope, hiddenReview, inScope, PLAN_ROLES, READ_ROLES, roleAllowed, START_ROLES, UPDATE_ROLES, viewFor } from './access';
import type { StatusView } from './access';
import type { Principal, Role } from './auth';
import { DEFAULT_PROGRAM_OFFICE_ZONE } from '../../workflows/digest-types';
import type { Phase } from '../../workflows/types';
import { PHASES } from '../review-client';
import { buildMetrics } from '../read-model/metrics';
import type { ProgramMetrics } from '../read-model/metrics';
import { buildPortfolio, OPEN_PHASES, weeksOf } from '../read-model/portfolio';
import type { Portfolio } from '../read-model/portfolio';
import { buildWorkload, DEFAULT_REVIEWER_MAX_OPEN, maxOpenFrom } from '../read-model/workload';
import type { LoadWarning, Workload } from '../read-model/workload';
import { reviewerLoadWarning } from '../read-model/load-check';
import { ApiError, forbidden } from './http-errors';
import { eventFor, viewerOf } from './visibility';

/** Updates whose input names who acted (`by`); submitEvaluation names its reviewer instead. */
const TAKES_BY: ReadonlySet<UpdateName> = new Set<UpdateName>(['grantAccess', 'assignReviewer', 'setReleaseDate', 'pauseClock', 'resumeClock', 'withdraw', 'closeReview', 'cancelReview', 'confirmDisposal', 'completePackage']);

export interface ReviewRow {
  reviewId: string;
  workflowId: string;
  lab: string | null;
  model: { name: string; version: string } | null;
  phase: ReviewStatus['phase'] | null;
  outcome: ReviewStatus['outcome'];
  runStatus: ReviewSummary['status'];
  timeZone: string | null;
  windowEndsAt: string | null;
  /** The phase's next hard deadline: access (awaiting access), window end (in review/paused), disposal. */
  deadline: { kind: 'access-deadline' | 'window-end' | 'disposal-due'; at: string } | null;
  daysRemaining: number | null;
  overdueEvaluations: number;
  criticalFindings: number;
  pendingEvaluations: number;
  startedAt: string;
  /** Set when the review's status could not be read (the row then has only what the search attributes say). */
  error?: string;
}

export interface RowFilter {
  phase?: string;
  lab?: string;
  dueWithinDays?: number;
  /** Reviews naming this reviewer id (PM and director; a reviewer's own list is always theirs). */
  reviewer?: string;
  limit?: number;
  sort?: 'remaining' | 'newest';
}

/** Rows one list request may return. */
export const LIST_MAX = 100;
/** Reviews the portfolio and workload read (open ones), and metrics (all): one visibility query, paged by 1,000. */
export const OFFICE_READ_MAX = 5_000;
export { FALLBACK_STATUS_MAX };

export function deadlineOf(s: ReviewStatus): ReviewRow['deadline'] {
  if (s.phase === 'awaiting-access' && s.clock.accessDeadlineAt) return { kind: 'access-deadline', at: s.clock.accessDeadlineAt };
  if ((s.phase === 'in-review' || s.phase === 'paused') && s.clock.windowEndsAt) return { kind: 'window-end', at: s.clock.windowEndsAt };
  if (s.phase === 'disposal' && s.disposalDueAt) return { kind: 'disposal-due', at: s.disposalDueAt };
  return null;
}

/** The phase's next hard deadline, from a review's facts. */
export function deadlineOfFacts(f: ReviewFacts): ReviewRow['deadline'] {
  const iso = (at: number): string => toIso(at, f.timeZone);
  if (f.phase === 'awaiting-access' && f.accessDeadlineAt !== null) return { kind: 'access-deadline', at: iso(f.accessDeadlineAt) };
  if ((f.phase === 'in-review' || f.phase === 'paused') && f.windowEndsAt !== null) return { kind: 'window-end', at: iso(f.windowEndsAt) };
  if (f.phase === 'disposal' && f.disposalDueAt !== null) return { kind: 'disposal-due', at: iso(f.disposalDueAt) };
  return null;
}

/** A list row: from the review's facts, or (`facts` null: its state could not be read) from the search attributes alone. */
export function rowOf(summary: ReviewSummary, f: ReviewFacts | null, now: number, error?: string): ReviewRow {
  const deadline = f ? deadlineOfFacts(f) : null;
  return {
    reviewId: f?.reviewId ?? summary.reviewId,
    workflowId: summary.workflowId,
    lab: f?.lab.name ?? summary.lab,
    model: f ? f.model : null,
    phase: f?.phase ?? summary.phase,
    outcome: f?.outcome ?? summary.outcome,
    runStatus: summary.status,
    timeZone: f?.timeZone ?? null,
    windowEndsAt: f ? (f.windowEndsAt === null ? null : toIso(f.windowEndsAt, f.timeZone)) : summary.windowEndsAt,
    deadline,
    daysRemaining: deadline && f ? daysRemaining(now, parseInstant(deadline.at) as number, f.timeZone) : null,
    overdueEvaluations: f ? f.evaluations.filter((e) => e.status === 'overdue').length : 0,
    criticalFindings: f ? f.evaluations.filter((e) => e.severity === 'critical').length : 0,
    pendingEvaluations: f ? f.evaluations.filter((e) => e.status === 'pending' || e.status === 'overdue').length : 0,
    startedAt: summary.startedAt,
    ...(error ? { error } : {}),
  };
}

/** Least time remaining first; reviews without a deadline (closed) last, newest first among them. */
export function sortRows(rows: ReviewRow[], sort: RowFilter['sort'] = 'remaining'): ReviewRow[] {
  const newest = (a: ReviewRow, b: ReviewRow): number => Date.parse(b.startedAt) - Date.parse(a.startedAt);
  if (sort === 'newest') return [...rows].sort(newest);
  return [...rows].sort((a, b) => {
    if (a.deadline && b.deadline) return Date.parse(a.deadline.at) - Date.parse(b.deadline.at) || newest(a, b);
    if (a.deadline) return -1;
    if (b.deadline) return 1;
    return newest(a, b);
  });
}

const describeLab = (p: Principal): string => `lab "${p.labId ?? p.lab}"`;

/** submitEvaluation with `inspectLog`: the log's header read into `record` (a digest in record.model.digest is kept). */
function withInspectLog(name: UpdateName, input: unknown): unknown {
  if (name !== 'submitEvaluation' || typeof input !== 'object' || input === null || !('inspectLog' in input)) return input;
  const { inspectLog, record, ...rest } = input as { inspectLog: unknown; record?: Partial<EvaluationRecord> };
  try {
    return { ...rest, record: recordFromInspectLog(inspectLog, { ...(record?.model?.digest ? { modelDigest: record.model.digest } : {}) }) };
  } catch (e) {
    if (e instanceof ReviewError) throw new ApiError(400, 'validation', `inspectLog: ${e.message}`, [{ path: 'inspectLog', message: e.message }]);
    throw e;
  }
}

/** Who sees the office views (portfolio, workload, metrics): every review's figures. */
export const OFFICE_ROLES: Role[] = ['pm', 'director'];

export interface OfficeFilter {
  lab?: string;
  reviewer?: string;
  phase?: string;
}

export interface ServiceOptions {
  /** REVIEWER_MAX_OPEN: open assignments from which assigning one more warns. */
  reviewerMaxOpen?: number;
  /** The zone of program metrics' months (PROGRAM_OFFICE_TIME_ZONE). */
  officeTimeZone?: string;
  /** Lists and office pages read this copy of the cards (read-model/card-cache.ts) instead of listing per request. */
  cache?: CardCache;
}

/** REVIEWER_MAX_OPEN and PROGRAM_OFFICE_TIME_ZONE, checked: a bad value stops the server with a message naming it. */
export function officeOptionsFromEnv(env: Record<string, string | undefined>): ServiceOptions {
  const zone = env.PROGRAM_OFFICE_TIME_ZONE?.trim();
  if (zone && !isValidTimeZone(zone)) throw new Error(`PROGRAM_OFFICE_TIME_ZONE: "${zone.slice(0, 60)}" is not an IANA time zone such as America/New_York`);
  return { reviewerMaxOpen: maxOpenFrom(env), ...(zone ? { officeTimeZone: zone } : {}) };
}

export class ReviewService {
  readonly reviewerMaxOpen: number;
  readonly officeTimeZone: string;
  readonly cache: CardCache | null;

  constructor(readonly reviews: ReviewClient, private readonly clock: () => number = Date.now, options: ServiceOptions = {}) {
    this.reviewerMaxOpen = options.reviewerMaxOpen ?? DEFAULT_REVIEWER_MAX_OPEN;
    this.officeTimeZone = options.officeTimeZone ?? DEFAULT_PROGRAM_OFFICE_ZONE;
    this.cache = options.cache ?? null;
  }

  /** The instant lists and office pages are current as of: the card cache's last listing, or now without one. */
  asOf(): string {
    return this.cache?.asOf() ?? new Date(this.clock()).toISOString();
  }

  /** A write through this server: its reader sees it at once, whatever the visibility store's lag (best effort). */
  private noteWrite(workflowId: string, status: ReviewStatus, sentAt: number): void {
    this.cache?.noteWrite(workflowId, status, this.reviews.labValue(status.lab.id ?? status.lab.name), sentAt);
  }

  /** The review's status if the principal may see it: 404 both when it is unknown and when it is outside the scope. */
  async rawStatus(p: Principal, reviewId: string): Promise<ReviewStatus> {
    roleAllowed(p, READ_ROLES, 'read reviews');
    const everything = p.role === 'pm' || p.role === 'director';
    let s: ReviewStatus;
    try {
      s = await this.reviews.status(reviewId);
    } catch (e) {
      // The same answer as outside the scope, word for word (no namespace or workflow id either).
      if (!everything && e instanceof ReviewError && e.kind === 'not-found') throw hiddenReview(reviewId);
      throw e;
    }
    if (!inScope(p, s)) throw hiddenReview(reviewId);
    return s;
  }

  async status(p: Principal, reviewId: string): Promise<StatusView> {
    return viewFor(p, await this.rawStatus(p, reviewId));
  }

  async update<N extends UpdateName>(p: Principal, name: N, reviewId: string, input: unknown): Promise<StatusView & { warnings?: LoadWarning[] }> {
    roleAllowed(p, UPDATE_ROLES[name], name);
    if (name === 'attachEvidence') throw forbidden('evidence is attached by uploading the file: POST /api/reviews/{reviewId}/evidence');
    const argError = argumentScope(p, name, input);
    if (p.role !== 'pm') {
      // Scope first (404 for someone else's review, as for a missing one), then the argument (403 for acting as someone else).
      await this.rawStatus(p, reviewId);
      if (argError) throw argError;
    }
    // The audit trail records who acted: a lab or reviewer token is its own "by"; a PM may record on someone's
    // behalf, and is the actor when the request names nobody.
    const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? input : null;
    const ownName = record !== null && TAKES_BY.has(name) && !(p.role === 'pm' && 'by' in record);
    const arg = withInspectLog(name, ownName ? { ...record, by: p.name } : input);
    // Checked before the change, so the assignment being made does not count against the reviewer (visibility lags).
    const warning = name === 'assignReviewer' ? await this.assignmentWarning(reviewId, arg) : null;
    const sentAt = Date.now();
    const { status } = await this.reviews.updateThenStatus(name, reviewId, arg as UpdateArg<N>);
    if (this.cache) this.noteWrite(await this.reviews.workflowIdOf(reviewId), status, sentAt);
    return { ...viewFor(p, status), ...(warning ? { warnings: [warning] } : {}) };
  }

  /** A warning when the reviewer an assignment names is already at REVIEWER_MAX_OPEN open assignments; null otherwise or when the input is not one. */
  async assignmentWarning(reviewId: string, arg: unknown): Promise<LoadWarning | null> {
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { track?: unknown; reviewer?: { id?: unknown } };
    if (typeof a.track !== 'string' || typeof a.reviewer?.id !== 'string') return null; // the update refuses it with the reason
    try {
      return await reviewerLoadWarning(this.reviews, a.reviewer.id, { reviewId, track: a.track }, this.clock(), this.reviewerMaxOpen);
    } catch (e) {
      // The check informs; it never stands in the way of the assignment.
      return { kind: 'reviewer-load', reviewerId: a.reviewer.id, open: 0, maxOpen: this.reviewerMaxOpen, assignments: [], message: `could not check reviewer ${a.reviewer.id}'s open assignments: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private async officeFacts(p: Principal, what: string, f: OfficeFilter, phases: Phase[] | undefined): Promise<ReviewFacts[]> {
    roleAllowed(p, OFFICE_ROLES, what);
    if (f.phase !== undefined && !PHASES.includes(f.phase as Phase)) throw new ApiError(400, 'validation', `phase: must be one of ${PHASES.join(', ')}`, [{ path: 'phase', message: `must be one of ${PHASES.join(', ')}` }]);
    const read = await this.visible(p, {
      ...(f.lab !== undefined ? { lab: f.lab } : {}),
      ...(f.reviewer !== undefined ? { reviewer: f.reviewer } : {}),
      ...(f.phase !== undefined ? { phase: f.phase } : phases ? { phases } : {}),
      limit: OFFICE_READ_MAX,
    });
    return read.flatMap((e) => (e.facts ? [e.facts] : []));
  }

  /** Open reviews by phase with their next deadline, due this week and next in `zone`, overdue and critical first. */
  async portfolio(p: Principal, f: OfficeFilter, zone: string): Promise<Portfolio> {
    const facts = await this.officeFacts(p, 'see the portfolio', f, OPEN_PHASES);
    return { ...buildPortfolio(facts, this.clock(), zone), asOf: this.asOf() };
  }

  /** Open assignments per reviewer across reviews. */
  async workload(p: Principal, f: OfficeFilter, zone: string): Promise<Workload> {
    const now = this.clock();
    const facts = await this.officeFacts(p, 'see reviewer workload', f, ['awaiting-access', 'in-review', 'paused']);
    return { ...buildWorkload(facts, now, this.reviewerMaxOpen, weeksOf(now, zone).thisWeek), asOf: this.asOf() };
  }

  /** Program metrics over the last `months` months, in the program office's zone. */
  async metrics(p: Principal, f: OfficeFilter, months = 12): Promise<ProgramMetrics> {
    const facts = await this.officeFacts(p, 'see program metrics', f, undefined);
    return { ...buildMetrics(facts, this.clock(), this.officeTimeZone, months), asOf: this.asOf() };
  }

  async start(p: Principal, input: unknown): Promise<StartedReview> {
    roleAllowed(p, START_ROLES, 'start reviews');
    const sentAt = Date.now();
    const started = await this.reviews.start(input);
    if (this.cache) {
      try {
        this.noteWrite(started.workflowId, await this.reviews.statusAt(started.workflowId, started.reviewId), sentAt);
      } catch {
        // Started all the same: the next listing brings it.
      }
    }
    return started;
  }

  /**
   * The reviews the principal may see, as facts, from one visibility query (paged): scope is a clause of the
   * query, so the server applies it before the limit — a lab's reviews by ReviewLab, a reviewer's by
   * ReviewReviewers. Reviews with a card cost nothing more; each older review costs a status query, at most
   * FALLBACK_STATUS_MAX per request (past that, a PM or director sees it with what its search attributes say).
   */
  async visible(p: Principal, f: Omit<ListFilter, 'lab' | 'reviewer'> & { lab?: string; reviewer?: string }): Promise<ReadEntry[]> {
    roleAllowed(p, READ_ROLES, 'list reviews');
    const own = p.role === 'lab' ? [p.labId, p.lab?.trim()].filter((x): x is string => x !== undefined) : [];
    if (p.role === 'lab' && f.lab !== undefined && !own.includes(f.lab.trim())) throw forbidden(`a token of ${describeLab(p)} may list only that lab's reviews`);
    if (p.role === 'reviewer' && f.reviewer !== undefined && f.reviewer !== p.reviewerId) throw forbidden(`reviewer ${p.reviewerId} may list only their own assignments`);
    const reviewer = p.role === 'reviewer' ? p.reviewerId ?? '' : f.reviewer;
    const filter: ListFilter = {
      ...f,
      ...(p.role === 'lab' ? { lab: own } : f.lab !== undefined ? { lab: f.lab } : {}),
      ...(reviewer !== undefined ? { reviewer } : {}),
    };
    const clearinghouse = p.role === 'pm' || p.role === 'director';
    const now = this.clock();
    let entries;
    if (this.cache) {
      await this.cache.current();
      entries = this.cache.entries(filter, now);
    } else entries = await this.reviews.entries(filter);
    const read = await readEntries(this.reviews, entries, now);
    return read.filter((e) => (e.facts
      ? factsInScope(p, e.facts) && (reviewer === undefined || e.facts.reviewers.some((r) => r.id === reviewer))
      // A review whose state cannot be read shows what the search attributes say, to those who see every review.
      : clearinghouse && reviewer === undefined));
  }

  /** The rows the principal may see (at most LIST_MAX), least time remaining first. */
  async list(p: Principal, f: RowFilter): Promise<ReviewRow[]> {
    const limit = Math.min(f.limit ?? LIST_MAX, LIST_MAX);
    const visible = await this.visible(p, {
      ...(f.phase !== undefined ? { phase: f.phase } : {}),
      ...(f.lab !== undefined ? { lab: f.lab } : {}),
      ...(f.reviewer !== undefined ? { reviewer: f.reviewer } : {}),
      ...(f.dueWithinDays !== undefined ? { dueWithinDays: f.dueWithinDays } : {}),
      limit,
    });
    const now = this.clock();
    return sortRows(visible.map((v) => rowOf(v.summary, v.facts, now, v.error)).slice(0, limit), f.sort);
  }

  async export(p: Principal, reviewId: string, format: ExportFormat): Promise<ReturnType<typeof renderExport>> {
    const raw = await this.rawStatus(p, reviewId);
    // The chain covers the whole trail; what this reader may not see stays in it as hashes only.
    const viewer = viewerOf(p);
    return renderExport(buildExport(viewFor(p, raw), this.clock(), chainOf(raw, (e) => eventFor(viewer, e))), format);
  }

  /** The signed closure receipt: 404 until the review has one. */
  async receipt(p: Principal, reviewId: string): Promise<ReceiptEnvelope> {
    const s = await this.rawStatus(p, reviewId);
    if (!s.receipt) {
      const why = s.closedAt === null ? 'the review has not closed yet' : s.receiptError && (p.role === 'pm' || p.role === 'director') ? `it was not signed: ${s.receiptError}` : 'no receipt was signed for it';
      throw new ApiError(404, 'not-found', `review ${reviewId} has no closure receipt: ${why}`);
    }
    return s.receipt;
  }

  /** The plan preview of a request: validated as a start would be, at `startAt`. */
  plan(p: Principal, input: { request: unknown; startAt?: string; accessGrantedAt?: string }): Plan {
    roleAllowed(p, PLAN_ROLES, 'preview plans');
    const startAt = input.startAt === undefined ? this.clock() : parseInstant(input.startAt);
    if (startAt === null) throw new ApiError(400, 'validation', 'startAt: must be an ISO 8601 date-time with an offset', [{ path: 'startAt', message: 'must be an ISO 8601 date-time with an offset' }]);
    let grant: number | 'never' | undefined;
    if (input.accessGrantedAt === 'never') grant = 'never';
    else if (input.accessGrantedAt !== undefined) {
      const g = parseInstant(input.accessGrantedAt);
      if (g === null) throw new ApiError(400, 'validation', 'accessGrantedAt: must be an ISO 8601 date-time with an offset, or "never"', [{ path: 'accessGrantedAt', message: 'must be an ISO 8601 date-time with an offset, or "never"' }]);
      grant = g;
    }
    let request;
    try {
      request = validateRequest(input.request, startAt);
    } catch (e) {
      if (e instanceof ReviewError) throw new ApiError(400, 'validation', e.message, e.issues.map((i) => ({ path: i.path ? `request.${i.path}` : 'request', message: i.message })));
      throw e;
    }
    return buildPlan(request, { startAt, ...(grant !== undefined ? { accessGrantedAt: grant } : {}) });
  }
}
