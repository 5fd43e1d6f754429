/**
 * Who may do what. One table for the API and the dashboard:
 *
 * | role     | sees                                   | may                                                        |
 * | -------- | -------------------------------------- | ---------------------------------------------------------- |
 * | pm       | every review, everything               | everything                                                 |
 * | director | every review, everything               | read only (receives escalations by mail)                   |
 * | reviewer | reviews assigning their id and address | submit their own evaluations, confirm their own disposal   |
 * |          | (or awaiting their disposal); no other |                                                            |
 * |          | reviewer's summary; their own notices  |                                                            |
 * | lab      | their lab's reviews (by lab id), as    | grant access, set the release date, withdraw, confirm the  |
 * |          | visibility.ts shows them to the lab    | lab's disposal, complete the access package                |
 *
 * What each of them sees of a review in scope is visibility.ts's table. A review outside the scope answers
 * exactly as a missing one (404).
 */
import type { ReviewStatus } from '../../workflows/types';
import type { UpdateName } from '../review-client';
import type { Principal, Role } from './auth';
import { ApiError, forbidden } from './http-errors';
import { viewerOf, viewStatus } from './visibility';

export const UPDATE_ROLES: Record<UpdateName, Role[]> = {
  grantAccess: ['pm', 'lab'],
  assignReviewer: ['pm'],
  submitEvaluation: ['pm', 'reviewer'],
  setReleaseDate: ['pm', 'lab'],
  pauseClock: ['pm'],
  resumeClock: ['pm'],
  withdraw: ['pm', 'lab'],
  closeReview: ['pm'],
  cancelReview: ['pm'],
  confirmDisposal: ['pm', 'lab', 'reviewer'],
  completePackage: ['pm', 'lab'],
  attachEvidence: ['pm', 'lab', 'reviewer'],
};

export const READ_ROLES: Role[] = ['pm', 'director', 'reviewer', 'lab'];
export const START_ROLES: Role[] = ['pm'];
export const PLAN_ROLES: Role[] = ['pm', 'director'];
export const OUTBOX_ROLES: Role[] = ['pm', 'director'];

export function describe(p: Principal): string {
  if (p.role === 'reviewer') return `reviewer ${p.reviewerId}`;
  if (p.role === 'lab') return `lab "${p.labId ?? p.lab}"`;
  return p.role === 'pm' ? 'program manager' : 'director';
}

export function roleAllowed(p: Principal, roles: Role[], what: string): void {
  if (!roles.includes(p.role)) throw forbidden(`a ${p.role} token may not ${what} (allowed: ${roles.join(', ')})`);
}

/**
 * Whether the review is within the principal's scope. A lab token matches the review's `lab.id`; its display
 * name counts only for a review requested without an id, and only for a token that names it (legacy). A
 * reviewer token matches a review that assigns (or assigned) its id *with its address*.
 */
export function inScope(p: Principal, s: ReviewStatus): boolean {
  switch (p.role) {
    case 'pm':
    case 'director':
      return true;
    case 'lab':
      if (s.lab.id !== undefined) return p.labId !== undefined && p.labId === s.lab.id;
      return p.lab !== undefined && p.lab.trim() === s.lab.name.trim();
    case 'reviewer': {
      const id = p.reviewerId;
      const email = p.email?.toLowerCase();
      if (id === undefined || email === undefined) return false;
      const bound = (s.reviewers ?? []).some((r) => r.id === id && r.email.toLowerCase() === email);
      return bound && (s.evaluations.some((e) => e.reviewerId === id) || s.disposal.some((d) => d.party === id));
    }
  }
}

/** inScope on a review's facts (card or status): the same rules, for the read model. */
export function factsInScope(p: Principal, f: { lab: { id?: string; name: string }; reviewers: { id: string; email: string }[]; evaluations: { reviewerId: string }[]; disposal: { party: string }[] }): boolean {
  switch (p.role) {
    case 'pm':
    case 'director':
      return true;
    case 'lab':
      if (f.lab.id !== undefined) return p.labId !== undefined && p.labId === f.lab.id;
      return p.lab !== undefined && p.lab.trim() === f.lab.name.trim();
    case 'reviewer': {
      const id = p.reviewerId;
      const email = p.email?.toLowerCase();
      if (id === undefined || email === undefined) return false;
      const bound = f.reviewers.some((r) => r.id === id && r.email.toLowerCase() === email);
      return bound && (f.evaluations.some((e) => e.reviewerId === id) || f.disposal.some((d) => d.party === id));
    }
  }
}

/** Outside the scope reads exactly as missing: review ids name lab and model, and must not be probed. */
export function hiddenReview(reviewId: string): ApiError {
  return new ApiError(404, 'not-found', `review ${reviewId} not found`);
}

/** The argument-level checks: a reviewer acts only as itself, a lab only for the lab. Null when allowed. */
export function argumentScope(p: Principal, name: UpdateName, arg: unknown): ApiError | null {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
  if (p.role === 'reviewer') {
    if (name === 'submitEvaluation' && a.reviewerId !== p.reviewerId) return forbidden(`reviewer ${p.reviewerId} may submit only as reviewerId "${p.reviewerId}"`);
    if (name === 'confirmDisposal' && a.party !== p.reviewerId) return forbidden(`reviewer ${p.reviewerId} may confirm disposal only for party "${p.reviewerId}"`);
    if (name === 'attachEvidence' && a.party !== p.reviewerId) return forbidden(`reviewer ${p.reviewerId} may attach evidence only as party "${p.reviewerId}"`);
  }
  if (p.role === 'lab' && name === 'confirmDisposal' && a.party !== 'lab') return forbidden('a lab token may confirm disposal only for party "lab"');
  if (p.role === 'lab' && name === 'attachEvidence' && a.party !== 'lab') return forbidden('a lab token may attach evidence only as party "lab"');
  return null;
}

export interface StatusView extends ReviewStatus {
  visibility: { role: Role; redacted: string[] };
}

/** The status as the principal may see it: visibility.ts decides, for every door. */
export function viewFor(p: Principal, s: ReviewStatus): StatusView {
  const { status, redacted } = viewStatus(viewerOf(p), s);
  return { ...status, visibility: { role: p.role, redacted } };
}
