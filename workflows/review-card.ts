/**
 * The review card: a compact copy of the facts lists need, kept in the workflow's memo (key `reviewCard`) and
 * rewritten on every transition that changes one of them. Lists, the portfolio, reviewer workload and metrics read
 * cards from one visibility query instead of one `status` query per review (issue 15 §3).
 *
 * Facts only, never derived dates: the reader computes window end, due dates and "overdue" with the same timeline
 * functions the workflow uses (client/read-model/card-view.ts), so a card does not go stale as time passes — only
 * when a transition is not yet indexed (visibility lags by about a second). The memo is a payload: encrypted by the
 * codec when keys are configured. Pure: no Temporal API, so the workflow, the client and unit tests share it.
 */
import { DEFAULT_POLICY } from './timeline';
import type { ReviewState } from './review-state';
import type { Outcome, Phase, Policy, Severity } from './types';

export const REVIEW_CARD_MEMO = 'reviewCard';
export const REVIEW_CARD_VERSION = 1;

export interface CardEvaluation {
  track: string;
  reviewerId: string;
  dueDay: number;
  dueBusinessDays?: number;
  submittedAt?: number;
  severity?: Severity;
  /** Submitted after its due date (as the workflow saw it at submission). */
  late?: true;
}

export interface ReviewCard {
  v: number;
  reviewId: string;
  model: { name: string; version: string };
  lab: { id?: string; name: string };
  timeZone: string;
  phase: Phase;
  outcome: Outcome | null;
  createdAt: number;
  accessGrantedAt: number | null;
  plannedReleaseAt: number | null;
  closedAt: number | null;
  /** Only the policy values that differ from the defaults. */
  policy?: Partial<Policy>;
  /** [start, end or null while open]. */
  pauses: [number, number | null][];
  evaluations: CardEvaluation[];
  /** Current, requested and former reviewers as [id, name, email]: a reviewer token's scope is its id *with* its address. */
  reviewers: [string, string, string][];
  /** Disposal confirmations after close: [party ('lab' or a reviewer id), confirmedAt or null]. */
  disposal: [string, number | null][];
}

function policyDiff(policy: Policy): Partial<Policy> | undefined {
  const diff: Partial<Record<keyof Policy, unknown>> = {};
  for (const key of Object.keys(DEFAULT_POLICY) as (keyof Policy)[]) {
    if (JSON.stringify(policy[key]) !== JSON.stringify(DEFAULT_POLICY[key])) diff[key] = policy[key];
  }
  return Object.keys(diff).length > 0 ? (diff as Partial<Policy>) : undefined;
}

export function cardOf(s: ReviewState): ReviewCard {
  const reviewers = new Map<string, [string, string, string]>();
  for (const r of [...s.evaluations.map((e) => e.reviewer), ...s.request.evaluations.map((e) => e.reviewer), ...s.formerReviewers]) {
    if (!reviewers.has(r.id)) reviewers.set(r.id, [r.id, r.name, r.email]);
  }
  const policy = policyDiff(s.policy);
  return {
    v: REVIEW_CARD_VERSION,
    reviewId: s.request.reviewId,
    model: { name: s.request.model.name, version: s.request.model.version },
    lab: { ...(s.request.lab.id !== undefined ? { id: s.request.lab.id } : {}), name: s.request.lab.name },
    timeZone: s.request.timeZone,
    phase: s.phase,
    outcome: s.outcome,
    createdAt: s.createdAt,
    accessGrantedAt: s.accessGrantedAt,
    plannedReleaseAt: s.plannedReleaseAt,
    closedAt: s.closedAt,
    ...(policy ? { policy } : {}),
    pauses: s.pauses.map((p) => [p.start, p.end]),
    evaluations: s.evaluations.map((e) => ({
      track: e.track,
      reviewerId: e.reviewer.id,
      dueDay: e.dueDay,
      ...(e.dueBusinessDays !== null ? { dueBusinessDays: e.dueBusinessDays } : {}),
      ...(e.submittedAt !== null ? { submittedAt: e.submittedAt } : {}),
      ...(e.severity !== null ? { severity: e.severity } : {}),
      ...(e.late === true ? { late: true as const } : {}),
    })),
    reviewers: [...reviewers.values()],
    disposal: s.disposal.map((d) => [d.party, d.confirmedAt]),
  };
}

/** The values of the ReviewReviewers search attribute: every reviewer id the card names, sorted (stable, so unchanged sets write nothing). */
export const reviewerIdsOf = (card: ReviewCard): string[] => card.reviewers.map(([id]) => id).sort();
