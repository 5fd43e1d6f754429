/**
 * @temporalio/workflow as the code before review-card saw it: patched('review-card') answers false (and so do the
 * later patches that stand for it), so a review started on a worker with this bundle keeps no card and no
 * ReviewReviewers, like a review started before the upgrade. The read-model test lists such reviews beside new ones.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'review-card' || id === 'compact-history' || id === 'local-receipt' || id === 'local-notices' ? false : realPatched(id);
}
