/**
 * Reading the read model: one visibility query (paged by 1,000) gives every review's card; reviews started
 * before review-card have none and are read with a status query each, at most `fallbackMax` per call (they
 * finish within weeks of the upgrade, so the fallback fades out by itself).
 */
import type { ListFilter, ReviewClient, ReviewEntry, ReviewSummary } from '../review-client';
import { factsFromCard, factsFromStatus } from './facts';
import type { ReviewFacts } from './facts';

export interface ReadEntry {
  summary: ReviewSummary;
  /** Null when the review's state could not be read (then `error` says why). */
  facts: ReviewFacts | null;
  error?: string;
}

/** Status queries one call may make for reviews without a card. */
export const FALLBACK_STATUS_MAX = 50;
const STATUS_CONCURRENCY = 6;

export async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function readFacts(reviews: ReviewClient, filter: ListFilter, now: number, fallbackMax = FALLBACK_STATUS_MAX): Promise<ReadEntry[]> {
  return readEntries(reviews, await reviews.entries(filter), now, fallbackMax);
}

/** The facts of listed entries (from the visibility store or the card cache): no call for an entry with a card. */
export async function readEntries(reviews: ReviewClient, entries: ReviewEntry[], now: number, fallbackMax = FALLBACK_STATUS_MAX): Promise<ReadEntry[]> {
  let budget = fallbackMax;
  const read = async (e: ReviewEntry): Promise<ReadEntry> => {
    if (e.facts) return { summary: e.summary, facts: e.facts };
    if (e.card) return { summary: e.summary, facts: factsFromCard(e.card, now) };
    if (budget <= 0) return { summary: e.summary, facts: null, error: `older review: not read (more than ${fallbackMax} reviews started before review-card in one request)` };
    budget--;
    try {
      return { summary: e.summary, facts: factsFromStatus(await reviews.statusAt(e.summary.workflowId, e.summary.reviewId)) };
    } catch (err) {
      return { summary: e.summary, facts: null, error: err instanceof Error ? err.message : String(err) };
    }
  };
  return mapLimited(entries, STATUS_CONCURRENCY, read);
}
