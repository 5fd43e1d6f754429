import { WorkflowUpdateFailedError } from '@temporalio/client';

/** Awaits an update expected to be rejected; returns the validator's message (the cause of the failure). */
export async function rejectionOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) return e.cause?.message ?? e.message;
    throw e;
  }
  throw new Error('expected the update to be rejected, but it was accepted');
}
