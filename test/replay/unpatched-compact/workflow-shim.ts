/**
 * @temporalio/workflow as the workflow code sees it in the compact-history replay check: patched('compact-history')
 * answers true without a marker, as if its changes had been made without a patch. Every other patch keeps its real
 * answer, so a history fails only where compact-history's commands differ.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'compact-history' ? true : realPatched(id);
}
