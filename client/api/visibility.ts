/**
 * What each party may see of a review, decided once for the API, the dashboard and the exports (they all
 * render a view made here). Every status field, every field of an evaluation, a notice or a disposal entry,
 * and every audit event type has a visibility; a field added to the status without one does not compile
 * (the tables are `Record`s over the types' keys), and an event type not listed is shown to the
 * clearinghouse only.
 *
 * Why a table and not a list of things to hide: the first views removed summaries and other audiences'
 * notices but passed the audit trail through whole, so labs read escalations to the director, reviewers'
 * disposal notes, PM reasons and SMTP replies naming other people (issue 13, finding 1).
 */
import { partySees } from '../../workflows/evidence';
import type { EvidenceView } from '../../workflows/evidence';
import type { AuditEvent, EvaluationView, NoticeRecord, ReviewStatus } from '../../workflows/types';
import type { Principal } from './auth';

/**
 * - `all`: everyone the review is in scope for;
 * - `concerned`: the clearinghouse and the party the item is about (a notice's audience, an evaluation's
 *   reviewer, a disposal entry's party);
 * - `clearinghouse`: program managers and the director only.
 */
export type Visibility = 'all' | 'concerned' | 'clearinghouse';

export const STATUS_FIELDS: Record<keyof ReviewStatus, Visibility> = {
  reviewId: 'all', model: 'all', lab: 'all', programManager: 'all', timeZone: 'all', phase: 'all', outcome: 'all', createdAt: 'all',
  plannedReleaseAt: 'all', policy: 'all', clock: 'all', closedAt: 'all', disposalDueAt: 'all',
  evaluations: 'all', // each entry by EVALUATION_FIELDS
  disposal: 'all', // each entry by DISPOSAL_FIELDS
  notices: 'concerned', // a party sees the notices addressed to it, by NOTICE_FIELDS
  events: 'all', // each event by EVENT_TYPES
  reviewers: 'clearinghouse', // addresses, for the scope check
  evidence: 'all', // each file by partySees (workflows/evidence.ts), its fields by EVIDENCE_FIELDS
  evidenceRetention: 'all',
  error: 'clearinghouse',
  package: 'all', // the lab's own terms and documents; reviewers need them to work
  receipt: 'all', // signed for the lab above all
  receiptError: 'clearinghouse',
};

export const EVALUATION_FIELDS: Record<keyof EvaluationView, Visibility> = {
  track: 'all', reviewerId: 'all', reviewerName: 'all', dueAt: 'all', dueBusinessDays: 'all', status: 'all', severity: 'all', submittedAt: 'all',
  summary: 'concerned', // the reviewer's own notes: never the lab, never another reviewer
  record: 'concerned', // harness, configuration and runs: the clearinghouse's methods
};

export const NOTICE_FIELDS: Record<keyof NoticeRecord, Visibility> = {
  id: 'all', kind: 'all', audience: 'all', to: 'all', at: 'all', state: 'all', messageId: 'all', track: 'all', invites: 'all',
  // Mail servers' and webhook receivers' replies name other addresses and hosts.
  error: 'clearinghouse', rejected: 'clearinghouse', reason: 'clearinghouse', webhook: 'clearinghouse',
};

export const DISPOSAL_FIELDS: Record<keyof ReviewStatus['disposal'][number], Visibility> = { party: 'all', confirmedAt: 'all', by: 'concerned', destroyed: 'concerned' };

/**
 * Which files a party sees is workflows/evidence.ts's `partySees` (a reviewer's evidence: the clearinghouse and that
 * reviewer; the lab's: the clearinghouse and, when shared, the reviewers; the clearinghouse's: as it chose). Of a file
 * it sees, a party gets these fields; the store key only the clearinghouse needs.
 */
export const EVIDENCE_FIELDS: Record<keyof EvidenceView, Visibility> = {
  digest: 'all', size: 'all', mediaType: 'all', name: 'all', party: 'all', visibleTo: 'all', track: 'all', attachedAt: 'all', deletedAt: 'all',
  by: 'concerned', ref: 'clearinghouse',
};

