/**
 * One error type for everything the client library can fail with, so callers (the CLI, scripts, an HTTP
 * API) branch on `kind` instead of on Temporal's many error classes.
 */
import {
  ApplicationFailure, isGrpcCancelledError, isGrpcDeadlineError, isGrpcServiceError, NamespaceNotFoundError, ServiceError, WorkflowExecutionAlreadyStartedError,
  ValueError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ValidationError } from '../workflows/validation';
import type { ValidationIssue } from '../workflows/validation';
import { workflowIdFor } from '../workflows/messages';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export type ReviewErrorKind = 'validation' | 'not-found' | 'conflict' | 'unavailable' | 'rejected';

export class ReviewError extends Error {
  override name = 'ReviewError';
  constructor(
    readonly kind: ReviewErrorKind,
    message: string,
    /** Field-level problems, for validation errors and rejected updates. */
    readonly issues: ValidationIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the mapping needs to name things in messages. */
export interface ErrorContext {
  reviewId?: string;
  /** The review's workflow id, when known (opaque ids are not `review-<reviewId>`). */
  workflowId?: string;
  address: string;
  namespace: string;
  taskQueue: string;
  timeoutMs: number;
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_UNAVAILABLE = 14;

function isIssueList(x: unknown): x is ValidationIssue[] {
  return Array.isArray(x) && x.every((i) => typeof i === 'object' && i !== null && typeof (i as ValidationIssue).message === 'string');
}

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (isGrpcServiceError(e)) return e.code;
  return undefined;
}

export function unreachable(ctx: ErrorContext, detail?: string): ReviewError {
  return new ReviewError('unavailable',
    `cannot reach Temporal at ${ctx.address} (namespace ${ctx.namespace})${detail ? `: ${detail}` : ''}; is the server running (\`npm start\`), or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE`);
}

function missingSearchAttributes(ctx: ErrorContext, err: unknown): ReviewError {
  const list = Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => `${name} (${type === 'KEYWORD_LIST' ? 'KeywordList' : `${type.charAt(0)}${type.slice(1).toLowerCase()}`})`).join(', ');
  return new ReviewError('unavailable',
    `namespace ${ctx.namespace} on ${ctx.address} lacks the review search attributes ${list}; register each with \`temporal operator search-attribute create --name <name> --type <type>\` (\`npm start\` does this for its own server)`,
    [], { cause: err });
}

/**
 * Maps an error from a Temporal call to a ReviewError with a message a person can act on; undefined for
 * errors that are not operational conditions (bugs), which callers rethrow unchanged.
 */
export function asReviewError(err: unknown, ctx: ErrorContext): ReviewError | undefined {
  if (err instanceof ReviewError) return err;
  const review = ctx.reviewId ? `review ${ctx.reviewId}` : 'review';
  const wf = ctx.reviewId ? ` (workflow ${ctx.workflowId ?? workflowIdFor(ctx.reviewId)})` : '';
  if (err instanceof ValidationError) return new ReviewError('validation', err.message, err.issues, { cause: err });
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new ReviewError('conflict', `${review} already exists${wf}`, [], { cause: err });
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow's validator or handler said no; its ApplicationFailure carries the reason.
    const cause = err.cause;
    const issues = cause instanceof ApplicationFailure && isIssueList(cause.details?.[0]) ? cause.details[0] : [];
    return new ReviewError('rejected', `${review} rejected the change: ${cause?.message ?? err.message}`, issues, { cause: err });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new ReviewError('not-found', `${review} not found${wf} in namespace ${ctx.namespace}`, [], { cause: err });
  }
  if (err instanceof ValueError && /binary\/encrypted/.test(err.message)) {
    return new ReviewError('unavailable', `${review}: its data is encrypted; set FRONTIER_REVIEW_KEYS (or FRONTIER_REVIEW_KEY_FILE) to the worker's keys`, [], { cause: err });
  }
  if (err instanceof Error && /encrypted with unknown key|unable to authenticate data/.test(err.message)) {
    return new ReviewError('unavailable', `${review}: cannot decrypt its data with the configured keys (${err.message}); FRONTIER_REVIEW_KEYS must include the key it was written with`, [], { cause: err });
  }
  if (err instanceof NamespaceNotFoundError) {
    return new ReviewError('not-found', `namespace ${err.namespace} does not exist on ${ctx.address}; set TEMPORAL_NAMESPACE`, [], { cause: err });
  }
  // Our per-call deadline expired (grpc-js reports some of those as CANCELLED).
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err) || isGrpcCancelledError(err)) {
    return new ReviewError('unavailable',
      `no answer from ${review} within ${Math.round(ctx.timeoutMs / 1000)} s; is a worker running on task queue "${ctx.taskQueue}" (\`npm start\` or \`npm run worker\`)?`,
      [], { cause: err });
  }
  const code = grpcCode(err);
  if (code === GRPC_UNAVAILABLE) return unreachable(ctx, (err as Error).message);
  if (code === GRPC_INVALID_ARGUMENT && /search attribute/i.test(String((err as Error).cause ?? err))) return missingSearchAttributes(ctx, err);
  if (err instanceof ServiceError) return new ReviewError('unavailable', `Temporal error for ${review}: ${err.cause?.message ?? err.message}`, [], { cause: err });
  return undefined;
}
