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
import { isObject } from './schema';
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

/**
 * Since compact-history the card is kept in four memo fields, each rewritten only when it changed (a memo upsert
 * merges fields): the identity (`reviewCard`, v 2: who and what, rarely changes), the state (phase, dates, pauses),
 * the evaluations and the disposal confirmations. A transition then writes ~100 bytes instead of the whole card
 * (~550), five to eight times per review (BENCHMARKS.md, "History"). `cardFromMemo` puts them back together.
 */
export const CARD_MEMO_FIELDS = { identity: REVIEW_CARD_MEMO, state: 'reviewCardState', evaluations: 'reviewCardEvaluations', disposal: 'reviewCardDisposal' } as const;
export const REVIEW_CARD_SPLIT_VERSION = 2;

type CardIdentity = Pick<ReviewCard, 'reviewId' | 'model' | 'lab' | 'timeZone' | 'createdAt' | 'policy' | 'reviewers'> & { v: number };
type CardState = Pick<ReviewCard, 'phase' | 'outcome' | 'accessGrantedAt' | 'plannedReleaseAt' | 'closedAt' | 'pauses'>;

/** The card as its four memo fields (field name → value). */
export function cardMemoFields(card: ReviewCard): Record<string, unknown> {
  const { v: _v, phase, outcome, accessGrantedAt, plannedReleaseAt, closedAt, pauses, evaluations, disposal, ...identity } = card;
  const state: CardState = { phase, outcome, accessGrantedAt, plannedReleaseAt, closedAt, pauses };
  const id: CardIdentity = { v: REVIEW_CARD_SPLIT_VERSION, ...identity };
  return { [CARD_MEMO_FIELDS.identity]: id, [CARD_MEMO_FIELDS.state]: state, [CARD_MEMO_FIELDS.evaluations]: evaluations, [CARD_MEMO_FIELDS.disposal]: disposal };
}

/**
 * The card held in a memo, whole (v 1) or in its four fields (v 2), or null when it is missing or partial. Shapes are
 * checked, not trusted: a memo is what a workflow wrote, and an older review has none.
 */
export function cardFromMemo(memo: Record<string, unknown> | undefined): ReviewCard | null {
  const id = memo?.[CARD_MEMO_FIELDS.identity];
  if (!isObject(id) || typeof id.reviewId !== 'string' || !Array.isArray(id.reviewers)) return null;
  let card: Record<string, unknown>;
  if (id.v === REVIEW_CARD_VERSION) card = id;
  else if (id.v === REVIEW_CARD_SPLIT_VERSION) {
    const state = memo?.[CARD_MEMO_FIELDS.state];
    // Temporal's memo merge drops a field whose value is an empty list (it reads `[]` as "remove"): absent is empty.
    const evaluations = memo?.[CARD_MEMO_FIELDS.evaluations] ?? [];
    const disposal = memo?.[CARD_MEMO_FIELDS.disposal] ?? [];
    if (!isObject(state) || !Array.isArray(evaluations) || !Array.isArray(disposal)) return null;
    card = { ...id, ...state, evaluations, disposal, v: REVIEW_CARD_VERSION };
  } else return null;
  if (typeof card.phase !== 'string' || !Array.isArray(card.evaluations) || !Array.isArray(card.pauses) || !Array.isArray(card.disposal)) return null;
  return card as unknown as ReviewCard;
}
