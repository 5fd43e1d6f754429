/** Validation of the request fields issue 3 adds: per-review webhooks and business-day due dates. */
import { MAX_DUE_BUSINESS_DAYS, MAX_WEBHOOKS, ValidationError, parseAssignReviewer, parseReviewRequest } from '../../workflows/validation';
import type { ValidationIssue } from '../../workflows/validation';
import { request } from '../support/fixtures';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function issues(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error('expected a ValidationError');
}
const withHooks = (webhooks: unknown): unknown => ({ ...request({ reviewId: 'acme-atlas7-2026-12' }), webhooks });
const withEval = (e: Record<string, unknown>): unknown => ({
  ...request({ reviewId: 'acme-atlas7-2026-12' }),
  evaluations: [{ track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, ...e }],
});

describe('webhooks', () => {
  test('http and https URLs are accepted, the field is optional', () => {
    expect(parseReviewRequest(withHooks([{ url: 'https://hooks.example/T0/B0/x' }, { url: 'http://127.0.0.1:8080/in' }]), NOW).webhooks).toHaveLength(2);
    expect(parseReviewRequest(request({ reviewId: 'acme-atlas7-2026-12' }), NOW).webhooks).toBeUndefined();
  });

  test.each([
    [[{ url: 'ftp://hooks.example/x' }], 'webhooks[0].url', /http\(s\) URL/],
    [[{ url: 'https://user:pw@hooks.example/x' }], 'webhooks[0].url', /without user name or password/],
    [[{ url: 'not a url' }], 'webhooks[0].url', /http\(s\) URL/],
    [[{ url: `https://h.example/${'x'.repeat(2100)}` }], 'webhooks[0].url', /at most 2048/],
    [[{ url: 'https://h.example/a', secret: 's' }], 'webhooks[0]', /unknown field\(s\) "secret"/],
    [[{ url: 'https://h.example/a' }, { url: 'https://h.example/a' }], 'webhooks[1].url', /listed twice/],
    [Array.from({ length: MAX_WEBHOOKS + 1 }, (_, i) => ({ url: `https://h.example/${i}` })), 'webhooks', /at most 5 webhooks/],
    ['https://h.example/a', 'webhooks', /array/],
  ])('%j is rejected at %s', (hooks, path, message) => {
    const found = issues(() => parseReviewRequest(withHooks(hooks), NOW));
    expect(found.find((i) => i.path === path)?.message).toMatch(message);
  });
});

describe('dueBusinessDays', () => {
  test('accepted instead of dueDay, on the request and on assignReviewer', () => {
    expect(parseReviewRequest(withEval({ dueBusinessDays: 10 }), NOW).evaluations[0]).toMatchObject({ dueBusinessDays: 10 });
    expect(parseAssignReviewer({ track: 'x', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, dueBusinessDays: 5 }).dueBusinessDays).toBe(5);
  });

  test.each([
    [{ dueBusinessDays: 0 }, /at least 1/],
    [{ dueBusinessDays: MAX_DUE_BUSINESS_DAYS + 1 }, /at most 22/],
    [{ dueBusinessDays: 2.5 }, /whole number of business days/],
    [{ dueBusinessDays: '10' }, /number/],
    [{ dueBusinessDays: 10, dueDay: 14 }, /either dueDay or dueBusinessDays, not both/],
  ])('%j is rejected', (e, message) => {
    const found = issues(() => parseReviewRequest(withEval(e), NOW));
    expect(found.map((i) => `${i.path}: ${i.message}`).join('; ')).toMatch(message);
  });

  test('assignReviewer with both is rejected naming the field', () => {
    const found = issues(() => parseAssignReviewer({ track: 'x', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, dueDay: 3, dueBusinessDays: 5 }));
    expect(found).toEqual([{ path: 'dueBusinessDays', message: 'give either dueDay or dueBusinessDays, not both' }]);
  });

  test('a business-day count is not held to policy.windowDays the way dueDay is (the window end caps it)', () => {
    const r = { ...(withEval({ dueBusinessDays: 12 }) as object), policy: { windowDays: 10 } };
    expect(parseReviewRequest(r, NOW).evaluations[0].dueBusinessDays).toBe(12);
  });
});
