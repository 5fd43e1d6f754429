/**
 * Evidence through the HTTP API, against a real Temporal server, worker and directory store: raw-body upload
 * (streamed, bounded, typed), role scope, which party sees which file, and downloads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StatusView } from '../../client/api/access';
import { DEFAULT_MEDIA_TYPES } from '../../shared/evidence/config';
import { DirectoryEvidenceStore } from '../../shared/evidence/directory-store';
import { grantAccessUpdate } from '../../workflows/messages';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const dir = mkdtempSync(path.join(tmpdir(), 'evidence-api-'));
const config = { maxBytes: 200_000, mediaTypes: DEFAULT_MEDIA_TYPES };
const store = new DirectoryEvidenceStore(dir, { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) }, config);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const stored = (): string[] => readdirSync(dir, { recursive: true }).map(String).filter((f) => /[0-9a-f]{64}$/.test(f));

let t: ReviewEnv;
let api: ApiEnv;
const req = request({ lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] } });

beforeAll(async () => {
  t = await createReviewEnv();
  api = await createApiEnv(t, { evidence: { store, config: { ...config, location: { kind: 'directory', dir } } } });
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
});
afterAll(async () => {
  await api?.close();
  await t?.teardown();
  await rm(dir, { recursive: true, force: true });
});

async function upload(who: Who, bytes: Buffer, mediaType: string, name: string, query = ''): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${api.url}/api/reviews/${req.reviewId}/evidence${query}`, {
    method: 'POST', body: bytes, headers: { authorization: `Bearer ${api.tokens[who]}`, 'content-type': mediaType, 'x-evidence-name': encodeURIComponent(name) },
  });
  return { status: res.status, body: await res.json() };
}

test('upload, scope, visibility and download', async () => {
  const modelCard = randomBytes(150_000);
  const labUp = await upload('lab', modelCard, 'application/pdf', 'Modellkarte – Atlas-7.pdf');
  expect(labUp.status).toBe(201);
  expect(labUp.body).toMatchObject({ evidence: { digest: sha(modelCard), size: 150_000, mediaType: 'application/pdf', name: 'Modellkarte – Atlas-7.pdf', party: 'lab', visibleTo: 'reviewers' } });
  const log = Buffer.from(JSON.stringify({ eval: { task: 'cyber-offense', model: 'Atlas-7' } }));
  expect((await upload('r1', log, 'application/json', 'inspect.json', '?track=cyber-offense')).status).toBe(201);

  // Acting as someone else, or a read-only role: refused, nothing stored.
  const files = stored().length;
  expect((await upload('r1', Buffer.from('x'), 'text/plain', 'x.txt', '?party=lab')).status).toBe(403);
  expect((await upload('lab', Buffer.from('x'), 'text/plain', 'x.txt', '?party=r1')).status).toBe(403);
  expect((await upload('director', Buffer.from('x'), 'text/plain', 'x.txt')).status).toBe(403);
  expect((await upload('otherLab', Buffer.from('x'), 'text/plain', 'x.txt')).status).toBe(404);
  // Over the limit, a type not allowed, no name: refused with the reason, nothing stored.
  const big = await upload('lab', randomBytes(config.maxBytes + 1), 'application/pdf', 'big.pdf');
  expect(big).toMatchObject({ status: 413, body: { error: { code: 'payload-too-large' } } });
  const html = await upload('lab', Buffer.from('<script>'), 'text/html', 'x.html');
  expect(html).toMatchObject({ status: 415, body: { error: { code: 'unsupported-media-type' } } });
  expect(stored().length).toBe(files);
  // The raw update is not a route: only an upload attaches.
  expect((await api.call('pm', 'POST', `/api/reviews/${req.reviewId}/attachEvidence`, { evidence: {}, party: 'lab', by: 'x' })).status).toBe(404);

  // Who sees what: the lab its own file, not the reviewer's; the reviewer both; the PM both, with store keys.
  const view = async (who: Who): Promise<StatusView> => (await api.call(who, 'GET', `/api/reviews/${req.reviewId}`)).body as StatusView;
  expect((await view('lab')).evidence?.map((e) => [e.name, e.ref])).toEqual([['Modellkarte – Atlas-7.pdf', undefined]]);
  expect((await view('r1')).evidence?.map((e) => e.name)).toEqual(['Modellkarte – Atlas-7.pdf', 'inspect.json']);
  expect((await view('pm')).evidence?.every((e) => typeof e.ref === 'string')).toBe(true);

  const get = (who: Who, digest: string) => fetch(`${api.url}/api/reviews/${req.reviewId}/evidence/${digest}`, { headers: { authorization: `Bearer ${api.tokens[who]}` } });
  expect((await get('lab', sha(log))).status).toBe(404);
  const got = await get('r1', sha(modelCard));
  expect(got.status).toBe(200);
  expect(got.headers.get('content-disposition')).toBe("attachment; filename=\"Modellkarte _ Atlas-7.pdf\"; filename*=UTF-8''Modellkarte%20%E2%80%93%20Atlas-7.pdf");
  expect(got.headers.get('content-security-policy')).toContain('sandbox');
  expect(Buffer.from(await got.arrayBuffer()).equals(modelCard)).toBe(true);
  expect(Buffer.from(await (await get('director', sha(log))).arrayBuffer()).equals(log)).toBe(true);
});
