/**
 * Evidence on the dashboard, in real Chromium against the API server over a real dev server and worker and a
 * directory store: the upload form (multipart, CSRF, the size bound named), the evidence list with downloads as
 * each role may see it, files deleted at the end of the retention period, keyboard operation and axe.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEFAULT_MEDIA_TYPES } from '../../shared/evidence/config';
import { DirectoryEvidenceStore } from '../../shared/evidence/directory-store';
import { expectNoAxeViolations } from '../support/a11y';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { launchBrowser, signIn } from '../support/browser';
import type { TestBrowser } from '../support/browser';
import { eventually } from '../support/cli';
import { request } from '../support/fixtures';
import { focusedElement, pressUntilFocused, unreachableByTab } from '../support/keyboard';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const MAX = 64 * 1024;
const dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-evidence-'));
const config = { maxBytes: MAX, mediaTypes: DEFAULT_MEDIA_TYPES };
const store = new DirectoryEvidenceStore(dir, { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) }, config);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const stored = (): string[] => readdirSync(dir, { recursive: true }).map(String).filter((f) => /[0-9a-f]{64}$/.test(f));

const suffix = Math.random().toString(36).slice(2, 7);
const lab = { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] };
const open = request({ reviewId: `ev-open-${suffix}`, lab });
const gone = request({
  reviewId: `ev-gone-${suffix}`, lab,
  package: { access: 'weights-transfer', modelIdentifier: 'acme/atlas-7-rc1', artifactDigest: `sha256:${'ab'.repeat(32)}`, dataHandling: { retentionDays: 0 } },
});
const goneBytes = Buffer.from('a transcript the retention period removed\n');

let t: ReviewEnv;
let api: ApiEnv;
let b: TestBrowser;
let page: Page;

async function apiUpload(who: Who, reviewId: string, bytes: Buffer, mediaType: string, name: string): Promise<number> {
  const res = await fetch(`${api.url}/api/reviews/${reviewId}/evidence`, {
    method: 'POST', body: bytes, headers: { authorization: `Bearer ${api.tokens[who]}`, 'content-type': mediaType, 'x-evidence-name': encodeURIComponent(name) },
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  t = await createReviewEnv('local', { activities: { evidenceStore: store } });
  api = await createApiEnv(t, { evidence: { store, config: { ...config, location: { kind: 'directory', dir } } } });
  for (const r of [open, gone]) {
    await api.reviews.start(r);
    await api.reviews.updateThenStatus('grantAccess', r.reviewId, { by: 'Sec Team' });
  }
  // A review whose lab keeps nothing after close (retention 0 days): its file is deleted right at close.
  expect(await apiUpload('lab', gone.reviewId, goneBytes, 'text/plain', 'transcript.txt')).toBe(201);
  await api.reviews.updateThenStatus('closeReview', gone.reviewId, { by: 'Pat PM' });
  await eventually(() => t.status(gone.reviewId), (s) => (s.evidence ?? []).every((e) => e.deletedAt !== null));
  b = await launchBrowser();
  page = b.page;
}, 180_000);

afterAll(async () => {
  await b?.close();
  await api?.close();
  await t?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test('a lab uploads a file with the keyboard alone, sees its entry and downloads it; axe finds nothing', async () => {
  await signIn(page, api, 'lab');
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  const form = page.locator('form#evidence-upload');
  expect(await form.locator('#evidence-file-hint').innerText()).toContain('at most 64 KiB');
  expect(await form.locator('select[name=visibleTo] option').allInnerTexts()).toEqual(['the clearinghouse and the reviewers', 'the clearinghouse only']);
  await expectNoAxeViolations(page, 'review page with the upload form (lab, no evidence yet)');
  expect(await unreachableByTab(page)).toEqual([]);

  // Keyboard: Tab to the file field (its label names it), pick the file, Tab on to Upload and press Enter.
  const report = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(40_000)]);
  await page.evaluate('window.scrollTo(0, 0)');
  await pressUntilFocused(page, (f) => f.id === 'evidence-file');
  await page.locator('#evidence-file').setInputFiles({ name: 'Systemkarte – Atlas-7.pdf', mimeType: 'application/pdf', buffer: report });
  await pressUntilFocused(page, (f) => f.tag === 'button' && f.name === 'Upload', 5);
  expect((await focusedElement(page))?.focusVisible).toBe(true);
  await Promise.all([page.waitForURL(/done=attachEvidence/), page.keyboard.press('Enter')]);
  expect(await page.getByRole('status').innerText()).toContain('Evidence uploaded and attached.');

  const row = page.locator(`#evidence tr[data-digest="${sha(report)}"]`);
  const cells = await row.locator('td').allInnerTexts();
  expect(cells[0]).toBe('Systemkarte – Atlas-7.pdf');
  expect(cells.slice(1, 4)).toEqual(['application/pdf', '39.1 KiB', sha(report)]);
  expect(cells[4]).toBe('lab (Acme Security)');
  expect(cells[6]).toBe('the clearinghouse and the reviewers');
  await expectNoAxeViolations(page, 'review page with one evidence file (lab)');

  const link = row.getByRole('link', { name: 'Download Systemkarte – Atlas-7.pdf' });
  await link.focus();
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toBe('Systemkarte – Atlas-7.pdf');
  expect(readFileSync(await download.path()).equals(report)).toBe(true);
});

test('a file over the limit is refused with the limit named and nothing kept; a form without the session\'s CSRF token or from elsewhere is refused', async () => {
  await signIn(page, api, 'lab');
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  const before = stored().length;
  await page.locator('#evidence-file').setInputFiles({ name: 'huge.pdf', mimeType: 'application/pdf', buffer: randomBytes(MAX + 1) });
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/evidence') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Upload' }).click()]);
  expect(response.status()).toBe(413);
  await page.locator('#error-summary').waitFor();
  expect(await page.locator('#error-summary').innerText()).toContain('larger than the limit of 64 KiB (65536 bytes)');
  expect(await page.locator('#evidence-file').getAttribute('aria-invalid')).toBe('true');
  expect(await page.locator('#evidence-file-err').innerText()).toContain('64 KiB');
  await expectNoAxeViolations(page, 'review page after a refused upload (too large)');
  expect(stored().length).toBe(before);

  // No file chosen: a clear error, nothing stored.
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('#evidence-file-err').waitFor();
  expect(await page.locator('#evidence-file-err').innerText()).toBe('choose a file to upload');

  // The session's cookie with a wrong CSRF token, or without this dashboard's Origin: 403, nothing stored.
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const post = async (csrf: string, origin: string | null): Promise<number> => {
    const form = new FormData();
    form.append('_csrf', csrf);
    form.append('file', new Blob([Buffer.from('forged')], { type: 'text/plain' }), 'forged.txt');
    const res = await fetch(`${api.url}/reviews/${open.reviewId}/evidence`, { method: 'POST', body: form, headers: { cookie, ...(origin ? { origin } : {}) }, redirect: 'manual' });
    await res.arrayBuffer();
    return res.status;
  };
  const csrf = await page.locator('form#evidence-upload input[name=_csrf]').inputValue();
  expect(await post('not-the-token', api.url)).toBe(403);
  expect(await post(csrf, 'https://elsewhere.example')).toBe(403);
  expect(await post(csrf, null)).toBe(403);
  expect(stored().length).toBe(before);
  // With both, the same request is accepted: the refusals above were for the token and the origin alone.
  expect(await post(csrf, api.url)).toBe(303);
  expect(stored().length).toBe(before + 1);
});

test('each role sees the files it may, with downloads; only uploaders get the form; files deleted at retention end say so', async () => {
  // The reviewer sees the lab's file (shared with the reviewers), may upload only for the clearinghouse.
  await signIn(page, api, 'r1');
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  expect(await page.locator('#evidence tbody tr td:first-child').allInnerTexts()).toContain('Systemkarte – Atlas-7.pdf');
  expect(await page.locator('form#evidence-upload select[name=visibleTo] option').allInnerTexts()).toEqual(['the clearinghouse only']);
  await page.locator('#evidence-file').setInputFiles({ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# reviewer notes\n') });
  await page.locator('#evidence-track').selectOption('cyber-offense');
  await Promise.all([page.waitForURL(/done=attachEvidence/), page.getByRole('button', { name: 'Upload' }).click()]);
  expect(await page.locator('#evidence tbody tr td:first-child').allInnerTexts()).toContain('notes.md [cyber-offense]');
  await expectNoAxeViolations(page, 'review page (reviewer, two files)');

  // The lab does not see the reviewer's file; the director sees all and has no upload form.
  await signIn(page, api, 'lab');
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  expect(await page.locator('#evidence tbody tr td:first-child').allInnerTexts()).not.toContain('notes.md [cyber-offense]');
  expect((await page.goto(`${api.url}/reviews/${open.reviewId}/evidence/${sha(Buffer.from('# reviewer notes\n'))}`))?.status()).toBe(404);
  await signIn(page, api, 'director');
  await page.goto(`${api.url}/reviews/${open.reviewId}`);
  expect(await page.locator('#evidence tbody tr').count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator('form#evidence-upload').count()).toBe(0);

  // The closed review: the file's digest and facts stay, marked deleted at the end of the retention period, without a link.
  await page.goto(`${api.url}/reviews/${gone.reviewId}`);
  const row = page.locator(`#evidence tr[data-digest="${sha(goneBytes)}"]`);
  expect(await row.locator('td').last().innerText()).toContain('deleted at retention end');
  expect(await row.getByRole('link').count()).toBe(0);
  expect(await page.locator('#evidence-retention').innerText()).toContain('deleted from the store at the end of the lab\'s retention period');
  expect(await page.locator('form#evidence-upload').count()).toBe(0);
  await expectNoAxeViolations(page, 'review page with a file deleted at retention end (director)');
  expect((await page.goto(`${api.url}/reviews/${gone.reviewId}/evidence/${sha(goneBytes)}`))?.status()).toBe(410);
});

test('a used-up upload budget: the page says which bound and when to try again (429, Retry-After); axe finds nothing', async () => {
  // A second server over the same review with a budget of one upload per hour per token.
  const tight = await createApiEnv(t, {
    evidence: { store, config: { ...config, location: { kind: 'directory', dir } } },
    uploadLimits: { windowMs: 3_600_000, perToken: { files: 1, bytes: MAX }, perReview: { files: 10, bytes: 10 * MAX } },
  });
  try {
    await signIn(page, tight, 'lab');
    await page.goto(`${tight.url}/reviews/${open.reviewId}`);
    await page.locator('#evidence-file').setInputFiles({ name: 'first.txt', mimeType: 'text/plain', buffer: Buffer.from('first within the budget\n') });
    await Promise.all([page.waitForURL(/done=attachEvidence/), page.getByRole('button', { name: 'Upload' }).click()]);
    const before = stored().length;
    await page.locator('#evidence-file').setInputFiles({ name: 'second.txt', mimeType: 'text/plain', buffer: Buffer.from('second, past the budget\n') });
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/evidence') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Upload' }).click()]);
    expect(response.status()).toBe(429);
    const wait = Number(await response.headerValue('retry-after'));
    expect(wait).toBeGreaterThan(3500);
    expect(wait).toBeLessThanOrEqual(3600);
    expect(await page.locator('#error-summary').innerText()).toContain(`too many evidence uploads: at most 1 per hour for this token; try again in ${wait} s`);
    expect(stored().length).toBe(before);
    await expectNoAxeViolations(page, 'review page after a refused upload (budget used up)');
  } finally {
    await tight.close();
  }
});
