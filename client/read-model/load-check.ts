/**
 * The reviewer-load check of an assignment, shared by the API, the dashboard and the CLI: the reviewer's open
 * assignments come from one visibility query scoped to them (ReviewReviewers), not from a scan of statuses.
 */
import type { ReviewClient } from '../review-client';
import { readFacts } from './read';
import { loadWarning } from './workload';
import type { LoadWarning } from './workload';

/** Open reviews one check reads (a reviewer with more than this many is far past any sensible limit anyway). */
const CHECK_MAX = 1_000;

export async function reviewerLoadWarning(reviews: ReviewClient, reviewerId: string, target: { reviewId: string; track: string }, now: number, maxOpen: number): Promise<LoadWarning | null> {
  const read = await readFacts(reviews, { reviewer: reviewerId, phases: ['awaiting-access', 'in-review', 'paused'], limit: CHECK_MAX }, now);
  return loadWarning(read.flatMap((e) => (e.facts ? [e.facts] : [])), reviewerId, target, now, maxOpen);
}
