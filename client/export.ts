/**
 * `review export <id>` and `GET /api/reviews/{id}/export`: a review's audit trail and all its deadlines, as
 * JSON, CSV or iCalendar. Built from the `status` query only (the workflow is the system of record).
 */
import type { AuditEvent, NoticeRecord, ReviewStatus } from '../workflows/types';
import { csvLine, toIcs } from './calendar';
import type { CalendarItem } from './calendar';

export const EXPORT_FORMATS = ['json', 'csv', 'ics'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportDeadline {
  kind: 'access-deadline' | 'clock-start' | 'evaluation-due' | 'window-end' | 'planned-release' | 'closed' | 'disposal-due';
  label: string;
  at: string;
  track?: string;
}

export interface ReviewExport {
  reviewId: string;
  exportedAt: string;
  model: { name: string; version: string };
  lab: { name: string; timeZone: string };
  timeZone: string;
  phase: ReviewStatus['phase'];
  outcome: ReviewStatus['outcome'];
  deadlines: ExportDeadline[];
  evaluations: ReviewStatus['evaluations'];
  disposal: ReviewStatus['disposal'];
  notices: NoticeRecord[];
  events: AuditEvent[];
}

export function deadlinesOf(s: ReviewStatus): ExportDeadline[] {
  const out: ExportDeadline[] = [];
  const add = (kind: ExportDeadline['kind'], label: string, at: string | null, track?: string): void => {
    if (at) out.push({ kind, label, at, ...(track ? { track } : {}) });
  };
  add('access-deadline', 'Access deadline (the review lapses without access)', s.clock.accessDeadlineAt);
  add('clock-start', 'Access granted: clock started', s.clock.startedAt);
  for (const e of s.evaluations) add('evaluation-due', `Evaluation due: ${e.track} (${e.reviewerId})`, e.dueAt, e.track);
  add('window-end', 'Review window ends', s.clock.windowEndsAt);
  add('planned-release', "Lab's planned release", s.plannedReleaseAt);
  add('closed', `Review closed${s.outcome ? ` (${s.outcome})` : ''}`, s.closedAt);
  add('disposal-due', 'Disposal confirmations due', s.disposalDueAt);
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function buildExport(s: ReviewStatus, now: number = Date.now()): ReviewExport {
  return {
    reviewId: s.reviewId,
    exportedAt: new Date(now).toISOString(),
    model: s.model,
    lab: s.lab,
    timeZone: s.timeZone,
    phase: s.phase,
    outcome: s.outcome,
    deadlines: deadlinesOf(s),
    evaluations: s.evaluations,
    disposal: s.disposal,
    notices: s.notices,
    events: s.events,
  };
}

export const CSV_HEADER = ['record', 'at', 'type', 'party', 'track', 'state', 'detail'];

/** One row per deadline, audit event and notice, in time order. */
export function exportCsv(x: ReviewExport): string {
  const rows: { at: string; cells: (string | null | undefined)[] }[] = [
    ...x.deadlines.map((d) => ({ at: d.at, cells: ['deadline', d.at, d.kind, '', d.track, '', d.label] })),
    ...x.events.map((e) => ({ at: e.at, cells: ['event', e.at, e.type, e.by, '', '', e.detail] })),
    ...x.notices.map((n) => ({ at: n.at, cells: ['notice', n.at, n.kind, n.audience, n.track, n.state, n.to.join(' ')] })),
  ];
  rows.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return `${[csvLine(CSV_HEADER), ...rows.map((r) => csvLine(r.cells))].join('\r\n')}\r\n`;
}

export function exportIcs(x: ReviewExport): string {
  const items: CalendarItem[] = [
    ...x.deadlines.map((d) => ({ key: `deadline/${d.kind}${d.track ? `/${d.track}` : ''}`, at: d.at, summary: `${d.label} — ${x.model.name} ${x.model.version}`, category: 'deadline' })),
    ...x.events.map((e, i) => ({
      key: `event/${i}`, at: e.at, summary: `${e.type} (${e.by})`, description: e.detail, category: 'audit', marker: true,
    })),
    ...x.notices.map((n) => ({
      key: `notice/${n.id}`, at: n.at, summary: `Notice ${n.kind} → ${n.audience}`, description: `${n.state}; to ${n.to.join(', ')}`, category: 'notice', marker: true,
    })),
  ];
  return toIcs(x.reviewId, `Review ${x.reviewId}`, items, new Date(x.exportedAt));
}

export function renderExport(x: ReviewExport, format: ExportFormat): { body: string; contentType: string; filename: string } {
  switch (format) {
    case 'json': return { body: `${JSON.stringify(x, null, 2)}\n`, contentType: 'application/json; charset=utf-8', filename: `${x.reviewId}.json` };
    case 'csv': return { body: exportCsv(x), contentType: 'text/csv; charset=utf-8', filename: `${x.reviewId}.csv` };
    case 'ics': return { body: exportIcs(x), contentType: 'text/calendar; charset=utf-8', filename: `${x.reviewId}.ics` };
  }
}
