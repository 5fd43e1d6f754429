/**
 * The review scenarios of the fault run and the driver that walks one review through its scenario, as people
 * would through the client: every call retried through outages, every update idempotent (a fixed update id, and
 * a rejection after a lost reply is accepted only when the status shows the change already made).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { ReviewResult } from '../../workflows/review-workflow';
import {
  cancelReviewUpdate, closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, setReleaseDateUpdate, statusQuery,
  submitEvaluationUpdate, withdrawUpdate, workflowIdFor,
} from '../../workflows/messages';
import { PHASE_SA } from '../../workflows/search-attributes';
import type { EvaluationStatus, Outcome, Phase, ReviewRequest, ReviewStatus, Severity } from '../../workflows/types';
import type { RetryingClient } from './retrying-client';
import { sleep } from './retrying-client';

export const SCENARIOS = ['completed', 'expired', 'withdrawn', 'critical', 'cancelled'] as const;

/** The one address the sink refuses with 550 during a fault run. */
export const REFUSED = 'unreachable@clearinghouse.example';
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ExpectedFinal {
  phase: Phase;
  outcome: Outcome;
  /** Per track, in request order. */
  evaluations: { status: EvaluationStatus; severity: Severity | null }[];
}

/** The final state each scenario reaches without faults (the baseline run checks these too). */
export const EXPECTED: Record<ScenarioName, ExpectedFinal> = {
  // grant, both evaluations in, the PM closes early, everyone confirms disposal
  completed: { phase: 'closed', outcome: 'completed', evaluations: [{ status: 'submitted', severity: 'low' }, { status: 'submitted', severity: 'medium' }] },
  // one evaluation in; deadline enforcement at the window end (capped at the planned release); disposal confirmed
  expired: { phase: 'closed', outcome: 'expired', evaluations: [{ status: 'submitted', severity: 'low' }, { status: 'not-completed', severity: null }] },
  // the lab withdraws before granting access
  withdrawn: { phase: 'closed', outcome: 'withdrawn', evaluations: [{ status: 'not-completed', severity: null }, { status: 'not-completed', severity: null }] },
  // a critical finding, then the second evaluation; the window end closes it as completed; disposal confirmed
  critical: { phase: 'closed', outcome: 'completed', evaluations: [{ status: 'submitted', severity: 'critical' }, { status: 'submitted', severity: 'low' }] },
  // the PM cancels before access
  cancelled: { phase: 'closed', outcome: 'cancelled', evaluations: [{ status: 'not-completed', severity: null }, { status: 'not-completed', severity: null }] },
};

export const TIMED_SCENARIOS: ReadonlySet<ScenarioName> = new Set(['expired', 'critical']);

export interface ReviewPlan {
  scenario: ScenarioName;
  reviewId: string;
  request: ReviewRequest;
  /** Delay before the start, from the moment the driver is launched. */
  startAfterMs: number;
  /** Delay before each step (updates and waits), in order. */
  stepDelaysMs: number[];
  /**
   * Timed scenarios: once their evaluations are in (or not), the lab moves its planned release to this far ahead;
   * the window end is capped at the release, so deadline enforcement fires in real time. Set only after the
   * steps that must come before the deadline, so no outage can push a step past it.
   */
  releaseInMs?: number;
}

export interface PlanOptions {
  reviewId: string;
  /** Planned release at the start, ISO with offset. */
  plannedReleaseAt: string;
  /** Second reviewer's address (the refused one for some reviews). */
  reviewer2Email?: string;
  /** An additional lab contact (the refused one for some reviews). */
  extraLabContact?: string;
}

export function reviewRequest(o: PlanOptions): ReviewRequest {
  return {
    reviewId: o.reviewId,
    model: { name: 'Atlas-7', version: 'rc1' },
    lab: {
      name: 'Acme AI',
      timeZone: 'America/Los_Angeles',
      contacts: [{ name: 'Sec Team', email: 'security@acme.example' }, ...(o.extraLabContact ? [{ name: 'Release Desk', email: o.extraLabContact }] : [])],
    },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' },
    director: { name: 'Dana Director', email: 'director@clearinghouse.example' },
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' } },
      { track: 'autonomy', reviewer: { id: 'r2', name: 'Sam', email: o.reviewer2Email ?? 'sam@clearinghouse.example' } },
    ],
    plannedReleaseAt: o.plannedReleaseAt,
    timeZone: 'America/New_York',
  };
}

