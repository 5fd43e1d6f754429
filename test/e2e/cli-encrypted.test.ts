/**
 * The CLI with payload encryption (FRONTIER_REVIEW_KEYS): what it starts is stored encrypted, the lab's
 * name in the ReviewLab search attribute is a pseudonym, and status/list still read as normal for whoever
 * holds the keys — including after a key rotation.
 */
import { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReviewSummary } from '../../client/review-client';
import { encryptingDataConverter, loadKeyRing } from '../../shared/encryption';
import type { KeyRing } from '../../shared/encryption';
import { workflowIdFor } from '../../workflows/messages';
import { LAB_SA } from '../../workflows/search-attributes';
import type { ReviewRequest, ReviewStatus } from '../../workflows/types';
import { cliFor, cliJson, eventually, ROOT } from '../support/cli';
import type { Cli } from '../support/cli';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));
const OLD_KEYS = `k1:${randomBytes(32).toString('base64')}`;
const ROTATED_KEYS = `k2:${randomBytes(32).toString('base64')},${OLD_KEYS}`;

let t: ReviewEnv;
let tmp: string;
let cli: Cli;
const reviewId = `e2e-enc-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  const ring = loadKeyRing({ FRONTIER_REVIEW_KEYS: OLD_KEYS }) as KeyRing;
  t = await createReviewEnv('local', { dataConverter: encryptingDataConverter(ring) });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'review-cli-enc-'));
  cli = cliFor(t, tmp, { FRONTIER_REVIEW_KEYS: OLD_KEYS });
});

afterAll(async () => {
  await t?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('start and grant through the CLI: nothing readable on the server, everything readable with the key', async () => {
  const file = path.join(tmp, 'request.json');
  writeFileSync(file, JSON.stringify({ ...EXAMPLE, reviewId }));
  await cliJson(cli, ['start', file]);
  expect((await cli(['grant-access', reviewId, '--by', 'Acme Security Team'])).code).toBe(0);
  const s = await cliJson<ReviewStatus>(cli, ['status', reviewId]); // an update answers with an acknowledgement
  expect(s.lab.name).toBe('Acme AI');
  expect(s.phase).toBe('in-review');

  const handle = t.env.client.workflow.getHandle(workflowIdFor(reviewId));
  const stored = (await handle.describe()).typedSearchAttributes.get(LAB_SA);
  expect(stored).toMatch(/^lab-[0-9a-f]{24}$/);

  const raw = await t.env.connection.workflowService.getWorkflowExecutionHistory({ namespace: t.env.namespace ?? 'default', execution: { workflowId: workflowIdFor(reviewId) } });
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(raw.history as temporal.api.history.v1.IHistory).finish());
  for (const secret of ['Acme AI', 'security@acme.example', 'Acme Security Team']) expect(bytes.includes(Buffer.from(secret))).toBe(false);

  // The example request has a lab id: the search attribute is keyed by it (the name is only shown).
  const rows = await eventually(() => cliJson<ReviewSummary[]>(cli, ['list', '--lab', 'acme']), (r) => r.some((x) => x.reviewId === reviewId));
  expect(rows.find((r) => r.reviewId === reviewId)).toMatchObject({ lab: 'acme', phase: 'in-review' });
});

test('after a key rotation the old reviews are still found and read', async () => {
  const rotated = cliFor(t, tmp, { FRONTIER_REVIEW_KEYS: ROTATED_KEYS });
  const rows = await cliJson<ReviewSummary[]>(rotated, ['list', '--lab', 'acme']);
  expect(rows.map((r) => r.reviewId)).toContain(reviewId);
  expect((await cliJson<ReviewStatus>(rotated, ['status', reviewId])).lab.name).toBe('Acme AI');
});

test('without the keys the CLI says the data is encrypted', async () => {
  const r = await cliFor(t, tmp)(['status', reviewId]);
  expect(r.code).toBe(6);
  expect(r.stderr).toContain('encrypted; set FRONTIER_REVIEW_KEYS');
  const wrong = await cliFor(t, tmp, { FRONTIER_REVIEW_KEYS: `k1:${randomBytes(32).toString('base64')}` })(['status', reviewId]);
  expect(wrong.code).toBe(6);
  expect(wrong.stderr).toContain('cannot decrypt');
});
