/**
 * Sending an update as a client does: the answer is a small acknowledgement (Temporal stores it in the
 * history), and the status is read with the query. Every workflow test goes through here, so each update
 * a test sends also checks that its acknowledgement is small and agrees with the status.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { statusQuery } from '../../workflows/messages';
import type { ReviewStatus, UpdateAck } from '../../workflows/types';

/** The contract's "a few hundred bytes". */
export const MAX_ACK_BYTES = 600;

export function expectAck(ack: UpdateAck, status: ReviewStatus, update: string): void {
  expect(Buffer.byteLength(JSON.stringify(ack), 'utf8')).toBeLessThanOrEqual(MAX_ACK_BYTES);
  expect(ack).toMatchObject({ reviewId: status.reviewId, update, phase: status.phase, outcome: status.outcome });
  // While paused the window end slides with every millisecond of pause: compare it only when it stands still.
  if (status.phase !== 'paused') expect(ack.windowEndsAt).toBe(status.clock.windowEndsAt);
  expect(ack.detail.length).toBeGreaterThan(0);
}

/** Sends `def` with `arg`, checks the acknowledgement, and returns the status after the update. */
export async function act<A>(h: WorkflowHandle, def: UpdateDefinition<UpdateAck, [A]>, arg: A): Promise<ReviewStatus> {
  const ack = await h.executeUpdate(def, { args: [arg] });
  const status = await h.query(statusQuery);
  expectAck(ack, status, def.name);
  return status;
}
