/** What a fetched history recorded of local activities: their markers name the type, and a failed one its failure. */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface LocalActivityMarker {
  type: string;
  failed: boolean;
  /** What the attempt failed with (the failure's cause, else its message). */
  failure?: string;
}

/** The local activity an event records (marker core_local_activity; its `data` detail is the SDK core's JSON), if any. */
export function localActivityOf(e: HistoryEvent): LocalActivityMarker | null {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return null;
  const data = m.details?.data?.payloads?.[0]?.data;
  const type = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
  const failure = m.failure ? (m.failure.cause?.message ?? m.failure.message ?? 'failed') : undefined;
  return { type: type ?? 'unknown', failed: failure !== undefined, ...(failure !== undefined ? { failure } : {}) };
}

/** The local activities of a history, in order. */
export const localActivitiesIn = (events: HistoryEvent[]): LocalActivityMarker[] => events.flatMap((e) => localActivityOf(e) ?? []);

export const localActivityTypesIn = (events: HistoryEvent[]): string[] => localActivitiesIn(events).map((m) => m.type);
