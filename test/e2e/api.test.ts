/**
 * The HTTP API against a real Temporal dev server and worker: the full role × endpoint matrix, every error
 * class in the one error shape, the lab's redacted view, a complete lifecycle through the API, list filters
 * through the search attributes, exports, the OpenAPI document and the mounted codec endpoint.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { EncryptionCodec } from '../../shared/encryption';
import type { StatusView } from '../../client/api/access';
import { sha256Hex } from '../../client/api/auth';
import type { ReviewRow } from '../../client/api/service';
import type { ReviewRequest } from '../../workflows/types';
import { eventually, ROOT } from '../support/cli';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));
const uid = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const future = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

let t: ReviewEnv;
let api: ApiEnv;
/** Fixture reviews of lab "Acme AI" with r1 on cyber-offense: one per phase. */
const A = uid('api-awaiting');
const B = uid('api-inreview');
const C = uid('api-disposal');

interface ErrorShape {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string): ErrorShape['error'] {
  expect({ status: res.status, code: (res.body as ErrorShape)?.error?.code }).toEqual({ status, code });
  const e = (res.body as ErrorShape).error;
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  expect(Object.keys(res.body as object)).toEqual(['error']);
  return e;
}

async function ok<T>(p: Promise<{ status: number; body: unknown }>, status = 200): Promise<T> {
  const res = await p;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

const request = (reviewId: string, extra: Partial<ReviewRequest> = {}): ReviewRequest => ({ ...EXAMPLE, reviewId, plannedReleaseAt: future(200), ...extra });

/** An update as `who`, then the review as `who` sees it: an update answers with an acknowledgement, the state is read. */
async function act(who: Who, reviewId: string, update: string, body: unknown): Promise<StatusView> {
  await ok(api.call(who, 'POST', `/api/reviews/${reviewId}/${update}`, body));
  return ok<StatusView>(api.call(who, 'GET', `/api/reviews/${reviewId}`));
}

beforeAll(async () => {
  t = await createReviewEnv('local');
  api = await createApiEnv(t);
  for (const id of [A, B, C]) await ok(api.call('pm', 'POST', '/api/reviews', request(id)), 201);
  for (const id of [B, C]) await ok(api.call('lab', 'POST', `/api/reviews/${id}/grantAccess`, { by: 'Acme Security' }));
  await ok(api.call('pm', 'POST', `/api/reviews/${C}/closeReview`, { by: 'Pat PM', reason: 'fixture' }));
}, 180_000);

afterAll(async () => {
  await api?.close();
  await t?.teardown();
});

describe('role × endpoint matrix', () => {
  const everyone: (Who | null)[] = [null, 'pm', 'director', 'r1', 'r2', 'lab', 'otherLab'];

  /** Expected status per principal; allowed updates target a review whose phase makes the workflow refuse (409), so nothing changes. */
  const updates: { name: string; target: () => string; body: (who: Who | null) => unknown; allowed: Who[] }[] = [
    { name: 'grantAccess', target: () => B, body: () => ({ by: 'x' }), allowed: ['pm', 'lab'] },
    { name: 'assignReviewer', target: () => C, body: () => ({ track: 'new-track', reviewer: { id: 'r9', name: 'N', email: 'n@clearinghouse.example' } }), allowed: ['pm'] },
    { name: 'submitEvaluation', target: () => A, body: (w) => ({ track: 'cyber-offense', reviewerId: w === 'r2' ? 'r2' : 'r1', severity: 'low', summary: 's' }), allowed: ['pm', 'r1'] },
    { name: 'setReleaseDate', target: () => C, body: () => ({ plannedReleaseAt: future(100) }), allowed: ['pm', 'lab'] },
    { name: 'pauseClock', target: () => A, body: () => ({ by: 'x' }), allowed: ['pm'] },
    { name: 'resumeClock', target: () => B, body: () => ({ by: 'x' }), allowed: ['pm'] },
    { name: 'withdraw', target: () => C, body: () => ({ by: 'x' }), allowed: ['pm', 'lab'] },
    { name: 'closeReview', target: () => A, body: () => ({ by: 'x' }), allowed: ['pm'] },
    { name: 'cancelReview', target: () => B, body: () => ({ by: 'x', reason: 'r' }), allowed: ['pm'] },
    { name: 'confirmDisposal', target: () => B, body: (w) => ({ party: w === 'r1' ? 'r1' : w === 'r2' ? 'r2' : 'lab', by: 'x' }), allowed: ['pm', 'lab', 'r1'] },
  ];

  /** The roles each update is open to (UPDATE_ROLES); a principal of such a role outside the review's scope gets 404. */
  const roleOf: Record<Who, string> = { pm: 'pm', director: 'director', r1: 'reviewer', r2: 'reviewer', lab: 'lab', otherLab: 'lab' };
  const roles: Record<string, string[]> = {
    grantAccess: ['pm', 'lab'], assignReviewer: ['pm'], submitEvaluation: ['pm', 'reviewer'], setReleaseDate: ['pm', 'lab'], pauseClock: ['pm'], resumeClock: ['pm'],
    withdraw: ['pm', 'lab'], closeReview: ['pm'], cancelReview: ['pm'], confirmDisposal: ['pm', 'lab', 'reviewer'],
  };

  test('every update × every principal: 401 without a token, 403 outside the role, 404 outside the scope (as if missing), otherwise the workflow decides (409 here)', async () => {
    const mismatches: string[] = [];
    for (const u of updates) {
      for (const who of everyone) {
        const res = await api.call(who, 'POST', `/api/reviews/${u.target()}/${u.name}`, u.body(who));
        const expected = who === null ? [401, 'unauthorized'] : u.allowed.includes(who) ? [409, 'rejected'] : roles[u.name].includes(roleOf[who]) ? [404, 'not-found'] : [403, 'forbidden'];
        const got = [res.status, (res.body as ErrorShape).error?.code];
        if (got[0] !== expected[0] || got[1] !== expected[1]) mismatches.push(`${u.name} as ${who ?? 'anonymous'}: expected ${expected.join(' ')}, got ${got.join(' ')} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // Nothing changed: the fixtures are still in their phases.
    for (const [id, phase] of [[A, 'awaiting-access'], [B, 'in-review'], [C, 'disposal']]) {
      expect((await ok<StatusView>(api.call('pm', 'GET', `/api/reviews/${id}`))).phase).toBe(phase);
    }
  });

  test('reads, start, plan and me × every principal', async () => {
    const reads: { what: string; method: string; path: () => string; body?: () => unknown; expect: Record<string, number> }[] = [
      { what: 'list', method: 'GET', path: () => '/api/reviews', expect: { anonymous: 401, pm: 200, director: 200, r1: 200, r2: 200, lab: 200, otherLab: 200 } },
      { what: 'status', method: 'GET', path: () => `/api/reviews/${B}`, expect: { anonymous: 401, pm: 200, director: 200, r1: 200, r2: 404, lab: 200, otherLab: 404 } },
      { what: 'export', method: 'GET', path: () => `/api/reviews/${B}/export?format=csv`, expect: { anonymous: 401, pm: 200, director: 200, r1: 200, r2: 404, lab: 200, otherLab: 404 } },
      { what: 'plan', method: 'POST', path: () => '/api/plan', body: () => ({ request: request('plan-only') }), expect: { anonymous: 401, pm: 200, director: 200, r1: 403, r2: 403, lab: 403, otherLab: 403 } },
      { what: 'me', method: 'GET', path: () => '/api/me', expect: { anonymous: 401, pm: 200, director: 200, r1: 200, r2: 200, lab: 200, otherLab: 200 } },
      { what: 'openapi', method: 'GET', path: () => '/openapi.json', expect: { anonymous: 200, pm: 200, director: 200, r1: 200, r2: 200, lab: 200, otherLab: 200 } },
      { what: 'start', method: 'POST', path: () => '/api/reviews', body: () => request(uid('api-matrix')), expect: { anonymous: 401, pm: 201, director: 403, r1: 403, r2: 403, lab: 403, otherLab: 403 } },
    ];
    const mismatches: string[] = [];
    for (const r of reads) {
      for (const who of everyone) {
        const res = await api.call(who, r.method, r.path(), r.body?.());
        const want = r.expect[who ?? 'anonymous'];
        if (res.status !== want) mismatches.push(`${r.what} as ${who ?? 'anonymous'}: expected ${want}, got ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status >= 400) expectError(res, res.status, res.status === 401 ? 'unauthorized' : res.status === 404 ? 'not-found' : 'forbidden');
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('arguments are scoped too: a reviewer acts only as itself, a lab only for the lab', async () => {
    const e1 = expectError(await api.call('r1', 'POST', `/api/reviews/${B}/submitEvaluation`, { track: 'cyber-offense', reviewerId: 'r2', severity: 'low', summary: 's' }), 403, 'forbidden');
    expect(e1.message).toMatch(/only as reviewerId "r1"/);
    expectError(await api.call('r1', 'POST', `/api/reviews/${C}/confirmDisposal`, { party: 'lab', by: 'x' }), 403, 'forbidden');
    expectError(await api.call('lab', 'POST', `/api/reviews/${C}/confirmDisposal`, { party: 'r1', by: 'x' }), 403, 'forbidden');
    expectError(await api.call('otherLab', 'GET', '/api/reviews?lab=acme'), 403, 'forbidden');
  });

  test('a review outside the scope answers exactly as a missing one: the same status, code and message (finding 2)', async () => {
    for (const who of ['r2', 'otherLab'] as const) {
      const hidden = await api.call(who, 'GET', `/api/reviews/${B}`);
      const missing = await api.call(who, 'GET', `/api/reviews/${B}-nope`);
      expect(hidden.status).toBe(404);
      expect(JSON.stringify(hidden.body).replace(B, 'ID')).toBe(JSON.stringify(missing.body).replace(`${B}-nope`, 'ID'));
      const hiddenUpdate = await api.call(who, 'POST', `/api/reviews/${B}/confirmDisposal`, { party: who === 'r2' ? 'r2' : 'lab', by: 'x' });
      expect(JSON.stringify(hiddenUpdate.body).replace(B, 'ID')).toBe(JSON.stringify(missing.body).replace(`${B}-nope`, 'ID'));
    }
  });

  test('identity is bound: a lab by its id (not its name), a reviewer by id and address (finding 3)', async () => {
    // Another lab that calls itself "Acme AI", and a review that gives the id r1 to someone else.
    const impostor = uid('api-impostor');
    await ok(api.call('pm', 'POST', '/api/reviews', request(impostor, { lab: { ...EXAMPLE.lab, id: 'impostor-lab' } })), 201);
    const reused = uid('api-reused-id');
    await ok(api.call('pm', 'POST', '/api/reviews', request(reused, { lab: { ...EXAMPLE.lab, id: 'other-lab', name: 'Other Lab' }, evaluations: [{ ...EXAMPLE.evaluations[0], reviewer: { id: 'r1', name: 'Someone Else', email: 'someone@other.example' } }] })), 201);
    expectError(await api.call('lab', 'GET', `/api/reviews/${impostor}`), 404, 'not-found');
    expectError(await api.call('r1', 'GET', `/api/reviews/${reused}`), 404, 'not-found');
    expectError(await api.call('r1', 'POST', `/api/reviews/${reused}/grantAccess`, { by: 'x' }), 403, 'forbidden'); // role first
    expect((await ok<StatusView>(api.call('otherLab', 'GET', `/api/reviews/${reused}`))).lab).toEqual({ id: 'other-lab', name: 'Other Lab', timeZone: EXAMPLE.lab.timeZone });
    const r1Rows = await eventually(() => ok<ReviewRow[]>(api.call('pm', 'GET', '/api/reviews')), (rows) => rows.some((r) => r.reviewId === reused));
    expect(r1Rows.map((r) => r.reviewId)).toContain(reused);
    expect((await ok<ReviewRow[]>(api.call('r1', 'GET', '/api/reviews'))).map((r) => r.reviewId)).not.toContain(reused);
    expect((await ok<ReviewRow[]>(api.call('lab', 'GET', '/api/reviews'))).map((r) => r.reviewId)).not.toContain(impostor);
  });
});

describe('every error class, one shape', () => {
  test('401: no header, another scheme, an unknown token', async () => {
    expectError(await api.call(null, 'GET', '/api/reviews'), 401, 'unauthorized');
    expectError(await api.call(null, 'GET', '/api/reviews', undefined, { authorization: 'Basic cGF0OnB3' }), 401, 'unauthorized');
    const e = expectError(await api.call(null, 'GET', `/api/reviews/${A}`, undefined, { authorization: 'Bearer frt_not-a-real-token' }), 401, 'unauthorized');
    expect(e.message).toBe('unknown bearer token');
  });

  test('400 names the field path: schema errors (ajv) and rule errors (the workflow\'s validation)', async () => {
    const paths = async (body: unknown, url = '/api/reviews'): Promise<string[]> => (expectError(await api.call('pm', 'POST', url, body), 400, 'validation').issues ?? []).map((i) => i.path);
    expect(await paths({ ...request(uid('bad')), lab: { ...EXAMPLE.lab, timeZone: 'Mars/Olympus' } })).toEqual(['lab.timeZone']);
    expect(await paths({ ...request(uid('bad')), evaluations: [{ ...EXAMPLE.evaluations[0], reviewer: { ...EXAMPLE.evaluations[0].reviewer, email: 'nope' } }] })).toEqual(['evaluations[0].reviewer.email']);
    expect(await paths({ ...request(uid('bad')), evaluations: 'x' })).toEqual(['evaluations']);
    const { model: _m, ...noModel } = request(uid('bad'));
    expect(await paths(noModel)).toEqual(['model']);
    expect(await paths({ ...request(uid('bad')), policy: { windowDays: 45 } })).toEqual(['policy.windowDays']);
    expect(await paths({ ...request(uid('bad')), surprise: 1 })).toEqual(['']);
    expect(await paths({ track: 'cyber-offense', reviewerId: 'r1', severity: 'huge', summary: 's' }, `/api/reviews/${B}/submitEvaluation`)).toEqual(['severity']);
    expect(await paths({ plannedReleaseAt: '2027-01-20T09:00:00' }, `/api/reviews/${B}/setReleaseDate`)).toEqual(['plannedReleaseAt']);
    expect(await paths('{"by": ', `/api/reviews/${B}/pauseClock`)).toEqual(['']);
    expect(await paths({ request: request('plan-x'), accessGrantedAt: 'tomorrow' }, '/api/plan')).toEqual(['accessGrantedAt']);
    expect(await paths({ request: { ...request('plan-x'), timeZone: 'Nowhere' } }, '/api/plan')).toEqual(['request.timeZone']);
    expect((expectError(await api.call('pm', 'GET', '/api/reviews?phase=sleeping'), 400, 'validation').issues ?? []).map((i) => i.path)).toEqual(['phase']);
    expect((expectError(await api.call('pm', 'GET', `/api/reviews/${B}/export?format=pdf`), 400, 'validation').issues ?? []).map((i) => i.path)).toEqual(['format']);
  });

  test('404: an unknown review (status, update, export) and an unknown route', async () => {
    expectError(await api.call('pm', 'GET', '/api/reviews/no-such-review'), 404, 'not-found');
    expectError(await api.call('lab', 'GET', '/api/reviews/no-such-review'), 404, 'not-found');
    expectError(await api.call('pm', 'POST', '/api/reviews/no-such-review/grantAccess', { by: 'x' }), 404, 'not-found');
    expectError(await api.call('pm', 'GET', '/api/reviews/no-such-review/export'), 404, 'not-found');
    expectError(await api.call('pm', 'GET', '/api/nothing-here'), 404, 'not-found');
  });

  test('409: a duplicate start (conflict) and a change the workflow refuses (rejected, nothing changed)', async () => {
    const e = expectError(await api.call('pm', 'POST', '/api/reviews', request(A)), 409, 'conflict');
    expect(e.message).toContain('already exists');
    const r = expectError(await api.call('pm', 'POST', `/api/reviews/${B}/submitEvaluation`, { track: 'no-such-track', reviewerId: 'r1', severity: 'low', summary: 's' }), 409, 'rejected');
    expect(r.issues?.map((i) => i.path)).toEqual(['track']);
  });

  test('415 and 413 in the same shape', async () => {
    expectError(await api.call('pm', 'POST', `/api/reviews/${B}/pauseClock`, 'by=Pat', { 'content-type': 'text/plain' }), 415, 'unsupported-media-type');
    const big = JSON.stringify({ by: 'x'.repeat(2 * 1024 * 1024) });
    expectError(await api.call('pm', 'POST', `/api/reviews/${B}/pauseClock`, big), 413, 'payload-too-large');
  });
});

describe('views, lifecycle, list, export, OpenAPI', () => {
  const D = uid('api-life');

  test('a whole review through the API, each step by the role that owns it; the lab never sees reviewers\' notes', async () => {
    await ok(api.call('pm', 'POST', '/api/reviews', request(D)), 201);
    let s = await act('lab', D, 'grantAccess', { by: 'Pat PM' });
    expect(s.phase).toBe('in-review');
    // A lab token cannot put someone else's name in the audit trail: its own name is recorded.
    expect(s.events.find((e) => e.type === 'access-granted')?.by).toBe('Acme Security');
    s = await act('pm', D, 'assignReviewer', { track: 'bio-misuse', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' }, dueDay: 20 });
    expect(s.evaluations.map((e) => e.track)).toEqual(['cyber-offense', 'bio-misuse']);
    // A PM naming nobody is the actor.
    expect(s.events.find((e) => e.type === 'reviewer-assigned' && e.detail.startsWith('bio-misuse'))?.by).toBe('Pat PM');
    s = await act('pm', D, 'pauseClock', { by: 'Pat PM', reason: 'lab VPN outage' });
    expect(s.phase).toBe('paused');
    s = await act('pm', D, 'resumeClock', { by: 'Pat PM' });
    expect(s.phase).toBe('in-review');
    s = await act('lab', D, 'setReleaseDate', { plannedReleaseAt: future(150), by: 'Someone Else' });
    expect(s.plannedReleaseAt).not.toBeNull();
    expect(s.events.filter((e) => e.type === 'release-date-set').map((e) => e.by)).toEqual(['Acme Security']); // the token's name, not the claim
    s = await act('r1', D, 'submitEvaluation', { track: 'cyber-offense', reviewerId: 'r1', severity: 'medium', summary: 'INTERNAL: exploit chain against harness X' });
    expect(s.evaluations[0]).toMatchObject({ status: 'submitted', summary: 'INTERNAL: exploit chain against harness X' });
    // r2 sees its own assignment but not r1's note; the lab sees neither note nor non-lab notices; the director sees all.
    s = await act('r2', D, 'submitEvaluation', { track: 'bio-misuse', reviewerId: 'r2', severity: 'critical', summary: 'INTERNAL: uplift' });
    expect(s.evaluations.map((e) => e.summary)).toEqual([null, 'INTERNAL: uplift']);
    expect(s.notices.length).toBeGreaterThan(0); // r2 was assigned: at least that notice is theirs
    expect(s.notices.filter((n) => n.audience !== 'reviewer:r2')).toEqual([]);
    const lab = await ok<StatusView>(api.call('lab', 'GET', `/api/reviews/${D}`));
    expect(lab.evaluations.map((e) => [e.severity, e.summary])).toEqual([['medium', null], ['critical', null]]);
    expect(lab.notices.length).toBeGreaterThan(0);
    expect(lab.notices.filter((n) => n.audience !== 'lab')).toEqual([]);
    expect(JSON.stringify(lab)).not.toContain('INTERNAL');
    expect(lab.visibility.redacted.length).toBeGreaterThan(0);
    // The audit trail by visibility (finding 1): no assignments, no PM reason; the fact of the pause stays.
    expect(lab.events.map((e) => e.type)).not.toContain('reviewer-assigned');
    expect(JSON.stringify(lab.events)).not.toContain('lab VPN outage');
    expect(lab.events.find((e) => e.type === 'clock-paused')?.detail).toBe('(details for the clearinghouse only)');
    expect(lab.events.find((e) => e.type === 'evaluation-submitted')?.detail).toMatch(/severity medium/);
    const labCsv = await api.call('lab', 'GET', `/api/reviews/${D}/export?format=csv`);
    expect(labCsv.text).not.toContain('INTERNAL');
    expect(labCsv.text).not.toContain('lab VPN outage');
    // r2 sees its own assignment, not r1's.
    const r2View = await ok<StatusView>(api.call('r2', 'GET', `/api/reviews/${D}`));
    expect(r2View.events.filter((e) => e.type === 'reviewer-assigned').map((e) => e.detail)).toEqual(['bio-misuse: r2']);
    expect(r2View).not.toHaveProperty('reviewers');
    const director = await ok<StatusView>(api.call('director', 'GET', `/api/reviews/${D}`));
    expect(director.evaluations.map((e) => e.summary)).toEqual(['INTERNAL: exploit chain against harness X', 'INTERNAL: uplift']);
    expect(director.notices.some((n) => n.kind === 'critical-finding' && n.audience === 'director')).toBe(true);

    s = await act('pm', D, 'closeReview', { by: 'Pat PM', reason: 'all in' });
    expect(s).toMatchObject({ phase: 'disposal', outcome: 'completed' });
    await ok(api.call('lab', 'POST', `/api/reviews/${D}/confirmDisposal`, { party: 'lab', by: 'Acme Security' }));
    await ok(api.call('r1', 'POST', `/api/reviews/${D}/confirmDisposal`, { party: 'r1', by: 'Riley' }));
    s = await act('r2', D, 'confirmDisposal', { party: 'r2', by: 'Robin', note: 'wiped' });
    expect(s.phase).toBe('closed');
    expect(s.events.find((e) => e.type === 'disposal-confirmed' && e.detail.startsWith('r2'))?.detail).toBe('r2: wiped');
    const labAfter = await ok<StatusView>(api.call('lab', 'GET', `/api/reviews/${D}`));
    expect(JSON.stringify(labAfter.events)).not.toContain('wiped');
    expect(labAfter.disposal.find((d) => d.party === 'r2')).toEqual({ party: 'r2', confirmedAt: expect.any(String), by: null });
    expect(labAfter.events.filter((e) => e.type === 'disposal-confirmed').map((e) => e.detail)).toEqual(['lab']);

    const E = uid('api-cancel');
    await ok(api.call('pm', 'POST', '/api/reviews', request(E)), 201);
    expect((await act('pm', E, 'cancelReview', { by: 'Pat PM', reason: 'duplicate' })).outcome).toBe('cancelled');
    const F = uid('api-withdraw');
    await ok(api.call('pm', 'POST', '/api/reviews', request(F)), 201);
    expect((await act('lab', F, 'withdraw', { by: 'Acme Security', reason: 'release cancelled' })).outcome).toBe('withdrawn');
  });

  test('a finished review: an update answers 409 conflict (not "not found"), a new start with its id 409 too; nothing changes', async () => {
    const G = uid('api-finished');
    await ok(api.call('pm', 'POST', '/api/reviews', request(G)), 201);
    await ok(api.call('pm', 'POST', `/api/reviews/${G}/cancelReview`, { by: 'Pat PM', reason: 'finished for this test' }));
    // Wait for the workflow itself to complete (a cancelled review that never got access ends at once).
    await t.env.client.workflow.getHandle(`review-${G}`).result();
    const before = await ok<StatusView>(api.call('pm', 'GET', `/api/reviews/${G}`));
    const update = expectError(await api.call('pm', 'POST', `/api/reviews/${G}/grantAccess`, { by: 'Acme Security' }), 409, 'conflict');
    expect(update.message).toMatch(/has finished .*no further changes are accepted/);
    const start = expectError(await api.call('pm', 'POST', '/api/reviews', request(G)), 409, 'conflict');
    expect(start.message).toContain('already exists');
    expect(await ok<StatusView>(api.call('pm', 'GET', `/api/reviews/${G}`))).toEqual(before);
  });

  test('list: scoped by role, filtered through the search attributes, least time remaining first', async () => {
    const other = uid('api-otherlab');
    await ok(api.call('pm', 'POST', '/api/reviews', request(other, { lab: { ...EXAMPLE.lab, id: 'other-lab', name: 'Other Lab' } })), 201);
    const ids = (rows: ReviewRow[]): string[] => rows.map((r) => r.reviewId);
    const all = await eventually(() => ok<ReviewRow[]>(api.call('pm', 'GET', '/api/reviews')), (rows) => [A, B, C, other].every((id) => ids(rows).includes(id)));
    expect(ids(all)).toEqual(expect.arrayContaining([A, B, C, other]));
    const deadlines = all.filter((r) => r.deadline).map((r) => Date.parse(r.deadline?.at as string));
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
    const rowB = all.find((r) => r.reviewId === B) as ReviewRow;
    expect(rowB).toMatchObject({ lab: 'Acme AI', model: { name: 'Atlas-7' }, phase: 'in-review', deadline: { kind: 'window-end' } });
    expect(rowB.daysRemaining).toBeGreaterThanOrEqual(29);

    const otherLab = await ok<ReviewRow[]>(api.call('otherLab', 'GET', '/api/reviews'));
    expect(ids(otherLab)).toContain(other);
    expect(otherLab.every((r) => r.lab === 'Other Lab')).toBe(true);
    const acme = await ok<ReviewRow[]>(api.call('lab', 'GET', '/api/reviews'));
    expect(ids(acme)).not.toContain(other);
    expect(ids(acme)).toEqual(expect.arrayContaining([A, B, C]));
    // r2 is assigned only in the lifecycle review: that one, and nothing else
    const r2 = await eventually(() => ok<ReviewRow[]>(api.call('r2', 'GET', '/api/reviews')), (rows) => ids(rows).includes(D));
    expect(ids(r2)).toEqual([D]);
    // Scope before the limit (finding 10): newer reviews are not r2's, and limit=1 still finds its assignment.
    expect(ids(await ok<ReviewRow[]>(api.call('r2', 'GET', '/api/reviews?limit=1')))).toEqual([D]);
    expect(ids(await ok<ReviewRow[]>(api.call('pm', 'GET', '/api/reviews?limit=1')))).toHaveLength(1);
    expect((expectError(await api.call('pm', 'GET', '/api/reviews?limit=101'), 400, 'validation').issues ?? []).map((i) => i.path)).toEqual(['limit']);

    const inDisposal = await eventually(() => ok<ReviewRow[]>(api.call('pm', 'GET', '/api/reviews?phase=disposal')), (rows) => ids(rows).includes(C));
    expect(inDisposal.filter((r) => r.phase !== 'disposal')).toEqual([]);
    const soon = await eventually(() => ok<ReviewRow[]>(api.call('director', 'GET', '/api/reviews?dueWithinDays=31')), (rows) => ids(rows).includes(B));
    expect(ids(soon)).toContain(B);
    expect(ids(soon)).not.toContain(A); // no window yet
    const notSoon = await ok<ReviewRow[]>(api.call('director', 'GET', '/api/reviews?dueWithinDays=10'));
    expect(ids(notSoon)).not.toContain(B);
    const byLab = await ok<ReviewRow[]>(api.call('pm', 'GET', '/api/reviews?lab=other-lab'));
    expect(ids(byLab)).toContain(other);
    expect(byLab.every((r) => r.lab === 'Other Lab')).toBe(true);
  });

  test('export: JSON with deadlines and the audit trail, CSV, iCalendar', async () => {
    const json = await api.call('pm', 'GET', `/api/reviews/${C}/export?format=json`);
    expect(json.headers.get('content-type')).toContain('application/json');
    const x = json.body as { deadlines: { kind: string }[]; events: { type: string }[] };
    expect(x.deadlines.map((d) => d.kind)).toEqual(expect.arrayContaining(['clock-start', 'evaluation-due', 'window-end', 'closed', 'disposal-due']));
    expect(x.events.map((e) => e.type)).toEqual(expect.arrayContaining(['review-started', 'access-granted', 'review-closed']));
    const csv = await api.call('pm', 'GET', `/api/reviews/${C}/export?format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\r\n')[0]).toBe('record,at,type,party,track,state,detail');
    expect(csv.text).toContain('deadline,');
    expect(csv.text).toContain('event,');
    const ics = await api.call('pm', 'GET', `/api/reviews/${C}/export?format=ics`);
    expect(ics.headers.get('content-type')).toContain('text/calendar');
    expect(ics.text).toMatch(/^BEGIN:VCALENDAR/);
    expect(ics.text).toContain('SUMMARY:Review window ends');
  });

  test('OpenAPI 3 document: every update of the contract, status, list, export, with schemas and roles', async () => {
    const doc = await ok<{ openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-roles'?: string[]; requestBody?: unknown; responses: Record<string, unknown> }>> }>(api.call(null, 'GET', '/openapi.json'));
    expect(doc.openapi).toMatch(/^3\./);
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    for (const op of ['grantAccess', 'assignReviewer', 'submitEvaluation', 'setReleaseDate', 'pauseClock', 'resumeClock', 'withdraw', 'closeReview', 'cancelReview', 'confirmDisposal', 'getReview', 'listReviews', 'exportReview', 'startReview', 'planReview']) {
      expect(ops).toContain(op);
    }
    const submit = doc.paths['/api/reviews/{reviewId}/submitEvaluation'].post;
    expect(submit['x-roles']).toEqual(['pm', 'reviewer']);
    expect(submit.requestBody).toBeDefined();
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409']));
  });
});

test('the codec endpoint on the same server: codec tokens encode and decode, API tokens (PM, director) decode only; other paths 404; generic errors; no credentialed CORS (finding 5)', async () => {
  const codec = new EncryptionCodec({ activeKeyId: 'k-secret-id', keys: new Map([['k-secret-id', Buffer.alloc(32, 7)]]) });
  const codecToken = 'codec-operator-token';
  const server = await createApiEnv(t, { codec: { codec, tokenHashes: [Buffer.from(sha256Hex(codecToken), 'hex')], allowedOrigins: ['http://127.0.0.1:8233'] } });
  const post = (path: string, token: string | null, body: unknown, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  try {
    const payloads = [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hello"').toString('base64') }];
    expectError(await server.call(null, 'POST', '/codec/encode', { payloads }), 401, 'unauthorized');
    expectError(await server.call('lab', 'POST', '/codec/decode', { payloads }), 401, 'unauthorized'); // a lab token is no codec token
    const encoded = await post('/codec/encode', codecToken, { payloads }, { origin: 'http://127.0.0.1:8233' });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(encoded.headers.get('access-control-allow-credentials')).toBeNull();
    const body = (await encoded.json()) as { payloads: { data: string }[] };
    expectError(await server.call('pm', 'POST', '/codec/encode', { payloads }), 403, 'forbidden');
    for (const who of ['pm', 'director'] as const) {
      const dec = await server.call(who, 'POST', '/codec/decode', body);
      expect((dec.body as { payloads: { data: string }[] }).payloads[0].data).toBe(payloads[0].data);
    }
    // A payload it cannot decrypt: the error names no key id.
    const foreign = new EncryptionCodec({ activeKeyId: 'k-other', keys: new Map([['k-other', Buffer.alloc(32, 9)]]) });
    const alien = (await foreign.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }])).map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p.data ?? []).toString('base64'),
    }));
    const failed = await server.call('pm', 'POST', '/codec/decode', { payloads: alien });
    expect(failed.status).toBe(400);
    expect(failed.text).not.toMatch(/k-other|k-secret-id/);
    // Any other path under /codec/ is an ordinary 404, answered at once (it used to be hijacked and never answered).
    const started = Date.now();
    expectError(await server.call('pm', 'POST', '/codec/anything', { payloads }), 404, 'not-found');
    expectError(await server.call(null, 'GET', '/codec/'), 404, 'not-found');
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    await server.close();
  }
});

test('server timeouts: a request that never finishes arriving is cut off, headers or body (finding 5)', async () => {
  const server = await createApiEnv(t, { timeouts: { requestTimeout: 1_000, connectionTimeout: 2_000 } });
  try {
    const { port } = new URL(server.url);
    const stalled = async (start: string): Promise<{ waited: number; answer: string }> => {
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.write(start); // and then nothing
      const started = Date.now();
      await once(socket, 'close');
      return { waited: Date.now() - started, answer: Buffer.concat(chunks).toString('latin1') };
    };
    const headers = await stalled('GET /api/reviews HTTP/1.1\r\nHost: x\r\n');
    const body = await stalled(`POST /api/reviews HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.tokens.pm}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`);
    for (const r of [headers, body]) {
      expect(r.waited).toBeGreaterThanOrEqual(500);
      expect(r.waited).toBeLessThan(10_000);
    }
    // Closed unanswered or with a 408, never served (the idle socket timeout usually comes first: Node checks
    // requestTimeout only every connectionsCheckingInterval).
    for (const r of [headers, body]) expect(r.answer).toMatch(/^(HTTP\/1\.1 408|)/);
    for (const r of [headers, body]) expect(r.answer).not.toMatch(/^HTTP\/1\.1 [2345]0[0-7]/);
  } finally {
    await server.close();
  }
});

test('per-token rate limits: a token over its budget gets 429 in the one error shape; other tokens and addresses keep theirs', async () => {
  const limited = await createApiEnv(t, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
  try {
    for (let i = 0; i < 3; i++) expect((await limited.call('lab', 'GET', '/api/me')).status).toBe(200);
    const over = await limited.call('lab', 'GET', '/api/me');
    const e = expectError(over, 429, 'rate-limited');
    expect(e.message).toMatch(/at most 3 per 1 minute/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.call('director', 'GET', '/api/me')).status).toBe(200); // another token: its own budget
    // Made-up tokens share their address's budget instead of getting a fresh one each.
    const made = await Promise.all(Array.from({ length: 4 }, (_, i) => limited.call(null, 'GET', '/api/me', undefined, { authorization: `Bearer frt_fake${i}` })));
    expect(made.map((r) => r.status)).toEqual([401, 401, 401, 429]);
  } finally {
    await limited.close();
  }
});
