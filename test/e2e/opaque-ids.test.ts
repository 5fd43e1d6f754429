/**
 * Opaque workflow ids (OPAQUE_WORKFLOW_IDS=1 with FRONTIER_REVIEW_KEYS), end to end with encryption on: the CLI
 * (a child process), the HTTP API and the dashboard find reviews by their id without listing, lists and exports
 * show the review id, and the server holds it nowhere in readable form — not in the workflow id, the history or
 * the visibility record. After a key rotation, and for reviews started with plain ids before the option, lookups
 * and the duplicate check still hold.
 */
import { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StatusView } from '../../client/api/access';
import type { ReviewRow } from '../../client/api/service';
import { Client } from '@temporalio/client';
import { ReviewClient } from '../../client/review-client';
import type { ReviewSummary, StartedReview } from '../../client/review-client';
import { opaqueIdsFromEnv, opaqueWorkflowId } from '../../client/workflow-ids';
import { encryptingDataConverter, loadKeyRing } from '../../shared/encryption';
import type { KeyRing } from '../../shared/encryption';
import { workflowIdFor } from '../../workflows/messages';
import type { ReviewRequest, ReviewStatus } from '../../workflows/types';
import { createApiEnv } from '../support/api-env';
import { cliFor, cliJson, eventually, ROOT } from '../support/cli';
import type { Cli } from '../support/cli';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));
const K1 = randomBytes(32);
const K2 = randomBytes(32);
const OLD_KEYS = `k1:${K1.toString('base64')}`;
const ROTATED_KEYS = `k2:${K2.toString('base64')},${OLD_KEYS}`;
const uid = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const OPAQUE = /^review-opaque-[0-9a-f]{32}$/;

let t: ReviewEnv;
let ring: KeyRing;
let tmp: string;
/** The CLI with opaque ids under the rotated ring (k2 active). */
let cli: Cli;

async function start(c: Cli, reviewId: string): Promise<StartedReview> {
  const file = path.join(tmp, `${reviewId}.json`);
  writeFileSync(file, JSON.stringify({ ...EXAMPLE, reviewId }));
  return cliJson<StartedReview>(c, ['start', file]);
}

/** Everything the server stores of a review, as bytes: its history and its visibility record. */
async function stored(workflowId: string): Promise<Buffer> {
  const namespace = t.env.namespace ?? 'default';
  const svc = t.env.connection.workflowService;
  const history = await svc.getWorkflowExecutionHistory({ namespace, execution: { workflowId } });
  const described = await svc.describeWorkflowExecution({ namespace, execution: { workflowId } });
  return Buffer.concat([
    Buffer.from(temporal.api.history.v1.History.encode(history.history as temporal.api.history.v1.IHistory).finish()),
    Buffer.from(temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish()),
  ]);
}

beforeAll(async () => {
  ring = loadKeyRing({ FRONTIER_REVIEW_KEYS: ROTATED_KEYS }) as KeyRing;
  t = await createReviewEnv('local', { dataConverter: encryptingDataConverter(ring) });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'review-opaque-'));
  cli = cliFor(t, tmp, { FRONTIER_REVIEW_KEYS: ROTATED_KEYS, OPAQUE_WORKFLOW_IDS: '1' });
}, 120_000);

afterAll(async () => {
  await t?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the CLI: start, update, status, list and export by review id; the server holds the review id nowhere readable', async () => {
  const reviewId = uid('opaque-cli');
  const started = await start(cli, reviewId);
  expect(started.workflowId).toMatch(OPAQUE);
  expect(started.workflowId).toBe(opaqueWorkflowId(reviewId, K2));
  await expect(t.env.client.workflow.getHandle(workflowIdFor(reviewId)).describe()).rejects.toThrow(/not found/i);

  expect(await cliJson<ReviewStatus>(cli, ['grant-access', reviewId, '--by', 'Acme Security Team'])).toMatchObject({ reviewId, phase: 'in-review' });
  const rows = await eventually(() => cliJson<ReviewSummary[]>(cli, ['list', '--lab', 'acme']), (r) => r.some((x) => x.reviewId === reviewId));
  expect(rows.find((r) => r.reviewId === reviewId)).toMatchObject({ workflowId: started.workflowId, phase: 'in-review' });
  const csv = await cli(['export', reviewId, '--format', 'csv']);
  expect(csv.code).toBe(0);
  expect(csv.stdout).toContain('access-granted');

  const again = await cli(['start', path.join(tmp, `${reviewId}.json`)]);
  expect(again.code).toBe(4);
  expect(again.stderr).toContain(`review ${reviewId} already exists`);

  const bytes = await stored(started.workflowId);
  for (const secret of [reviewId, 'Acme AI', 'security@acme.example', 'Atlas-7']) expect(`${secret}: ${bytes.includes(Buffer.from(secret))}`).toBe(`${secret}: false`);
});

