/**
 * How much one review accepts. Every accepted update is stored in the review's history and most send mail,
 * so no party may repeat a valid call without bound: a lab moving its release date back and forth 150 times
 * once grew a history to 22 MB (Temporal terminates a workflow at 50 MB) and sent every attendee dozens of
 * calendar updates. Each limit refuses with a message that names it and what remains.
 */
export const LIMITS = {
  /** Tracks in a review, those added by assignReviewer included. */
  tracks: 50,
  /** Times one track may change hands. */
  reassignmentsPerTrack: 5,
  /** Accepted release-date changes over the whole review. */
  releaseDateMoves: 20,
  /** Pauses over the whole review (the pause budget in days bounds their length, this their number). */
  pauses: 10,
  /** An evaluation summary, in UTF-8 bytes (what Temporal stores), not characters. */
  summaryBytes: 20_000,
  /** Accepted completePackage calls over the whole review. */
  packageUpdates: 20,
} as const;

/** History budget of one run: past it the review continues as new (same workflow id, whole state carried). */
export const HISTORY_BUDGET = {
  events: 4_000,
  bytes: 1_500_000,
  /** Smallest budget a request may ask for (tests use small ones to exercise the boundary). */
  minEvents: 100,
} as const;

/** UTF-8 length without TextEncoder (not promised in the workflow sandbox); a lone surrogate counts as U+FFFD. */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    n += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return n;
}

/** "3 of 20 left" — appended to acknowledgements of limited actions. */
export const remaining = (used: number, limit: number): number => Math.max(0, limit - used);
