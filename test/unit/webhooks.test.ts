/**
 * Webhook signing and posting, against a real HTTP server on loopback. The signature is checked with an
 * HMAC computed here from node:crypto, independently of activities/webhooks.ts.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { endpointSecret, postSigned, redact, REPLAY_WINDOW_SECONDS, sign, verifySignature, WebhookError } from '../../activities/webhooks';
import { HookServer } from '../support/hook-server';

const SECRET = 'test-secret-0123456789';
let hooks: HookServer;
beforeAll(async () => { hooks = await HookServer.start(); });
afterAll(async () => { await hooks.close(); });
afterEach(() => hooks.reset());

const independentHmac = (headers: IncomingHttpHeaders, url: string, body: string): string =>
  `v2=${createHmac('sha256', SECRET).update(`${String(headers['x-frontier-review-timestamp'])}.${String(headers['x-frontier-review-delivery'])}.${url}.${body}`).digest('hex')}`;

test('a POST carries JSON with a text field, a timestamp, a delivery id and an HMAC-SHA256 signature over timestamp, delivery id, target URL and body', async () => {
  const before = Math.floor(Date.now() / 1000);
  await postSigned(hooks.url('/a'), { text: 'hello <team>', n: 1 }, 'rev-1/intake-ack/intake/lab', { secret: SECRET, timeoutMs: 5000 });
  const after = Math.floor(Date.now() / 1000);
  expect(hooks.received).toHaveLength(1);
  const r = hooks.received[0];
  expect(r.headers['content-type']).toBe('application/json');
  expect(JSON.parse(r.body)).toEqual({ text: 'hello <team>', n: 1 });
  expect(r.headers['x-frontier-review-delivery']).toBe('rev-1/intake-ack/intake/lab');
  // the moment of sending, in whole seconds: between the clock read before the call and after it
  const timestamp = Number(r.headers['x-frontier-review-timestamp']);
  expect(timestamp).toBeGreaterThanOrEqual(before);
  expect(timestamp).toBeLessThanOrEqual(after);
  expect(r.headers['x-frontier-review-signature']).toBe(independentHmac(r.headers, hooks.url('/a'), r.body));
});

test('verifySignature accepts the real signature and rejects a changed body, another key, an old timestamp, another delivery, another receiver (finding 4)', () => {
  const body = '{"text":"x"}';
  const ts = 1_800_000_000;
  const url = 'https://hooks.example/a';
  const headers = { timestamp: String(ts), delivery: 'rev-1/intake-ack/intake/lab#webhook', signature: sign(SECRET, ts, 'rev-1/intake-ack/intake/lab#webhook', url, body) };
  expect(verifySignature(SECRET, headers, url, body, ts)).toBe(true);
  expect(verifySignature(SECRET, headers, url, '{"text":"y"}', ts)).toBe(false);
  expect(verifySignature('other', headers, url, body, ts)).toBe(false);
  expect(verifySignature(SECRET, headers, url, body, ts + REPLAY_WINDOW_SECONDS + 1)).toBe(false);
  expect(verifySignature(SECRET, { ...headers, timestamp: undefined }, url, body, ts)).toBe(false);
  expect(verifySignature(SECRET, { ...headers, signature: 'v2=00' }, url, body, ts)).toBe(false);
  // Replayed by its receiver to another endpoint, or as another delivery: refused.
  expect(verifySignature(SECRET, headers, 'https://other-receiver.example/b', body, ts)).toBe(false);
  expect(verifySignature(SECRET, { ...headers, delivery: 'rev-2/intake-ack/intake/lab#webhook' }, url, body, ts)).toBe(false);
  // Each review endpoint has its own secret, derived from the worker's.
  expect(endpointSecret(SECRET, url)).not.toBe(endpointSecret(SECRET, 'https://other-receiver.example/b'));
  expect(endpointSecret(SECRET, url)).toMatch(/^[0-9a-f]{64}$/);
});

test('a non-2xx answer is an error naming the status; the URL is redacted to its host', async () => {
  hooks.failNext(1, 503);
  const err = await postSigned(hooks.url('/services/T000/SECRET-TOKEN'), { text: 'x' }, 'd', { secret: SECRET, timeoutMs: 5000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WebhookError);
  expect((err as WebhookError).status).toBe(503);
  expect((err as WebhookError).message).not.toContain('SECRET-TOKEN');
  expect(redact('https://hooks.example:8443/services/T0/B0/XYZ')).toBe('https://hooks.example:8443/…');
});

test('a server that does not answer in time is an error, not a hang', async () => {
  // The server holds its answer far longer than this test may run: only the client's timeout can end the call.
  hooks.stallNext(1, 600_000);
  const err = await postSigned(hooks.url('/slow'), { text: 'x' }, 'd', { secret: SECRET, timeoutMs: 300 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WebhookError);
  expect((err as WebhookError).message).toMatch(/timeout/i);
  expect(hooks.received).toEqual([]); // given up while the server still held its answer
});
