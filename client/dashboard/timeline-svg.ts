/**
 * The review's timeline as an SVG picture — the access wait, the window (with pauses hatched), each
 * evaluation's due date and submission, every notice sent, every escalation, the planned release, the
 * disposal period and today's line — and its text equivalent, a table of the same events in time order
 * (WCAG 1.1.1: the picture is one image to assistive technology; the table is what it reads).
 *
 * Colour is never the only signal (WCAG 1.4.1): an overdue or not-completed evaluation is labelled "overdue"
 * beside its mark, a critical finding "critical", a failed notice is a cross instead of a dot, escalations are
 * triangles; the table says the same in words. Every mark keeps a <title> (the tooltip a mouse user sees).
 */
import { DateTime } from 'luxon';
import type { NoticeKind, ReviewStatus } from '../../workflows/types';
import { html, when, whenWords } from './html';
import type { Html } from './html';

const ESCALATIONS: NoticeKind[] = ['evaluation-overdue', 'director-escalation', 'critical-finding', 'disposal-overdue'];
const W = 1000;
const LEFT = 170;
const RIGHT = 24;
const LANE = 30;
const TOP = 26;

const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);
const isoOf = (t: number): string => new Date(t).toISOString();

interface Span {
  start: number;
  end: number | null;
}

/** Pauses from the audit trail: clock-paused … clock-resumed (or the close, or still open). */
export function pausesOf(s: ReviewStatus): Span[] {
  const spans: Span[] = [];
  for (const e of s.events) {
    if (e.type === 'clock-paused') spans.push({ start: Date.parse(e.at), end: null });
    else if ((e.type === 'clock-resumed' || e.type === 'review-closed') && spans.length && spans[spans.length - 1].end === null) spans[spans.length - 1].end = Date.parse(e.at);
  }
  return spans;
}

/** A flag said in words wherever the picture uses colour. */
export type TimelineFlag = 'overdue' | 'not completed' | 'critical' | 'escalation' | 'delivery failed' | 'still paused';

export interface TimelineEvent {
  at: string;
  /** Which lane of the picture: the window, a track, notices, escalations. */
  lane: string;
  what: string;
  flags: TimelineFlag[];
}

