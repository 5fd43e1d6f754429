/**
 * `review export <id>` and `GET /api/reviews/{id}/export`: a review's audit trail and all its deadlines, as
 * JSON, CSV or iCalendar. Built from the `status` query only (the workflow is the system of record).
 *
 * The audit trail goes out hash-chained (shared/record/audit-chain.ts): each event carries `prev` and `hash`,
 * and `auditChain` gives the head, so `review verify <receipt> --export <file>` can check it offline against the
 * signed closure receipt. An event the reader may not see stays in the chain as its digest and hashes only.
 */
import { CHAIN_ALGORITHM, CHAIN_CANONICALIZATION, chained, genesisOf } from '../shared/record/audit-chain';
import type { ChainEntry } from '../shared/record/audit-chain';
import type { ReceiptEnvelope } from '../workflows/record-types';
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

/** An exported audit event: the event (or, withheld, what the reader may see of it) with its place in the chain. */
export type ExportEvent = Partial<AuditEvent> & { prev: string; hash: string; withheld?: true; digest?: string };

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
  events: ExportEvent[];
  auditChain: { algorithm: string; canonicalization: string; genesis: string; events: number; head: string };
  /** The signed closure receipt, once the review has closed (reviews started with it). */
  receipt?: ReceiptEnvelope;
}

/**
 * The chain over the review's whole audit trail; `show` says what the reader may see of each event (the event
 * itself, a shortened copy, or null), as client/api/visibility.ts decides.
 */
export function chainOf(s: ReviewStatus, show?: (e: AuditEvent) => AuditEvent | null): ExportEvent[] {
  return chained(s.reviewId, s.events as unknown as Record<string, unknown>[], show ? (e) => {
    const event = e as unknown as AuditEvent;
    const seen = show(event);
    return seen === event ? e : seen === null ? null : { at: seen.at, type: seen.type, by: seen.by };
  } : undefined) as ChainEntry[] as ExportEvent[];
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

/** `events`: the chained trail (chainOf); by default the status's whole trail, as the clearinghouse sees it. */
export function buildExport(s: ReviewStatus, now: number = Date.now(), events: ExportEvent[] = chainOf(s)): ReviewExport {
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
    events,
    auditChain: {
      algorithm: CHAIN_ALGORITHM, canonicalization: CHAIN_CANONICALIZATION, genesis: genesisOf(s.reviewId), events: events.length,
      head: events.length ? events[events.length - 1].hash : genesisOf(s.reviewId),
    },
    ...(s.receipt ? { receipt: s.receipt } : {}),
  };
}

const shown = (e: ExportEvent): e is AuditEvent & ExportEvent => typeof e.at === 'string' && typeof e.type === 'string';

export const CSV_HEADER = ['record', 'at', 'type', 'party', 'track', 'state', 'detail'];

/** One row per deadline, audit event and notice, in time order. */
export function exportCsv(x: ReviewExport): string {
  const rows: { at: string; cells: (string | null | undefined)[] }[] = [
    ...x.deadlines.map((d) => ({ at: d.at, cells: ['deadline', d.at, d.kind, '', d.track, '', d.label] })),
    ...x.events.filter(shown).map((e) => ({ at: e.at, cells: ['event', e.at, e.type, e.by, '', '', e.detail ?? '(withheld)'] })),
    ...x.notices.map((n) => ({ at: n.at, cells: ['notice', n.at, n.kind, n.audience, n.track, n.state, n.to.join(' ')] })),
  ];
  rows.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return `${[csvLine(CSV_HEADER), ...rows.map((r) => csvLine(r.cells))].join('\r\n')}\r\n`;
}

export function exportIcs(x: ReviewExport): string {
  const items: CalendarItem[] = [
    ...x.deadlines.map((d) => ({ key: `deadline/${d.kind}${d.track ? `/${d.track}` : ''}`, at: d.at, summary: `${d.label} — ${x.model.name} ${x.model.version}`, category: 'deadline' })),
    ...x.events.flatMap((e, i) => (shown(e) ? [{
      key: `event/${i}`, at: e.at, summary: `${e.type} (${e.by})`, description: e.detail ?? '(withheld)', category: 'audit', marker: true,
    }] : [])),
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
