/**
 * @temporalio/workflow as the workflow code sees it in the local-notices replay check: patched('local-notices')
 * answers as local-receipt's marker does (taking it), as if notice batches had moved to local activities within
 * local-receipt, without a patch of their own. Every other patch keeps its real answer, so a history fails only
 * where local-notices' commands differ.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return realPatched(id === 'local-notices' ? 'local-receipt' : id);
}