export interface DriveContext {
  rc: RetryingClient;
  taskQueue: string;
  /** Every call of the driver gives up after this instant. */
  deadline: number;
  log: (line: string) => void;
  stats: { updates: number; updatesFoundApplied: number; startsFoundStarted: number };
}

const handleOf = (ctx: DriveContext, reviewId: string): WorkflowHandle => ctx.rc.client.workflow.getHandle(workflowIdFor(reviewId));

export async function queryStatus(ctx: DriveContext, reviewId: string, deadline = ctx.deadline): Promise<ReviewStatus> {
  return ctx.rc.call(`${reviewId} status`, () => handleOf(ctx, reviewId).query(statusQuery), { deadline, attemptMs: 10_000 });
}

async function startReview(ctx: DriveContext, request: ReviewRequest): Promise<void> {
  await ctx.rc.call(`${request.reviewId} start`, async (attempt) => {
    try {
      await ctx.rc.client.workflow.start('reviewWorkflow', { taskQueue: ctx.taskQueue, workflowId: workflowIdFor(request.reviewId), args: [request] });
    } catch (e) {
      // An earlier attempt started it and its reply was lost in an outage.
      if (attempt > 1 && e instanceof WorkflowExecutionAlreadyStartedError) {
        ctx.stats.startsFoundStarted++;
        return;
      }
      throw e;
    }
  }, { deadline: ctx.deadline });
}

/** The update's answer is not used (an acknowledgement, whatever its type): `applied` reads the status by query. */
async function update<R, A>(
  ctx: DriveContext, reviewId: string, name: string, def: UpdateDefinition<R, [A]>, arg: A, applied: (s: ReviewStatus) => boolean,
): Promise<void> {
  ctx.stats.updates++;
  try {
    // A fixed update id: a retry after a lost reply is the same update to the server, not a second one.
    await ctx.rc.call(`${reviewId} ${name}`, () => handleOf(ctx, reviewId).executeUpdate(def, { args: [arg], updateId: name }), { deadline: ctx.deadline });
  } catch (e) {
    if (!(e instanceof WorkflowUpdateFailedError)) throw e;
    const s = await queryStatus(ctx, reviewId);
    if (applied(s)) {
      ctx.stats.updatesFoundApplied++;
      ctx.log(`${reviewId} ${name}: rejected on retry but already applied (${e.cause?.message ?? e.message})`);
      return;
    }
    throw new Error(`${reviewId} ${name} was rejected: ${e.cause?.message ?? e.message} (phase ${s.phase})`);
  }
}

async function waitForPhase(ctx: DriveContext, reviewId: string, phase: Phase): Promise<void> {
  for (;;) {
    const d = await ctx.rc.call(`${reviewId} describe`, () => handleOf(ctx, reviewId).describe(), { deadline: ctx.deadline, attemptMs: 10_000 });
    const current = d.typedSearchAttributes.get(PHASE_SA);
    if (current === phase) return;
    if (Date.now() > ctx.deadline) throw new Error(`${reviewId}: still ${current} at the deadline, waiting for ${phase}`);
    await sleep(1_000);
  }
}

const submitted = (track: string) => (s: ReviewStatus): boolean => s.evaluations.some((e) => e.track === track && e.status === 'submitted');
const confirmed = (party: string) => (s: ReviewStatus): boolean =>
  s.phase === 'closed' || s.disposal.some((d) => d.party === party && d.confirmedAt !== null);
const closedOrDisposal = (s: ReviewStatus): boolean => s.phase === 'disposal' || s.phase === 'closed';

type Step = (ctx: DriveContext, plan: ReviewPlan) => Promise<void>;

