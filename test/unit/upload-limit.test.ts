/** The upload budget (client/api/upload-limit.ts) alone, on a clock the test moves. */
import { ApiError } from '../../client/api/http-errors';
import { formatBytes, UploadLimiter, UploadRateLimitedError, windowWords } from '../../client/api/upload-limit';

let now = 1_000_000;
const limiter = (): UploadLimiter => new UploadLimiter({ windowMs: 60_000, perToken: { files: 2, bytes: 1_000 }, perReview: { files: 3, bytes: 5_000 } }, () => now);

const refusal = (fn: () => unknown): UploadRateLimitedError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof UploadRateLimitedError) return e;
    throw e;
  }
  throw new Error('not refused');
};

test('files per window: Retry-After is when the oldest upload leaves the window; then there is room again', () => {
  const l = limiter();
  l.acquire('t1', 'r', 10);
  now += 20_000;
  l.acquire('t1', 'r', 10);
  now += 10_000;
  const e = refusal(() => l.acquire('t1', 'r', 10));
  expect(e.status).toBe(429);
  expect(e.retryAfterSeconds).toBe(30); // the first left at +60 s; 30 s have passed
  expect(e.message).toBe('too many evidence uploads: at most 2 per minute for this token; try again in 30 s');
  now += 30_000;
  expect(() => l.acquire('t1', 'r', 10)).not.toThrow();
});

test('the review budget counts every token together; another review is not affected', () => {
  const l = limiter();
  l.acquire('a', 'shared', 1);
  l.acquire('b', 'shared', 1);
  l.acquire('c', 'shared', 1);
  expect(refusal(() => l.acquire('d', 'shared', 1)).message).toMatch(/^too many evidence uploads: at most 3 per minute for review shared;/);
  expect(() => l.acquire('d', 'other', 1)).not.toThrow();
});

test('bytes: a declared size is reserved, so parallel uploads share the budget; counted bytes past it refuse mid-stream', () => {
  const l = limiter();
  const first = l.acquire('t', 'r', 600);
  expect(refusal(() => l.acquire('t', 'r', 500)).message).toMatch(/budget used up: at most 1000 bytes per minute for this token/);
  first.add(600); // within what it reserved
  const second = l.acquire('t', 'r'); // no declared size: room for at least one byte
  second.add(300);
  expect(refusal(() => second.add(101)).message).toMatch(/used up while receiving: at most 1000 bytes per minute for this token/);
  // A size no window could hold is not a matter of waiting.
  const tooBig = (() => {
    try {
      l.acquire('fresh', 'r2', 1_001);
    } catch (e) {
      return e as ApiError;
    }
    return null;
  })();
  expect(tooBig).toBeInstanceOf(ApiError);
  expect(tooBig).not.toBeInstanceOf(UploadRateLimitedError);
  expect(tooBig?.status).toBe(413);
});

test('words for bounds', () => {
  expect([formatBytes(512), formatBytes(65_536), formatBytes(100_000), formatBytes(200 * 1024 * 1024), formatBytes(3 * 1024 ** 3)]).toEqual(['512 bytes', '64 KiB', '97.7 KiB', '200 MiB', '3 GiB']);
  expect([windowWords(3_600_000), windowWords(7_200_000), windowWords(60_000), windowWords(600_000), windowWords(90_000)]).toEqual(['hour', '2 hours', 'minute', '10 min', '90 s']);
});
