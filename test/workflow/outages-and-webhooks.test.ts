/**
 * Mail outages, refused addresses and webhooks, with a real SMTP sink that refuses, stalls, goes down and
 * rejects, and a real HTTP server receiving the webhooks (signatures checked with node:crypto here).
 */
import { createHmac } from 'node:crypto';
import { INLINE_ATTEMPTS } from '../../activities/inline-delivery';
import { grantAccessUpdate } from '../../workflows/messages';
import type { ReviewStatus } from '../../workflows/types';
import { noticesOf, settled, waitUntil } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { HookServer } from '../support/hook-server';
import type { ReceivedHook } from '../support/hook-server';
import { mailWith } from '../support/mail';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const SECRET = 'whsec-test-7f3a';
let hooks: HookServer;
let t: ReviewEnv;
beforeAll(async () => {
  hooks = await HookServer.start();
  // Review webhooks may go to the hook server: its loopback address is named literally on the allow-list.
  t = await createReviewEnv('time-skipping', { smtpTimeoutSeconds: 2, activities: { webhooks: { urls: [hooks.url('/global')], secret: SECRET, timeoutSeconds: 2, allowedHosts: ['127.0.0.1'] } } });
});
afterAll(async () => { await t?.teardown(); await hooks?.close(); });
afterEach(async () => { t.sink.faults = {}; await t.sink.up(); hooks.reset(); });

/** Checked here with node:crypto: the operator's endpoint with WEBHOOK_SECRET, a review's with its own derived secret. */
const signedCorrectly = (r: ReceivedHook): boolean => {
  const ts = String(r.headers['x-frontier-review-timestamp']);
  const url = hooks.url(r.path);
  const secret = r.path === '/global' ? SECRET : createHmac('sha256', SECRET).update(`frontier-review webhook endpoint\0${url}`).digest('hex');
  return r.headers['x-frontier-review-signature'] === `v2=${createHmac('sha256', secret).update(`${ts}.${String(r.headers['x-frontier-review-delivery'])}.${url}.${r.body}`).digest('hex')}`;
};
const copies = (messageId: string | undefined): number => t.sink.messages.filter((m) => m.messageId === messageId).length;
const alerts = (kind: string, reviewId: string): ReceivedHook[] => hooks.accepted.filter((r) => r.json.alert === kind && r.json.reviewId === reviewId);

async function settledWebhooks(reviewId: string, timeoutMs = 20_000): Promise<ReviewStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await settled(t, reviewId);
    if (s.notices.length > 0 && s.notices.every((n) => n.webhook !== undefined)) return s;
    if (Date.now() > deadline) throw new Error(`webhooks pending: ${s.notices.filter((n) => !n.webhook).map((n) => n.id).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('every notice is POSTed, signed, to the global and the review\'s own webhook, with a text field', async () => {
  const req = request({ webhooks: [{ url: hooks.url('/review-channel') }] });
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  const s = await settledWebhooks(req.reviewId);
  expect(s.notices.length).toBeGreaterThanOrEqual(5);
  for (const n of s.notices) {
    expect(n.webhook).toEqual({ state: 'sent', targets: 2 });
    const got = hooks.received.filter((r) => r.json.id === n.id);
    expect(got.map((r) => r.path).sort()).toEqual(['/global', '/review-channel']);
    for (const r of got) {
      expect(signedCorrectly(r)).toBe(true);
      expect(r.headers['x-frontier-review-delivery']).toBe(`${n.id}#webhook`);
      expect(r.json).toMatchObject({ type: 'notice', kind: n.kind, audience: n.audience, reviewId: req.reviewId });
      expect(String(r.json.text)).toContain(`[${req.reviewId}]`);
    }
  }
  const clock = hooks.received.find((r) => r.json.kind === 'clock-started' && r.json.audience === 'lab');
  expect(clock?.json.invites).toEqual(['REQUEST window-end#0']);
  expect(String(clock?.json.text)).toMatch(/Review clock started: window ends .* \(to lab\)\nAccess to Atlas-7 rc1/);
});

