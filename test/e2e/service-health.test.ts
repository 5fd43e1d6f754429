/**
 * Running it like a service: the worker's Prometheus endpoint (the SDK's runtime metrics and the project's own,
 * recorded by real activities sending real mail) and the API's probes, against a real dev server; the worker keeps
 * its delivery ledger in PostgreSQL, as a deployment with several worker hosts does.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import net from 'node:net';
import { Client as PgClient } from 'pg';
import { createApiServer } from '../../client/api/server';
import { TokenStore } from '../../client/api/auth';
import { ReviewClient } from '../../client/review-client';
import type { Readiness } from '../../client/readiness';
import { startReviewPhaseGauge } from '../../worker/review-phase-gauge';
import { metricsAddressOf } from '../../worker/telemetry';
import { freshDatabase } from '../../shared/postgres';
import type { FreshDatabase } from '../../shared/postgres';
import { request } from '../support/fixtures';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv } from '../support/api-env';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Retries a block of assertions until it passes, then returns; after `timeoutMs` the last failure stands. */
async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

let metricsUrl: string;
let t: ReviewEnv;
let api: ApiEnv;
let stopGauge: () => void;
let db: FreshDatabase;

beforeAll(async () => {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  // As worker/telemetry.ts does for WORKER_METRICS_ADDRESS; first, before review-env's own (then refused) install.
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  metricsUrl = `http://${bindAddress}/metrics`;
  db = await freshDatabase('service');
  t = await createReviewEnv('local', { activities: { ledgerUrl: db.url } });
  api = await createApiEnv(t);
  stopGauge = startReviewPhaseGauge(new Client({ connection: t.env.connection, namespace: t.env.namespace ?? 'default' }), 500);
});
afterAll(async () => {
  stopGauge?.();
  await api?.close();
  await t?.teardown();
  await db?.drop();
});

const scrape = async (): Promise<string> => (await fetch(metricsUrl)).text();
/** The value of the first sample whose name and labels match. */
function sample(text: string, name: RegExp, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !name.test(m[1])) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

test('/healthz answers while the process serves; /readyz once Temporal answers and a worker polls the task queue', async () => {
  expect(await api.call(null, 'GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
  await eventually(async () => {
    const r = await api.call(null, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ready: true, temporal: 'reachable', taskQueue: t.taskQueue });
    expect((r.body as Readiness).workflowPollers).toBeGreaterThan(0);
    expect((r.body as Readiness).activityPollers).toBeGreaterThan(0);
  }, 60_000);
});

test('/readyz is 503 naming the cause: no worker on the task queue, or Temporal unreachable', async () => {
  const tokens = new TokenStore([]);
  const idle = await createApiServer({ reviews: new ReviewClient(new Client({ connection: t.env.connection }), { taskQueue: 'nobody-polls-this' }), tokens });
  const down = await createApiServer({ reviews: new ReviewClient(new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), { taskQueue: t.taskQueue }), tokens });
  try {
    const r1 = await idle.inject({ method: 'GET', url: '/readyz' });
    expect(r1.statusCode).toBe(503);
    expect(r1.json()).toMatchObject({ ready: false, temporal: 'reachable', workflowPollers: 0, reason: expect.stringContaining('nobody-polls-this') });
    const r2 = await down.inject({ method: 'GET', url: '/readyz' });
    expect(r2.statusCode).toBe(503);
    expect(r2.json()).toMatchObject({ ready: false, temporal: 'unreachable', reason: expect.stringMatching(/Temporal did not answer/) });
    expect((await down.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200); // alive, just not ready
  } finally {
    await idle.close();
    await down.close();
  }
});

test('the worker serves Prometheus metrics: the SDK runtime\'s, notices sent with their delivery delay, reviews by phase', async () => {
  const req = request();
  expect((await api.call('pm', 'POST', '/api/reviews', req)).status).toBe(201);
  await t.sink.waitFor((ms) => ms.filter((m) => m.raw.includes(req.reviewId)).length >= 2);
  await eventually(async () => {
    const text = await scrape();
    // The SDK's own (worker slots, polls) come from the same endpoint.
    expect(text).toMatch(/^temporal_\w+/m);
    expect(sample(text, /^frontier_review_notices_sent$/, { kind: 'intake-ack', taskQueue: t.taskQueue })).toBeGreaterThanOrEqual(2);
    expect(sample(text, /^frontier_review_notice_delivery_delay_count$/, { kind: 'intake-ack', taskQueue: t.taskQueue })).toBeGreaterThanOrEqual(2);
    expect(sample(text, /frontier_review_reviews$/, { phase: 'awaiting-access' })).toBeGreaterThanOrEqual(1);
  }, 60_000);
  // Recorded in the PostgreSQL ledger, and every claim given back once the mail was in.
  const pg = new PgClient({ connectionString: db.url });
  await pg.connect();
  try {
    const rows = await pg.query<{ notice_id: string; state: string }>('SELECT notice_id, state FROM notices WHERE notice_id LIKE $1 ORDER BY notice_id', [`${req.reviewId}/%`]);
    expect(rows.rows.map((r) => [r.notice_id.split('/').slice(1).join('/'), r.state])).toEqual([['intake-ack/intake/lab', 'sent'], ['intake-ack/intake/pm', 'sent']]);
    // Released right after the entry is written (the sent counter moves in between): wait for it, do not race it.
    await eventually(async () => expect((await pg.query('SELECT 1 FROM notice_claims')).rowCount).toBe(0), 30_000);
  } finally {
    await pg.end();
  }
  // A second start of the same review is refused: nothing more was sent or counted as sent.
  const sent = sample(await scrape(), /^frontier_review_notices_sent$/, { kind: 'intake-ack', taskQueue: t.taskQueue });
  expect((await api.call('pm', 'POST', '/api/reviews', req)).status).toBe(409);
  expect(sample(await scrape(), /^frontier_review_notices_sent$/, { kind: 'intake-ack', taskQueue: t.taskQueue })).toBe(sent);
});

test('WORKER_METRICS_ADDRESS is host:port or refused with the variable named', () => {
  expect(metricsAddressOf({})).toBeUndefined();
  expect(metricsAddressOf({ WORKER_METRICS_ADDRESS: '0.0.0.0:9464' })).toBe('0.0.0.0:9464');
  expect(() => metricsAddressOf({ WORKER_METRICS_ADDRESS: 'http://x:9464/metrics' })).toThrow(/WORKER_METRICS_ADDRESS must be host:port/);
});
