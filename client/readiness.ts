/**
 * What the API's /readyz answers: Temporal answers within the deadline, and a worker polls the review task queue
 * (workflow and activity pollers, describeTaskQueue). Temporal lists a poller for minutes after it stopped, so
 * only pollers seen within `pollerFreshMs` count: a worker's long poll renews that at least once a minute or so.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface Readiness {
  ready: boolean;
  temporal: 'reachable' | 'unreachable';
  namespace: string;
  taskQueue: string;
  workflowPollers: number;
  activityPollers: number;
  /** Why it is not ready. */
  reason?: string;
}

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

export async function checkReadiness(client: Client, taskQueue: string, o: { timeoutMs?: number; pollerFreshMs?: number; now?: () => number } = {}): Promise<Readiness> {
  const namespace = client.options.namespace;
  const now = o.now ?? Date.now;
  const fresh = o.pollerFreshMs ?? 120_000;
  const base = { namespace, taskQueue };
  const pollersOf = async (taskQueueType: temporal.api.enums.v1.TaskQueueType): Promise<number> => {
    const r = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    return (r.pollers ?? []).filter((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return seconds > 0 && now() - seconds * 1000 <= fresh;
    }).length;
  };
  let workflowPollers: number;
  let activityPollers: number;
  try {
    [workflowPollers, activityPollers] = await client.withDeadline(now() + (o.timeoutMs ?? 5_000), () =>
      Promise.all([pollersOf(TASK_QUEUE_TYPE_WORKFLOW), pollersOf(TASK_QUEUE_TYPE_ACTIVITY)]));
  } catch (e) {
    return { ...base, ready: false, temporal: 'unreachable', workflowPollers: 0, activityPollers: 0, reason: `Temporal did not answer: ${e instanceof Error ? e.message : String(e)}` };
  }
  const ready = workflowPollers > 0 && activityPollers > 0;
  return {
    ...base, ready, temporal: 'reachable', workflowPollers, activityPollers,
    ...(ready ? {} : { reason: `no worker polls task queue "${taskQueue}" (workflow pollers ${workflowPollers}, activity pollers ${activityPollers})` }),
  };
}