/**
 * How a party sees an audit event: `full`, `fact` (when, what and by whom; the free text withheld: a PM's
 * reason), `concerned` (full to the party it is about, nothing to others) or `none`.
 */
export type EventShow = 'full' | 'fact' | 'concerned' | 'none';
export interface EventRule {
  lab: EventShow;
  reviewer: EventShow;
}

export const EVENT_TYPES: Record<string, EventRule> = {
  'review-started': { lab: 'full', reviewer: 'full' },
  'access-granted': { lab: 'full', reviewer: 'full' },
  'release-date-set': { lab: 'full', reviewer: 'full' },
  'review-lapsed': { lab: 'full', reviewer: 'full' },
  'deadline-enforced': { lab: 'full', reviewer: 'full' },
  'disposal-complete': { lab: 'full', reviewer: 'full' },
  'clock-paused': { lab: 'fact', reviewer: 'fact' },
  'clock-resumed': { lab: 'fact', reviewer: 'fact' },
  'review-closed': { lab: 'fact', reviewer: 'fact' },
  withdrawn: { lab: 'fact', reviewer: 'fact' },
  'evaluation-submitted': { lab: 'full', reviewer: 'concerned' },
  'critical-finding': { lab: 'fact', reviewer: 'concerned' },
  'reviewer-assigned': { lab: 'none', reviewer: 'concerned' },
  'reviewer-reassigned': { lab: 'none', reviewer: 'concerned' },
  'evaluation-overdue': { lab: 'none', reviewer: 'concerned' },
  'director-escalation': { lab: 'none', reviewer: 'concerned' },
  'evaluation-not-completed': { lab: 'none', reviewer: 'concerned' },
  'disposal-confirmed': { lab: 'concerned', reviewer: 'concerned' },
  'disposal-overdue': { lab: 'concerned', reviewer: 'concerned' },
  'package-completed': { lab: 'full', reviewer: 'full' },
  'receipt-signed': { lab: 'full', reviewer: 'full' },
  'evaluated-model-mismatch': { lab: 'none', reviewer: 'concerned' },
  'receipt-not-signed': { lab: 'none', reviewer: 'none' },
  'evidence-attached': { lab: 'concerned', reviewer: 'concerned' },
  'evidence-deleted': { lab: 'full', reviewer: 'full' },
  // Delivery: addresses, hosts, server replies.
  'notice-superseded': { lab: 'none', reviewer: 'none' },
  'notice-suppressed': { lab: 'none', reviewer: 'none' },
  'notice-failed': { lab: 'none', reviewer: 'none' },
  'webhook-failed': { lab: 'none', reviewer: 'none' },
  'address-rejected': { lab: 'none', reviewer: 'none' },
  'alert-failed': { lab: 'none', reviewer: 'none' },
  'request-rejected': { lab: 'none', reviewer: 'none' },
};
const CLEARINGHOUSE_ONLY: EventRule = { lab: 'none', reviewer: 'none' };

export const WITHHELD = '(details for the clearinghouse only)';

/**
 * The parties (`lab` or reviewer ids) an event is about, read from the workflow's own wording (workflows/transitions.ts): the events
 * of running reviews carry no other field naming them.
 */
export function eventParties(e: AuditEvent): string[] {
  switch (e.type) {
    case 'evaluation-submitted':
    case 'critical-finding':
    case 'evaluated-model-mismatch':
      return [e.by];
    case 'reviewer-assigned':
      return [/^[^:]+: (\S+)$/.exec(e.detail)?.[1] ?? ''];
    case 'reviewer-reassigned': {
      const m = /^[^:]+: (\S+) → (\S+)/.exec(e.detail);
      return m ? [m[1], m[2]] : [];
    }
    case 'evaluation-overdue':
    case 'director-escalation':
    case 'evaluation-not-completed':
      return [/^\S+ \(([^)\s]+)\)/.exec(e.detail)?.[1] ?? ''];
    case 'disposal-confirmed':
      return [/^([^:;\s]+)/.exec(e.detail)?.[1] ?? ''];
    case 'evidence-attached':
      return [/^([^:\s]+):/.exec(e.detail)?.[1] ?? ''];
    case 'disposal-overdue':
      return [/from (\S+)$/.exec(e.detail)?.[1] ?? ''];
    default:
      return [];
  }
}

