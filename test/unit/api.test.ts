/** Pure parts of the API and dashboard: tokens, error paths, views, sorting, forms, escaping, CSV, the plan. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { viewFor } from '../../client/api/access';
import { makeToken, parseTokenEntries, sha256Hex, TokenConfigError, TokenStore } from '../../client/api/auth';
import { issuesFromAjv, pointerToPath, toApiError } from '../../client/api/http-errors';
import { sortRows } from '../../client/api/service';
import type { ReviewRow } from '../../client/api/service';
import { csvField } from '../../client/calendar';
import { FormError, localToIso, requestFromForm } from '../../client/dashboard/forms';
import { html, raw } from '../../client/dashboard/html';
import { buildPlan } from '../../client/plan';
import { withAbsoluteReleaseDate } from '../../client/relative-date';
import { validateRequest } from '../../client/review-client';
import type { ReviewRequest, ReviewStatus } from '../../workflows/types';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));

test('tokens: only hashes are kept; a token authenticates to its entry; role scopes are required', () => {
  const pm = makeToken({ name: 'Pat', role: 'pm' });
  const lab = makeToken({ name: 'Acme', role: 'lab', lab: 'Acme AI' });
  expect(pm.entry.sha256).toBe(sha256Hex(pm.token));
  expect(JSON.stringify(pm.entry)).not.toContain(pm.token);
  const store = new TokenStore(parseTokenEntries({ tokens: [pm.entry, lab.entry] }, 'test'));
  expect(store.authenticate(pm.token)).toMatchObject({ name: 'Pat', role: 'pm' });
  expect(store.authenticate(lab.token)).toMatchObject({ role: 'lab', lab: 'Acme AI' });
  expect(store.authenticate('frt_wrong')).toBeNull();
  expect(store.authenticate(undefined)).toBeNull();
  expect(() => parseTokenEntries([{ name: 'R', role: 'reviewer', sha256: pm.entry.sha256 }], 'f')).toThrow(/reviewerId: is required for role reviewer/);
  // Bound identities: a reviewer token names its address; a lab token its id (or, legacy, its name).
  expect(() => parseTokenEntries([{ name: 'R', role: 'reviewer', reviewerId: 'r1', sha256: pm.entry.sha256 }], 'f')).toThrow(/f: 0.email: is required for role reviewer/);
  expect(() => parseTokenEntries([{ name: 'L', role: 'lab', sha256: pm.entry.sha256 }], 'f')).toThrow(/f: 0.labId: is required for role lab/);
  expect(() => parseTokenEntries([{ name: 'P', role: 'pm', labId: 'acme', sha256: pm.entry.sha256 }], 'f')).toThrow(/f: 0.labId: only for role lab/);
  expect(parseTokenEntries([{ name: 'L', role: 'lab', labId: 'acme', sha256: pm.entry.sha256 }], 'f')[0]).toMatchObject({ labId: 'acme' });
  expect(() => parseTokenEntries([{ name: 'R', role: 'pm', sha256: 'abc' }], 'f')).toThrow(TokenConfigError);
  expect(() => parseTokenEntries([pm.entry, pm.entry], 'f')).toThrow(/listed twice/);
});

test('ajv errors become field paths in the project\'s notation', () => {
  expect(pointerToPath('/evaluations/0/reviewer/email')).toBe('evaluations[0].reviewer.email');
  expect(issuesFromAjv([
    { instancePath: '/lab', keyword: 'required', params: { missingProperty: 'timeZone' } },
    { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'x'.repeat(60) } },
    { instancePath: '/evaluations', keyword: 'type', params: { type: 'array' } },
  ])).toEqual([
    { path: 'lab.timeZone', message: 'is required' },
    { path: '', message: `unknown field "${'x'.repeat(40)}…"` },
    { path: 'evaluations', message: 'must be array' },
  ]);
  const e = toApiError({ message: 'x', validation: [{ instancePath: '', keyword: 'enum', params: { allowedValues: ['a', 'b'] } }], validationContext: 'querystring' });
  expect(e).toMatchObject({ status: 400, code: 'validation', issues: [{ path: 'querystring', message: 'must be one of a, b' }] });
  expect(toApiError(new Error('boom'))).toMatchObject({ status: 500, code: 'internal', message: expect.not.stringContaining('boom') });
});

test('views: labs never get summaries or other audiences\' notices; reviewers only their own', () => {
  const s = {
    reviewId: 'x', lab: { name: 'Acme AI', timeZone: 'UTC' },
    evaluations: [{ track: 'a', reviewerId: 'r1', summary: 'secret-a' }, { track: 'b', reviewerId: 'r2', summary: 'secret-b' }],
    notices: [{ audience: 'lab' }, { audience: 'pm' }, { audience: 'reviewer:r1' }],
    disposal: [],
    events: [],
  } as unknown as ReviewStatus;
  const lab = viewFor({ name: 'L', role: 'lab', lab: 'Acme AI', tokenHash: '' }, s);
  expect(JSON.stringify(lab)).not.toContain('secret');
  expect(lab.notices.map((n) => n.audience)).toEqual(['lab']);
  const r1 = viewFor({ name: 'R', role: 'reviewer', reviewerId: 'r1', tokenHash: '' }, s);
  expect(r1.evaluations.map((e) => e.summary)).toEqual(['secret-a', null]);
  expect(r1.notices.map((n) => n.audience)).toEqual(['reviewer:r1']);
  expect(viewFor({ name: 'D', role: 'director', tokenHash: '' }, s).evaluations.map((e) => e.summary)).toEqual(['secret-a', 'secret-b']);
});

test('rows sort by least time remaining; reviews without a deadline last, newest first', () => {
  const row = (id: string, at: string | null, started: string): ReviewRow => ({ reviewId: id, deadline: at ? { kind: 'window-end', at } : null, startedAt: started } as ReviewRow);
  const rows = [row('closed-old', null, '2026-01-01T00:00:00Z'), row('late', '2026-03-01T00:00:00Z', '2026-01-01T00:00:00Z'), row('closed-new', null, '2026-02-01T00:00:00Z'), row('soon', '2026-02-01T00:00:00-05:00', '2026-01-01T00:00:00Z')];
  expect(sortRows(rows).map((r) => r.reviewId)).toEqual(['soon', 'late', 'closed-new', 'closed-old']);
});

test('the start form builds a ReviewRequest the validation accepts, and names malformed lines', () => {
  // Two years out, whenever the suite runs: the validation refuses a release in the past.
  const releaseYear = new Date().getUTCFullYear() + 2;
  const req = requestFromForm({
    reviewId: 'form-review', modelName: 'Atlas-7', modelVersion: 'rc1', labName: 'Acme AI', labTimeZone: 'America/Los_Angeles',
    labContacts: 'Sec Team <security@acme.example>\r\nJordan <j@acme.example>', pmName: 'Pat', pmEmail: 'pm@x.example', directorName: 'Dana', directorEmail: 'd@x.example',
    evaluations: 'cyber-offense, r1, Riley, riley@x.example, 21\nbio, r2, Robin, robin@x.example', timeZone: 'America/New_York', windowDays: '30',
    plannedReleaseAt: `${releaseYear}-01-20T09:00`,
  });
  expect(validateRequest(req)).toMatchObject({ plannedReleaseAt: `${releaseYear}-01-20T09:00:00-08:00`, evaluations: [{ dueDay: 21 }, { track: 'bio' }] });
  expect(() => requestFromForm({ labContacts: 'just-an-address@x.example', evaluations: 'a, b' })).toThrow(FormError);
  let refused: unknown;
  try {
    requestFromForm({ labContacts: 'just-an-address@x.example', evaluations: 'a, b', windowDays: 'thirty' });
  } catch (e) {
    refused = e;
  }
  expect(refused).toBeInstanceOf(FormError);
  expect((refused as FormError).issues.map((i) => i.path)).toEqual(['lab.contacts[0]', 'evaluations[0]', 'policy.windowDays']);
  expect(localToIso('not a date', 'UTC')).toBe('not a date');
});

test('html escapes every interpolation; CSV neutralises formulas', () => {
  expect(html`<p title="${'"x'}">${'<script>'}${raw('<b>ok</b>')}${['<i>', 1]}</p>`.value).toBe('<p title="&quot;x">&lt;script&gt;<b>ok</b>&lt;i&gt;1</p>');
  expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
  expect(csvField('-1+2')).toBe("'-1+2");
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField(null)).toBe('');
});

test('plan: deterministic for a given start; both zones; access after the deadline refused', () => {
  const start = Date.parse('2026-12-01T09:00:00-05:00');
  const req = validateRequest(withAbsoluteReleaseDate(EXAMPLE, start), start); // the example's release is relative (+60d)
  const plan = buildPlan(req, { startAt: start, accessGrantedAt: Date.parse('2026-12-03T10:00:00-05:00') });
  expect(buildPlan(req, { startAt: start, accessGrantedAt: Date.parse('2026-12-03T10:00:00-05:00') })).toEqual(plan);
  const end = plan.deadlines.find((d) => d.kind === 'window-end');
  expect(end).toMatchObject({ at: '2027-01-02T10:00:00.000-05:00', atLabZone: '2027-01-02T07:00:00.000-08:00' });
  expect(plan.notices.filter((n) => n.kind === 'close-reminder').map((n) => n.at)).toEqual([
    '2026-12-26T10:00:00.000-05:00', '2026-12-30T10:00:00.000-05:00', '2027-01-01T10:00:00.000-05:00',
  ]);
  expect(() => buildPlan(req, { startAt: start, accessGrantedAt: Date.parse('2026-12-20T00:00:00Z') })).toThrow(/access deadline/);
  expect(() => buildPlan(req, { startAt: start, accessGrantedAt: start - 1 })).toThrow(/before the start/);
});
