/**
 * The evidence routes in the OpenAPI document and the uploads' own budget, against a real dev server, worker and
 * directory store: every route the server has under /api is documented, the evidence ones with their parameters,
 * raw body and errors; the list route shows each role its files; the budget per token and per review refuses with
 * 429, the bound named and Retry-After, counting bytes as they arrive (a body without Content-Length too).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EvidenceList } from '../../client/api/evidence';
import { DEFAULT_UPLOAD_LIMITS, UploadLimitConfigError, uploadLimitsFromEnv } from '../../client/api/upload-limit';
import { DEFAULT_MEDIA_TYPES } from '../../shared/evidence/config';
import { DirectoryEvidenceStore } from '../../shared/evidence/directory-store';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const dir = mkdtempSync(path.join(tmpdir(), 'evidence-limits-'));
const config = { maxBytes: 200_000, mediaTypes: DEFAULT_MEDIA_TYPES };
const store = new DirectoryEvidenceStore(dir, { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) }, config);
const stored = (): number => readdirSync(dir, { recursive: true }).map(String).filter((f) => /[0-9a-f]{64}$/.test(f)).length;
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const WINDOW_MS = 600_000;
const LIMITS = { windowMs: WINDOW_MS, perToken: { files: 2, bytes: 10_000 }, perReview: { files: 3, bytes: 1_000_000 } };
let shift = 0; // the server's clock runs this far ahead of the real one: a window passes without waiting for it
const lab = { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] };
const [counted, sized] = [request({ reviewId: `lim-count-${randomBytes(3).toString('hex')}`, lab }), request({ reviewId: `lim-bytes-${randomBytes(3).toString('hex')}`, lab })];

let t: ReviewEnv;
let api: ApiEnv;

beforeAll(async () => {
  t = await createReviewEnv('local');
  api = await createApiEnv(t, { evidence: { store, config: { ...config, location: { kind: 'directory', dir } } }, uploadLimits: LIMITS, clock: () => Date.now() + shift });
  for (const r of [counted, sized]) {
    await api.reviews.start(r);
    await api.reviews.updateThenStatus('grantAccess', r.reviewId, { by: 'Sec Team' });
  }
}, 120_000);
afterAll(async () => {
  await api?.close();
  await t?.teardown();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: { error?: { code: string; message: string } };
  retryAfter: string | null;
}

async function upload(who: Who, reviewId: string, bytes: Buffer, name = `f-${randomBytes(3).toString('hex')}.txt`): Promise<Answer> {
  const res = await fetch(`${api.url}/api/reviews/${reviewId}/evidence`, {
    method: 'POST', body: bytes, headers: { authorization: `Bearer ${api.tokens[who]}`, 'content-type': 'text/plain', 'x-evidence-name': name },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'], retryAfter: res.headers.get('retry-after') };
}

/** A body sent in chunks without Content-Length: its size is known only as it arrives. */
function uploadChunked(who: Who, reviewId: string, chunks: Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${api.url}/api/reviews/${reviewId}/evidence`, {
      method: 'POST', headers: { authorization: `Bearer ${api.tokens[who]}`, 'content-type': 'text/plain', 'x-evidence-name': 'chunked.txt', 'transfer-encoding': 'chunked' },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'], retryAfter: (res.headers['retry-after'] as string | undefined) ?? null }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

/** `GET /api/reviews/{reviewId}`, … from Fastify's printed route tree (each line a segment under its parent's). */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ├└─]*?)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const full = stack.join('').replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) out.push(`${method} ${full}`);
  }
  return out;
}

const expectLimited = (a: Answer, text: RegExp): void => {
  expect(a.status).toBe(429);
  expect(a.body.error?.code).toBe('rate-limited');
  expect(a.body.error?.message).toMatch(text);
  const seconds = Number(a.retryAfter);
  expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= WINDOW_MS / 1000).toBe(true);
  expect(a.body.error?.message).toContain(`try again in ${a.retryAfter} s`);
};

test('OpenAPI documents the evidence routes from their schemas, and every /api route the server has', async () => {
  const doc = (await api.call(null, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, {
    operationId: string; 'x-roles'?: string[]; parameters: { name: string; in: string; required: boolean }[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown>;
  }>> };
  const upload = doc.paths['/api/reviews/{reviewId}/evidence'].post;
  expect(upload.operationId).toBe('uploadEvidence');
  expect(upload['x-roles']).toEqual(['pm', 'lab', 'reviewer']);
  expect(upload.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:reviewId:true', 'query:party:false', 'query:visibleTo:false', 'query:track:false', 'header:x-evidence-name:true']);
  expect(Object.keys(upload.requestBody?.content ?? {})).toEqual(['*/*']);
  expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409', '413', '415', '429']));
  expect(doc.paths['/api/reviews/{reviewId}/evidence'].get.operationId).toBe('listEvidence');
  const download = doc.paths['/api/reviews/{reviewId}/evidence/{digest}'].get;
  expect(download.operationId).toBe('downloadEvidence');
  expect(Object.keys(download.responses)).toEqual(expect.arrayContaining(['200', '404', '410']));

  // Every route the server serves under /api is in the document (the codec, probes and dashboard are not API).
  const served = servedRoutes(api.app.printRoutes({ commonPrefix: false })).filter((r) => r.split(' ')[1].startsWith('/api'));
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`));
  expect(served.length).toBeGreaterThan(20);
  expect(served.filter((r) => !documented.includes(r))).toEqual([]);
});

