/**
 * The typed client library: every way a person acts on a review, validated here with the same functions
 * the workflow uses (so a bad input fails before it reaches Temporal, with the same field path), then sent
 * as a Temporal update/query. All failures surface as ReviewError.
 */
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import type { WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ConfigError, loadConfig } from '../shared/config';
import type { AppConfig } from '../shared/config';
import { encryptingDataConverter, loadKeyRing } from '../shared/encryption';
import type { KeyRing } from '../shared/encryption';
import * as m from '../workflows/messages';
import { LAB_SA, OUTCOME_SA, PHASE_SA, REVIEWERS_SA, startingSearchAttributes, UPDATED_AT_SA, WINDOW_ENDS_SA } from '../workflows/search-attributes';
import type { Outcome, Phase, ReviewStatus, UpdateAck } from '../workflows/types';
import { isValidTimeZone } from '../workflows/timeline';
import { parseAttachEvidence } from '../workflows/evidence';
import * as v from '../workflows/validation';
import { ensureDigestSchedule } from './digest-schedule';
import type { EnsureResult } from './digest-schedule';
import { asReviewError, ReviewError, unreachable } from './errors';
import { labSearchValue, labSearchValues } from './lab-search';
import { opaqueIdsFromEnv, WorkflowIds } from './workflow-ids';
import { cardIn } from './read-model/facts';
import type { ReviewCard } from '../workflows/review-card';
import type { ReviewFacts } from './read-model/facts';
import { probe } from './probe';
import type { ErrorContext } from './errors';

export { ReviewError } from './errors';
export type { ReviewErrorKind } from './errors';

export const PHASES: readonly Phase[] = ['awaiting-access', 'in-review', 'paused', 'disposal', 'closed'];
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How long one call waits for the server and a worker to answer. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

interface UpdateSpec<A> {
  def: UpdateDefinition<UpdateAck, [A]>;
  parse: (input: unknown) => A;
}
const spec = <A>(def: UpdateDefinition<UpdateAck, [A]>, parse: (input: unknown) => A): UpdateSpec<A> => ({ def, parse });

/** Every update of the contract, with its client-side validation. */
export const UPDATES = {
  grantAccess: spec(m.grantAccessUpdate, v.parseGrantAccess),
  assignReviewer: spec(m.assignReviewerUpdate, v.parseAssignReviewer),
  submitEvaluation: spec(m.submitEvaluationUpdate, v.parseSubmitEvaluation),
  setReleaseDate: spec(m.setReleaseDateUpdate, v.parseSetReleaseDate),
  pauseClock: spec(m.pauseClockUpdate, v.parseActor),
  resumeClock: spec(m.resumeClockUpdate, v.parseActor),
  withdraw: spec(m.withdrawUpdate, v.parseActor),
  closeReview: spec(m.closeReviewUpdate, v.parseActor),
  cancelReview: spec(m.cancelReviewUpdate, v.parseCancel),
  confirmDisposal: spec(m.confirmDisposalUpdate, v.parseConfirmDisposal),
  completePackage: spec(m.completePackageUpdate, v.parseCompletePackage),
  /** Records a file already in the evidence store (the API's upload does both: client/api/evidence.ts). */
  attachEvidence: spec(m.attachEvidenceUpdate, parseAttachEvidence),
};
export type UpdateName = keyof typeof UPDATES;
export type UpdateArg<N extends UpdateName> = (typeof UPDATES)[N] extends UpdateSpec<infer A> ? A : never;

export type RunStatus = 'running' | 'completed' | 'failed' | 'terminated' | 'cancelled' | 'timed-out' | 'other';

export interface ReviewSummary {
  reviewId: string;
  workflowId: string;
  phase: Phase | null;
  lab: string | null;
  /** UTC ISO instant (search attributes carry no zone); null before access is granted. */
  windowEndsAt: string | null;
  outcome: Outcome | null;
  status: RunStatus;
  startedAt: string;
}

export interface StartedReview {
  reviewId: string;
  workflowId: string;
  runId: string;
}

export interface ListFilter {
  phase?: string;
  /** A lab's id or name; several: any of them (a lab token bound to an id, with the name of its older reviews). */
  lab?: string | string[];
  /** Only reviews whose window ends within this many days from now (ReviewWindowEndsAt between now and now + N days). */
  dueWithinDays?: number;
  /** Any of these phases (with `phase`: both must hold). */
  phases?: Phase[];
  /**
   * Reviews that name this reviewer id (ReviewReviewers, since review-card), and reviews started before review-card
   * (no such attribute: their scope is checked on their status by the caller).
   */
  reviewer?: string;
  /** At most this many reviews, newest first. Default 100. */
  limit?: number;
}

