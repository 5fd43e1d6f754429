/**
 * @temporalio/workflow as the workflow code sees it in the review-core-v2 replay check: everything real,
 * except that patched('review-core-v2') answers true without a marker, as if coalesced calendar updates and
 * the history budget had been written without a patch. Earlier patches keep their real answers, so a
 * history fails only where the new behaviour differs.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'review-core-v2' ? true : realPatched(id);
}