export type Viewer = { kind: 'clearinghouse' } | { kind: 'lab' } | { kind: 'reviewer'; reviewerId: string };

export function viewerOf(p: Principal): Viewer {
  if (p.role === 'lab') return { kind: 'lab' };
  if (p.role === 'reviewer') return { kind: 'reviewer', reviewerId: p.reviewerId ?? '' };
  return { kind: 'clearinghouse' };
}

/** The party name a viewer answers to: 'lab' or its reviewer id. */
const selfOf = (v: Viewer): string => (v.kind === 'lab' ? 'lab' : v.kind === 'reviewer' ? v.reviewerId : '');

function sees(v: Viewer, visibility: Visibility, concerned: boolean): boolean {
  if (v.kind === 'clearinghouse') return true;
  if (visibility === 'all') return true;
  return visibility === 'concerned' && concerned;
}

/** The fields of `item` the viewer may see; the others are null (kept, so the shape stays the contract's). */
function pick<T extends object>(item: T, fields: Record<keyof T, Visibility>, v: Viewer, concerned: boolean, hidden: 'null' | 'drop'): T {
  const out: Partial<Record<keyof T, unknown>> = {};
  for (const key of Object.keys(item) as (keyof T)[]) {
    const visibility = Object.hasOwn(fields, key) ? fields[key] : 'clearinghouse';
    if (sees(v, visibility, concerned)) out[key] = item[key];
    else if (hidden === 'null') out[key] = null;
  }
  return out as T;
}

export function eventFor(v: Viewer, e: AuditEvent): AuditEvent | null {
  if (v.kind === 'clearinghouse') return e;
  const rule = Object.hasOwn(EVENT_TYPES, e.type) ? EVENT_TYPES[e.type] : CLEARINGHOUSE_ONLY;
  const show = v.kind === 'lab' ? rule.lab : rule.reviewer;
  if (show === 'full') return e;
  if (show === 'fact') return { ...e, detail: WITHHELD };
  if (show === 'concerned') return eventParties(e).includes(selfOf(v)) ? e : null;
  return null;
}

export interface StatusVisibility {
  role: Principal['role'];
  redacted: string[];
}

/** The status as the viewer may see it, and a list of what was withheld (shown on the dashboard). */
export function viewStatus(v: Viewer, s: ReviewStatus): { status: ReviewStatus; redacted: string[] } {
  if (v.kind === 'clearinghouse') return { status: s, redacted: [] };
  const self = selfOf(v);
  const audience = v.kind === 'lab' ? 'lab' : `reviewer:${self}`;
  const top = pick(s, STATUS_FIELDS, v, false, 'drop');
  const events = s.events.map((e) => eventFor(v, e)).filter((e): e is AuditEvent => e !== null);
  const status: ReviewStatus = {
    ...top,
    evaluations: s.evaluations.map((e) => pick(e, EVALUATION_FIELDS, v, e.reviewerId === self, 'null')),
    disposal: s.disposal.map((d) => pick(d, DISPOSAL_FIELDS, v, d.party === self, 'null')),
    ...(s.evidence ? { evidence: s.evidence.filter((e) => partySees(e, self)).map((e) => pick(e, EVIDENCE_FIELDS, v, e.party === self, 'drop')) } : {}),
    notices: s.notices.filter((n) => n.audience === audience).map((n) => pick(n, NOTICE_FIELDS, v, true, 'drop')),
    events,
  };
  const redacted = [
    v.kind === 'lab' ? "evaluations[].summary (reviewers' internal notes)" : "other reviewers' evaluations[].summary",
    'notices to other audiences; mail and webhook errors',
    `audit events for the clearinghouse only (${s.events.length - events.length} withheld)`,
    "others' disposal notes",
    ...(s.evidence?.length ? [`evidence files meant for others (${s.evidence.length - (status.evidence?.length ?? 0)} withheld)`] : []),
  ];
  return { status, redacted };
}