/** A review from the visibility store, with its card (null for reviews started before review-card). */
export interface ReviewEntry {
  summary: ReviewSummary;
  card: ReviewCard | null;
  /** The review's facts as this server read them after its own write (newer than the card visibility holds yet). */
  facts?: ReviewFacts;
}

/** A review as the card cache (read-model/card-cache.ts) keeps it: the entry and the search attributes it filters on. */
export interface ScannedEntry extends ReviewEntry {
  /** ReviewLab as stored (a pseudonym when payloads are encrypted). */
  labValue: string | null;
  /** ReviewReviewers; null when the review has none (started before review-card). */
  reviewerIds: string[] | null;
  /** ReviewUpdatedAt (ms); null before compact-history. */
  updatedAt: number | null;
  startedAtMs: number;
}

export interface ReviewClientOptions {
  taskQueue?: string;
  /** For error messages only. */
  address?: string;
  callTimeoutMs?: number;
  /** The payload-encryption key ring the Client's data converter uses; the lab search attribute is then a pseudonym. */
  keyRing?: KeyRing | null;
  /** Opaque workflow ids (workflow-ids.ts; needs the key ring). Default: `review-<reviewId>`. */
  opaqueWorkflowIds?: boolean;
}

/** Review id → workflow id lookups remembered at most (opaque ids: each costs a describe the first time). */
const RESOLVED_MAX = 10_000;

/** Throws a 'validation' ReviewError when `input` is not a valid argument of update `name`. */
export function validateUpdate<N extends UpdateName>(name: N, input: unknown): UpdateArg<N> {
  try {
    return (UPDATES[name] as unknown as UpdateSpec<UpdateArg<N>>).parse(input);
  } catch (e) {
    if (e instanceof v.ValidationError) throw new ReviewError('validation', `invalid ${name}: ${e.message}`, e.issues, { cause: e });
    throw e;
  }
}

/** Throws a 'validation' ReviewError naming the field paths when `input` is not a valid ReviewRequest. */
export function validateRequest(input: unknown, now = Date.now()): ReturnType<typeof v.parseReviewRequest> {
  try {
    const request = v.parseReviewRequest(input, now);
    v.checkDisplayNames(request);
    return request;
  } catch (e) {
    if (e instanceof v.ValidationError) throw new ReviewError('validation', `invalid review request: ${e.message}`, e.issues, { cause: e });
    throw e;
  }
}

/** Throws a 'validation' ReviewError naming the field when a list filter's phase(s) or dueWithinDays is not one a list takes. */
export function checkListFilter(filter: ListFilter): void {
  if (filter.phase !== undefined && !PHASES.includes(filter.phase as Phase)) {
    throw new ReviewError('validation', `phase: must be one of ${PHASES.join(', ')}`, [{ path: 'phase', message: `must be one of ${PHASES.join(', ')}` }]);
  }
  if (filter.dueWithinDays !== undefined && (!Number.isInteger(filter.dueWithinDays) || filter.dueWithinDays < 0 || filter.dueWithinDays > 3650)) {
    throw new ReviewError('validation', 'dueWithinDays: must be a whole number of days from 0 to 3650', [{ path: 'dueWithinDays', message: 'must be a whole number of days from 0 to 3650' }]);
  }
  if (filter.phases !== undefined && (filter.phases.length === 0 || filter.phases.some((ph) => !PHASES.includes(ph)))) {
    throw new ReviewError('validation', `phases: each must be one of ${PHASES.join(', ')}`, [{ path: 'phases', message: `each must be one of ${PHASES.join(', ')}` }]);
  }
}

/** Visibility query literal: single-quoted, with backslash escapes. */
const literal = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function runStatus(info: WorkflowExecutionInfo): RunStatus {
  switch (info.status.name) {
    case 'RUNNING': return 'running';
    case 'COMPLETED': return 'completed';
    case 'FAILED': return 'failed';
    case 'TERMINATED': return 'terminated';
    case 'CANCELLED': return 'cancelled';
    case 'TIMED_OUT': return 'timed-out';
    default: return 'other';
  }
}