test('a failing webhook copy is retried with backoff; the e-mail goes first, and only once', async () => {
  hooks.failNext(4, 503);
  const req = request();
  await t.start(req);
  await hooks.waitFor((r) => r.filter((x) => x.status === 503).length >= 2); // the first try of each notice's copy
  // A copy is posted after its e-mail: both intake e-mails are already out while the endpoint fails.
  const intake = (m: { raw: string }): boolean => m.raw.includes(`X-Frontier-Review-Notice: ${req.reviewId}/intake-ack/`);
  expect(t.sink.messages.filter(intake)).toHaveLength(2);
  expect(hooks.accepted).toHaveLength(0);
  await t.env.sleep('2 minutes'); // the notices' retry backoff (5 s, 10 s): the third tries succeed
  const done = await settledWebhooks(req.reviewId);
  for (const n of done.notices) {
    expect(n.state).toBe('sent');
    expect(n.webhook).toEqual({ state: 'sent', targets: 1 });
    expect(hooks.accepted.filter((r) => r.json.id === n.id)).toHaveLength(1); // delivered once
    expect(copies(n.messageId)).toBe(1); // the copy's retries never sent the e-mail again (the ledger)
  }
  expect(hooks.received.filter((r) => r.status === 503)).toHaveLength(4);
});

test('a webhook that keeps failing is given up after a few tries and recorded; the notice is sent', async () => {
  hooks.failNext(1000, 503);
  const req = request();
  await t.start(req);
  await hooks.waitFor((r) => r.filter((x) => x.status === 503).length >= 2);
  await t.env.sleep('10 minutes');
  const done = await settledWebhooks(req.reviewId, 30_000);
  for (const n of done.notices) {
    expect(n.state).toBe('sent');
    expect(n.webhook).toMatchObject({ state: 'failed', targets: 1, error: expect.stringMatching(/503/) });
    expect(copies(n.messageId)).toBe(1);
  }
  // Each notice's copy: one try in the local attempt (patch local-notices), then one per attempt of the activity.
  expect(hooks.received.filter((r) => r.status === 503)).toHaveLength(2 * (1 + INLINE_ATTEMPTS));
  expect(done.events.filter((e) => e.type === 'webhook-failed').map((e) => e.detail)).toEqual([
    expect.stringMatching(/^intake-ack to (lab|pm): .*503/), expect.stringMatching(/^intake-ack to (lab|pm): .*503/),
  ]);
});

test('SMTP answering 421 for over an hour: the PM is alerted through the webhook while retries go on; the notice then arrives once', async () => {
  t.sink.faults = { temporaryFailure: 421 };
  const req = request();
  await t.start(req);
  await t.env.sleep('40 minutes');
  expect(alerts('mail-outage', req.reviewId)).toHaveLength(0);
  await t.env.sleep('40 minutes');
  await hooks.waitFor(() => alerts('mail-outage', req.reviewId).length === 2);
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sending', 'sending']); // still retrying
  const alert = alerts('mail-outage', req.reviewId).find((r) => r.json.audience === 'lab') as ReceivedHook;
  expect(signedCorrectly(alert)).toBe(true);
  expect(alert.json).toMatchObject({ type: 'alert', noticeId: `${req.reviewId}/intake-ack/intake/lab`, kind: 'intake-ack' });
  expect(Number(alert.json.failingForMinutes)).toBeGreaterThanOrEqual(60);
  expect(String(alert.json.text)).toMatch(/Mail outage.*has not been delivered for \d+ minutes.*421.*nothing is lost/s);
  const failures = t.sink.stats.temporaryFailures[421];
  expect(failures).toBeGreaterThanOrEqual(20); // ~11 attempts per notice in 80 minutes
  // Mail comes back.
  t.sink.faults = {};
  await t.env.sleep('15 minutes');
  s = await settled(t, req.reviewId);
  for (const n of noticesOf(s, 'intake-ack')) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
  expect(alerts('mail-outage', req.reviewId)).toHaveLength(2); // once per notice, not per attempt
});

