/** The review's messages, defined once and imported by the workflow and the client. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CompletePackageInput } from './access-package';
import type { AttachEvidenceInput } from './evidence';
import type {
  ActorInput, AssignReviewerInput, CancelInput, ConfirmDisposalInput, GrantAccessInput, ReviewStatus,
  SetReleaseDateInput, SubmitEvaluationInput, UpdateAck,
} from './types';

export const TASK_QUEUE_DEFAULT = 'frontier-review';
export const WORKFLOW_TYPE = 'reviewWorkflow';
export const workflowIdFor = (reviewId: string): string => `review-${reviewId}`;

export const grantAccessUpdate = defineUpdate<UpdateAck, [GrantAccessInput]>('grantAccess');
export const assignReviewerUpdate = defineUpdate<UpdateAck, [AssignReviewerInput]>('assignReviewer');
export const submitEvaluationUpdate = defineUpdate<UpdateAck, [SubmitEvaluationInput]>('submitEvaluation');
export const setReleaseDateUpdate = defineUpdate<UpdateAck, [SetReleaseDateInput]>('setReleaseDate');
export const pauseClockUpdate = defineUpdate<UpdateAck, [ActorInput]>('pauseClock');
export const resumeClockUpdate = defineUpdate<UpdateAck, [ActorInput]>('resumeClock');
export const withdrawUpdate = defineUpdate<UpdateAck, [ActorInput]>('withdraw');
export const closeReviewUpdate = defineUpdate<UpdateAck, [ActorInput]>('closeReview');
export const cancelReviewUpdate = defineUpdate<UpdateAck, [CancelInput]>('cancelReview');
export const confirmDisposalUpdate = defineUpdate<UpdateAck, [ConfirmDisposalInput]>('confirmDisposal');
export const completePackageUpdate = defineUpdate<UpdateAck, [CompletePackageInput]>('completePackage');
export const attachEvidenceUpdate = defineUpdate<UpdateAck, [AttachEvidenceInput]>('attachEvidence');

export const statusQuery = defineQuery<ReviewStatus>('status');

/** Asked by the notice activity just before sending: does the notice's reason still hold? */
export interface NoticeCheck {
  send: boolean;
  reason?: string;
}
export const noticeCheckQuery = defineQuery<NoticeCheck, [string]>('noticeCheck');

export const DIGEST_WORKFLOW_TYPE = 'digestWorkflow';
export const DIGEST_SCHEDULE_ID = 'frontier-review-weekly-digest';
