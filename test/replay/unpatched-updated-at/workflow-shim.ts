/**
 * @temporalio/workflow as the workflow code sees it in the review-updated-at replay check: patched('review-updated-at')
 * answers true without a marker, as if ReviewUpdatedAt had been set without a patch. Every other patch keeps its real
 * answer, so a history fails only where that upsert is new.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'review-updated-at' ? true : realPatched(id);
}
