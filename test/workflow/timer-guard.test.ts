/**
 * Why the what-if simulation clears the timers before each update (client/timer-guard.ts), shown without a
 * race: first the test server's own behaviour, driven by hand through its gRPC API (a workflow task that
 * cancels a timer which fired while the task ran is refused, and the workflow never gets another task), then
 * the guard on a real review: afterwards no timer can fire while the update's workflow task runs.
 */
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { grantAccessUpdate, setReleaseDateUpdate, workflowIdFor } from '../../workflows/messages';
import { clearTimersBeforeUpdate, DEFAULT_TIMER_GUARD_MS, pendingTimers, workflowTaskInFlight } from '../../client/timer-guard';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

const { CommandType } = temporal.api.enums.v1;

test('test server: cancelling a timer that fired during the workflow task is refused; the task is never closed and time skipping stops', async () => {
  // Its own server: the refusal leaves time skipping locked for good.
  const own = await createReviewEnv();
  try {
    const svc = own.env.connection.workflowService;
    const namespace = own.env.namespace ?? 'default';
    const taskQueue = { name: `by-hand-${Math.random().toString(36).slice(2)}` }; // no worker polls it: this test is the worker
    const handle = await own.env.client.workflow.start('byHand', {
      taskQueue: taskQueue.name, workflowId: `timer-guard-${Math.random().toString(36).slice(2)}`, workflowTaskTimeout: '10 seconds',
    });
    const poll = async (): Promise<Uint8Array> => {
      const task = await svc.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'test' });
      expect(task.taskToken?.length).toBeGreaterThan(0);
      return task.taskToken as Uint8Array;
    };

    // Task 1 starts a 5 s timer, the way the review waits for its next due instant.
    await svc.respondWorkflowTaskCompleted({
      namespace, identity: 'test', taskToken: await poll(),
      commands: [{ commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: '1', startToFireTimeout: msToTs('5 seconds') } }],
    });
    // Something changes the workflow (an update, for the review; a signal here): task 2 starts ...
    await handle.signal('change');
    const token = await poll();
    // ... and runs while the timer fires: with a task out, the server's clock runs in real time.
    await new Promise((r) => setTimeout(r, 6_000));
    // Its completion cancels the timer, as `condition(fn, timeout)` does once fn holds: refused.
    await expect(svc.respondWorkflowTaskCompleted({
      namespace, identity: 'test', taskToken: token,
      commands: [{ commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: '1' } }],
    })).rejects.toThrow(/invalid history builder state for action/);

    // Time skipping is off from now on (the task's lock is never released): 6 s take 6 s ...
    const before = Date.now();
    await own.env.sleep('6 seconds');
    expect(Date.now() - before).toBeGreaterThan(5_500);
    // ... and past the task's 10 s timeout it is still started: no WorkflowTaskFailed or TimedOut, no fired timer, no new task.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events[events.length - 1].workflowTaskStartedEventAttributes).toBeTruthy();
    expect(events.some((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes || e.timerFiredEventAttributes)).toBe(false);
    const again = await own.env.connection.withDeadline(Date.now() + 2_000, () => svc.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'test' }))
      .catch(() => null);
    expect(again?.taskToken?.length ?? 0).toBe(0);
    await handle.terminate('wedged on purpose');
  } finally {
    await own.teardown();
  }
}, 120_000);

test('guard: a timer due in a few milliseconds fires before the update, none is due within the guard, the update is answered', async () => {
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const workflowId = workflowIdFor(req.reviewId);
  const history = async () => (await t.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];

  // Idle, then the clock to 30 ms before the review's next timer: it comes due in real time right away.
  await clearTimersBeforeUpdate(t.env, t.env.client, workflowId);
  const [next] = pendingTimers(await history());
  expect(next).toBeDefined();
  await t.env.sleep(next.firesAt - (await t.env.currentTimeMs()) - 30);

  const moved = await clearTimersBeforeUpdate(t.env, t.env.client, workflowId);
  expect(moved).toBeGreaterThan(0);
  expect(moved).toBeLessThan(DEFAULT_TIMER_GUARD_MS + 1_000);
  // The fired timer sent a notice: its activity may complete just after the guard looked and schedule a task of its
  // own (the guard waits for tasks, not activities). That task must run and finish, never hang.
  let events = await history();
  for (let i = 0; i < 500 && workflowTaskInFlight(events); i++) {
    await new Promise((r) => setTimeout(r, 20));
    events = await history();
  }
  const now = await t.env.currentTimeMs();
  expect(workflowTaskInFlight(events)).toBe(false);
  expect(events.some((e) => e.timerFiredEventAttributes?.timerId === next.timerId)).toBe(true);
  expect(pendingTimers(events).filter((p) => p.firesAt <= now + DEFAULT_TIMER_GUARD_MS)).toEqual([]);

  const ack = await t.env.client.withDeadline(Date.now() + 30_000, () => h.executeUpdate(setReleaseDateUpdate, {
    args: [{ plannedReleaseAt: new Date(now + 40 * 86_400_000).toISOString() }],
  }));
  expect(ack.update).toBe('setReleaseDate');
  expect((await t.status(ack.reviewId)).plannedReleaseAt).not.toBeNull();
}, 120_000);
