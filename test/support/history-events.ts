/** What a fetched history recorded of local activities: their markers name the type, and a failed one its failure. */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface LocalActivityMarker {
  type: string;
  failed: boolean;
}

/** The local activities of a history, in order (marker core_local_activity; its `data` detail is the SDK core's JSON). */
export function localActivitiesIn(events: HistoryEvent[]): LocalActivityMarker[] {
  return events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_local_activity') return [];
    const data = m.details?.data?.payloads?.[0]?.data;
    const type = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
    return [{ type: type ?? 'unknown', failed: Boolean(m.failure) }];
  });
}

export const localActivityTypesIn = (events: HistoryEvent[]): string[] => localActivitiesIn(events).map((m) => m.type);