export class ReviewClient {
  readonly taskQueue: string;
  private readonly address: string;
  private readonly callTimeoutMs: number;
  private readonly keyRing: KeyRing | null;
  readonly workflowIds: WorkflowIds;
  private readonly resolved = new Map<string, string>();

  constructor(readonly client: Client, options: ReviewClientOptions = {}) {
    this.taskQueue = options.taskQueue ?? m.TASK_QUEUE_DEFAULT;
    this.address = options.address ?? 'the Temporal server';
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.keyRing = options.keyRing ?? null;
    this.workflowIds = new WorkflowIds(this.keyRing, options.opaqueWorkflowIds ?? false);
  }

  /** Connects with the environment's configuration (TEMPORAL_*, profiles; TASK_QUEUE; FRONTIER_REVIEW_KEYS for payload encryption). */
  static async connect(options: { env?: Record<string, string | undefined>; connectTimeoutMs?: number; callTimeoutMs?: number } = {}): Promise<ReviewClient> {
    let config: AppConfig;
    let keyRing: KeyRing | null;
    let opaqueWorkflowIds: boolean;
    try {
      config = loadConfig(options.env);
      keyRing = loadKeyRing(options.env ?? process.env);
    } catch (e) {
      // Bad connection settings or encryption keys: nothing to retry until the environment is fixed.
      throw new ReviewError('unavailable', e instanceof ConfigError ? e.message : `invalid encryption keys: ${(e as Error).message}`, [], { cause: e });
    }
    try {
      opaqueWorkflowIds = opaqueIdsFromEnv(options.env ?? process.env, keyRing);
    } catch (e) {
      throw new ReviewError('validation', (e as Error).message, [], { cause: e });
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const { address, tls, apiKey, metadata } = config.connectionOptions;
    let connection: Connection;
    try {
      await probe(config.address, connectTimeoutMs, options.env);
      connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: connectTimeoutMs });
    } catch (e) {
      const msg = (e as Error).message;
      throw unreachable({ address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, timeoutMs: connectTimeoutMs },
        /deadline/i.test(msg) ? `no connection within ${connectTimeoutMs / 1000} s` : msg);
    }
    const dataConverter = keyRing ? encryptingDataConverter(keyRing) : undefined;
    const client = new Client({ connection, namespace: config.namespace, dataConverter });
    return new ReviewClient(client, { taskQueue: config.taskQueue, address: config.address, callTimeoutMs: options.callTimeoutMs, keyRing, opaqueWorkflowIds });
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  private ctx(reviewId?: string, workflowId?: string): ErrorContext {
    return { reviewId, workflowId, address: this.address, namespace: this.client.options.namespace, taskQueue: this.taskQueue, timeoutMs: this.callTimeoutMs };
  }

