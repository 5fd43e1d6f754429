/**
 * Webhook signing and posting, against a real HTTP server on loopback. The signature is checked with an
 * HMAC computed here from node:crypto, independently of activities/webhooks.ts.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { postSigned, redact, sign, verifySignature, WebhookError } from '../../activities/webhooks';
import { HookServer } from '../support/hook-server';

const SECRET = 'test-secret-0123456789';
let hooks: HookServer;
beforeAll(async () => { hooks = await HookServer.start(); });
afterAll(async () => { await hooks.close(); });
afterEach(() => hooks.reset());

const independentHmac = (headers: IncomingHttpHeaders, body: string): string =>
  `sha256=${createHmac('sha256', SECRET).update(`${String(headers['x-frontier-review-timestamp'])}.${body}`).digest('hex')}`;

test('a POST carries JSON with a text field, a timestamp, a delivery id and an HMAC-SHA256 signature over timestamp and body', async () => {
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
  expect(r.headers['x-frontier-review-signature']).toBe(independentHmac(r.headers, r.body));
});

test('verifySignature accepts the real signature and rejects a changed body, another key, an old timestamp', () => {
  const ts = 1_800_000_000;
  const body = '{"text":"x"}';
  const sig = sign(SECRET, ts, body);
  expect(verifySignature(SECRET, String(ts), sig, body, ts)).toBe(true);
  expect(verifySignature(SECRET, String(ts), sig, '{"text":"y"}', ts)).toBe(false);
  expect(verifySignature('other', String(ts), sig, body, ts)).toBe(false);
  expect(verifySignature(SECRET, String(ts), sig, body, ts + 301)).toBe(false);
  expect(verifySignature(SECRET, undefined, sig, body, ts)).toBe(false);
  expect(verifySignature(SECRET, String(ts), 'sha256=00', body, ts)).toBe(false);
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
