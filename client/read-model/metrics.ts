/**
 * Program metrics, the figures a director puts in a quarterly report, per calendar month in the program office's
 * zone: reviews closed by outcome, evaluations on time vs late vs not completed, days from intake to access,
 * critical findings, pauses. Pure functions of the reviews' facts (unit-tested); pages draw them as SVG with a table.
 */
import { DateTime } from 'luxon';
import type { Outcome } from '../../workflows/types';
import { msInZone } from '../../shared/zone-time';
import type { ReviewFacts } from './facts';

export const OUTCOMES: Outcome[] = ['completed', 'expired', 'withdrawn', 'lapsed', 'cancelled'];
const DAY_MS = 86_400_000;

export interface ProgramMetrics {
  timeZone: string;
  /** The instant the reviews' cards were read as of (the server's copy; card-cache.ts). */
  asOf?: string;
  /** yyyy-MM, oldest first. */
  months: string[];
  reviews: number;
  closedByOutcome: ({ month: string } & Record<Outcome, number>)[];
  evaluations: { month: string; onTime: number; late: number; notCompleted: number }[];
  intakeToAccess: { month: string; reviews: number; medianDays: number | null; maxDays: number | null }[];
  criticalFindings: { month: string; count: number }[];
  pauses: { month: string; pauses: number; pausedDays: number }[];
}

/** The last `count` months up to the one holding `now`, in `zone`, as yyyy-MM. */
export function monthsUpTo(now: number, zone: string, count: number): string[] {
  const last = DateTime.fromMillis(now, { zone }).startOf('month');
  return Array.from({ length: count }, (_, i) => last.minus({ months: count - 1 - i }).toFormat('yyyy-MM'));
}

export const monthOf = (ms: number, zone: string): string => msInZone(ms, zone, 'month');

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export function buildMetrics(reviews: ReviewFacts[], now: number, zone: string, monthCount = 12): ProgramMetrics {
  const months = monthsUpTo(now, zone, monthCount);
  const index = new Map(months.map((m, i) => [m, i]));
  const slot = (ms: number | null): number | undefined => (ms === null ? undefined : index.get(monthOf(ms, zone)));
  const closedByOutcome = months.map((month) => ({ month, completed: 0, expired: 0, withdrawn: 0, lapsed: 0, cancelled: 0 }));
  const evaluations = months.map((month) => ({ month, onTime: 0, late: 0, notCompleted: 0 }));
  const accessDays: number[][] = months.map(() => []);
  const criticalFindings = months.map((month) => ({ month, count: 0 }));
  const pauses = months.map((month) => ({ month, pauses: 0, pausedDays: 0 }));
  for (const f of reviews) {
    const closed = slot(f.closedAt);
    if (closed !== undefined && f.outcome !== null) closedByOutcome[closed][f.outcome]++;
    for (const e of f.evaluations) {
      const submitted = slot(e.submittedAt);
      if (submitted !== undefined) evaluations[submitted][e.late ? 'late' : 'onTime']++;
      else if (e.status === 'not-completed' && closed !== undefined) evaluations[closed].notCompleted++;
      if (e.severity === 'critical' && submitted !== undefined) criticalFindings[submitted].count++;
    }
    const granted = slot(f.accessGrantedAt);
    if (granted !== undefined && f.accessGrantedAt !== null) accessDays[granted].push((f.accessGrantedAt - f.createdAt) / DAY_MS);
    for (const p of f.pauses) {
      const started = slot(p.start);
      if (started === undefined) continue;
      pauses[started].pauses++;
      pauses[started].pausedDays = round1(pauses[started].pausedDays + ((p.end ?? now) - p.start) / DAY_MS);
    }
  }
  return {
    timeZone: zone,
    months,
    reviews: reviews.length,
    closedByOutcome,
    evaluations,
    intakeToAccess: months.map((month, i) => {
      const days = accessDays[i];
      const mid = median(days);
      return { month, reviews: days.length, medianDays: mid === null ? null : round1(mid), maxDays: days.length ? round1(Math.max(...days)) : null };
    }),
    criticalFindings,
    pauses,
  };
}

const csvCell = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  // Quoted when needed; a leading =, +, - or @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One row per figure: metric, month, series, value. */
export function metricsCsv(m: ProgramMetrics): string {
  const rows: (string | number | null)[][] = [['metric', 'month', 'series', 'value']];
  for (const r of m.closedByOutcome) for (const o of OUTCOMES) rows.push(['reviews-closed', r.month, o, r[o]]);
  for (const r of m.evaluations) rows.push(['evaluations', r.month, 'on-time', r.onTime], ['evaluations', r.month, 'late', r.late], ['evaluations', r.month, 'not-completed', r.notCompleted]);
  for (const r of m.intakeToAccess) rows.push(['intake-to-access-days', r.month, 'reviews', r.reviews], ['intake-to-access-days', r.month, 'median', r.medianDays], ['intake-to-access-days', r.month, 'max', r.maxDays]);
  for (const r of m.criticalFindings) rows.push(['critical-findings', r.month, 'count', r.count]);
  for (const r of m.pauses) rows.push(['pauses', r.month, 'pauses', r.pauses], ['pauses', r.month, 'paused-days', r.pausedDays]);
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
