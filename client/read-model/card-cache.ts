/**
 * The API/dashboard server's copy of every review's card (workflow id → card and the search attributes lists filter
 * on). Temporal holds the truth — the workflow's state, its card in the memo, its search attributes; this is a
 * derived copy, so pages answer from memory instead of listing 1,000 memos per request (1.45 s at 1,000 reviews:
 * the floor the office pages could not get under, issue 15 §3).
 *
 * Kept current by listing only what changed: since compact-history each card change sets ReviewUpdatedAt, and a
 * refresh lists `ReviewUpdatedAt >= last look − margin` (plus runs started or closed since), so its work is the
 * reviews that changed, not all of them. The margin covers the visibility store's lag and clock skew between this
 * server and the workers; it counts back from the newest change a listing has shown when that is older than the last
 * look (a lagging store, see updatedSince). A full listing at start-up and every `fullEveryMs` picks up what the
 * incremental one cannot see: reviews whose code predates ReviewUpdatedAt, and deletions. A refresh runs when a request finds the
 * copy older than `maxAgeMs` (and in the background, so a request rarely waits for one). A write made through this
 * server replaces the review's facts at once with the status it read back (`noteWrite`), so people see their own
 * change, until a listing shows the card caught up.
 */
import { checkListFilter } from '../review-client';
import type { ListFilter, ReviewClient, ReviewEntry, ScannedEntry } from '../review-client';
import type { ReviewStatus } from '../../workflows/types';
import { factsFromStatus } from './facts';
import type { ReviewFacts } from './facts';

export interface CardCacheOptions {
  /** A request finding the copy older than this waits for a refresh first. Default 5 s. */
  maxAgeMs?: number;
  /** How far back an incremental listing looks past the last one's start (visibility lag, clock skew). Default 10 s. */
  marginMs?: number;
  /** How far behind the clock the visibility store may fall and still have its changes listed incrementally. Default 60 s. */
  maxLagMs?: number;
  /** A full listing at least this often. Default 5 min. */
  fullEveryMs?: number;
  /** Background refresh period, so requests rarely wait for one (0: only on demand). Default 1 s. */
  backgroundMs?: number;
  /** Reviews kept at most: a full listing stops there (and says so in `stats`). Default 50,000. */
  maxReviews?: number;
  clock?: () => number;
}

interface Pinned {
  facts: ReviewFacts;
  /** When the write was sent (this server's clock): a listed card with ReviewUpdatedAt at or after it has caught up. */
  at: number;
}

export interface CardCacheStats {
  reviews: number;
  fullListings: number;
  incrementalListings: number;
  /** Entries the last listing returned. */
  lastListed: number;
  asOf: string | null;
  truncated: boolean;
}

/** How long a write's facts stand in for the card at most (the visibility store has long caught up by then). */
const PIN_MAX_MS = 60_000;
/** A refresh that fails is retried by the next request, but not sooner than this. */
const RETRY_MS = 1_000;

export class CardCache {
  private readonly byId = new Map<string, ScannedEntry>();
  private readonly pinned = new Map<string, Pinned>();
  private readonly maxAgeMs: number;
  private readonly marginMs: number;
  private readonly fullEveryMs: number;
  private readonly maxLagMs: number;
  private readonly backgroundMs: number;
  private readonly maxReviews: number;
  private readonly clock: () => number;
  /** When the last completed listing started: the copy holds every change visible by then. */
  private asOfMs: number | null = null;
  /** The newest ReviewUpdatedAt any listing has shown (the server's clock): how far the visibility store has got. */
  private newestSeenMs: number | null = null;
  private lastFullMs = 0;
  private lastFailureMs = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private counts = { fullListings: 0, incrementalListings: 0, lastListed: 0 };
  private truncated = false;