test('after a key rotation, and for reviews started with plain ids before the option: found, updated, listed; duplicates refused', async () => {
  // In-process clients (the CLI is the same library, shown above): the old ring alone, and the option off.
  const client = (keys: string, opaque: boolean): ReviewClient => {
    const r = loadKeyRing({ FRONTIER_REVIEW_KEYS: keys }) as KeyRing;
    return new ReviewClient(new Client({ connection: t.env.connection, namespace: t.env.namespace ?? 'default', dataConverter: encryptingDataConverter(r) }), { taskQueue: t.taskQueue, keyRing: r, opaqueWorkflowIds: opaque });
  };
  const now = client(ROTATED_KEYS, true);
  const request = (reviewId: string): ReviewRequest => ({ ...EXAMPLE, reviewId, plannedReleaseAt: new Date(Date.now() + 200 * 86_400_000).toISOString() });
  const older = uid('opaque-k1');
  expect((await client(OLD_KEYS, true).start(request(older))).workflowId).toBe(opaqueWorkflowId(older, K1));
  const plain = uid('opaque-plain');
  expect((await client(ROTATED_KEYS, false).start(request(plain))).workflowId).toBe(workflowIdFor(plain));

  for (const id of [older, plain]) {
    expect((await now.updateThenStatus('grantAccess', id, { by: 'Acme Security Team' })).status.phase).toBe('in-review');
    await expect(now.start(request(id))).rejects.toThrow(`review ${id} already exists`);
  }
  const rows = await eventually(() => now.list(), (r) => [older, plain].every((id) => r.some((x) => x.reviewId === id)));
  expect(rows.find((r) => r.reviewId === older)?.workflowId).toBe(opaqueWorkflowId(older, K1));
  expect(rows.find((r) => r.reviewId === plain)?.workflowId).toBe(workflowIdFor(plain));
  // Turning the option on without the keys is refused, naming what is missing.
  expect(() => opaqueIdsFromEnv({ OPAQUE_WORKFLOW_IDS: '1' }, null)).toThrow('OPAQUE_WORKFLOW_IDS=1 needs payload encryption');
  expect(() => opaqueIdsFromEnv({ OPAQUE_WORKFLOW_IDS: 'yes' }, ring)).toThrow('OPAQUE_WORKFLOW_IDS: "yes" must be 1 or 0');
});

test('the API and the dashboard: start, list, read, act and export by review id, each role in its scope', async () => {
  const api = await createApiEnv(t, {}, { dataConverter: encryptingDataConverter(ring), keyRing: ring, opaqueWorkflowIds: true });
  try {
    const reviewId = uid('opaque-api');
    const created = await api.call('pm', 'POST', '/api/reviews', { ...EXAMPLE, reviewId, plannedReleaseAt: new Date(Date.now() + 200 * 86_400_000).toISOString() });
    expect(created.status).toBe(201);
    expect((created.body as StartedReview).workflowId).toMatch(OPAQUE);
    expect((await api.call('lab', 'POST', `/api/reviews/${reviewId}/grantAccess`, { by: 'x' })).status).toBe(200);
    for (const who of ['pm', 'lab', 'r1'] as const) {
      const rows = await eventually(async () => (await api.call(who, 'GET', '/api/reviews')).body as ReviewRow[], (r) => r.some((x) => x.reviewId === reviewId));
      expect(rows.find((r) => r.reviewId === reviewId)).toMatchObject({ phase: 'in-review', lab: 'Acme AI', model: { name: 'Atlas-7' } });
      expect(((await api.call(who, 'GET', `/api/reviews/${reviewId}`)).body as StatusView).reviewId).toBe(reviewId);
      expect((await api.call(who, 'GET', `/api/reviews/${reviewId}/export?format=csv`)).text).toContain('access-granted');
    }
    expect((await api.call('otherLab', 'GET', `/api/reviews/${reviewId}`)).status).toBe(404);
    expect((await api.call('r2', 'GET', '/api/reviews')).body as ReviewRow[]).toEqual([]);

    // The dashboard: the list links to the review by its id, and the review's page opens.
    const login = await fetch(`${api.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { origin: api.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: api.tokens.lab }).toString(),
    });
    const cookie = /fr_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? '';
    expect(await (await fetch(`${api.url}/`, { headers: { cookie } })).text()).toContain(`href="/reviews/${reviewId}"`);
    const page = await fetch(`${api.url}/reviews/${reviewId}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('in-review');
  } finally {
    await api.close();
  }
});