/** Every dated event the picture shows, in time order: the picture's text equivalent. */
export function timelineEvents(s: ReviewStatus): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const add = (at: string | null | undefined, lane: string, what: string, flags: TimelineFlag[] = []): void => {
    if (at && Number.isFinite(Date.parse(at))) out.push({ at, lane, what, flags });
  };
  add(s.createdAt, 'Review window', 'Review started: awaiting access');
  if (!s.clock.startedAt) add(s.clock.accessDeadlineAt, 'Review window', 'Access deadline: the review lapses without access');
  add(s.clock.startedAt, 'Review window', 'Access granted: the clock started');
  for (const p of pausesOf(s)) {
    add(isoOf(p.start), 'Review window', 'Clock paused', p.end === null ? ['still paused'] : []);
    if (p.end !== null) add(isoOf(p.end), 'Review window', 'Clock resumed');
  }
  for (const e of s.evaluations) {
    const flags: TimelineFlag[] = e.status === 'overdue' ? ['overdue'] : e.status === 'not-completed' ? ['not completed'] : [];
    add(e.dueAt, `Track ${e.track}`, `Evaluation due: ${e.track} (${e.reviewerId}), ${e.status}`, flags);
    add(e.submittedAt, `Track ${e.track}`, `Evaluation submitted: ${e.track}${e.severity ? `, severity ${e.severity}` : ''}`, e.severity === 'critical' ? ['critical'] : []);
  }
  add(s.clock.windowEndsAt, 'Review window', 'Window ends');
  add(s.closedAt, 'Review window', `Review closed${s.outcome ? ` (${s.outcome})` : ''}`);
  add(s.disposalDueAt, 'Review window', 'Disposal confirmations due');
  add(s.plannedReleaseAt, 'Review window', "Lab's planned release");
  for (const n of s.notices) {
    const escalation = ESCALATIONS.includes(n.kind);
    const flags: TimelineFlag[] = [...(escalation ? ['escalation' as const] : []), ...(n.kind === 'critical-finding' ? ['critical' as const] : []), ...(n.state === 'failed' ? ['delivery failed' as const] : [])];
    add(n.at, escalation ? 'Escalations' : 'Notices', `Notice ${n.kind}${n.track ? ` [${n.track}]` : ''} to ${n.audience} (${n.state})`, flags);
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The table that says what the picture shows, dates in words (`<time datetime>`). */
export function timelineTable(s: ReviewStatus, now: number, zone: string): Html {
  const events = timelineEvents(s);
  return html`<table id="timeline-table"><caption>Timeline events in time order (dates in ${zone}; today is ${whenWords(isoOf(now), zone)})</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Lane</th><th scope="col">Flags</th></tr></thead>
<tbody>${events.map((e) => html`<tr${e.flags.length ? html` class="flagged"` : ''}><td>${whenWords(e.at, zone)}</td><td>${e.what}</td><td>${e.lane}</td><td>${e.flags.length ? html`<strong>${e.flags.join(', ')}</strong>` : '—'}</td></tr>`)}</tbody></table>`;
}

export function timelineSvg(s: ReviewStatus, now: number, zone: string): Html {
  const created = Date.parse(s.createdAt);
  const start = ms(s.clock.startedAt);
  const end = ms(s.clock.windowEndsAt);
  const closed = ms(s.closedAt);
  const release = ms(s.plannedReleaseAt);
  const disposalDue = ms(s.disposalDueAt);
  const accessDeadline = ms(s.clock.accessDeadlineAt);
  const instants = [created, now, start, end, closed, disposalDue, accessDeadline, ...s.notices.map((n) => Date.parse(n.at)), ...s.evaluations.map((e) => ms(e.dueAt))]
    .filter((x): x is number => x !== null && Number.isFinite(x));
  if (release !== null && release <= Math.max(...instants) + 10 * 86_400_000) instants.push(release);
  const t0 = Math.min(...instants);
  let t1 = Math.max(...instants);
  if (t1 - t0 < 86_400_000) t1 = t0 + 86_400_000;
  const pad = (t1 - t0) * 0.03;
  const from = t0 - pad;
  const to = t1 + pad;
  const x = (t: number): number => LEFT + ((t - from) / (to - from)) * (W - LEFT - RIGHT);
  const f = (n: number): string => n.toFixed(1);

  const escalations = s.notices.filter((n) => ESCALATIONS.includes(n.kind));
  const notices = s.notices.filter((n) => !ESCALATIONS.includes(n.kind));
  const lanes = ['Review window', ...s.evaluations.map((e) => `Due: ${e.track}`), 'Notices', 'Escalations'];
  const height = TOP + lanes.length * LANE + 40;
  const laneY = (i: number): number => TOP + i * LANE + LANE / 2;
  const parts: Html[] = [];
  /** A word beside a mark, so the state does not rest on colour alone. */
  const flag = (cx: number, y: number, word: string): Html => html`<text class="tl-flag" x="${f(cx + 10)}" y="${f(y + 4)}">${word}</text>`;

  // Axis ticks: a day step giving at most ~12 labels.
  const spanDays = (to - from) / 86_400_000;
  const step = [1, 2, 3, 7, 14, 28].find((d) => spanDays / d <= 12) ?? 56;
  let tick = DateTime.fromMillis(from, { zone }).startOf('day').plus({ days: 1 });
  const axisY = TOP + lanes.length * LANE + 6;
  for (let guard = 0; tick.toMillis() < to && guard < 400; guard++, tick = tick.plus({ days: step })) {
    const tx = x(tick.toMillis());
    parts.push(html`<line class="tl-grid" x1="${f(tx)}" y1="${TOP - 6}" x2="${f(tx)}" y2="${axisY}"/><text class="tl-tick" x="${f(tx)}" y="${axisY + 16}" text-anchor="middle">${tick.toFormat('MMM d')}</text>`);
  }
  parts.push(html`<line class="tl-axis" x1="${LEFT}" y1="${axisY}" x2="${W - RIGHT}" y2="${axisY}"/>`);
  lanes.forEach((name, i) => parts.push(html`<text class="tl-lane" x="8" y="${f(laneY(i) + 4)}">${name.length > 26 ? `${name.slice(0, 25)}…` : name}</text>`));

  // Lane 0: waiting for access, the window, pauses, disposal.
  const y0 = laneY(0) - 8;
  const waitEnd = start ?? closed ?? accessDeadline ?? now;
  parts.push(html`<rect class="tl-band waiting" x="${f(x(created))}" y="${y0}" width="${f(Math.max(2, x(waitEnd) - x(created)))}" height="16"><title>Awaiting access: ${when(s.createdAt, zone)} – ${start ? `granted ${when(s.clock.startedAt, zone)}` : `deadline ${when(s.clock.accessDeadlineAt, zone)}`}</title></rect>`);
  if (start !== null && end !== null) {
    const bandEnd = closed !== null ? Math.min(closed, end) : end;
    parts.push(html`<rect class="tl-band" x="${f(x(start))}" y="${y0}" width="${f(Math.max(2, x(bandEnd) - x(start)))}" height="16"><title>Review window: ${when(s.clock.startedAt, zone)} – ${when(s.clock.windowEndsAt, zone)}${closed !== null ? ` (closed ${when(s.closedAt, zone)})` : ''}</title></rect>`);
    parts.push(html`<line class="tl-end" x1="${f(x(end))}" y1="${TOP - 6}" x2="${f(x(end))}" y2="${axisY}"><title>Window end: ${when(s.clock.windowEndsAt, zone)}</title></line>`);
  }
  for (const p of pausesOf(s)) {
    const pe = p.end ?? now;
    parts.push(html`<rect class="tl-pause" x="${f(x(p.start))}" y="${y0}" width="${f(Math.max(2, x(pe) - x(p.start)))}" height="16"><title>Clock paused ${when(isoOf(p.start), zone)}${p.end ? ` – ${when(isoOf(p.end), zone)}` : ' (still paused)'}</title></rect>`);
  }
  if (closed !== null && disposalDue !== null) {
    parts.push(html`<rect class="tl-band disposal" x="${f(x(closed))}" y="${y0 + 4}" width="${f(Math.max(2, x(disposalDue) - x(closed)))}" height="8"><title>Disposal confirmations due ${when(s.disposalDueAt, zone)}</title></rect>`);
  }

  // One lane per evaluation: due date (diamond: hollow pending, filled submitted) and submission (dot).
  s.evaluations.forEach((e, i) => {
    const y = laneY(i + 1);
    const due = ms(e.dueAt);
    if (due !== null) {
      const cx = x(due);
      parts.push(html`<path class="tl-due ${e.status}" d="M ${f(cx)} ${y - 7} L ${f(cx + 7)} ${y} L ${f(cx)} ${y + 7} L ${f(cx - 7)} ${y} Z"><title>${e.track} (${e.reviewerId}) due ${when(e.dueAt, zone)}: ${e.status}${e.severity ? `, severity ${e.severity}` : ''}</title></path>`);
      if (e.status === 'overdue' || e.status === 'not-completed') parts.push(flag(cx, y, e.status === 'overdue' ? 'overdue' : 'not completed'));
    }
    const sub = ms(e.submittedAt);
    if (sub !== null) {
      parts.push(html`<circle class="tl-sub" cx="${f(x(sub))}" cy="${y}" r="5"><title>${e.track} submitted ${when(e.submittedAt, zone)} (severity ${e.severity ?? '—'})</title></circle>`);
      if (e.severity === 'critical') parts.push(flag(x(sub), y, 'critical'));
    }
  });

  // Notices (dots; a failed one is a cross) and escalations (triangles).
  const ny = laneY(lanes.length - 2);
  notices.forEach((n) => {
    const cx = x(Date.parse(n.at));
    const title = html`<title>${when(n.at, zone)}: ${n.kind} to ${n.audience} (${n.state})</title>`;
    parts.push(n.state === 'failed'
      ? html`<path class="tl-notice failed" d="M ${f(cx - 4)} ${ny - 4} L ${f(cx + 4)} ${ny + 4} M ${f(cx + 4)} ${ny - 4} L ${f(cx - 4)} ${ny + 4}">${title}</path>`
      : html`<circle class="tl-notice" cx="${f(cx)}" cy="${ny}" r="4">${title}</circle>`);
  });
  const ey = laneY(lanes.length - 1);
  escalations.forEach((n) => {
    const cx = x(Date.parse(n.at));
    parts.push(html`<path class="tl-esc" d="M ${f(cx)} ${ey - 7} L ${f(cx + 7)} ${ey + 6} L ${f(cx - 7)} ${ey + 6} Z"><title>${when(n.at, zone)}: ${n.kind} to ${n.audience} (${n.state})</title></path>`);
    if (n.kind === 'critical-finding') parts.push(flag(cx, ey, 'critical'));
  });

  if (release !== null && release >= from && release <= to) {
    parts.push(html`<line class="tl-release" x1="${f(x(release))}" y1="${TOP - 6}" x2="${f(x(release))}" y2="${axisY}"><title>Planned release ${when(s.plannedReleaseAt, zone)}</title></line>`);
  }
  const nx = x(now);
  parts.push(html`<line class="tl-today" x1="${f(nx)}" y1="${TOP - 12}" x2="${f(nx)}" y2="${axisY}"><title>Now: ${when(isoOf(now), zone)}</title></line><text class="tl-today-label" x="${f(nx)}" y="${TOP - 14}" text-anchor="middle">today</text>`);

  const overdue = s.evaluations.filter((e) => e.status === 'overdue').length;
  const critical = s.evaluations.filter((e) => e.severity === 'critical').length;
  const desc = [
    s.clock.startedAt ? `Window ${when(s.clock.startedAt, zone)} to ${when(s.clock.windowEndsAt, zone)}.` : `Awaiting access until ${when(s.clock.accessDeadlineAt, zone)}.`,
    `${s.evaluations.length} evaluation(s)${overdue ? `, ${overdue} overdue` : ''}${critical ? `, ${critical} with a critical finding` : ''}; ${notices.length} notice(s); ${escalations.length} escalation(s).`,
    `Today ${when(isoOf(now), zone)}. The same events are listed in the table below.`,
  ].join(' ');
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="tl-title tl-desc">
<title id="tl-title">Timeline of review ${s.reviewId}</title><desc id="tl-desc">${desc}</desc>
<defs><pattern id="tl-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff8c5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a6700" stroke-width="2"/></pattern></defs>
${parts}
</svg>`;
}
