/**
 * @temporalio/workflow as the workflow code sees it in the "unpatched" replay check: everything real,
 * except that patched() always answers true, as if the new behaviour had been written without a patch.
 */
export * from '@temporalio/workflow';
export function patched(_id: string): boolean {
  return true;
}
