/**
 * @temporalio/workflow as the code before review-updated-at saw it: patched('review-updated-at') answers false, so a
 * review started on a worker with this bundle keeps its card but never sets ReviewUpdatedAt, like a review started
 * before the upgrade. The card-cache test lists such a review beside new ones.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'review-updated-at' ? false : realPatched(id);
}
