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
  /** Present on a page of the portfolio (`pagePortfolio`): the whole lists' lengths, and where the next page starts. */
  page?: PortfolioPage;
}

export interface PortfolioPage {
  offset: number;
  limit: number;
  /** Offset of the next page, or null when every list ends on this one. */
  nextOffset: number | null;
  totals: { reviews: number; overdue: number; dueThisWeek: number; dueNextWeek: number };
}

/** Items per list on one page of the portfolio JSON, by default and at most. */
export const PORTFOLIO_LIMIT = { default: 100, max: 1000 };

const iso = (ms: number): string => new Date(ms).toISOString();

/** A due item with its instant as a number, so sorting and week bounds do not parse strings. */
interface TimedItem {
  atMs: number;
  item: DueItem;
}

function timedItems(f: ReviewFacts, now: number): TimedItem[] {
  const out: TimedItem[] = [];
  const push = (kind: DueKind, at: number | null, extra: Partial<DueItem> = {}, overdue = at !== null && at <= now): void => {
    if (at !== null) out.push({ atMs: at, item: { reviewId: f.reviewId, kind, at: iso(at), overdue, ...extra } });
  };
  if (f.phase === 'awaiting-access') push('access-deadline', f.accessDeadlineAt);
  if (f.phase === 'in-review' || f.phase === 'paused') {
    for (const e of f.evaluations) if (e.status === 'pending' || e.status === 'overdue') push('evaluation-due', e.dueAt, { track: e.track, reviewerId: e.reviewerId });
    // The window end is never overdue: the review closes itself then.
    push('window-end', f.windowEndsAt, {}, false);
  }
  if (f.phase === 'disposal') for (const d of f.disposal) if (!d.confirmed) push('disposal-due', f.disposalDueAt, { party: d.party });
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Every dated item a review still waits for: the phase's deadline, pending evaluations' due dates, missing disposals. */
export function dueItems(f: ReviewFacts, now: number): DueItem[] {
  return timedItems(f, now).map((t) => t.item);
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
  const perReview = open.map((f) => ({ f, items: timedItems(f, now) }));
  const all = perReview.flatMap((r) => r.items).sort((a, b) => a.atMs - b.atMs || a.item.reviewId.localeCompare(b.item.reviewId));
  const within = ([from, to]: [number, number]): DueItem[] => all.filter((d) => !d.item.overdue && d.atMs >= from && d.atMs < to).map((d) => d.item);
  const rows = perReview.map(({ f, items }) => ({
    nextAt: items.length > 0 ? items[0].atMs : Number.MAX_SAFE_INTEGER,
    row: {
      reviewId: f.reviewId,
      lab: f.lab.name,
      labId: f.lab.id ?? null,
      model: `${f.model.name} ${f.model.version}`,
      phase: f.phase,
      nextDeadline: items.length > 0 ? items[0].item : null,
      overdue: items.filter((d) => d.item.overdue).length,
      critical: f.evaluations.filter((e) => e.severity === 'critical').length,
      pendingEvaluations: f.evaluations.filter((e) => e.status === 'pending' || e.status === 'overdue').length,
      reviewers: [...new Set(f.evaluations.map((e) => e.reviewerId))],
    } satisfies PortfolioRow,
  }));
  rows.sort((a, b) => Number(b.row.overdue > 0) - Number(a.row.overdue > 0) || Number(b.row.critical > 0) - Number(a.row.critical > 0) || a.nextAt - b.nextAt || a.row.reviewId.localeCompare(b.row.reviewId));
  return {
    generatedAt: iso(now),
    timeZone: zone,
    thisWeek: { from: iso(thisWeek[0]), to: iso(thisWeek[1]) },
    nextWeek: { from: iso(nextWeek[0]), to: iso(nextWeek[1]) },
    byPhase: OPEN_PHASES.map((phase) => ({ phase, count: open.filter((f) => f.phase === phase).length })),
    reviews: rows.map((r) => r.row),
    overdue: all.filter((d) => d.item.overdue).map((d) => d.item),
    dueThisWeek: within(thisWeek),
    dueNextWeek: within(nextWeek),
  };
}

/**
 * One page of the portfolio: each list (reviews, overdue, due this week, due next week) cut to the same window
 * [offset, offset + limit), counts by phase whole. At 1,000 reviews the whole portfolio is ~350 KB of JSON; a page of
 * 100 is ~50 KB, and `page.nextOffset` leads through the rest.
 */
export function pagePortfolio(pf: Portfolio, offset: number, limit: number): Portfolio {
  const cut = <T>(items: T[]): T[] => items.slice(offset, offset + limit);
  const totals = { reviews: pf.reviews.length, overdue: pf.overdue.length, dueThisWeek: pf.dueThisWeek.length, dueNextWeek: pf.dueNextWeek.length };
  const more = Math.max(...Object.values(totals)) > offset + limit;
  return {
    ...pf, reviews: cut(pf.reviews), overdue: cut(pf.overdue), dueThisWeek: cut(pf.dueThisWeek), dueNextWeek: cut(pf.dueNextWeek),
    page: { offset, limit, nextOffset: more ? offset + limit : null, totals },
  };
}
