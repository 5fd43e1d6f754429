/**
 * Evidence uploads' own budget, apart from the API's request rate limit: an upload costs bytes kept in the store
 * and the encryption of each of them, where any other request costs one workflow call. 600 requests a minute of
 * 50 MiB each would let one lab token fill a disk in an hour; this keeps it to a budget per window:
 *
 * - per token (its uploads to every review), at most `files` uploads and `bytes` bytes per window;
 * - per review (every token's uploads to it together), the same two bounds, so that several tokens of one lab
 *   cannot pool their budgets into one review either.
 *
 * Bytes are counted as they arrive (a body without Content-Length cannot pass the budget by not announcing its
 * size); a declared length is reserved at the start, so parallel uploads share the budget rather than each seeing
 * it whole. Every upload that reached the store counts, with the bytes it sent, whether or not it was kept: the
 * work was done. A refusal is a 429 naming the bound, with Retry-After.
 *
 * In memory, per server process, like the request rate limit: entries older than the window are dropped at each
 * use, so a key holds at most `files` entries.
 */
import { wholeNumberFromEnv } from '../../shared/env-number';
import { ApiError } from './http-errors';

export interface UploadBudget {
  /** Uploads per window. */
  files: number;
  /** Bytes per window. */
  bytes: number;
}

export interface UploadLimits {
  windowMs: number;
  perToken: UploadBudget;
  perReview: UploadBudget;
}

const MiB = 1024 * 1024;

/** An hour: 20 files / 200 MiB per token, 40 files / 400 MiB per review (four and eight files at the 50 MiB maximum). */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  windowMs: 3_600_000,
  perToken: { files: 20, bytes: 200 * MiB },
  perReview: { files: 40, bytes: 400 * MiB },
};

export class UploadLimitConfigError extends Error {
  override name = 'UploadLimitConfigError';
}

const whole = (env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number =>
  wholeNumberFromEnv(env, name, fallback, min, max, UploadLimitConfigError);

/**
 * EVIDENCE_UPLOAD_WINDOW_SECONDS (default 3600), EVIDENCE_UPLOAD_FILES_PER_TOKEN (20), EVIDENCE_UPLOAD_BYTES_PER_TOKEN
 * (209715200), EVIDENCE_UPLOAD_FILES_PER_REVIEW (40), EVIDENCE_UPLOAD_BYTES_PER_REVIEW (419430400).
 */
export function uploadLimitsFromEnv(env: Record<string, string | undefined> = process.env): UploadLimits {
  const d = DEFAULT_UPLOAD_LIMITS;
  return {
    windowMs: whole(env, 'EVIDENCE_UPLOAD_WINDOW_SECONDS', d.windowMs / 1000, 1, 7 * 86_400) * 1000,
    perToken: { files: whole(env, 'EVIDENCE_UPLOAD_FILES_PER_TOKEN', d.perToken.files, 1, 10_000), bytes: whole(env, 'EVIDENCE_UPLOAD_BYTES_PER_TOKEN', d.perToken.bytes, 1, 1024 ** 4) },
    perReview: { files: whole(env, 'EVIDENCE_UPLOAD_FILES_PER_REVIEW', d.perReview.files, 1, 10_000), bytes: whole(env, 'EVIDENCE_UPLOAD_BYTES_PER_REVIEW', d.perReview.bytes, 1, 1024 ** 4) },
  };
}

/** A 429 with the seconds to wait (the error handlers send them as Retry-After). */
export class UploadRateLimitedError extends ApiError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(429, 'rate-limited', `${message}; try again in ${retryAfterSeconds} s`);
  }
}

interface Entry {
  at: number;
  /** Bytes counted so far, or the declared length while more is reserved than arrived. */
  bytes: number;
}

/** One upload under way: report its bytes as they arrive; `add` throws once a budget is passed. */
export interface UploadSlot {
  add(n: number): void;
}

