/** Grouping of open reviews into one digest per program manager. Pure and deterministic (used in digestWorkflow). */
import type { DigestDeadline, DigestEntry, DigestReview } from './digest-types';
import { parseInstant } from './timeline';
import type { Person } from './types';

const instant = (d: DigestDeadline): number => parseInstant(d.at) ?? Number.NaN;

export function digestEntry(r: DigestReview, from: number, to: number): DigestEntry {
  const sorted = [...r.deadlines].filter((d) => !Number.isNaN(instant(d))).sort((a, b) => instant(a) - instant(b));
  return {
    reviewId: r.reviewId, model: r.model, labName: r.labName, phase: r.phase,
    dueThisWeek: sorted.filter((d) => instant(d) >= from && instant(d) < to),
    next: sorted.find((d) => instant(d) >= to) ?? null,
  };
}

/**
 * One group per program manager (by e-mail, case-insensitive), PMs sorted by address; in each, reviews with
 * something due this week first (earliest first), then the rest by review id.
 */
export function groupDigest(reviews: DigestReview[], from: number, to: number): { pm: Person; entries: DigestEntry[] }[] {
  const groups = new Map<string, { pm: Person; entries: DigestEntry[] }>();
  for (const r of reviews) {
    const key = r.programManager.email.toLowerCase();
    const g = groups.get(key) ?? { pm: r.programManager, entries: [] };
    g.entries.push(digestEntry(r, from, to));
    groups.set(key, g);
  }
  const first = (e: DigestEntry): number => (e.dueThisWeek.length ? instant(e.dueThisWeek[0]) : Number.POSITIVE_INFINITY);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => ({
    pm: g.pm,
    entries: g.entries.sort((a, b) => first(a) - first(b) || a.reviewId.localeCompare(b.reviewId)),
  }));
}
