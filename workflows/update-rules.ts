/**
 * When each update is allowed: the state checks the workflow's validators run after the argument parsed
 * (validation.ts). Pure: a refused update throws a ValidationError naming the field and changes nothing.
 * The limits (limits.ts) are checked here, so a refusal says which limit and how many are left.
 */
import { checkDestroyed } from './evidence';
import { LIMITS } from './limits';
import { evaluationDueAt, isClosed, reviewerById, toTimelineState } from './review-state';
import type { ReviewState } from './review-state';
import { parseInstant, pauseBudgetMs, pausedMs, toIso } from './timeline';
import type { CompletePackageInput } from './access-package';
import type { AssignReviewerInput, ConfirmDisposalInput, SetReleaseDateInput, SubmitEvaluationInput } from './types';
import { ValidationError } from './validation';

function fail(path: string, message: string): never {
  throw new ValidationError([{ path, message }]);
}

const iso = (s: ReviewState, ms: number): string => toIso(ms, s.request.timeZone);

export function requireOpen(s: ReviewState): void {
  if (isClosed(s)) fail('', `review ${s.request.reviewId} is closed (outcome ${s.outcome}); no further changes are accepted`);
}

export function requirePhase(s: ReviewState, allowed: string[], action: string): void {
  if (!allowed.includes(s.phase)) {
    fail('', `cannot ${action}: review ${s.request.reviewId} is ${s.phase}${s.outcome ? ` (outcome ${s.outcome})` : ''}; allowed only when ${allowed.join(' or ')}`);
  }
}

export function checkAssignReviewer(s: ReviewState, a: AssignReviewerInput, now: number): void {
  requireOpen(s);
  const existing = s.evaluations.find((e) => e.track === a.track);
  if (existing?.submittedAt != null) fail('track', `"${a.track}" already has a submitted evaluation; it cannot be reassigned`);
  if (!existing && s.evaluations.length >= LIMITS.tracks) fail('track', `a review has at most ${LIMITS.tracks} tracks; this one has ${s.evaluations.length}`);
  if (existing && (existing.reassignments ?? 0) >= LIMITS.reassignmentsPerTrack) {
    fail('track', `"${a.track}" has changed hands ${existing.reassignments} times, the most a track may (${LIMITS.reassignmentsPerTrack}); 0 reassignments left`);
  }
  const other = reviewerById(s, a.reviewer.id);
  if (other && other.email !== a.reviewer.email) fail('reviewer.email', `reviewer "${a.reviewer.id}" is already known with another e-mail address`);
  const dueDay = a.dueDay ?? existing?.dueDay ?? s.policy.dueDay;
  const dueBusinessDays = a.dueBusinessDays ?? (a.dueDay !== undefined ? null : existing?.dueBusinessDays ?? null);
  if (dueBusinessDays === null && dueDay > s.policy.windowDays) fail('dueDay', `must be at most policy.windowDays (${s.policy.windowDays})`);
  if (s.accessGrantedAt !== null && (!existing || a.dueDay !== undefined || a.dueBusinessDays !== undefined)) {
    const candidate = { track: a.track, reviewer: a.reviewer, dueDay, dueBusinessDays, assignedAt: now, submittedAt: null, severity: null, summary: null };
    const due = evaluationDueAt(s, candidate, now);
    const field = dueBusinessDays !== null ? 'dueBusinessDays' : 'dueDay';
    const rule = dueBusinessDays !== null ? `${dueBusinessDays} business days` : `day ${dueDay}`;
    if (due !== null && due <= now) fail(field, `${rule} (${iso(s, due)}) has already passed; give a later ${field}`);
  }
}

export function checkSubmitEvaluation(s: ReviewState, a: SubmitEvaluationInput): void {
  requirePhase(s, ['in-review', 'paused'], 'submit an evaluation');
  const e = s.evaluations.find((x) => x.track === a.track);
  if (!e) fail('track', `unknown track "${a.track}"; tracks of this review: ${s.evaluations.map((x) => x.track).join(', ') || 'none'}`);
  if (e.reviewer.id !== a.reviewerId) {
    fail('reviewerId', reviewerById(s, a.reviewerId) ? `reviewer "${a.reviewerId}" is not assigned to track "${a.track}"` : `unknown reviewer "${a.reviewerId}"`);
  }
  if (e.submittedAt !== null) fail('track', `an evaluation for "${a.track}" was already submitted at ${iso(s, e.submittedAt)}`);
}

export function checkSetReleaseDate(s: ReviewState, a: SetReleaseDateInput, now: number): void {
  requireOpen(s);
  if ((parseInstant(a.plannedReleaseAt) as number) <= now) fail('plannedReleaseAt', `must be in the future (now is ${iso(s, now)})`);
  const moves = s.releaseDateMoves ?? 0;
  if (moves >= LIMITS.releaseDateMoves) {
    fail('plannedReleaseAt', `the planned release date has been changed ${moves} times, the most a review accepts (${LIMITS.releaseDateMoves}); ask the program manager`);
  }
}

export function checkPause(s: ReviewState, now: number): void {
  requirePhase(s, ['in-review'], 'pause the clock');
  if (pausedMs(toTimelineState(s), now) >= pauseBudgetMs(toTimelineState(s))) {
    fail('', `the pause budget of ${s.policy.maxPauseDays} days (policy.maxPauseDays) is used up`);
  }
  if (s.pauses.length >= LIMITS.pauses) fail('', `the clock has been paused ${s.pauses.length} times, the most a review accepts (${LIMITS.pauses})`);
}

export function checkConfirmDisposal(s: ReviewState, a: ConfirmDisposalInput): void {
  requirePhase(s, ['disposal'], 'confirm disposal');
  const d = s.disposal.find((x) => x.party === a.party);
  if (!d) fail('party', `unknown party "${a.party}"; expected one of: ${s.disposal.map((x) => x.party).join(', ')}`);
  if (d.confirmedAt !== null) fail('party', `"${a.party}" already confirmed disposal at ${iso(s, d.confirmedAt)}`);
  checkDestroyed(s, a.party, a.destroyed);
}

export function checkCompletePackage(s: ReviewState, a: CompletePackageInput): void {
  requireOpen(s);
  const used = s.packageUpdates ?? 0;
  if (used >= LIMITS.packageUpdates) fail('', `the access package has been completed ${used} times, the most a review accepts (${LIMITS.packageUpdates}); ask the program manager`);
  if (!s.package) {
    if (a.access === undefined) fail('access', 'the review has no access package yet: give access (hosted-api, weights-transfer or secure-enclave)');
    if (a.modelIdentifier === undefined) fail('modelIdentifier', 'the review has no access package yet: give the model identifier');
  }
}
