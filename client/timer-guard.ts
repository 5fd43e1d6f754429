/**
 * Updates on the Java time-skipping test server without wedging the review.
 *
 * Between skips the test server's clock runs in real time. When a workflow timer fires while a workflow task
 * is running, the server buffers the TimerFired event; if that task's completion then cancels the same timer,
 * the server refuses the completion ("invalid history builder state for action", INVALID_ARGUMENT) after it
 * has already marked the task completed in memory. The task stays STARTED in history and is never timed out
 * or handed out again: the workflow answers nothing more; and the task's time-skipping lock is never released,
 * so from then on the server's clock only runs in real time and a skip of hours takes hours (sdk-java #2606,
 * #3088; a real server accepts the cancel). The review's main loop waits with `condition(() => changed, untilNextDue)`, so every update that
 * changes the review cancels the pending timer: an update whose workflow task is still running when that
 * timer comes due hits the bug. A timer a few milliseconds after a step's instant is common (the day-2 grant
 * lands some milliseconds after day 2, so its reminders fall those milliseconds after later whole days), and
 * under load the update's task easily runs longer than that.
 *
 * Hence, before an update: wait until the workflow has no workflow task in flight (one could start timers),
 * then fire every timer that is due within the guard (skipping the clock just past it), and check again.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A workflow task can take this long in real time (the update call's own timeout) and no timer fires meanwhile. */
export const DEFAULT_TIMER_GUARD_MS = 60_000;

export function eventTimeMs(ev: HistoryEvent): number {
  const t = ev.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
}

/** Timers started and neither fired nor cancelled, earliest first, with the instant each fires (server clock). */
export function pendingTimers(events: HistoryEvent[]): { timerId: string; firesAt: number }[] {
  const open = new Map<string, number>();
  for (const ev of events) {
    const started = ev.timerStartedEventAttributes;
    if (started?.timerId) {
      const d = started.startToFireTimeout;
      open.set(started.timerId, eventTimeMs(ev) + Number(d?.seconds ?? 0) * 1000 + Math.floor((d?.nanos ?? 0) / 1e6));
    }
    const closed = ev.timerFiredEventAttributes?.timerId ?? ev.timerCanceledEventAttributes?.timerId;
    if (closed) open.delete(closed);
  }
  return [...open].map(([timerId, firesAt]) => ({ timerId, firesAt })).sort((a, b) => a.firesAt - b.firesAt);
}

/** The last workflow task is scheduled or started, not yet completed, failed or timed out. */
export function workflowTaskInFlight(events: HistoryEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i];
    if (ev.workflowTaskScheduledEventAttributes || ev.workflowTaskStartedEventAttributes) return true;
    if (ev.workflowTaskCompletedEventAttributes || ev.workflowTaskFailedEventAttributes || ev.workflowTaskTimedOutEventAttributes) return false;
  }
  return false;
}

export interface TimerGuardOptions {
  /** No timer may be due within this much (skipped) time after the update is sent. Default 60 s. */
  guardMs?: number;
  /** Real time to wait for the workflow to go idle; past it the update is sent anyway. Default 60 s. */
  timeoutMs?: number;
}

/**
 * Call right before sending an update to `workflowId` on a time-skipping environment: returns once no
 * workflow task is in flight and no timer is due within the guard, having skipped the clock past the timers
 * that were (they fire first, as they would have a moment later). Returns how far the clock was moved (ms).
 */
export async function clearTimersBeforeUpdate(
  env: TestWorkflowEnvironment, client: Client, workflowId: string, options: TimerGuardOptions = {},
): Promise<number> {
  const guardMs = options.guardMs ?? DEFAULT_TIMER_GUARD_MS;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const handle = client.workflow.getHandle(workflowId);
  const startedAt = await env.currentTimeMs();
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    if (events.some((ev) => ev.workflowExecutionCompletedEventAttributes || ev.workflowExecutionFailedEventAttributes
      || ev.workflowExecutionTerminatedEventAttributes || ev.workflowExecutionCanceledEventAttributes
      || ev.workflowExecutionTimedOutEventAttributes || ev.workflowExecutionContinuedAsNewEventAttributes)) break;
    if (Date.now() > deadline) break;
    if (workflowTaskInFlight(events)) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const now = await env.currentTimeMs();
    const soon = pendingTimers(events).filter((t) => t.firesAt <= now + guardMs);
    if (soon.length === 0) break;
    // Just past the last of them; a timer already due but not yet in history makes this a 1 ms step.
    await env.sleep(Math.max(1, soon[soon.length - 1].firesAt - now + 1));
  }
  return (await env.currentTimeMs()) - startedAt;
}
