/**
 * Who may do what. One table for the API and the dashboard:
 *
 * | role     | sees                                   | may                                                        |
 * | -------- | -------------------------------------- | ---------------------------------------------------------- |
 * | pm       | every review, everything               | everything                                                 |
 * | director | every review, everything               | read only (receives escalations by mail)                   |
 * | reviewer | reviews they are assigned to (or must  | submit their own evaluations, confirm their own disposal   |
 * |          | confirm disposal for); no other        |                                                            |
 * |          | reviewer's summary; their own notices  |                                                            |
 * | lab      | their lab's reviews, without reviewers'| grant access, set the release date, withdraw, confirm the  |
 * |          | summaries; notices to the lab only     | lab's disposal                                             |
 */
import type { ReviewStatus } from '../../workflows/types';
import type { UpdateName } from '../review-client';
import type { Principal, Role } from './auth';
import { forbidden } from './http-errors';
import type { ApiError } from './http-errors';

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
};

export const READ_ROLES: Role[] = ['pm', 'director', 'reviewer', 'lab'];
export const START_ROLES: Role[] = ['pm'];
export const PLAN_ROLES: Role[] = ['pm', 'director'];
export const OUTBOX_ROLES: Role[] = ['pm', 'director'];

const sameLab = (a: string, b: string): boolean => a.trim() === b.trim();

export function describe(p: Principal): string {
  if (p.role === 'reviewer') return `reviewer ${p.reviewerId}`;
  if (p.role === 'lab') return `lab "${p.lab}"`;
  return p.role === 'pm' ? 'program manager' : 'director';
}

export function roleAllowed(p: Principal, roles: Role[], what: string): void {
  if (!roles.includes(p.role)) throw forbidden(`a ${p.role} token may not ${what} (allowed: ${roles.join(', ')})`);
}

/** Whether the review is within the principal's scope. */
export function inScope(p: Principal, s: ReviewStatus): boolean {
  switch (p.role) {
    case 'pm':
    case 'director':
      return true;
    case 'lab':
      return p.lab !== undefined && sameLab(s.lab.name, p.lab);
    case 'reviewer':
      return s.evaluations.some((e) => e.reviewerId === p.reviewerId) || s.disposal.some((d) => d.party === p.reviewerId);
  }
}

export function scopeError(p: Principal, s: ReviewStatus): ApiError {
  return forbidden(`review ${s.reviewId} is outside the scope of ${describe(p)}`);
}

/** The argument-level checks: a reviewer acts only as itself, a lab only for the lab. Null when allowed. */
export function argumentScope(p: Principal, name: UpdateName, arg: unknown): ApiError | null {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
  if (p.role === 'reviewer') {
    if (name === 'submitEvaluation' && a.reviewerId !== p.reviewerId) return forbidden(`reviewer ${p.reviewerId} may submit only as reviewerId "${p.reviewerId}"`);
    if (name === 'confirmDisposal' && a.party !== p.reviewerId) return forbidden(`reviewer ${p.reviewerId} may confirm disposal only for party "${p.reviewerId}"`);
  }
  if (p.role === 'lab' && name === 'confirmDisposal' && a.party !== 'lab') return forbidden('a lab token may confirm disposal only for party "lab"');
  return null;
}

export interface StatusView extends ReviewStatus {
  visibility: { role: Role; redacted: string[] };
}

/** The status as the principal may see it. */
export function viewFor(p: Principal, s: ReviewStatus): StatusView {
  if (p.role === 'pm' || p.role === 'director') return { ...s, visibility: { role: p.role, redacted: [] } };
  if (p.role === 'lab') {
    return {
      ...s,
      evaluations: s.evaluations.map((e) => ({ ...e, summary: null })),
      notices: s.notices.filter((n) => n.audience === 'lab'),
      visibility: { role: 'lab', redacted: ['evaluations[].summary (reviewers\' internal notes)', 'notices to other audiences'] },
    };
  }
  const own = `reviewer:${p.reviewerId}`;
  return {
    ...s,
    evaluations: s.evaluations.map((e) => (e.reviewerId === p.reviewerId ? e : { ...e, summary: null })),
    notices: s.notices.filter((n) => n.audience === own),
    visibility: { role: 'reviewer', redacted: ["other reviewers' evaluations[].summary", 'notices to other audiences'] },
  };
}
