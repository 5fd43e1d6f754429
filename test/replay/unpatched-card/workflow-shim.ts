/**
 * @temporalio/workflow as the workflow code sees it in the review-card replay check: patched('review-card')
 * answers true without a marker, as if the card had been written without a patch. Every other patch keeps its
 * real answer, so a history fails only where the card's commands differ.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'review-card' ? true : realPatched(id);
}