  /** Runs one Temporal call with a deadline, translating failures. */
  private async call<T>(reviewId: string | undefined, fn: () => Promise<T>, workflowId?: string): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + this.callTimeoutMs, fn);
    } catch (e) {
      throw asReviewError(e, this.ctx(reviewId, workflowId)) ?? e;
    }
  }

  private remember(reviewId: string, workflowId: string): void {
    this.resolved.delete(reviewId);
    this.resolved.set(reviewId, workflowId);
    if (this.resolved.size > RESOLVED_MAX) this.resolved.delete(this.resolved.keys().next().value as string);
  }

  /**
   * The workflow id of a review: `review-<reviewId>`, or with opaque ids the first of its candidates that exists
   * (workflow-ids.ts), remembered; the likeliest candidate when none does (the call then answers "not found").
   */
  async workflowIdOf(reviewId: string): Promise<string> {
    const candidates = this.workflowIds.candidates(reviewId);
    if (candidates.length === 1) return candidates[0];
    const known = this.resolved.get(reviewId);
    if (known) return known;
    for (const id of candidates) {
      if (await this.exists(reviewId, id)) {
        this.remember(reviewId, id);
        return id;
      }
    }
    return candidates[0];
  }

  private async exists(reviewId: string, workflowId: string): Promise<boolean> {
    try {
      await this.call(reviewId, () => this.client.workflow.getHandle(workflowId).describe(), workflowId);
      return true;
    } catch (e) {
      if (e instanceof ReviewError && e.kind === 'not-found') return false;
      throw e;
    }
  }

  private async handle(reviewId: string): Promise<WorkflowHandle> {
    return this.client.workflow.getHandle(await this.workflowIdOf(reviewId));
  }

  /** Starts a review. A second start with the same reviewId fails with a 'conflict' error, even after the first finished. */
  async start(input: unknown): Promise<StartedReview> {
    const request = validateRequest(input);
    const workflowId = this.workflowIds.idFor(request.reviewId);
    // Opaque ids: the same review id under an older key (or as a plain id) is the same review. The server refuses a
    // duplicate of the id itself; these are checked here first.
    for (const other of this.workflowIds.candidates(request.reviewId).filter((id) => id !== workflowId)) {
      if (await this.exists(request.reviewId, other)) throw new ReviewError('conflict', `review ${request.reviewId} already exists (workflow ${other})`);
    }
    const handle = await this.call(request.reviewId, () =>
      this.client.workflow.start(m.WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId,
        args: [request],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        // Opaque ids: lists read the review id here (encrypted with the payloads). Only then: a memo is decoded by
        // every list, and `list` without the keys would fail on encrypted memos.
        ...(this.workflowIds.opaque ? { memo: { reviewId: request.reviewId } } : {}),
        typedSearchAttributes: [
          // The lab's id when it has one: lab tokens are bound to it, and list filters find it (the name only as a fallback).
          { key: LAB_SA, value: labSearchValue(request.lab.id ?? request.lab.name, this.keyRing) },
          ...startingSearchAttributes(request),
        ],
      }), workflowId);
    this.remember(request.reviewId, workflowId);
    return { reviewId: request.reviewId, workflowId, runId: handle.firstExecutionRunId };
  }

  async status(reviewId: string): Promise<ReviewStatus> {
    return this.statusAt(await this.workflowIdOf(reviewId), reviewId);
  }

  /** The status of the review with this workflow id (a list's row already has it: no lookup). */
  async statusAt(workflowId: string, reviewId: string): Promise<ReviewStatus> {
    const status = await this.call(reviewId, () => this.client.workflow.getHandle(workflowId).query(m.statusQuery), workflowId);
    // A workflow started around this client with an invalid request ends at once and answers a stub.
    if (!Array.isArray(status.evaluations)) {
      const why = (status as Partial<{ error: string }>).error ?? 'no details';
      throw new ReviewError('rejected', `review ${reviewId} was started with an invalid request and ended at once: ${why}`);
    }
    return status;
  }

  /**
   * Sends one update after validating its argument; resolves with the review's acknowledgement (phase, window
   * end, what changed). Read the whole status with `status()`, or use `updateThenStatus()`.
   */
  async update<N extends UpdateName>(name: N, reviewId: string, input: UpdateArg<N>): Promise<UpdateAck> {
    const arg = validateUpdate(name, input);
    const { def } = UPDATES[name] as unknown as UpdateSpec<UpdateArg<N>>;
    const handle = await this.handle(reviewId);
    try {
      return await this.call(reviewId, () => handle.executeUpdate(def, { args: [arg] }), handle.workflowId);
    } catch (e) {
      if (e instanceof ReviewError && e.kind === 'not-found') throw await this.finishedOrMissing(reviewId, e);
      throw e;
    }
  }

  /** An update, then the review's status after it (what the CLI and the API show). */
  async updateThenStatus<N extends UpdateName>(name: N, reviewId: string, input: UpdateArg<N>): Promise<{ ack: UpdateAck; status: ReviewStatus }> {
    const ack = await this.update(name, reviewId, input);
    return { ack, status: await this.status(reviewId) };
  }

  /** The server answers "not found" for updates to a finished workflow too: tell the two apart. */
  private async finishedOrMissing(reviewId: string, notFound: ReviewError): Promise<ReviewError> {
    try {
      const handle = await this.handle(reviewId);
      const d = await this.client.withDeadline(Date.now() + this.callTimeoutMs, () => handle.describe());
      if (d.status.name === 'RUNNING') return notFound;
      return new ReviewError('conflict', `review ${reviewId} has finished (workflow ${d.workflowId} is ${d.status.name.toLowerCase()}); no further changes are accepted`);
    } catch {
      return notFound;
    }
  }

  grantAccess = (reviewId: string, a: UpdateArg<'grantAccess'>) => this.update('grantAccess', reviewId, a);
  assignReviewer = (reviewId: string, a: UpdateArg<'assignReviewer'>) => this.update('assignReviewer', reviewId, a);
  submitEvaluation = (reviewId: string, a: UpdateArg<'submitEvaluation'>) => this.update('submitEvaluation', reviewId, a);
  setReleaseDate = (reviewId: string, a: UpdateArg<'setReleaseDate'>) => this.update('setReleaseDate', reviewId, a);
  pauseClock = (reviewId: string, a: UpdateArg<'pauseClock'>) => this.update('pauseClock', reviewId, a);
  resumeClock = (reviewId: string, a: UpdateArg<'resumeClock'>) => this.update('resumeClock', reviewId, a);
  withdraw = (reviewId: string, a: UpdateArg<'withdraw'>) => this.update('withdraw', reviewId, a);
  closeReview = (reviewId: string, a: UpdateArg<'closeReview'>) => this.update('closeReview', reviewId, a);
  cancelReview = (reviewId: string, a: UpdateArg<'cancelReview'>) => this.update('cancelReview', reviewId, a);
  confirmDisposal = (reviewId: string, a: UpdateArg<'confirmDisposal'>) => this.update('confirmDisposal', reviewId, a);
  completePackage = (reviewId: string, a: UpdateArg<'completePackage'>) => this.update('completePackage', reviewId, a);

  /**
   * The weekly digest's schedule (each program manager gets their open reviews' coming week, Mondays at `at`,
   * default 08:00, in the program office's zone): created, or brought up to date. Safe to repeat.
   */
  async ensureDigestSchedule(o: { timeZone?: string; hour?: number; minute?: number } = {}): Promise<EnsureResult> {
    if (o.timeZone !== undefined && !isValidTimeZone(o.timeZone)) {
      throw new ReviewError('validation', `timeZone: "${o.timeZone}" is not an IANA time zone (e.g. America/New_York)`, [{ path: 'timeZone', message: 'is not an IANA time zone' }]);
    }
    return this.call(undefined, () => ensureDigestSchedule(this.client, { taskQueue: this.taskQueue, ...o }));
  }

  /** One run of the digest schedule now (this week's digest, to every program manager with open reviews). */
  async sendDigestNow(): Promise<void> {
    try {
      await this.call(undefined, () => this.client.schedule.getHandle(m.DIGEST_SCHEDULE_ID).trigger());
    } catch (e) {
      if (e instanceof ScheduleNotFoundError || (e instanceof ReviewError && e.kind === 'not-found')) {
        throw new ReviewError('not-found', `no digest schedule "${m.DIGEST_SCHEDULE_ID}" in namespace ${this.client.options.namespace}; create it with \`review digest schedule\``);
      }
      throw e;
    }
  }

  /** Reviews from the server's visibility store (eventually consistent: a change shows up within a second or so). */
  async list(filter: ListFilter = {}): Promise<ReviewSummary[]> {
    return (await this.entries(filter)).map((e) => e.summary);
  }

  /**
   * Reviews with their cards, from one visibility query (paged by 1,000): the read model of lists, portfolio,
   * workload and metrics. Scope filters (lab, reviewer) are clauses of the query, applied by the server before the limit.
   */
  async entries(filter: ListFilter = {}): Promise<ReviewEntry[]> {
    checkListFilter(filter);
    const clauses = [`WorkflowType = ${literal(m.WORKFLOW_TYPE)}`];
    if (filter.phase !== undefined) clauses.push(`${PHASE_SA.name} = ${literal(filter.phase)}`);
    if (filter.phases !== undefined) clauses.push(`${PHASE_SA.name} IN (${filter.phases.map(literal).join(', ')})`);
    if (filter.reviewer !== undefined) clauses.push(`(${REVIEWERS_SA.name} = ${literal(filter.reviewer)} OR ${REVIEWERS_SA.name} IS NULL)`);
    if (filter.dueWithinDays !== undefined) {
      const now = Date.now();
      const until = new Date(now + filter.dueWithinDays * 86_400_000).toISOString();
      clauses.push(`${WINDOW_ENDS_SA.name} >= ${literal(new Date(now).toISOString())}`, `${WINDOW_ENDS_SA.name} <= ${literal(until)}`);
    }
    if (filter.lab !== undefined) {
      const values = [...new Set((Array.isArray(filter.lab) ? filter.lab : [filter.lab]).flatMap((lab) => labSearchValues(lab, this.keyRing)))];
      clauses.push(`${LAB_SA.name} IN (${values.map(literal).join(', ')})`);
    }
    const limit = filter.limit ?? 100;
    const entries = await this.call(undefined, async () => {
      const out: ReviewEntry[] = [];
      for await (const info of this.client.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(limit, 1000) })) {
        const card = cardIn(info.memo);
        out.push({ summary: summarize(info, card, typeof filter.lab === 'string' ? filter.lab : undefined), card });
        if (out.length >= limit) break;
      }
      return out;
    });
    await this.fillReviewIds(entries);
    return entries;
  }

  /** An opaque id without the memo (a run continued as new without it): the review says its id itself. */
  private async fillReviewIds(entries: ReviewEntry[]): Promise<void> {
    for (const { summary: row } of entries) {
      if (row.reviewId !== '') continue;
      try {
        row.reviewId = (await this.call(undefined, () => this.client.workflow.getHandle(row.workflowId).query(m.statusQuery), row.workflowId)).reviewId;
      } catch {
        row.reviewId = row.workflowId; // unreadable: at least something to show
      }
    }
    for (const { summary: row } of entries) if (row.reviewId !== row.workflowId) this.remember(row.reviewId, row.workflowId);
  }

  /**
   * Every review (runs of every status), or with `since` only those whose card changed (ReviewUpdatedAt), that started
   * or that closed at or after it: what the card cache reads, paged by 1,000, at most `max`.
   */
  async scan(since: number | null, max: number, updatedSince: number | null = since): Promise<ScannedEntry[]> {
    const clauses = [`WorkflowType = ${literal(m.WORKFLOW_TYPE)}`];
    if (since !== null) {
      const at = literal(new Date(since).toISOString());
      const updated = literal(new Date(updatedSince ?? since).toISOString());
      // CloseTime only of closed runs: the SQL visibility stores running ones with a far-future CloseTime, so every running review would match.
      clauses.push(`(${UPDATED_AT_SA.name} >= ${updated} OR StartTime >= ${at} OR (ExecutionStatus != 'Running' AND CloseTime >= ${at}))`);
    }
    const entries = await this.call(undefined, async () => {
      const out: ScannedEntry[] = [];
      for await (const info of this.client.workflow.list({ query: clauses.join(' AND '), pageSize: 1000 })) {
        const card = cardIn(info.memo);
        const sa = info.typedSearchAttributes;
        out.push({
          summary: summarize(info, card), card,
          labValue: sa.get(LAB_SA) ?? null,
          reviewerIds: sa.get(REVIEWERS_SA) ?? null,
          updatedAt: sa.get(UPDATED_AT_SA)?.getTime() ?? null,
          startedAtMs: info.startTime.getTime(),
        });
        if (out.length >= max) break;
      }
      return out;
    });
    await this.fillReviewIds(entries);
    return entries;
  }

  /** The ReviewLab values a lab filter matches (every key's pseudonyms when payloads are encrypted). */
  labValues(lab: string | string[]): string[] {
    return [...new Set((Array.isArray(lab) ? lab : [lab]).flatMap((l) => labSearchValues(l, this.keyRing)))];
  }

  /** The ReviewLab value a start writes for this lab. */
  labValue(lab: string): string {
    return labSearchValue(lab, this.keyRing);
  }
}

