/**
 * What the API and the dashboard do on a person's behalf: every operation checks the role and the scope
 * (access.ts), then goes through the typed client library. Both doors call these, so they cannot disagree.
 */
import { parseInstant, daysRemaining } from '../../workflows/timeline';
import type { ReviewStatus } from '../../workflows/types';
import { buildExport, renderExport } from '../export';
import type { ExportFormat } from '../export';
import { buildPlan } from '../plan';
import type { Plan } from '../plan';
import { ReviewError, validateRequest } from '../review-client';
import type { ListFilter, ReviewClient, ReviewSummary, StartedReview, UpdateArg, UpdateName } from '../review-client';
import { argumentScope, hiddenReview, inScope, PLAN_ROLES, READ_ROLES, roleAllowed, START_ROLES, UPDATE_ROLES, viewFor } from './access';
import type { StatusView } from './access';
import type { Principal } from './auth';
import { ApiError, forbidden } from './http-errors';

/** Updates whose input names who acted (`by`); submitEvaluation names its reviewer instead. */
const TAKES_BY: ReadonlySet<UpdateName> = new Set<UpdateName>(['grantAccess', 'assignReviewer', 'setReleaseDate', 'pauseClock', 'resumeClock', 'withdraw', 'closeReview', 'cancelReview', 'confirmDisposal']);

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
  limit?: number;
  sort?: 'remaining' | 'newest';
}

const STATUS_CONCURRENCY = 6;
/** Rows one list request may return (each costs a status query). */
export const LIST_MAX = 100;
/**
 * Reviews a reviewer's list request may examine: no search attribute names reviewers, so their scope is found by
 * reading each review's status, newest first, until `limit` rows are in scope or this many were read.
 */
export const REVIEWER_SCAN_MAX = 200;

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function deadlineOf(s: ReviewStatus): ReviewRow['deadline'] {
  if (s.phase === 'awaiting-access' && s.clock.accessDeadlineAt) return { kind: 'access-deadline', at: s.clock.accessDeadlineAt };
  if ((s.phase === 'in-review' || s.phase === 'paused') && s.clock.windowEndsAt) return { kind: 'window-end', at: s.clock.windowEndsAt };
  if (s.phase === 'disposal' && s.disposalDueAt) return { kind: 'disposal-due', at: s.disposalDueAt };
  return null;
}

export function rowOf(summary: ReviewSummary, s: ReviewStatus | null, now: number, error?: string): ReviewRow {
  const deadline = s ? deadlineOf(s) : null;
  return {
    reviewId: summary.reviewId,
    workflowId: summary.workflowId,
    lab: s?.lab.name ?? summary.lab,
    model: s ? s.model : null,
    phase: s?.phase ?? summary.phase,
    outcome: s?.outcome ?? summary.outcome,
    runStatus: summary.status,
    timeZone: s?.timeZone ?? null,
    windowEndsAt: s?.clock.windowEndsAt ?? summary.windowEndsAt,
    deadline,
    daysRemaining: deadline && s ? daysRemaining(now, parseInstant(deadline.at) as number, s.timeZone) : null,
    overdueEvaluations: s ? s.evaluations.filter((e) => e.status === 'overdue').length : 0,
    criticalFindings: s ? s.evaluations.filter((e) => e.severity === 'critical').length : 0,
    pendingEvaluations: s ? s.evaluations.filter((e) => e.status === 'pending' || e.status === 'overdue').length : 0,
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

export class ReviewService {
  constructor(readonly reviews: ReviewClient, private readonly clock: () => number = Date.now) {}

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

  async update<N extends UpdateName>(p: Principal, name: N, reviewId: string, input: unknown): Promise<StatusView> {
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
    const arg = ownName ? { ...record, by: p.name } : input;
    const { status } = await this.reviews.updateThenStatus(name, reviewId, arg as UpdateArg<N>);
    return viewFor(p, status);
  }

  async start(p: Principal, input: unknown): Promise<StartedReview> {
    roleAllowed(p, START_ROLES, 'start reviews');
    return this.reviews.start(input);
  }

  /**
   * The rows the principal may see. Scope comes before the limit: a lab's reviews are selected by the search
   * attribute (its id, and its name for reviews requested without one); a reviewer's by reading statuses
   * newest first up to REVIEWER_SCAN_MAX. At most LIST_MAX rows, so at most that many status queries (a
   * reviewer: at most REVIEWER_SCAN_MAX).
   */
  async list(p: Principal, f: RowFilter): Promise<ReviewRow[]> {
    roleAllowed(p, READ_ROLES, 'list reviews');
    const limit = Math.min(f.limit ?? LIST_MAX, LIST_MAX);
    const own = p.role === 'lab' ? [p.labId, p.lab?.trim()].filter((x): x is string => x !== undefined) : [];
    if (p.role === 'lab' && f.lab !== undefined && !own.includes(f.lab.trim())) throw forbidden(`a token of ${describeLab(p)} may list only that lab's reviews`);
    const filter: ListFilter = {
      ...(f.phase !== undefined ? { phase: f.phase } : {}),
      ...(p.role === 'lab' ? { lab: own } : f.lab !== undefined ? { lab: f.lab } : {}),
      ...(f.dueWithinDays !== undefined ? { dueWithinDays: f.dueWithinDays } : {}),
      limit: p.role === 'reviewer' ? REVIEWER_SCAN_MAX : limit,
    };
    const summaries = await this.reviews.list(filter);
    const now = this.clock();
    const rowFor = async (summary: ReviewSummary): Promise<ReviewRow | null> => {
      try {
        const s = await this.reviews.status(summary.reviewId);
        return inScope(p, s) ? rowOf(summary, s, now) : null;
      } catch (e) {
        // A review whose state cannot be read shows what the search attributes say, to those who see every review.
        if (p.role !== 'pm' && p.role !== 'director') return null;
        return rowOf(summary, null, now, e instanceof Error ? e.message : String(e));
      }
    };
    const rows: ReviewRow[] = [];
    // In batches, stopping once `limit` rows are in scope (a reviewer's scan reads no more than it needs).
    for (let i = 0; i < summaries.length && rows.length < limit; i += STATUS_CONCURRENCY) {
      const batch = await mapLimited(summaries.slice(i, i + STATUS_CONCURRENCY), STATUS_CONCURRENCY, rowFor);
      rows.push(...batch.filter((r): r is ReviewRow => r !== null));
    }
    return sortRows(rows.slice(0, limit), f.sort);
  }

  async export(p: Principal, reviewId: string, format: ExportFormat): Promise<ReturnType<typeof renderExport>> {
    const view = await this.status(p, reviewId);
    return renderExport(buildExport(view, this.clock()), format);
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
