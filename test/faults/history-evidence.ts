/**
 * What a review's history says about the activity attempts that carried each e-mail: the fault ledger accepts a
 * resent copy only when the history shows the attempt that sent the first copy failed and another one ran.
 * Pure: histories in, a map out. Payloads must be readable (the fault run's worker does not encrypt).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { DeliveryAlert, NoticeBatch, NoticePayload } from '../../workflows/types';
import { eventTimeMs } from '../../client/timer-guard';
import { localActivityOf } from '../support/history-events';
import type { LedgerOptions } from './ledger';

/** The attempts of the activity that carried one mail, as the history records them. */
export interface ActivityAttempts {
  /** Attempt number of the last (successful or final) attempt: 1 when nothing was retried. */
  attempts: number;
  /** What the attempt before the last one failed with (the history keeps only that one), or null. */
  lastFailure: string | null;
  /** When the first activity that carried the mail was scheduled (ms, server clock): no attempt of it ran before. */
  firstScheduledAt: number;
}

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function firstArgument<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined {
  const p = payloads?.payloads?.[0];
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(p as Payload);
  } catch {
    return undefined; // encrypted or foreign: no evidence from this activity
  }
}

/** The failure of a local sendNotices attempt, or null for another event or a success. */
function localSendFailure(ev: HistoryEvent): string | null {
  const local = localActivityOf(ev);
  return local?.type === 'sendNotices' ? (local.failure ?? null) : null;
}

/**
 * Mail id → attempts. A notice is carried by its own sendNotice activity, or since review-core-v3 by the sendNotices
 * activity of its workflow task (each notice of it counts that activity's attempts). Since patch local-notices a batch is
 * first tried by a local activity, whose input the history does not keep: a sendNotices activity scheduled in the
 * workflow task that recorded a failed local attempt counts that attempt as its first. A delivery alert about an address is
 * sent inside the sendNotice activity of whichever notice found the address refused (or by sendDeliveryAlert in
 * reviews recorded before that): every such activity counts, and the one with the most attempts is kept.
 */
export function attemptsByMail(histories: History[]): Map<string, ActivityAttempts> {
  const out = new Map<string, ActivityAttempts>();
  const keep = (id: string, a: ActivityAttempts): void => {
    const known = out.get(id);
    const firstScheduledAt = Math.min(a.firstScheduledAt, known?.firstScheduledAt ?? Infinity);
    out.set(id, !known || a.attempts > known.attempts ? { ...a, firstScheduledAt } : { ...known, firstScheduledAt });
  };
  for (const h of histories) {
    const carried = new Map<string, string[]>(); // scheduled event id → mail ids
    const scheduledAt = new Map<string, number>(); // scheduled event id → its time
    const afterLocal = new Map<string, string>(); // scheduled event id → the failure of the task's local attempt
    let localFailure: string | null = null; // a failed local attempt in the workflow task being read
    for (const ev of h.events ?? []) {
      if (ev.workflowTaskCompletedEventAttributes) localFailure = null;
      localFailure = localSendFailure(ev) ?? localFailure;
      const scheduled = ev.activityTaskScheduledEventAttributes;
      if (scheduled) {
        scheduledAt.set(String(ev.eventId), eventTimeMs(ev));
        const type = scheduled.activityType?.name;
        const mails = (n: Pick<NoticePayload, 'id' | 'to'>, reviewId: string): string[] => [n.id, ...n.to.map((p) => `${reviewId}/alert/address-rejected:${p.email}`)];
        if (type === 'sendNotice') {
          const n = firstArgument<NoticePayload>(scheduled.input);
          if (n) carried.set(String(ev.eventId), mails(n, n.reviewId));
        } else if (type === 'sendNotices') {
          const b = firstArgument<NoticeBatch>(scheduled.input);
          if (b) carried.set(String(ev.eventId), b.notices.flatMap((n) => mails(n, b.shared.reviewId)));
          if (localFailure !== null) afterLocal.set(String(ev.eventId), localFailure);
        } else if (type === 'sendDeliveryAlert') {
          const a = firstArgument<DeliveryAlert>(scheduled.input);
          if (a) carried.set(String(ev.eventId), [a.id]);
        }
        continue;
      }
      const started = ev.activityTaskStartedEventAttributes;
      if (!started) continue;
      const ids = carried.get(String(started.scheduledEventId));
      if (!ids) continue;
      const local = afterLocal.get(String(started.scheduledEventId));
      const attempts = {
        attempts: (started.attempt ?? 1) + (local === undefined ? 0 : 1), lastFailure: started.lastFailure?.message ?? local ?? null,
        firstScheduledAt: scheduledAt.get(String(started.scheduledEventId)) ?? eventTimeMs(ev),
      };
      for (const id of ids) keep(id, attempts);
    }
  }
  return out;
}

/**
 * Review id → when its workflow tasks timed out or failed, or ran again (ms, server clock). A task whose worker was
 * killed times out and runs again on another worker — with it a local attempt that had sent mail before its worker
 * died. Only a task's first failure is written: its later attempts are transient, and one that is lost too leaves no
 * event; what shows it is the attempt count (> 1) of the task scheduled when it finally runs, at that event's time.
 */
export function taskRetriesByReview(histories: History[], reviewIds: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  histories.forEach((h, i) => {
    const at = (h.events ?? [])
      .filter((ev) => ev.workflowTaskTimedOutEventAttributes || ev.workflowTaskFailedEventAttributes || (ev.workflowTaskScheduledEventAttributes?.attempt ?? 1) > 1)
      .map(eventTimeMs);
    out.set(reviewIds[i], at);
  });
  return out;
}

/**
 * Review id → the workflow tasks its history records, each from its start to its completion, failure or timeout (ms;
 * Infinity when the history ends first). A local attempt's mail is accepted within its task.
 */
export function recordedTasksByReview(histories: History[], reviewIds: string[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  histories.forEach((h, i) => {
    const spans: [number, number][] = [];
    for (const ev of h.events ?? []) {
      if (ev.workflowTaskStartedEventAttributes) spans.push([eventTimeMs(ev), Infinity]);
      else if (ev.workflowTaskCompletedEventAttributes || ev.workflowTaskFailedEventAttributes || ev.workflowTaskTimedOutEventAttributes) {
        const open = spans[spans.length - 1];
        if (open && open[1] === Infinity) open[1] = eventTimeMs(ev);
      }
    }
    out.set(reviewIds[i], spans);
  });
  return out;
}

/** The history evidence the ledger check takes (LedgerOptions), over the reviews' histories; a mail id starts with its review id. */
export function historyEvidence(histories: History[], reviewIds: string[]): Pick<LedgerOptions, 'attempts' | 'taskRetriedAfter' | 'taskRunningAt'> {
  const attempts = attemptsByMail(histories);
  const retries = taskRetriesByReview(histories, reviewIds);
  const tasks = recordedTasksByReview(histories, reviewIds);
  const review = (id: string): string => id.slice(0, id.indexOf('/'));
  return {
    attempts: (id) => attempts.get(id),
    taskRetriedAfter: (id, accepted) => (retries.get(review(id)) ?? []).find((at) => at >= accepted) ?? null,
    taskRunningAt: (id, at) => (tasks.get(review(id)) ?? []).some(([from, to]) => from <= at && at <= to),
  };
}
