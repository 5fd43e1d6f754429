/**
 * One shape for what lists, the portfolio, workload and metrics need of a review, made from either source:
 * the review card in the memo (reviews started since review-card: read with the list, no query per review) or
 * the `status` query (older reviews, a bounded few per request). Dates derived from a card are computed here with
 * the workflow's own timeline functions, at the reader's "now": the card holds facts, not dates that go stale.
 */
import { accessDeadline, DEFAULT_POLICY, disposalDue, evaluationDue, parseInstant, pausedMs, windowEnd } from '../../workflows/timeline';
import type { TimelineState } from '../../workflows/timeline';
import type { ReviewCard } from '../../workflows/review-card';
import { cardFromMemo } from '../../workflows/review-card';
import type { EvaluationStatus, Outcome, Phase, ReviewStatus, Severity } from '../../workflows/types';

export interface FactEvaluation {
  track: string;
  reviewerId: string;
  reviewerName: string;
  dueAt: number | null;
  status: EvaluationStatus;
  severity: Severity | null;
  submittedAt: number | null;
  late: boolean;
}

export interface ReviewFacts {
  reviewId: string;
  model: { name: string; version: string };
  lab: { id?: string; name: string };
  timeZone: string;
  phase: Phase;
  outcome: Outcome | null;
  createdAt: number;
  accessGrantedAt: number | null;
  windowEndsAt: number | null;
  accessDeadlineAt: number | null;
  disposalDueAt: number | null;
  closedAt: number | null;
  plannedReleaseAt: number | null;
  /** Each pause (end null while it lasts), and the time paused so far. */
  pauses: { start: number; end: number | null }[];
  pausedMs: number;
  evaluations: FactEvaluation[];
  reviewers: { id: string; name: string; email: string }[];
  disposal: { party: string; confirmed: boolean }[];
  /** Where the facts came from: the memo's card, or a status query (reviews started before review-card). */
  source: 'card' | 'status';
}

/** The card in a visibility entry's memo (whole or in its fields), or null when there is none (an older review) or it is not one this code reads. */
export const cardIn = (memo: Record<string, unknown> | undefined): ReviewCard | null => cardFromMemo(memo);

/**
 * Facts already derived from a card (the card cache keeps the same card object until the review changes). Dates
 * derived from a card depend on "now" only while a pause lasts (it pushes the window end and due dates out); without
 * one they are fixed, so they are computed once per card and only the evaluations' status (overdue or not) is
 * re-derived per read. The derivation is Luxon arithmetic in the review's zone, about 20 µs a date: at 1,000
 * reviews it was most of a portfolio or metrics request.
 */
const derived = new WeakMap<ReviewCard, ReviewFacts>();

export function factsFromCard(card: ReviewCard, now: number): ReviewFacts {
  const open = card.pauses.length > 0 && card.pauses[card.pauses.length - 1][1] === null;
  const fixed = !open || (card.closedAt !== null && now >= card.closedAt);
  if (!fixed) return deriveFacts(card, now);
  let facts = derived.get(card);
  if (!facts) {
    facts = deriveFacts(card, now);
    derived.set(card, facts);
  }
  return withStatusAt(card, facts, now);
}

function evaluationStatus(card: ReviewCard, submitted: boolean, dueAt: number | null, now: number): EvaluationStatus {
  return submitted ? 'submitted' : card.closedAt !== null ? 'not-completed' : dueAt !== null && now >= dueAt ? 'overdue' : 'pending';
}

/** The remembered facts with each evaluation's status as of `now` (the only part that moves with the clock). */
function withStatusAt(card: ReviewCard, facts: ReviewFacts, now: number): ReviewFacts {
  let changed = false;
  const evaluations = facts.evaluations.map((e) => {
    const status = evaluationStatus(card, e.submittedAt !== null, e.dueAt, now);
    if (status === e.status) return e;
    changed = true;
    return { ...e, status };
  });
  return changed ? { ...facts, evaluations } : facts;
}

