/**
 * Reviewer workload: open assignments per reviewer across reviews (evaluations not yet submitted in reviews not
 * yet closed), with due dates and overdue counts, and the load past which assigning one more warns the PM
 * (REVIEWER_MAX_OPEN). A warning, never a refusal: the PM may know better. Pure functions of the facts.
 */
import type { ReviewFacts } from './facts';

export const DEFAULT_REVIEWER_MAX_OPEN = 4;

export interface Assignment {
  reviewId: string;
  track: string;
  /** UTC ISO; null before access is granted (no clock yet). */
  dueAt: string | null;
  overdue: boolean;
}

export interface ReviewerLoad {
  reviewerId: string;
  name: string;
  open: number;
  overdue: number;
  dueThisWeek: number;
  /** At or past the limit: one more assignment warns. */
  atCapacity: boolean;
  assignments: Assignment[];
}

export interface Workload {
  generatedAt: string;
  /** The instant the reviews' cards were read as of (the server's copy; card-cache.ts). */
  asOf?: string;
  maxOpen: number;
  reviewers: ReviewerLoad[];
}

export interface LoadWarning {
  kind: 'reviewer-load';
  reviewerId: string;
  open: number;
  maxOpen: number;
  message: string;
  assignments: Assignment[];
}

/** REVIEWER_MAX_OPEN: a whole number ≥ 1; anything else is a configuration error naming the variable. */
export function maxOpenFrom(env: Record<string, string | undefined>): number {
  const raw = env.REVIEWER_MAX_OPEN?.trim();
  if (raw === undefined || raw === '') return DEFAULT_REVIEWER_MAX_OPEN;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw new Error(`REVIEWER_MAX_OPEN: "${raw.slice(0, 20)}" is not a whole number of assignments ≥ 1`);
  return Number(raw);
}

export function buildWorkload(reviews: ReviewFacts[], now: number, maxOpen: number, week?: [number, number]): Workload {
  const byReviewer = new Map<string, ReviewerLoad>();
  for (const f of reviews) {
    if (f.phase === 'disposal' || f.phase === 'closed') continue;
    for (const e of f.evaluations) {
      if (e.status !== 'pending' && e.status !== 'overdue') continue;
      const load = byReviewer.get(e.reviewerId) ?? { reviewerId: e.reviewerId, name: e.reviewerName, open: 0, overdue: 0, dueThisWeek: 0, atCapacity: false, assignments: [] };
      load.open++;
      if (e.status === 'overdue') load.overdue++;
      if (week && e.dueAt !== null && e.dueAt >= week[0] && e.dueAt < week[1] && e.status !== 'overdue') load.dueThisWeek++;
      load.assignments.push({ reviewId: f.reviewId, track: e.track, dueAt: e.dueAt === null ? null : new Date(e.dueAt).toISOString(), overdue: e.status === 'overdue' });
      byReviewer.set(e.reviewerId, load);
    }
  }
  const reviewers = [...byReviewer.values()].map((l) => ({
    ...l,
    atCapacity: l.open >= maxOpen,
    assignments: l.assignments.sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.dueAt ?? '~').localeCompare(b.dueAt ?? '~')),
  }));
  reviewers.sort((a, b) => b.overdue - a.overdue || b.open - a.open || a.reviewerId.localeCompare(b.reviewerId));
  return { generatedAt: new Date(now).toISOString(), maxOpen, reviewers };
}

/**
 * The warning for assigning `reviewerId` to `track` of `reviewId`, or null when their load allows it. The
 * assignment itself (a reassignment of the same track to the same reviewer) does not count against them.
 */
export function loadWarning(reviews: ReviewFacts[], reviewerId: string, target: { reviewId: string; track: string }, now: number, maxOpen: number): LoadWarning | null {
  const load = buildWorkload(reviews, now, maxOpen).reviewers.find((r) => r.reviewerId === reviewerId);
  const others = (load?.assignments ?? []).filter((a) => !(a.reviewId === target.reviewId && a.track === target.track));
  if (others.length < maxOpen) return null;
  const overdue = others.filter((a) => a.overdue).length;
  const listed = others.slice(0, 5).map((a) => `${a.reviewId}/${a.track} (${a.overdue ? 'overdue since' : 'due'} ${a.dueAt ?? 'after access'})`).join(', ');
  return {
    kind: 'reviewer-load',
    reviewerId,
    open: others.length,
    maxOpen,
    message: `reviewer ${reviewerId} already has ${others.length} open assignment${others.length === 1 ? '' : 's'}${overdue ? ` (${overdue} overdue)` : ''}, at or over the limit of ${maxOpen} (REVIEWER_MAX_OPEN): ${listed}${others.length > 5 ? ', …' : ''}`,
    assignments: others,
  };
}