test('the upload budget per token and per review: 429 naming the bound, Retry-After, nothing stored; a new window starts afresh', async () => {
  const files = stored();
  expect((await upload('lab', counted.reviewId, Buffer.from('one'))).status).toBe(201);
  expect((await upload('lab', counted.reviewId, Buffer.from('two'))).status).toBe(201);
  expectLimited(await upload('lab', counted.reviewId, Buffer.from('three')), /at most 2 per 10 min for this token/);
  expect(stored()).toBe(files + 2);
  // Another token has a budget of its own, until the review's budget (3 files) is used up by all together.
  expect((await upload('r1', counted.reviewId, Buffer.from('reviewer'))).status).toBe(201);
  expectLimited(await upload('pm', counted.reviewId, Buffer.from('pm')), new RegExp(`at most 3 per 10 min for review ${counted.reviewId}`));
  expect(stored()).toBe(files + 3);

  // The list route shows each role its files and the store's bounds.
  const list = async (who: Who): Promise<EvidenceList> => (await api.call(who, 'GET', `/api/reviews/${counted.reviewId}/evidence`)).body as EvidenceList;
  expect((await list('lab')).evidence.map((e) => e.party)).toEqual(['lab', 'lab']);
  expect((await list('pm')).evidence.map((e) => e.party)).toEqual(['lab', 'lab', 'r1']);
  expect(await list('pm')).toMatchObject({ reviewId: counted.reviewId, maxBytes: 200_000, mediaTypes: DEFAULT_MEDIA_TYPES });
  expect((await api.call('otherLab', 'GET', `/api/reviews/${counted.reviewId}/evidence`)).status).toBe(404);

  shift += WINDOW_MS + 1000;
  expect((await upload('pm', counted.reviewId, Buffer.from('next window'))).status).toBe(201);
});

test('bytes per window count as they arrive: a declared size past the budget, a chunked body without Content-Length, a size no window holds', async () => {
  shift += WINDOW_MS + 1000;
  const files = stored();
  const first = randomBytes(8_000);
  const ok = await upload('lab', sized.reviewId, first);
  expect(ok.status).toBe(201);
  expectLimited(await upload('lab', sized.reviewId, randomBytes(4_000)), /budget used up: at most 9\.8 KiB per 10 min for this token/);
  // No Content-Length: accepted up to the budget, refused the moment it passes it; nothing is kept of it.
  expectLimited(await uploadChunked('lab', sized.reviewId, [randomBytes(1_500), randomBytes(1_500)]), /budget used up while receiving: at most 9\.8 KiB/);
  expect(stored()).toBe(files + 1);
  // Larger than a whole window's budget: no wait helps, so 413 rather than 429.
  const huge = await upload('r1', sized.reviewId, randomBytes(10_001));
  expect(huge.status).toBe(413);
  expect(huge.body.error?.message).toMatch(/larger than the upload budget of 9\.8 KiB per 10 min/);
  expect(huge.retryAfter).toBeNull();
  // What was refused took nothing from the review: its one file is the first.
  expect((await t.status(sized.reviewId)).evidence?.map((e) => e.digest)).toEqual([sha(first)]);
});

test('the limits from the environment: defaults, overrides, and a clear error for a bad value', () => {
  expect(uploadLimitsFromEnv({})).toEqual(DEFAULT_UPLOAD_LIMITS);
  expect(uploadLimitsFromEnv({ EVIDENCE_UPLOAD_WINDOW_SECONDS: '60', EVIDENCE_UPLOAD_FILES_PER_TOKEN: '5', EVIDENCE_UPLOAD_BYTES_PER_REVIEW: '1048576' }))
    .toEqual({ windowMs: 60_000, perToken: { files: 5, bytes: DEFAULT_UPLOAD_LIMITS.perToken.bytes }, perReview: { files: DEFAULT_UPLOAD_LIMITS.perReview.files, bytes: 1_048_576 } });
  expect(() => uploadLimitsFromEnv({ EVIDENCE_UPLOAD_FILES_PER_TOKEN: '0' })).toThrow(UploadLimitConfigError);
  expect(() => uploadLimitsFromEnv({ EVIDENCE_UPLOAD_BYTES_PER_TOKEN: '10MB' })).toThrow(/EVIDENCE_UPLOAD_BYTES_PER_TOKEN must be a whole number from 1 to \d+, got "10MB"/);
});
