/** Human-readable output of the CLI. Pure functions of the data; `--json` bypasses all of this. */
import { DateTime } from 'luxon';
import { inZone } from '../shared/zone-time';
import type { ReviewStatus } from '../workflows/types';
import { itemLabel } from '../workflows/access-package';
import type { PackageView } from '../workflows/access-package';
import type { ReviewSummary, StartedReview, UpdateName } from './review-client';
import { describeDelivery } from './notice-state';

const DASH = '—';
export const RECENT_EVENTS = 10;

/** "2026-12-29 10:15 EST" in the given zone; the ISO input keeps its own offset otherwise. */
export function formatTime(iso: string | null, zone?: string): string {
  if (!iso) return DASH;
  if (zone) return inZone(iso, zone, 'minute') ?? iso;
  const dt = DateTime.fromISO(iso, { setZone: true });
  if (!dt.isValid) return iso;
  return dt.toFormat('yyyy-MM-dd HH:mm ZZZZ');
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  return `${Number.isInteger(d) ? d : d.toFixed(1)} d`;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

const indent = (lines: string[]): string[] => lines.map((l) => `  ${l}`);

/** "weights-transfer, acme/atlas-7 sha256:…; missing: model card, outage contact". */
export function describePackage(p: PackageView): string {
  const version = p.artifactDigest ?? p.apiVersion ?? 'no digest or API version';
  return `${p.access}, ${p.modelIdentifier} (${version}); ${p.complete ? 'complete' : `missing: ${p.missing.map(itemLabel).join(', ')}`}`;
}

export function formatStatus(s: ReviewStatus): string {
  const z = s.timeZone;
  const t = (iso: string | null): string => formatTime(iso, z);
  const clock = s.clock.startedAt
    ? `started ${t(s.clock.startedAt)}; window ends ${t(s.clock.windowEndsAt)}${s.clock.paused ? ' (PAUSED)' : ''}; paused ${days(s.clock.pausedMs)} of ${days(s.clock.pauseBudgetMs)}`
    : `not started (access not granted)${s.clock.accessDeadlineAt ? `; access deadline ${t(s.clock.accessDeadlineAt)}` : ''}`;
  const out = [
    `Review ${s.reviewId}: ${s.model.name} ${s.model.version} from ${s.lab.name}`,
    `  Phase:            ${s.phase}`,
    `  Outcome:          ${s.outcome ?? DASH}`,
    `  Clock:            ${clock}`,
    `  Window ends:      ${t(s.clock.windowEndsAt)}`,
    `  Planned release:  ${t(s.plannedReleaseAt)}`,
    ...(s.closedAt ? [`  Closed:           ${t(s.closedAt)}`] : []),
    ...(s.disposalDueAt ? [`  Disposal due:     ${t(s.disposalDueAt)}`] : []),
    `  Time zone:        ${z}`,
    ...(s.package ? [`  Access package:   ${describePackage(s.package)}`] : []),
    ...(s.receipt ? ['  Closure receipt:  signed (review receipt <id> --output <file>; check it with review verify)'] : s.receiptError ? [`  Closure receipt:  not signed: ${s.receiptError}`] : []),
    '',
    `Evaluations (${s.evaluations.length}):`,
    ...(s.evaluations.length
      ? indent(table(['TRACK', 'REVIEWER', 'DUE', 'STATUS', 'SEVERITY'],
        s.evaluations.map((e) => [e.track, `${e.reviewerId} (${e.reviewerName})`, t(e.dueAt), e.status, e.severity ?? DASH])))
      : ['  none assigned']),
  ];
  if (s.disposal.length) {
    out.push('', 'Disposal confirmations:', ...indent(table(['PARTY', 'CONFIRMED', 'BY'], s.disposal.map((d) => [d.party, t(d.confirmedAt), d.by ?? DASH]))));
  }
  out.push('', `Notices (${s.notices.length}):`);
  out.push(...(s.notices.length
    ? indent(table(['AT', 'KIND', 'TO', 'STATE'], s.notices.map((n) => [t(n.at), n.kind, `${n.audience}: ${n.to.join(', ')}`, describeDelivery(n)])))
    : ['  none']));
  const recent = s.events.slice(-RECENT_EVENTS);
  out.push('', `Recent events (${recent.length} of ${s.events.length}):`);
  out.push(...indent(table(['AT', 'EVENT', 'BY', 'DETAIL'], recent.map((e) => [t(e.at), e.type, e.by, e.detail]))));
  return out.join('\n');
}

export function formatList(rows: ReviewSummary[]): string {
  if (rows.length === 0) return 'No reviews found.';
  return table(['REVIEW', 'LAB', 'PHASE', 'WINDOW ENDS', 'OUTCOME', 'WORKFLOW'],
    rows.map((r) => [r.reviewId, r.lab ?? DASH, r.phase ?? DASH, formatTime(r.windowEndsAt, 'UTC'), r.outcome ?? DASH, r.status])).join('\n');
}

export function formatStarted(r: StartedReview, taskQueue: string): string {
  return [
    `Started review ${r.reviewId} (workflow ${r.workflowId}, run ${r.runId}) on task queue ${taskQueue}.`,
    `The lab and the program manager get an acknowledgement; the clock starts when access is granted:`,
    `  review grant-access ${r.reviewId} --by "<who granted it>"`,
  ].join('\n');
}

const DONE: Record<UpdateName, (s: ReviewStatus) => string> = {
  grantAccess: (s) => `Access granted: the clock started ${formatTime(s.clock.startedAt, s.timeZone)}; the window ends ${formatTime(s.clock.windowEndsAt, s.timeZone)}.`,
  assignReviewer: () => 'Reviewer assigned.',
  submitEvaluation: () => 'Evaluation submitted.',
  setReleaseDate: (s) => `Planned release set to ${formatTime(s.plannedReleaseAt, s.timeZone)}.`,
  pauseClock: () => 'Clock paused.',
  resumeClock: (s) => `Clock resumed; the window now ends ${formatTime(s.clock.windowEndsAt, s.timeZone)}.`,
  withdraw: (s) => `Review withdrawn (outcome ${s.outcome ?? DASH}).`,
  closeReview: (s) => `Review closed (outcome ${s.outcome ?? DASH}).`,
  cancelReview: (s) => `Review cancelled (outcome ${s.outcome ?? DASH}).`,
  confirmDisposal: () => 'Disposal confirmed.',
  completePackage: (s) => (s.package?.complete ? 'Access package complete.' : `Access package updated; still missing: ${(s.package?.missing ?? []).map(itemLabel).join(', ')}.`),
  attachEvidence: () => 'Evidence attached.',
};

/** One line saying what happened, then the compact state after it. */
export function formatUpdated(name: UpdateName, s: ReviewStatus): string {
  const pending = s.evaluations.filter((e) => e.status !== 'submitted').map((e) => e.track);
  const waiting = s.disposal.filter((d) => d.confirmedAt === null).map((d) => d.party);
  return [
    `${s.reviewId}: ${DONE[name](s)}`,
    `  phase ${s.phase}${s.outcome ? `, outcome ${s.outcome}` : ''}; window ends ${formatTime(s.clock.windowEndsAt, s.timeZone)}`,
    ...(s.evaluations.length ? [`  evaluations: ${s.evaluations.length - pending.length}/${s.evaluations.length} submitted${pending.length ? ` (pending: ${pending.join(', ')})` : ''}`] : []),
    ...(s.phase === 'disposal' ? [`  disposal confirmations missing: ${waiting.join(', ') || 'none'}`] : []),
  ].join('\n');
}
