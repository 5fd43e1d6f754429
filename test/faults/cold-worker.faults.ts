/**
 * Regression: a worker killed (kill -9) right after a review's first notices went out, restarted, and handed
 * an update at once. The fresh worker rebuilds the review from its history and then handles the update; the
 * commands it issues must be exactly what a later replay of that history expects.
 *
 * Before patch `delivery-in-activity` the workflow chose whether to schedule a webhook activity from a count
 * that earlier notice results reported, and a cold worker could handle the update before those results:
 * the replay then failed with TMPRL1100 and the review was stuck (2 runs out of 2). With a refused lab
 * address the same held for the alert to the program manager.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { grantAccessUpdate, statusQuery, workflowIdFor } from '../../workflows/messages';
import { OneWorkerStack, replayError } from './one-worker-stack';
import { sleep } from './retrying-client';
import { reviewRequest } from './scenarios';

const REFUSED = 'security@acme.example';

let stack: OneWorkerStack;
beforeAll(async () => { stack = await OneWorkerStack.start('cold-worker'); }, 120_000);
afterAll(async () => { await stack?.stop(); }, 60_000);

async function coldUpdate(reviewId: string, refusedLabAddress: boolean): Promise<{ failedTasks: string[]; replay: string }> {
  const h: WorkflowHandle = await stack.rc.client.workflow.start('reviewWorkflow', {
    taskQueue: stack.taskQueue, workflowId: workflowIdFor(reviewId),
    args: [reviewRequest({ reviewId, plannedReleaseAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), ...(refusedLabAddress ? { extraLabContact: 'desk@acme.example' } : {}) })],
  });
  // Both intake notices are settled (their results reach the workflow in a task of this worker)...
  await stack.sink.waitFor(() => stack.mailFor(reviewId) >= 2, 30_000);
  for (const deadline = Date.now() + 30_000; ;) {
    const s = await h.query(statusQuery);
    if (s.notices.every((n) => n.state !== 'sending')) break;
    if (Date.now() > deadline) throw new Error(`${reviewId}: intake notices still sending`);
    await sleep(100);
  }
  // ...then the worker dies, a new one starts cold, and the first thing it gets is an update.
  await stack.killAndRestart();
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await stack.sink.waitFor(() => stack.mailFor(reviewId) >= 2 + 5, 60_000); // clock started ×4 (lab, pm, r1, r2) and the assignments
  const history = await h.fetchHistory();
  const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)
    .map((e) => `event ${String(e.eventId)}: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? ''}`);
  return { failedTasks, replay: await replayError(h) };
}

test('an update handled by a freshly restarted worker issues the commands a replay expects', async () => {
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await coldUpdate(`cold-${Date.now().toString(36)}-${i}`, false));
  expect(results).toEqual(results.map(() => ({ failedTasks: [], replay: 'ok' })));
}, 300_000);

test('the same with a lab address that the mail server refuses (the program manager is alerted)', async () => {
  stack.sink.faults = { rejectRecipients: [REFUSED] };
  try {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await coldUpdate(`cold-550-${Date.now().toString(36)}-${i}`, true));
    expect(results).toEqual(results.map(() => ({ failedTasks: [], replay: 'ok' })));
    // The alert went to the program manager once per review, not once per notice to the lab.
    const alerts = stack.sink.messages.filter((m) => m.raw.includes('X-Frontier-Review-Alert: address-rejected'));
    expect(alerts).toHaveLength(3);
  } finally {
    stack.sink.faults = {};
  }
}, 300_000);
