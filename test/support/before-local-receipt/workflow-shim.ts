/**
 * @temporalio/workflow as the code before local-receipt saw it: patched('local-receipt') answers false, so a review
 * started by it signs its closure receipt in an activity that queries the audit trail. The verifiable-record test
 * closes such a review on today's activities: its receipt must still be signed and verify.
 */
import { patched as realPatched } from '@temporalio/workflow';

export * from '@temporalio/workflow';
export function patched(id: string): boolean {
  return id === 'local-receipt' || id === 'local-notices' ? false : realPatched(id);
}
