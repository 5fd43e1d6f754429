/**
 * @temporalio/workflow as the workflow code sees it in the "unpatched verifiable-record" replay check: everything
 * real, except that patched('verifiable-record') answers true without a marker, as if the closure receipt had been
 * written without a patch. The other patches keep their markers, so only this change is tested.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'verifiable-record' ? true : realPatched(id);
}
