/**
 * @temporalio/workflow as the workflow code sees it in the local-receipt replay check: patched('local-receipt')
 * answers as compact-history's marker does (taking it), as if the receipt had moved to a local activity within
 * compact-history, without a patch of its own. Every other patch keeps its real answer, so a history fails only
 * where local-receipt's commands differ.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return realPatched(id === 'local-receipt' ? 'compact-history' : id);
}
