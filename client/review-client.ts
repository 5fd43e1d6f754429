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
import { LAB_SA, OUTCOME_SA, PHASE_SA, STARTING_SEARCH_ATTRIBUTES, WINDOW_ENDS_SA } from '../workflows/search-attributes';
import type { Outcome, Phase, ReviewStatus, UpdateAck } from '../workflows/types';
import { isValidTimeZone } from '../workflows/timeline';
import { parseAttachEvidence } from '../workflows/evidence';
import * as v from '../workflows/validation';
import { ensureDigestSchedule } from './digest-schedule';
import type { EnsureResult } from './digest-schedule';
import { asReviewError, ReviewError, unreachable } from './errors';
import { labSearchValue, labSearchValues } from './lab-search';
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
  /** At most this many reviews, newest first. Default 100. */
  limit?: number;
}

export interface ReviewClientOptions {
  taskQueue?: string;
  /** For error messages only. */
  address?: string;
  callTimeoutMs?: number;
  /** The payload-encryption key ring the Client's data converter uses; the lab search attribute is then a pseudonym. */
  keyRing?: KeyRing | null;
}

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

  constructor(readonly client: Client, options: ReviewClientOptions = {}) {
    this.taskQueue = options.taskQueue ?? m.TASK_QUEUE_DEFAULT;
    this.address = options.address ?? 'the Temporal server';
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.keyRing = options.keyRing ?? null;
  }

  /** Connects with the environment's configuration (TEMPORAL_*, profiles; TASK_QUEUE; FRONTIER_REVIEW_KEYS for payload encryption). */
  static async connect(options: { env?: Record<string, string | undefined>; connectTimeoutMs?: number; callTimeoutMs?: number } = {}): Promise<ReviewClient> {
    let config: AppConfig;
    let keyRing: KeyRing | null;
    try {
      config = loadConfig(options.env);
      keyRing = loadKeyRing(options.env ?? process.env);
    } catch (e) {
      // Bad connection settings or encryption keys: nothing to retry until the environment is fixed.
      throw new ReviewError('unavailable', e instanceof ConfigError ? e.message : `invalid encryption keys: ${(e as Error).message}`, [], { cause: e });
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
    return new ReviewClient(client, { taskQueue: config.taskQueue, address: config.address, callTimeoutMs: options.callTimeoutMs, keyRing });
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  private ctx(reviewId?: string): ErrorContext {
    return { reviewId, address: this.address, namespace: this.client.options.namespace, taskQueue: this.taskQueue, timeoutMs: this.callTimeoutMs };
  }

  /** Runs one Temporal call with a deadline, translating failures. */
  private async call<T>(reviewId: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + this.callTimeoutMs, fn);
    } catch (e) {
      throw asReviewError(e, this.ctx(reviewId)) ?? e;
    }
  }

  private handle(reviewId: string): WorkflowHandle {
    return this.client.workflow.getHandle(m.workflowIdFor(reviewId));
  }

  /** Starts a review. A second start with the same reviewId fails with a 'conflict' error, even after the first finished. */
  async start(input: unknown): Promise<StartedReview> {
    const request = validateRequest(input);
    const workflowId = m.workflowIdFor(request.reviewId);
    const handle = await this.call(request.reviewId, () =>
      this.client.workflow.start(m.WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId,
        args: [request],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          // The lab's id when it has one: lab tokens are bound to it, and list filters find it (the name only as a fallback).
          { key: LAB_SA, value: labSearchValue(request.lab.id ?? request.lab.name, this.keyRing) },
          ...STARTING_SEARCH_ATTRIBUTES,
        ],
      }));
    return { reviewId: request.reviewId, workflowId, runId: handle.firstExecutionRunId };
  }

  async status(reviewId: string): Promise<ReviewStatus> {
    const status = await this.call(reviewId, () => this.handle(reviewId).query(m.statusQuery));
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
    try {
      return await this.call(reviewId, () => this.handle(reviewId).executeUpdate(def, { args: [arg] }));
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
      const d = await this.client.withDeadline(Date.now() + this.callTimeoutMs, () => this.handle(reviewId).describe());
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
    if (filter.phase !== undefined && !PHASES.includes(filter.phase as Phase)) {
      throw new ReviewError('validation', `phase: must be one of ${PHASES.join(', ')}`, [{ path: 'phase', message: `must be one of ${PHASES.join(', ')}` }]);
    }
    if (filter.dueWithinDays !== undefined && (!Number.isInteger(filter.dueWithinDays) || filter.dueWithinDays < 0 || filter.dueWithinDays > 3650)) {
      throw new ReviewError('validation', 'dueWithinDays: must be a whole number of days from 0 to 3650', [{ path: 'dueWithinDays', message: 'must be a whole number of days from 0 to 3650' }]);
    }
    const clauses = [`WorkflowType = ${literal(m.WORKFLOW_TYPE)}`];
    if (filter.phase !== undefined) clauses.push(`${PHASE_SA.name} = ${literal(filter.phase)}`);
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
    return this.call(undefined, async () => {
      const out: ReviewSummary[] = [];
      for await (const info of this.client.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(limit, 1000) })) {
        out.push(summarize(info, typeof filter.lab === 'string' ? filter.lab : undefined));
        if (out.length >= limit) break;
      }
      return out;
    });
  }
}

/** `lab`: the name asked for, shown instead of its pseudonym. */
function summarize(info: WorkflowExecutionInfo, lab?: string): ReviewSummary {
  const sa = info.typedSearchAttributes;
  const end = sa.get(WINDOW_ENDS_SA);
  const prefix = m.workflowIdFor('');
  return {
    reviewId: info.workflowId.startsWith(prefix) ? info.workflowId.slice(prefix.length) : info.workflowId,
    workflowId: info.workflowId,
    phase: (sa.get(PHASE_SA) as Phase | undefined) ?? null,
    lab: lab ?? sa.get(LAB_SA) ?? null,
    windowEndsAt: end ? end.toISOString() : null,
    outcome: (sa.get(OUTCOME_SA) as Outcome | undefined) ?? null,
    status: runStatus(info),
    startedAt: info.startTime.toISOString(),
  };
}