const grant: Step = (ctx, p) => update(ctx, p.reviewId, 'grant', grantAccessUpdate, { by: 'Sec Team' }, (s) => s.clock.startedAt !== null);
const submit = (track: string, reviewerId: string, severity: Severity): Step => (ctx, p) =>
  update(ctx, p.reviewId, `submit-${track}`, submitEvaluationUpdate, { track, reviewerId, severity, summary: `${track}: ${severity} (fault run)` }, submitted(track));
const confirm = (party: string): Step => (ctx, p) =>
  update(ctx, p.reviewId, `confirm-${party}`, confirmDisposalUpdate, { party, by: party === 'lab' ? 'Sec Team' : party, note: 'artifacts deleted' }, confirmed(party));
const waitDisposal: Step = (ctx, p) => waitForPhase(ctx, p.reviewId, 'disposal');

/** The lab moves its release to `releaseInMs` from now; an attempt whose instant passed while it was held up is redone. */
const releaseSoon: Step = async (ctx, p) => {
  for (let attempt = 1; ; attempt++) {
    const at = new Date(Date.now() + (p.releaseInMs ?? 30_000)).toISOString();
    try {
      await update(ctx, p.reviewId, `release-${attempt}`, setReleaseDateUpdate, { plannedReleaseAt: at },
        (s) => s.plannedReleaseAt !== null && Date.parse(s.plannedReleaseAt) === Date.parse(at));
      return;
    } catch (e) {
      if (attempt >= 3 || !/must be in the future/.test((e as Error).message)) throw e;
      ctx.log(`${p.reviewId} release-${attempt}: the instant passed while the update was held up; again`);
    }
  }
};

export const STEPS: Record<ScenarioName, Step[]> = {
  completed: [
    grant, submit('cyber-offense', 'r1', 'low'), submit('autonomy', 'r2', 'medium'),
    (ctx, p) => update(ctx, p.reviewId, 'close', closeReviewUpdate, { by: 'Pat PM', reason: 'all evaluations in' }, closedOrDisposal),
    confirm('lab'), confirm('r1'), confirm('r2'),
  ],
  expired: [grant, submit('cyber-offense', 'r1', 'low'), releaseSoon, waitDisposal, confirm('lab'), confirm('r1'), confirm('r2')],
  withdrawn: [(ctx, p) => update(ctx, p.reviewId, 'withdraw', withdrawUpdate, { by: 'Sec Team', reason: 'release postponed' }, (s) => s.outcome === 'withdrawn')],
  critical: [
    grant, submit('cyber-offense', 'r1', 'critical'), submit('autonomy', 'r2', 'low'), releaseSoon, waitDisposal,
    confirm('lab'), confirm('r1'), confirm('r2'),
  ],
  cancelled: [(ctx, p) => update(ctx, p.reviewId, 'cancel', cancelReviewUpdate, { by: 'Pat PM', reason: 'duplicate request' }, (s) => s.outcome === 'cancelled')],
};

/** Starts the review and walks it through its scenario; resolves once the last step is done. */
export async function driveReview(ctx: DriveContext, plan: ReviewPlan): Promise<void> {
  await sleep(plan.startAfterMs);
  await startReview(ctx, plan.request);
  const steps = STEPS[plan.scenario];
  for (let i = 0; i < steps.length; i++) {
    await sleep(plan.stepDelaysMs[i] ?? 0);
    await steps[i](ctx, plan);
  }
}

/** The workflow's result, retried through outages; every notice has settled once it is there. */
export async function awaitResult(ctx: DriveContext, reviewId: string, deadline: number): Promise<ReviewResult> {
  return ctx.rc.call(`${reviewId} result`, () => handleOf(ctx, reviewId).result() as Promise<ReviewResult>, { deadline, attemptMs: 30_000 });
}

export async function fetchHistory(ctx: DriveContext, reviewId: string, deadline: number): ReturnType<WorkflowHandle['fetchHistory']> {
  return ctx.rc.call(`${reviewId} history`, () => handleOf(ctx, reviewId).fetchHistory(), { deadline, attemptMs: 30_000 });
}
