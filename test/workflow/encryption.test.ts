/**
 * Payload encryption end to end: the raw history the server stores holds no finding summary, e-mail
 * address or lab name in plaintext, while the client (with the key) reads status normally; the codec
 * endpoint lets an authorised browser decode the same payloads, and nobody else.
 */
import { localActivityTypesIn } from '../support/history-events';
import { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCodecHandler, hashToken } from '../../shared/codec-server';
import { EncryptionCodec, encryptingDataConverter, loadKeyRing } from '../../shared/encryption';
import { grantAccessUpdate, submitEvaluationUpdate, workflowIdFor } from '../../workflows/messages';
import { settled } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const ring = loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${randomBytes(32).toString('base64')}` })!;
const codec = new EncryptionCodec(ring);
let t: ReviewEnv;
let server: http.Server;
let base: string;
const TOKEN = 'codec-token-for-tests';

beforeAll(async () => {
  // What worker and CLI use with keys configured: the codec, and failure messages encoded so that it encrypts them.
  t = await createReviewEnv('time-skipping', { dataConverter: encryptingDataConverter(ring) });
  const handle = createCodecHandler({ codec, tokenHashes: [hashToken(TOKEN)], allowedOrigins: ['http://localhost:8233'] });
  server = http.createServer((req, res) => void handle(req, res).then((done) => { if (!done) res.writeHead(404).end(); }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.teardown();
});

const SECRETS = ['Autonomous exploit chain', 'security@acme.example', 'riley@clearinghouse.example', 'Acme AI', 'Riley'];

test('the stored history holds no finding, address or lab name in plaintext; the client still reads status', async () => {
  const req = request();
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'Autonomous exploit chain for 3 of 5 targets' }] });
  const s = await settled(t, req.reviewId);
  expect(s.evaluations[0].summary).toBe('Autonomous exploit chain for 3 of 5 targets');
  expect(s.lab.name).toBe('Acme AI');

  const raw = await t.env.connection.workflowService.getWorkflowExecutionHistory({ namespace: t.env.namespace ?? 'default', execution: { workflowId: workflowIdFor(req.reviewId) } });
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(raw.history as temporal.api.history.v1.IHistory).finish());
  expect(bytes.length).toBeGreaterThan(1000);
  for (const secret of SECRETS) expect(bytes.includes(Buffer.from(secret))).toBe(false);
  // Control: the same history, decoded with the key, does carry them — the search above would see them.
  const input = raw.history?.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const decoded = Buffer.concat((await codec.decode(input as never)).map((p) => Buffer.from(p.data ?? []))).toString();
  expect(decoded).toContain('security@acme.example');
  expect(decoded).toContain('Acme AI');
  // The mail still went out in the clear to its recipients: encryption is between worker and server only.
  expect(t.sink.messages.some((m) => m.raw.includes('security@acme.example'))).toBe(true);
});

test('codec endpoint: decodes for a valid token, refuses without one, answers CORS only for the UI origin', async () => {
  const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"secret finding"') }]);
  const body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(encrypted.data!).toString('base64') }] });
  const post = (headers: Record<string, string>) => fetch(`${base}/codec/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

  const denied = await post({});
  expect(denied.status).toBe(401);
  expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(/bearer token/);
  expect((await post({ Authorization: 'Bearer wrong' })).status).toBe(401);

  const ok = await post({ Authorization: `Bearer ${TOKEN}`, Origin: 'http://localhost:8233' });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  const decoded = (await ok.json()) as { payloads: { data: string }[] };
  expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toBe('"secret finding"');

  const preflight = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

  const bad = await fetch(`${base}/codec/encode`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{"payloads": 3}' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/\{"payloads": \[\.\.\.\]\}/);
});

test('a refused address stays out of the stored history too: failure messages are not encrypted, so they name no address', async () => {
  t.sink.faults = { rejectRecipients: ['security@acme.example'] };
  try {
    const req = request();
    await t.start(req);
    let s = await settled(t, req.reviewId);
    for (let i = 0; i < 100 && !s.events.some((e) => e.type === 'address-rejected'); i++) s = await t.status(req.reviewId);
    const lab = s.notices.find((n) => n.kind === 'intake-ack' && n.audience === 'lab');
    expect(lab).toMatchObject({ state: 'failed', rejected: ['security@acme.example'] });
    expect(lab?.error).toMatch(/permanently: .*550.*<address>/);
    await t.sink.waitFor((ms) => ms.some((m) => m.envelopeTo.includes('pm@clearinghouse.example') && m.raw.includes('X-Frontier-Review-Alert')));
    const raw = await t.env.connection.workflowService.getWorkflowExecutionHistory({ namespace: t.env.namespace ?? 'default', execution: { workflowId: workflowIdFor(req.reviewId) } });
    // Since review-core-v3 the 550 is an outcome in the batch's (encrypted) result — since local-notices the result in
    // the local activity's marker; the failure messages checked here are those of any activity.
    const events = raw.history?.events ?? [];
    expect(localActivityTypesIn(events)).toContain('sendNotices');
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(raw.history as temporal.api.history.v1.IHistory).finish());
    for (const secret of SECRETS) expect(bytes.includes(Buffer.from(secret))).toBe(false);
  } finally {
    t.sink.faults = {};
  }
});

test('a temporary SMTP refusal quoting the address: the retried attempt\'s failure, kept by the server, is encrypted and names no address (finding 6)', async () => {
  t.sink.faults = { deferRecipients: ['security@acme.example'] };
  try {
    const req = request();
    await t.start(req);
    const handle = t.env.client.workflow.getHandle(workflowIdFor(req.reviewId));
    type Pending = { lastFailure?: temporal.api.failure.v1.IFailure | null };
    let failure: temporal.api.failure.v1.IFailure | null | undefined;
    for (let i = 0; i < 200 && !failure; i++) {
      const raw = await t.env.connection.workflowService.describeWorkflowExecution({ namespace: t.env.namespace ?? 'default', execution: { workflowId: handle.workflowId } });
      failure = (raw.pendingActivities as Pending[] | null | undefined)?.find((p) => p.lastFailure)?.lastFailure;
      if (!failure) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failure).toBeTruthy();
    const stored = Buffer.from(temporal.api.failure.v1.Failure.encode(failure as temporal.api.failure.v1.IFailure).finish());
    expect(stored.includes(Buffer.from('security@acme.example'))).toBe(false);
    expect(stored.includes(Buffer.from('mailbox busy'))).toBe(false); // the whole reply is encrypted, not only the address
    expect(failure?.message).toBe('Encoded failure');
    // With the key, the message reads — the address already taken out by the activity.
    const [attributes] = await codec.decode([failure?.encodedAttributes as never]);
    const decoded = JSON.parse(Buffer.from(attributes.data ?? []).toString()) as { message: string };
    expect(decoded.message).toMatch(/450/);
    expect(decoded.message).toContain('<address>');
    expect(decoded.message).not.toContain('security@acme.example');
  } finally {
    t.sink.faults = {};
  }
});