/** `1.5 MiB`, `200 MiB`, `512 bytes`: a bound as a person reads it. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [value, unit] = n < MiB ? [n / 1024, 'KiB'] : n < 1024 * MiB ? [n / MiB, 'MiB'] : [n / (1024 * MiB), 'GiB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/** `hour`, `2 hours`, `minute`, `10 min`, `90 s`: the window as a person reads it after "per". */
export function windowWords(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

export class UploadLimiter {
  private readonly buckets = new Map<string, Entry[]>();

  constructor(readonly limits: UploadLimits, private readonly clock: () => number = Date.now) {}

  private bucket(key: string, now: number): Entry[] {
    const list = (this.buckets.get(key) ?? []).filter((e) => e.at > now - this.limits.windowMs);
    if (list.length) this.buckets.set(key, list);
    else this.buckets.delete(key);
    return list;
  }

  /** Seconds until entries old enough have left the window for `fits` to hold (at least 1). */
  private wait(list: Entry[], now: number, fits: (rest: Entry[]) => boolean): number {
    for (let i = 0; i < list.length; i++) {
      if (fits(list.slice(i + 1))) return Math.max(1, Math.ceil((list[i].at + this.limits.windowMs - now) / 1000));
    }
    return Math.max(1, Math.ceil(this.limits.windowMs / 1000));
  }

  /**
   * Starts an upload for `tokenHash` into `reviewId`, reserving `declaredBytes`; throws UploadRateLimitedError when
   * a budget has no room (413 when the declared size could never fit one window's budget).
   */
  acquire(tokenHash: string, reviewId: string, declaredBytes = 0): UploadSlot {
    const now = this.clock();
    const scopes = [
      { key: `token:${tokenHash}`, budget: this.limits.perToken, who: 'this token' },
      { key: `review:${reviewId}`, budget: this.limits.perReview, who: `review ${reviewId}` },
    ];
    const per = windowWords(this.limits.windowMs);
    for (const s of scopes) {
      if (declaredBytes > s.budget.bytes) {
        throw new ApiError(413, 'payload-too-large', `the file (${formatBytes(declaredBytes)}) is larger than the upload budget of ${formatBytes(s.budget.bytes)} per ${per} for ${s.who}`);
      }
      const list = this.bucket(s.key, now);
      const sum = (l: Entry[]): number => l.reduce((n, e) => n + e.bytes, 0);
      if (list.length >= s.budget.files) {
        throw new UploadRateLimitedError(`too many evidence uploads: at most ${s.budget.files} per ${per} for ${s.who}`, this.wait(list, now, (rest) => rest.length < s.budget.files));
      }
      if (sum(list) + Math.max(declaredBytes, 1) > s.budget.bytes) {
        throw new UploadRateLimitedError(`evidence upload budget used up: at most ${formatBytes(s.budget.bytes)} per ${per} for ${s.who}`, this.wait(list, now, (rest) => sum(rest) + Math.max(declaredBytes, 1) <= s.budget.bytes));
      }
    }
    const entry: Entry = { at: now, bytes: declaredBytes };
    for (const s of scopes) this.buckets.set(s.key, [...(this.buckets.get(s.key) ?? []), entry]);
    let received = 0;
    return {
      add: (n: number) => {
        received += n;
        if (received <= entry.bytes) return; // within what was reserved
        entry.bytes = received;
        const at = this.clock();
        for (const s of scopes) {
          // An upload longer than the window has left it; its bytes still count while it runs.
          const list = this.bucket(s.key, at);
          const used = list.reduce((sum, e) => sum + e.bytes, 0) + (list.includes(entry) ? 0 : entry.bytes);
          if (used > s.budget.bytes) {
            throw new UploadRateLimitedError(`evidence upload budget used up while receiving: at most ${formatBytes(s.budget.bytes)} per ${per} for ${s.who}`,
              this.wait(list, at, (rest) => rest.reduce((sum, e) => sum + e.bytes, 0) < s.budget.bytes));
          }
        }
      },
    };
  }
}
