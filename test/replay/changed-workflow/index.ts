/**
 * A deliberately incompatible copy of reviewWorkflow: it sleeps before starting, which inserts a timer
 * command no recorded history has. The replay suite must reject it — proof that replay would catch a
 * real unpatched change.
 */
import { sleep } from '@temporalio/workflow';
import { reviewWorkflow as original } from '../../../workflows/review-workflow';
import type { ReviewRequest } from '../../../workflows/types';

export async function reviewWorkflow(request: ReviewRequest): ReturnType<typeof original> {
  await sleep('1 second');
  return original(request);
}