/** The review id from the memo (set at start, encrypted), else from a plain workflow id; '' when neither says. */
function reviewIdOf(info: WorkflowExecutionInfo): string {
  const memo = info.memo?.reviewId;
  if (typeof memo === 'string' && memo !== '') return memo;
  return WorkflowIds.reviewIdOf(info.workflowId) ?? (WorkflowIds.isOpaque(info.workflowId) ? '' : info.workflowId);
}

/**
 * `lab`: the name asked for, shown instead of its pseudonym. The review id comes from the card when there is one
 * (workflow ids may be opaque); only reviews started before the card have it read from their workflow id.
 */
function summarize(info: WorkflowExecutionInfo, card: ReviewCard | null, lab?: string): ReviewSummary {
  const sa = info.typedSearchAttributes;
  const end = sa.get(WINDOW_ENDS_SA);
  return {
    reviewId: card?.reviewId ?? reviewIdOf(info),
    workflowId: info.workflowId,
    phase: (sa.get(PHASE_SA) as Phase | undefined) ?? null,
    lab: lab ?? sa.get(LAB_SA) ?? null,
    windowEndsAt: end ? end.toISOString() : null,
    outcome: (sa.get(OUTCOME_SA) as Outcome | undefined) ?? null,
    status: runStatus(info),
    startedAt: info.startTime.toISOString(),
  };
}
