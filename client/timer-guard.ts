/**
 * Reading a workflow's history for what the time-skipping test server is doing with it: its pending timers
 * and whether a workflow task is in flight.
 */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

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
