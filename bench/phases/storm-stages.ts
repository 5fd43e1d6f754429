/**
 * Where a storm reminder's lateness goes, read from the histories of a sample of storm reviews: the timer firing
 * (server), the workflow task that schedules the notice (worker's workflow slots and CPU), the activity's start
 * (activity slots; with eager dispatch it is handed over in the task's reply), and the mail at the sink (the
 * activity's own work: ledger, the "still due?" query, rendering, SMTP through the pool). Since patch local-notices
 * the notice is sent by a local activity inside that workflow task: no activity stages, and the mail is at the sink
 * before the task completes. Each stage is the time from the due instant; the medians over the sample are reported.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { StoredMail } from '../../shared/smtp-sink';
import { workflowIdFor } from '../../workflows/messages';
import { summarize } from '../stats';

const EventType = temporal.api.enums.v1.EventType;

export interface StormStages {
  sampled: number;
  /** Medians, ms after the due instant. When the workflow's timer was set to fire (start event + duration): a timer
   * is set from the workflow task's start time and counted from its completion, so it ends that much late. */
  timerDue: number;
  timerFired: number;
  workflowTaskStarted: number;
  /** Reminders of the sample sent by a local activity in that task (patch local-notices; absent in older results). */
  local?: number;
  /** Medians over the reminders sent by an activity; null when none was. */
  activityScheduled: number | null;
  activityStarted: number | null;
  /** The workflow task that sent the reminder (or scheduled its activity) completed (absent in older results). */
  workflowTaskCompleted?: number;
  mailAtSink: number;
}

const msOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** One review: the first of each stage at or after the instant (a second of slack for clocks rounding). */
async function stagesOf(client: Client, reviewId: string, instant: number): Promise<number[] | null> {
  const history = await client.workflow.getHandle(workflowIdFor(reviewId)).fetchHistory();
  const all = history.events ?? [];
  const events = all.filter((e) => msOf(e.eventTime) >= instant - 1000);
  const at = (type: number, after = 0): temporal.api.history.v1.IHistoryEvent | undefined =>
    events.find((e) => e.eventType === type && Number(e.eventId) > after);
  const fired = at(EventType.EVENT_TYPE_TIMER_FIRED);
  if (!fired) return null;
  const startedId = Number(fired.timerFiredEventAttributes?.startedEventId);
  const timerStarted = all.find((e) => Number(e.eventId) === startedId);
  const duration = timerStarted?.timerStartedEventAttributes?.startToFireTimeout;
  if (!timerStarted || !duration) return null;
  const due = msOf(timerStarted.eventTime) + msOf(duration);
  const task = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, Number(fired.eventId));
  const completed = task && at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, Number(task.eventId));
  if (!task || !completed) return null;
  const local = events.find((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && Number(e.eventId) > Number(completed.eventId)
    && e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && !e.markerRecordedEventAttributes.failure);
  const scheduled = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && Number(e.eventId) > Number(fired.eventId)
    && ['sendNotice', 'sendNotices'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''));
  const started = scheduled && events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    && Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
  const first = (a: temporal.api.history.v1.IHistoryEvent | undefined, b: temporal.api.history.v1.IHistoryEvent | undefined): boolean =>
    a !== undefined && (b === undefined || Number(a.eventId) < Number(b.eventId));
  const after = (e: temporal.api.history.v1.IHistoryEvent): number => msOf(e.eventTime) - instant;
  if (first(local, scheduled)) return [due - instant, after(fired), after(task), 1, NaN, NaN, after(completed)];
  if (!scheduled || !started) return null;
  return [due - instant, after(fired), after(task), 0, after(scheduled), after(started), after(completed)];
}

/** Up to `size` reminders spread over the arrival order (first, …, last). */
export async function stormStages(client: Client, arrived: StoredMail[], instant: number, size: number): Promise<StormStages | null> {
  const byArrival = [...arrived].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  const picks = [...new Set(Array.from({ length: Math.min(size, byArrival.length) }, (_, i) => Math.round((i * (byArrival.length - 1)) / Math.max(1, size - 1))))];
  const rows: number[][] = [];
  for (const i of picks) {
    const mail = byArrival[i];
    const reviewId = /^<([^/]+)\//.exec(mail.messageId)?.[1];
    const stages = reviewId ? await stagesOf(client, reviewId, instant) : null;
    if (stages) rows.push([...stages, mail.receivedAt.getTime() - instant]);
  }
  if (rows.length === 0) return null;
  const median = (k: number): number | null => {
    const xs = rows.map((r) => r[k]).filter((x) => !Number.isNaN(x));
    return xs.length ? summarize(xs).p50 : null;
  };
  const m = (k: number): number => median(k) ?? NaN;
  return {
    sampled: rows.length, timerDue: m(0), timerFired: m(1), workflowTaskStarted: m(2), local: rows.filter((r) => r[3] === 1).length,
    activityScheduled: median(4), activityStarted: median(5), workflowTaskCompleted: m(6), mailAtSink: m(7),
  };
}