test('SMTP down (connection refused) and then stalling: retried until delivered, once', async () => {
  t.sink.down();
  const req = request();
  await t.start(req);
  await t.env.sleep('10 minutes');
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'intake-ack').map((n) => n.state)).toEqual(['sending', 'sending']);
  await t.sink.up();
  const abandoned = t.sink.stats.abandoned;
  t.sink.faults = { stallMs: 4000 }; // longer than the 2 s the client waits: the reply never reaches it
  await t.env.sleep('10 minutes');
  // A stalled attempt timed out for real: the sink found its client gone when the held reply was due.
  await waitUntil(() => t.sink.stats.abandoned > abandoned, 'a stalled reply whose client had given up');
  t.sink.faults = {};
  await t.env.sleep('15 minutes');
  s = await settled(t, req.reviewId, 30_000);
  for (const n of noticesOf(s, 'intake-ack')) {
    expect(n.state).toBe('sent');
    expect(copies(n.messageId)).toBe(1);
  }
  expect(t.sink.stats.stalledReplies).toBeGreaterThanOrEqual(1);
});

test('550 for one lab contact: the other contact gets the notice, the PM is told by mail and webhook, later lab notices skip the address', async () => {
  t.sink.faults = { rejectRecipients: ['sec@acme.example'] };
  const rejectedBefore = t.sink.stats.rejectedRecipients;
  const req = request({ lab: { name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec', email: 'sec@acme.example' }, { name: 'Legal', email: 'legal@acme.example' }] } });
  const h = await t.start(req);
  let s = await settled(t, req.reviewId);
  const ack = noticesOf(s, 'intake-ack').find((n) => n.audience === 'lab');
  expect(ack).toMatchObject({ state: 'sent', rejected: ['sec@acme.example'] });
  expect(t.sink.messages.find((m) => m.messageId === ack?.messageId)?.envelopeTo).toEqual(['legal@acme.example']);
  expect(s.events.find((e) => e.type === 'address-rejected')?.detail).toMatch(/sec@acme.example refused the intake-ack notice to lab .*550.*program manager alerted/);

  // The PM's alert: an e-mail, and the webhook copy.
  await t.sink.waitFor((ms) => ms.some((m) => m.envelopeTo.includes('pm@clearinghouse.example') && m.raw.includes('X-Frontier-Review-Alert')));
  const alertMail = await mailWith(t.sink, t.sink.messages.find((m) => m.envelopeTo.includes('pm@clearinghouse.example') && m.raw.includes('X-Frontier-Review-Alert'))?.messageId);
  expect(alertMail.subject).toBe(`[${req.reviewId}] Delivery problem: sec@acme.example refused a notice`);
  expect(alertMail.text).toMatch(/permanently refused sec@acme\.example[\s\S]*Later notices to the lab go to its other contacts/);
  await hooks.waitFor(() => alerts('address-rejected', req.reviewId).length === 1);
  expect(signedCorrectly(alerts('address-rejected', req.reviewId)[0])).toBe(true);

  // Not retried: the refused address was tried once. Later lab notices go to the other contact only.
  expect(t.sink.stats.rejectedRecipients - rejectedBefore).toBe(1);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Legal' }] });
  s = await settled(t, req.reviewId);
  expect(noticesOf(s, 'clock-started').find((n) => n.audience === 'lab')).toMatchObject({ to: ['legal@acme.example'], state: 'sent' });
  expect(t.sink.stats.rejectedRecipients - rejectedBefore).toBe(1);
  expect(s.events.filter((e) => e.type === 'address-rejected')).toHaveLength(1); // one alert per address
  await recordHistory(h, 'lab-contact-rejected');
});

test('550 for the only lab contact: failed at once, not retried, the PM told; the review carries on', async () => {
  t.sink.faults = { rejectRecipients: ['security@acme.example'] };
  const rejectedBefore = t.sink.stats.rejectedRecipients;
  const req = request();
  await t.start(req);
  let s = await settled(t, req.reviewId);
  const ack = noticesOf(s, 'intake-ack').find((n) => n.audience === 'lab');
  expect(ack).toMatchObject({ state: 'failed', rejected: ['security@acme.example'] });
  expect(ack?.error).toMatch(/permanently/);
  await t.env.sleep('30 minutes');
  s = await t.status(req.reviewId);
  expect(t.sink.stats.rejectedRecipients - rejectedBefore).toBe(1);
  expect(s.phase).toBe('awaiting-access');
  await hooks.waitFor(() => alerts('address-rejected', req.reviewId).length === 1);
  expect(t.sink.messages.some((m) => m.envelopeTo.includes('pm@clearinghouse.example') && m.raw.includes(`${req.reviewId}] Delivery problem`))).toBe(true);
});