  constructor(private readonly reviews: ReviewClient, options: CardCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 5_000;
    this.marginMs = options.marginMs ?? 10_000;
    this.fullEveryMs = options.fullEveryMs ?? 300_000;
    this.maxLagMs = Math.max(options.maxLagMs ?? 60_000, this.marginMs);
    this.backgroundMs = options.backgroundMs ?? 1_000;
    this.maxReviews = options.maxReviews ?? 50_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Refreshes in the background every `backgroundMs` (failures are left for the next tick or request). */
  start(): void {
    void this.refresh().catch(() => undefined); // the full listing at start-up: the first request shares it
    if (this.timer || this.backgroundMs <= 0) return;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.backgroundMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** When the copy was last known complete (ISO), or null before the first listing. */
  asOf(): string | null {
    return this.asOfMs === null ? null : new Date(this.asOfMs).toISOString();
  }

  stats(): CardCacheStats {
    return { reviews: this.byId.size, ...this.counts, asOf: this.asOf(), truncated: this.truncated };
  }

  /** The copy, refreshed first when older than maxAgeMs (one refresh at a time; concurrent requests share it). */
  async current(): Promise<void> {
    const now = this.clock();
    if (this.asOfMs !== null && now - this.asOfMs <= this.maxAgeMs) return;
    if (this.asOfMs !== null && now - this.lastFailureMs < RETRY_MS) return; // the store is failing: answer from the copy
    try {
      await this.refresh();
    } catch (e) {
      // With a copy, the pages answer from it and say how old it is ("as of"); without one there is nothing to show.
      if (this.asOfMs === null) throw e;
    }
  }

  /** One listing: full at first and every fullEveryMs, otherwise only what changed since the last one (less the margin). */
  refresh(): Promise<void> {
    this.running ??= this.listOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async listOnce(): Promise<void> {
    const started = this.clock();
    const full = this.asOfMs === null || started - this.lastFullMs >= this.fullEveryMs;
    let listed: ScannedEntry[];
    try {
      listed = full ? await this.reviews.scan(null, this.maxReviews) : await this.reviews.scan((this.asOfMs as number) - this.marginMs, this.maxReviews, this.updatedSince());
    } catch (e) {
      this.lastFailureMs = this.clock();
      throw e;
    }
    if (full) {
      this.truncated = listed.length >= this.maxReviews;
      const seen = new Set(listed.map((e) => e.summary.workflowId));
      for (const id of this.byId.keys()) if (!seen.has(id)) this.byId.delete(id);
      this.lastFullMs = started;
      this.counts.fullListings++;
    } else this.counts.incrementalListings++;
    this.counts.lastListed = listed.length;
    for (const e of listed) this.put(e);
    this.asOfMs = Math.max(this.asOfMs ?? 0, started);
  }

  /**
   * Where an incremental listing's ReviewUpdatedAt clause starts: the margin before the last look, or before the
   * newest change a listing has shown when that is older. A visibility store that lags (a backlog after a notice storm)
   * indexes changes late but in about the order they were made, so the newest change it has shown trails the clock by
   * its lag: counting back from it, a change indexed 30 s late is still listed, where counting back from the clock
   * would leave it to the next full listing. Never further back than `maxLagMs` before the last look: after a burst of
   * changes and then quiet, the burst is listed again for that long, not until the next change (the full listing
   * covers a longer lag). Starts and closes set ReviewUpdatedAt too; their own clauses serve reviews from before it.
   */
  private updatedSince(): number {
    const asOf = this.asOfMs as number;
    const from = this.newestSeenMs === null ? asOf : Math.min(asOf, this.newestSeenMs);
    return Math.max(from - this.marginMs, asOf - this.maxLagMs);
  }

  /** Keeps the newest run of each workflow id (a review that continued as new lists its earlier runs too). */
  private put(e: ScannedEntry): void {
    const id = e.summary.workflowId;
    if (e.updatedAt !== null) this.newestSeenMs = Math.max(this.newestSeenMs ?? e.updatedAt, e.updatedAt);
    const known = this.byId.get(id);
    if (known && known.startedAtMs > e.startedAtMs) return;
    // The same card as before keeps its object, and with it the facts derived from it (facts.ts): a full listing
    // every few minutes would otherwise make the next request derive all 1,000 again.
    const same = known?.card && e.card && known.startedAtMs === e.startedAtMs && known.updatedAt === e.updatedAt && JSON.stringify(known.card) === JSON.stringify(e.card);
    this.byId.set(id, same ? { ...e, card: known.card } : e);
    const pin = this.pinned.get(id);
    if (pin && e.updatedAt !== null && e.updatedAt >= pin.at) this.pinned.delete(id);
  }

  /**
   * After a write through this server: the review's facts from the status it read back stand in for its card until
   * a listing shows the card caught up (or PIN_MAX_MS). `sentAt`: when the write was sent (the card's ReviewUpdatedAt is
   * then at or after it); `labValue`: for a review this copy has not listed yet (a start).
   */
  noteWrite(workflowId: string, status: ReviewStatus, labValue: string, sentAt: number): void {
    const at = sentAt;
    const facts = factsFromStatus(status);
    this.pinned.set(workflowId, { facts, at });
    if (!this.byId.has(workflowId)) {
      this.byId.set(workflowId, {
        summary: { reviewId: status.reviewId, workflowId, phase: status.phase, lab: labValue, windowEndsAt: facts.windowEndsAt === null ? null : new Date(facts.windowEndsAt).toISOString(), outcome: status.outcome, status: 'running', startedAt: new Date(at).toISOString() },
        // startedAtMs 0: any listed run of the id replaces this stand-in.
        card: null, labValue, reviewerIds: facts.reviewers.map((r) => r.id), updatedAt: null, startedAtMs: 0,
      });
    }
  }

  /** The entries a visibility query with `filter` would list, newest first, from the copy (call `current()` first). */
  entries(filter: ListFilter, now = this.clock()): ReviewEntry[] {
    checkListFilter(filter);
    const labs = filter.lab === undefined ? null : new Set(this.reviews.labValues(filter.lab));
    const until = filter.dueWithinDays === undefined ? null : now + filter.dueWithinDays * 86_400_000;
    const out: ReviewEntry[] = [];
    for (const e of this.byId.values()) {
      const pin = this.pinned.get(e.summary.workflowId);
      if (pin && this.clock() - pin.at > PIN_MAX_MS) this.pinned.delete(e.summary.workflowId);
      const facts = pin && this.clock() - pin.at <= PIN_MAX_MS ? pin.facts : undefined;
      const phase = facts?.phase ?? e.card?.phase ?? e.summary.phase;
      if (filter.phase !== undefined && phase !== filter.phase) continue;
      if (filter.phases !== undefined && (phase === null || !filter.phases.includes(phase))) continue;
      if (labs && (e.labValue === null || !labs.has(e.labValue))) continue;
      if (filter.reviewer !== undefined) {
        const ids = facts ? facts.reviewers.map((r) => r.id) : e.reviewerIds;
        if (ids !== null && !ids.includes(filter.reviewer)) continue;
      }
      if (until !== null) {
        const end = facts ? facts.windowEndsAt : e.summary.windowEndsAt === null ? null : Date.parse(e.summary.windowEndsAt);
        if (end === null || end < now || end > until) continue;
      }
      out.push(facts ? { summary: e.summary, card: e.card, facts } : { summary: e.summary, card: e.card });
    }
    out.sort((a, b) => Date.parse(b.summary.startedAt) - Date.parse(a.summary.startedAt));
    return out.slice(0, filter.limit ?? 100);
  }
}
