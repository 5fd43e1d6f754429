/**
 * @temporalio/workflow as the code before review-card saw it: patched('review-card') answers false, so a review
 * started on a worker with this bundle keeps no card and no ReviewReviewers, like a review started before the
 * upgrade. The read-model test lists such reviews beside new ones.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  // review-updated-at stands for review-card: the code before the card knew neither.
  return id === 'review-card' || id === 'review-updated-at' ? false : realPatched(id);
}