function deriveFacts(card: ReviewCard, now: number): ReviewFacts {
  const ts: TimelineState = {
    timeZone: card.timeZone,
    policy: { ...DEFAULT_POLICY, ...(card.policy ?? {}) },
    createdAt: card.createdAt,
    plannedReleaseAt: card.plannedReleaseAt,
    accessGrantedAt: card.accessGrantedAt,
    pauses: card.pauses.map(([start, end]) => ({ start, end })),
    phase: card.phase,
    closedAt: card.closedAt,
    evaluations: card.evaluations.map((e) => ({ track: e.track, reviewerId: e.reviewerId, dueDay: e.dueDay, dueBusinessDays: e.dueBusinessDays ?? null, submitted: e.submittedAt !== undefined, assignedAt: 0 })),
    disposalPending: card.disposal.filter(([, confirmed]) => confirmed === null).map(([party]) => party),
  };
  // After close, dates are frozen at the close instant (review-state.ts referenceTime).
  const ref = card.closedAt !== null ? Math.min(card.closedAt, now) : now;
  const names = new Map(card.reviewers.map(([id, name]) => [id, name]));
  return {
    reviewId: card.reviewId,
    model: card.model,
    lab: card.lab,
    timeZone: card.timeZone,
    phase: card.phase,
    outcome: card.outcome,
    createdAt: card.createdAt,
    accessGrantedAt: card.accessGrantedAt,
    windowEndsAt: windowEnd(ts, ref),
    accessDeadlineAt: card.accessGrantedAt === null && card.closedAt === null ? accessDeadline(ts) : null,
    disposalDueAt: card.phase === 'disposal' || (card.closedAt !== null && card.disposal.length > 0) ? disposalDue(ts) : null,
    closedAt: card.closedAt,
    plannedReleaseAt: card.plannedReleaseAt,
    pauses: card.pauses.map(([start, end]) => ({ start, end })),
    pausedMs: pausedMs(ts, ref),
    evaluations: card.evaluations.map((e) => {
      const dueAt = evaluationDue(ts, e.dueDay, ref, e.dueBusinessDays ?? null);
      const status = evaluationStatus(card, e.submittedAt !== undefined, dueAt, now);
      return { track: e.track, reviewerId: e.reviewerId, reviewerName: names.get(e.reviewerId) ?? e.reviewerId, dueAt, status, severity: e.severity ?? null, submittedAt: e.submittedAt ?? null, late: e.late === true };
    }),
    reviewers: card.reviewers.map(([id, name, email]) => ({ id, name, email })),
    disposal: card.disposal.map(([party, confirmed]) => ({ party, confirmed: confirmed !== null })),
    source: 'card',
  };
}

const ms = (iso: string | null | undefined): number | null => (iso ? parseInstant(iso) : null);

/** Pauses from the audit trail: each clock-paused ends at the next clock-resumed, or at the close. */
function pausesIn(s: ReviewStatus): { start: number; end: number | null }[] {
  const out: { start: number; end: number | null }[] = [];
  for (const e of s.events) {
    const at = ms(e.at);
    if (at === null) continue;
    if (e.type === 'clock-paused') out.push({ start: at, end: null });
    else if (e.type === 'clock-resumed' && out.length > 0 && out[out.length - 1].end === null) out[out.length - 1].end = at;
  }
  const closed = ms(s.closedAt);
  if (closed !== null && out.length > 0 && out[out.length - 1].end === null) out[out.length - 1].end = closed;
  return out;
}

/** The same facts from a status (older reviews). Lateness is read from the audit trail's "(late)" mark. */
export function factsFromStatus(s: ReviewStatus): ReviewFacts {
  const late = new Set(s.events.filter((e) => e.type === 'evaluation-submitted' && e.detail.endsWith('(late)')).map((e) => e.detail.slice(0, e.detail.indexOf(':'))));
  const emails = new Map((s.reviewers ?? []).map((r) => [r.id, r.email]));
  const names = new Map<string, string>();
  for (const e of s.evaluations) if (!names.has(e.reviewerId)) names.set(e.reviewerId, e.reviewerName);
  const ids = [...new Set([...s.evaluations.map((e) => e.reviewerId), ...emails.keys()])];
  return {
    reviewId: s.reviewId,
    model: s.model,
    lab: { ...(s.lab.id !== undefined ? { id: s.lab.id } : {}), name: s.lab.name },
    timeZone: s.timeZone,
    phase: s.phase,
    outcome: s.outcome,
    createdAt: ms(s.createdAt) ?? 0,
    accessGrantedAt: ms(s.clock.startedAt),
    windowEndsAt: ms(s.clock.windowEndsAt),
    accessDeadlineAt: ms(s.clock.accessDeadlineAt),
    disposalDueAt: ms(s.disposalDueAt),
    closedAt: ms(s.closedAt),
    plannedReleaseAt: ms(s.plannedReleaseAt),
    pauses: pausesIn(s),
    pausedMs: s.clock.pausedMs,
    evaluations: s.evaluations.map((e) => ({
      track: e.track, reviewerId: e.reviewerId, reviewerName: e.reviewerName, dueAt: ms(e.dueAt), status: e.status, severity: e.severity,
      submittedAt: ms(e.submittedAt), late: late.has(e.track),
    })),
    reviewers: ids.map((id) => ({ id, name: names.get(id) ?? id, email: emails.get(id) ?? '' })),
    disposal: s.disposal.map((d) => ({ party: d.party, confirmed: d.confirmedAt !== null })),
    source: 'status',
  };
}
