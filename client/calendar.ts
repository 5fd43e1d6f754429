/**
 * iCalendar files (RFC 5545) for people's calendars: the plan preview and a review's export. Times are UTC
 * (every calendar shows them in its own zone); UIDs are stable per review and item, so importing a newer
 * export updates the events instead of duplicating them.
 */
import ical, { ICalEventTransparency } from 'ical-generator';

export interface CalendarItem {
  /** Stable within the review, e.g. `deadline/window-end`. */
  key: string;
  at: string;
  summary: string;
  description?: string;
  category: string;
  /** Deadlines block a short slot; notices and audit entries are markers (transparent). */
  marker?: boolean;
}

const uidPart = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-');

export function toIcs(reviewId: string, name: string, items: CalendarItem[], stamp: Date = new Date()): string {
  const calendar = ical({ name, prodId: { company: 'frontier-review', product: 'review-export', language: 'EN' } });
  for (const it of items) {
    const start = new Date(it.at);
    calendar.createEvent({
      id: `${uidPart(reviewId)}.${uidPart(it.key)}@frontier-review`,
      stamp,
      start,
      end: new Date(start.getTime() + (it.marker ? 0 : 30 * 60_000)),
      summary: it.summary,
      ...(it.description ? { description: it.description } : {}),
      categories: [{ name: it.category }],
      transparency: it.marker ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    });
  }
  return calendar.toString();
}

/** RFC 4180 field; a leading =, +, - or @ is neutralised so a spreadsheet never runs it as a formula. */
export function csvField(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: (string | number | null | undefined)[]): string => cells.map(csvField).join(',');
