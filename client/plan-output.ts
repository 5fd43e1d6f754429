/** The plan preview as text (a table per section) and as an iCalendar file. */
import { DateTime } from 'luxon';
import { toIcs } from './calendar';
import { describePackage, formatTime, table } from './format';
import type { Plan } from './plan';
import type { SimulationResult } from './simulate';

/** "day 3": calendar days after the start, in the review's zone. */
export function dayOffset(plan: Plan, iso: string): string {
  const start = DateTime.fromISO(plan.startAt, { setZone: true }).setZone(plan.timeZone).startOf('day');
  const at = DateTime.fromISO(iso, { setZone: true }).setZone(plan.timeZone).startOf('day');
  return `day ${Math.round(at.diff(start, 'days').days)}`;
}

export function formatPlan(plan: Plan): string {
  const sameZone = plan.timeZone === plan.labTimeZone;
  const out = [
    `Plan for review ${plan.reviewId} — nothing is started.`,
    `  Review zone: ${plan.timeZone}${sameZone ? '' : `; lab zone: ${plan.labTimeZone}`}`,
    `  Start:       ${formatTime(plan.startAt, plan.timeZone)}`,
    `  Access:      ${plan.accessGrantedAt ? `granted ${formatTime(plan.accessGrantedAt, plan.timeZone)}` : 'never granted'}`,
    `  Scenario:    ${plan.scenario}; outcome ${plan.outcome}`,
    ...(plan.package ? [`  Package:     ${describePackage(plan.package)}`] : []),
    '',
    'Deadlines:',
    ...table(['DAY', `REVIEW ZONE`, ...(sameZone ? [] : ['LAB ZONE']), 'WHAT'],
      plan.deadlines.map((d) => [dayOffset(plan, d.at), formatTime(d.at, plan.timeZone), ...(sameZone ? [] : [formatTime(d.at, plan.labTimeZone)]), d.label]))
      .map((l) => `  ${l}`),
    '',
    `Notices (${plan.notices.length}):`,
    ...table(['DAY', 'REVIEW ZONE', 'RECIPIENT ZONE', 'NOTICE', 'TO', 'CONDITION'],
      plan.notices.map((n) => [
        dayOffset(plan, n.at), formatTime(n.at, plan.timeZone), n.recipientTimeZone === plan.timeZone ? '(same)' : formatTime(n.at, n.recipientTimeZone),
        `${n.kind}${n.track ? ` [${n.track}]` : ''}`, `${n.audience}: ${n.to.join(', ')}`, n.condition ?? '',
      ])).map((l) => `  ${l}`),
  ];
  return out.join('\n');
}

export function planIcs(plan: Plan): string {
  return toIcs(plan.reviewId, `Plan for review ${plan.reviewId}`, [
    ...plan.deadlines.map((d) => ({ key: `plan/deadline/${d.kind}${d.track ? `/${d.track}` : ''}`, at: d.at, summary: `${d.label} (${plan.reviewId})`, category: 'deadline' })),
    ...plan.notices.map((n) => ({
      key: `plan/notice/${n.id}`, at: n.at, summary: `Notice ${n.kind} → ${n.audience} (${plan.reviewId})`,
      description: `To ${n.to.join(', ')}${n.condition ? `; ${n.condition}` : ''}`, category: 'notice', marker: true,
    })),
  ], new Date(plan.startAt));
}

/** A what-if run: the scripted steps and the notices, in the order they happened. */
export function formatSimulation(r: SimulationResult): string {
  const start = DateTime.fromISO(r.startAt, { setZone: true }).setZone(r.timeZone).startOf('day');
  const day = (iso: string): string => `day ${Math.round(DateTime.fromISO(iso, { setZone: true }).setZone(r.timeZone).startOf('day').diff(start, 'days').days)}`;
  const rows: { at: string; order: number; cells: string[] }[] = [
    ...r.steps.map((s, i) => ({ at: s.at, order: i, cells: [day(s.at), formatTime(s.at, r.timeZone), `▶ ${s.action}`, s.ok ? 'accepted' : `REJECTED: ${s.error ?? ''}`] })),
    ...r.notices.map((n, i) => ({ at: n.at, order: 1000 + i, cells: [day(n.at), formatTime(n.at, r.timeZone), `${n.kind}${n.track ? ` [${n.track}]` : ''}${n.id.includes(':seq') ? ' (date moved)' : ''}`, `${n.audience}: ${n.to.join(', ')} (${n.state})`] })),
  ];
  rows.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.order - b.order);
  return [
    `Simulated review ${r.reviewId} on the time-skipping server (review zone ${r.timeZone}), ${formatTime(r.startAt, r.timeZone)} to ${formatTime(r.endAt, r.timeZone)}:`,
    ...table(['DAY', 'AT', 'WHAT', 'TO / RESULT'], rows.map((x) => x.cells)).map((l) => `  ${l}`),
    '',
    `Final: phase ${r.final.phase}${r.final.outcome ? `, outcome ${r.final.outcome}` : ''}; ${r.notices.length} notices (${r.mails} mails delivered to the simulation's sink).`,
  ].join('\n');
}
