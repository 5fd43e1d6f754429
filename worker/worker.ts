/** The review worker: the project's workflows and activities on one task queue. Shared by `npm run worker` and `npm start`. */
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivitiesOptions } from '../activities';
import { reviewWorkflowBundle } from '../shared/workflow-bundle';
import { TASK_QUEUE_DEFAULT } from '../workflows/messages';

export interface ReviewWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activitiesOptions?: ActivitiesOptions;
  /** A prebuilt bundle (tests bundle once); otherwise the workflows are bundled at start (~2 s). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload codecs (encryption); clients must use the same. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Activities run at once (WORKER_MAX_ACTIVITIES); the SDK's default (100) when unset. */
  maxConcurrentActivityTaskExecutions?: number;
  /** Reviews kept in the workflow cache (WORKER_MAX_CACHED_WORKFLOWS); the SDK's default when unset. */
  maxCachedWorkflows?: number;
}

export async function createReviewWorker(o: ReviewWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue ?? TASK_QUEUE_DEFAULT,
    activities: createActivities(o.activitiesOptions ?? {}),
    ...(o.dataConverter ? { dataConverter: o.dataConverter } : {}),
    ...(o.maxConcurrentActivityTaskExecutions ? { maxConcurrentActivityTaskExecutions: o.maxConcurrentActivityTaskExecutions } : {}),
    ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
    ...(await reviewWorkflowBundle(o.workflowBundle)),
  });
}
