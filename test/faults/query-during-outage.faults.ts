/**
 * Regression: a review is queried while its worker is dead and the review's next timer is about to fire.
 *
 * The worker that handled the last task is killed (kill -9); a fresh one starts; the status is queried at once. The
 * server hands the query to the fresh worker, whose core (SDK 1.24) rebuilds the review from its history. When the
 * window-end timer fires before the dead worker's sticky task times out, that rebuilt review sees the timer with the
 * time of the previous task and the commands that follow go out with the next task, where a replay sees the later
 * time. Before the review's clock got its floor (workflows/review-workflow.ts) the live worker started another timer
 * where a replay closes the review: the history failed replay with "Activity machine does not handle this event …
 * TimerStarted" (3 runs out of 3; found by the fault run, seed 317362630). The review itself closed late but did close.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { grantAccessUpdate, setReleaseDateUpdate, statusQuery, workflowIdFor } from '../../workflows/messages';
import { OneWorkerStack, replayError } from './one-worker-stack';
import { sleep } from './retrying-client';
import { reviewRequest } from './scenarios';

type Event = temporal.api.history.v1.IHistoryEvent;

let stack: OneWorkerStack;
beforeAll(async () => { stack = await OneWorkerStack.start('query-outage'); }, 120_000);
afterAll(async () => { await stack?.stop(); }, 60_000);

async function settled(h: WorkflowHandle, reviewId: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; ;) {
    if ((await h.query(statusQuery)).notices.every((n) => n.state !== 'sending')) return;
    if (Date.now() > deadline) throw new Error(`${reviewId}: notices still sending`);
    await sleep(200);
  }
}

/** Index of the first timer fired, and whether a workflow task timed out and one completed after it. */
function afterFire(events: Event[]): { timedOut: boolean; completed: boolean } {
  const fired = events.findIndex((e) => e.timerFiredEventAttributes);
  const after = fired < 0 ? [] : events.slice(fired);
  return { timedOut: after.some((e) => e.workflowTaskTimedOutEventAttributes), completed: after.some((e) => e.workflowTaskCompletedEventAttributes) };
}

async function queryDuringOutage(reviewId: string): Promise<{ phase: string; outage: boolean; replay: string }> {
  const h = await stack.rc.client.workflow.start('reviewWorkflow', {
    taskQueue: stack.taskQueue, workflowId: workflowIdFor(reviewId),
    args: [reviewRequest({ reviewId, plannedReleaseAt: new Date(Date.now() + 60 * 86_400_000).toISOString() })],
  });
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await settled(h, reviewId);
  // The lab moves its release 8 s out: the window now ends then, and the review's timer is set for it.
  await h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: new Date(Date.now() + 8_000).toISOString() }] });
  await stack.killAndRestart();
  // Queried now, the review is rebuilt on the fresh worker before the dead worker's sticky task times out (10 s)...
  await h.query(statusQuery);
  // ...and the review goes on once the timer has fired and the next task has run on the fresh worker.
  let seen = afterFire([]);
  for (const deadline = Date.now() + 60_000; !seen.completed; await sleep(500)) {
    if (Date.now() > deadline) throw new Error(`${reviewId}: no workflow task completed after the window-end timer fired`);
    seen = afterFire((await h.fetchHistory()).events ?? []);
  }
  return { phase: (await h.query(statusQuery)).phase, outage: seen.timedOut, replay: await replayError(h) };
}

test('a review queried on a fresh worker while its window end passes still replays', async () => {
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await queryDuringOutage(`query-outage-${Date.now().toString(36)}-${i}`));
  expect(results).toEqual(results.map(() => ({ phase: 'disposal', outage: true, replay: 'ok' })));
}, 300_000);
