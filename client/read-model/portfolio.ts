/**
 * The portfolio (PM and director): open reviews by phase with their next deadline, what falls due this week and
 * next in the viewer's zone, overdue and critical first. A pure function of the reviews' facts and "now".
 */
import { DateTime } from 'luxon';
import type { Phase } from '../../workflows/types';
import type { ReviewFacts } from './facts';

export const OPEN_PHASES: Phase[] = ['awaiting-access', 'in-review', 'paused', 'disposal'];

export type DueKind = 'access-deadline' | 'evaluation-due' | 'window-end' | 'disposal-due';

export interface DueItem {
  reviewId: string;
  kind: DueKind;
  /** UTC instant (ISO); pages show it in the viewer's zone. */
  at: string;
  track?: string;
  reviewerId?: string;
  party?: string;
  overdue: boolean;
}

export interface PortfolioRow {
  reviewId: string;
  lab: string;
  labId: string | null;
  model: string;
  phase: Phase;
  nextDeadline: DueItem | null;
  overdue: number;
  critical: number;
  pendingEvaluations: number;
  reviewers: string[];
}

export interface Week {
  from: string;
  to: string;
}

export interface Portfolio {
  generatedAt: string;
  /** The instant the reviews' cards were read as of (the server's copy; card-cache.ts). */
  asOf?: string;
  timeZone: string;
  thisWeek: Week;
  nextWeek: Week;
  byPhase: { phase: Phase; count: number }[];
  /** Overdue first, then those with a critical finding, then by next deadline. */
  reviews: PortfolioRow[];
  overdue: DueItem[];
  dueThisWeek: DueItem[];
  dueNextWeek: DueItem[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Every dated item a review still waits for: the phase's deadline, pending evaluations' due dates, missing disposals. */
export function dueItems(f: ReviewFacts, now: number): DueItem[] {
  const out: DueItem[] = [];
  const push = (kind: DueKind, at: number | null, extra: Partial<DueItem> = {}): void => {
    if (at !== null) out.push({ reviewId: f.reviewId, kind, at: iso(at), overdue: at <= now, ...extra });
  };
  if (f.phase === 'awaiting-access') push('access-deadline', f.accessDeadlineAt);
  if (f.phase === 'in-review' || f.phase === 'paused') {
    for (const e of f.evaluations) if (e.status === 'pending' || e.status === 'overdue') push('evaluation-due', e.dueAt, { track: e.track, reviewerId: e.reviewerId });
    // The window end is never overdue: the review closes itself then.
    if (f.windowEndsAt !== null) out.push({ reviewId: f.reviewId, kind: 'window-end', at: iso(f.windowEndsAt), overdue: false });
  }
  if (f.phase === 'disposal') for (const d of f.disposal) if (!d.confirmed) push('disposal-due', f.disposalDueAt, { party: d.party });
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** Monday 00:00 of the week holding `now`, and the next Monday, in `zone` (ISO weeks). */
export function weeksOf(now: number, zone: string): { thisWeek: [number, number]; nextWeek: [number, number] } {
  const monday = DateTime.fromMillis(now, { zone }).startOf('week');
  const next = monday.plus({ weeks: 1 });
  return { thisWeek: [monday.toMillis(), next.toMillis()], nextWeek: [next.toMillis(), next.plus({ weeks: 1 }).toMillis()] };
}

export function buildPortfolio(reviews: ReviewFacts[], now: number, zone: string): Portfolio {
  const open = reviews.filter((f) => OPEN_PHASES.includes(f.phase));
  const { thisWeek, nextWeek } = weeksOf(now, zone);
  const all = open.flatMap((f) => dueItems(f, now)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.reviewId.localeCompare(b.reviewId));
  const within = ([from, to]: [number, number]) => all.filter((d) => !d.overdue && Date.parse(d.at) >= from && Date.parse(d.at) < to);
  const rows: PortfolioRow[] = open.map((f) => {
    const items = dueItems(f, now);
    return {
      reviewId: f.reviewId,
      lab: f.lab.name,
      labId: f.lab.id ?? null,
      model: `${f.model.name} ${f.model.version}`,
      phase: f.phase,
      nextDeadline: items[0] ?? null,
      overdue: items.filter((d) => d.overdue).length,
      critical: f.evaluations.filter((e) => e.severity === 'critical').length,
      pendingEvaluations: f.evaluations.filter((e) => e.status === 'pending' || e.status === 'overdue').length,
      reviewers: [...new Set(f.evaluations.map((e) => e.reviewerId))],
    };
  });
  const at = (r: PortfolioRow): number => (r.nextDeadline ? Date.parse(r.nextDeadline.at) : Number.MAX_SAFE_INTEGER);
  rows.sort((a, b) => Number(b.overdue > 0) - Number(a.overdue > 0) || Number(b.critical > 0) - Number(a.critical > 0) || at(a) - at(b) || a.reviewId.localeCompare(b.reviewId));
  return {
    generatedAt: iso(now),
    timeZone: zone,
    thisWeek: { from: iso(thisWeek[0]), to: iso(thisWeek[1]) },
    nextWeek: { from: iso(nextWeek[0]), to: iso(nextWeek[1]) },
    byPhase: OPEN_PHASES.map((phase) => ({ phase, count: open.filter((f) => f.phase === phase).length })),
    reviews: rows,
    overdue: all.filter((d) => d.overdue),
    dueThisWeek: within(thisWeek),
    dueNextWeek: within(nextWeek),
  };
}
