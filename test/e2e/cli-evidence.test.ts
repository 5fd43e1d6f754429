/**
 * `review evidence upload | list | get` through the real CLI (a child process) against a real dev server and
 * worker, with the evidence store the environment configures (EVIDENCE_STORE): the CLI reaches the store as the
 * API does, so a file the CLI uploaded downloads through the API, and the other way round.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EvidenceList, UploadedEvidence } from '../../client/api/evidence';
import { evidenceStoreFromEnv } from '../../shared/evidence';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv } from '../support/api-env';
import { cliFor, cliJson } from '../support/cli';
import type { Cli } from '../support/cli';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-evidence-'));
const storeDir = path.join(tmp, 'store');
const STORE_ENV = { EVIDENCE_STORE: `dir:${storeDir}`, EVIDENCE_MAX_BYTES: '100000' };
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const stored = (): number => readdirSync(storeDir, { recursive: true }).map(String).filter((f) => /[0-9a-f]{64}$/.test(f)).length;
const review = request({ lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] } });

let t: ReviewEnv;
let api: ApiEnv;
let cli: Cli;

beforeAll(async () => {
  t = await createReviewEnv('local');
  cli = cliFor(t, tmp, STORE_ENV);
  // The API opens the same configured store (directory and its own key) as the CLI does.
  api = await createApiEnv(t, { evidence: evidenceStoreFromEnv(STORE_ENV, tmp) });
  await api.reviews.start(review);
  await api.reviews.updateThenStatus('grantAccess', review.reviewId, { by: 'Sec Team' });
}, 120_000);
afterAll(async () => {
  await api?.close();
  await t?.teardown();
  rmSync(tmp, { recursive: true, force: true });
});

test('upload, list and get through the CLI; the API serves what the CLI stored and the other way round', async () => {
  const report = randomBytes(30_000);
  const file = path.join(tmp, 'red-team report.pdf');
  writeFileSync(file, report);
  const up = await cliJson<UploadedEvidence>(cli, ['evidence', 'upload', review.reviewId, file, '--party', 'lab', '--by', 'Sec Team']);
  expect(up.evidence).toEqual({ digest: sha(report), size: 30_000, mediaType: 'application/pdf', name: 'red-team report.pdf', party: 'lab', visibleTo: 'reviewers' });

  // A transcript with an explicit type, for the clearinghouse; the human output says what was attached.
  const transcript = Buffer.from('{"turn":1}\n{"turn":2}\n');
  const tfile = path.join(tmp, 'transcript.data');
  writeFileSync(tfile, transcript);
  const human = await cli(['evidence', 'upload', review.reviewId, tfile, '--type', 'application/x-ndjson', '--track', 'cyber-offense']);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain(`Attached transcript.data to ${review.reviewId}: ${sha(transcript)}, 22 bytes, application/x-ndjson; party clearinghouse, visible to clearinghouse.`);

  const list = await cliJson<EvidenceList>(cli, ['evidence', 'list', review.reviewId]);
  expect(list.evidence.map((e) => [e.name, e.digest, e.party, e.by, e.deletedAt])).toEqual([
    ['red-team report.pdf', sha(report), 'lab', 'Sec Team', null], ['transcript.data', sha(transcript), 'clearinghouse', 'operator', null],
  ]);
  expect(list.maxBytes).toBe(100_000);
  const table = await cli(['evidence', 'list', review.reviewId]);
  expect(table.stdout).toMatch(/NAME\s+TYPE\s+SIZE\s+DIGEST\s+FROM\s+UPLOADED\s+STATE/);
  expect(table.stdout).toContain(`red-team report.pdf  application/pdf       29.3 KiB  ${sha(report)}`);
  expect(table.stdout).toContain('Uploads: at most 97.7 KiB per file;');

  // get: to a file, and to stdout; the bytes are the uploaded ones.
  const out = path.join(tmp, 'copy.pdf');
  const got = await cli(['evidence', 'get', review.reviewId, sha(report), '-o', out]);
  expect(got.code).toBe(0);
  expect(readFileSync(out).equals(report)).toBe(true);
  expect((await cli(['evidence', 'get', review.reviewId, sha(transcript)])).stdout).toBe(transcript.toString());

  // The lab's API token downloads the CLI's upload (same store, same key); the CLI gets the API's upload.
  const viaApi = await fetch(`${api.url}/api/reviews/${review.reviewId}/evidence/${sha(report)}`, { headers: { authorization: `Bearer ${api.tokens.lab}` } });
  expect(Buffer.from(await viaApi.arrayBuffer()).equals(report)).toBe(true);
  const labNote = Buffer.from('access outage log\n');
  const posted = await fetch(`${api.url}/api/reviews/${review.reviewId}/evidence`, {
    method: 'POST', body: labNote, headers: { authorization: `Bearer ${api.tokens.lab}`, 'content-type': 'text/plain', 'x-evidence-name': 'outage.txt' },
  });
  expect(posted.status).toBe(201);
  expect((await cli(['evidence', 'get', review.reviewId, sha(labNote)])).stdout).toBe(labNote.toString());
});

test('refusals: clear message, its exit code, nothing stored', async () => {
  const before = stored();
  const odd = path.join(tmp, 'weights.bin');
  writeFileSync(odd, randomBytes(100));
  const noType = await cli(['evidence', 'upload', review.reviewId, odd]);
  expect(noType.code).toBe(2);
  expect(noType.stderr).toContain('cannot tell its media type from the name; give --type');

  const big = path.join(tmp, 'big.pdf');
  writeFileSync(big, randomBytes(100_001));
  const tooBig = await cli(['evidence', 'upload', review.reviewId, big]);
  expect(tooBig.code).toBe(2);
  expect(tooBig.stderr).toContain('larger than the limit of 97.7 KiB (100000 bytes) for one evidence file');

  const html = path.join(tmp, 'page.html');
  writeFileSync(html, '<script>alert(1)</script>');
  const badType = await cli(['evidence', 'upload', review.reviewId, html, '--type', 'text/html']);
  expect(badType.code).toBe(2);
  expect(badType.stderr).toMatch(/mediaType: .*text\/html/);

  const missing = await cli(['evidence', 'upload', review.reviewId, path.join(tmp, 'nope.pdf')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no such file');
  const noReview = await cli(['evidence', 'upload', 'no-such-review', path.join(tmp, 'copy.pdf')]);
  expect(noReview.code).toBe(3);
  expect(stored()).toBe(before);

  const unknown = await cli(['evidence', 'get', review.reviewId, `sha256:${'0'.repeat(64)}`]);
  expect(unknown.code).toBe(3);
  expect(unknown.stderr).toContain(`no evidence sha256:${'0'.repeat(12)}`);
  const badDigest = await cli(['evidence', 'get', review.reviewId, 'abc']);
  expect(badDigest.code).toBe(2);
  expect(badDigest.stderr).toContain('digest: must be sha256:<64 lowercase hex>');
});
