/**
 * The web dashboard in a real browser (Debian's chromium, driven by playwright-core; provisioned by scripts/provision-browser.sh),
 * against the API server over a real dev server and worker: a PM previews and starts a review from the
 * form, the lab grants access, a reviewer submits, and each page shows the new state. Screenshots go to
 * test/artifacts/ (UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/dashboard.png for the README).
 */
import type { Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import type { TestBrowser } from '../support/browser';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

let t: ReviewEnv;
let api: ApiEnv;
let browser: TestBrowser;
let page: Page;
const reviewId = `dash-${Math.random().toString(36).slice(2, 8)}`;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

async function signIn(who: Who, server: ApiEnv = api): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Access token').fill(server.tokens[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/`);
}

/** Every visible form control has an accessible name (a <label for>, aria-label or aria-labelledby). */
async function unlabelledControls(): Promise<string[]> {
  return page.evaluate<string[]>(`Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 120))`);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  t = await createReviewEnv('local');
  api = await createApiEnv(t);
  browser = await launchBrowser('America/Chicago');
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await t?.teardown();
});

test('a PM previews and starts a review from the form; the lab grants access; a reviewer submits; each page shows the new state', async () => {
  // PM: the start form, with a preview of every date and notice first.
  await signIn('pm');
  await page.getByRole('link', { name: 'New review' }).click();
  await page.getByLabel('Review id').fill(reviewId);
  await page.getByLabel('Model name').fill('Atlas-7');
  await page.getByLabel('Model version').fill('rc2');
  await page.getByLabel('Lab id').fill('acme'); // the lab token is bound to it
  await page.getByLabel('Lab name').fill('Acme AI');
  await page.getByLabel('Lab time zone').fill('America/Los_Angeles');
  await page.getByLabel('Lab contacts').fill('Acme Security Team <security@acme.example>\nJordan Lee <jordan.lee@acme.example>');
  await page.getByLabel('Program manager e-mail').fill('pm@clearinghouse.example');
  await page.getByLabel('Director name').fill('Dana Director');
  await page.getByLabel('Director e-mail').fill('not-an-address');
  await page.getByLabel('Evaluation tracks').fill('cyber-offense, r1, Riley Reviewer, riley@clearinghouse.example, 21');
  expect(await unlabelledControls()).toEqual([]);

  // A mistake is reported with its field, and nothing starts.
  await page.getByRole('button', { name: 'Start review' }).click();
  await page.locator('#error-summary').waitFor();
  expect(await page.locator('#error-summary').innerText()).toContain('director.email');
  expect(await page.getByLabel('Director e-mail').getAttribute('aria-invalid')).toBe('true');
  await shot('1-start-form-error');
  await page.getByLabel('Director e-mail').fill('director@clearinghouse.example');

  await page.getByRole('button', { name: 'Preview dates and notices' }).click();
  const preview = await page.locator('#plan').innerText();
  expect(preview).toContain('Window ends');
  expect(preview).toContain('close-reminder');
  expect(preview).toContain('director-escalation');
  await shot('2-start-form-preview');

  await page.getByRole('button', { name: 'Start review' }).click();
  await page.waitForURL(new RegExp(`/reviews/${reviewId}\\?started=1$`));
  expect(await page.getByRole('status').first().innerText()).toContain('Review started');
  expect(await page.locator('#phase').innerText()).toContain('awaiting-access');
  expect(await page.locator('svg[role=img] title').first().textContent()).toContain(reviewId);
  await shot('3-review-started');

  // Lab: grants access from its page; the clock starts.
  await signIn('lab');
  await page.getByRole('link', { name: reviewId }).click();
  expect(await page.locator('form[data-action=assignReviewer]').count()).toBe(0); // not a lab action
  await page.locator('form[data-action=grantAccess]').getByRole('button', { name: 'Grant access' }).click();
  await page.waitForURL(/done=grantAccess/);
  expect(await page.locator('#phase').innerText()).toContain('in-review');
  // In the viewer's zone (the browser's, America/Chicago): CST.
  expect(await page.locator('#window-end').innerText()).toMatch(/CST$/);
  await shot('4-lab-granted-access');

  // Reviewer: submits the evaluation.
  await signIn('r1');
  await page.getByRole('link', { name: reviewId }).click();
  const form = page.locator('form[data-action=submitEvaluation]');
  await form.getByLabel('Highest severity found').selectOption('medium');
  await form.getByLabel('Summary of findings').fill('Known CVEs only; no novel exploit chains. INTERNAL-NOTE-42');
  await form.getByRole('button', { name: 'Submit evaluation' }).click();
  await page.waitForURL(/done=submitEvaluation/);
  expect(await page.getByRole('status').first().innerText()).toContain('Evaluation submitted');
  const row = page.locator('#evaluations tr[data-track=cyber-offense]');
  expect(await row.locator('td.status').innerText()).toBe('submitted');
  expect(await row.innerText()).toContain('INTERNAL-NOTE-42');
  expect(await page.locator('form[data-action=submitEvaluation]').count()).toBe(0);
  await shot('5-reviewer-submitted');

  // The lab sees the new state but not the reviewer's note.
  await signIn('lab');
  await page.goto(`${api.url}/reviews/${reviewId}`);
  expect(await page.locator('#evaluations tr[data-track=cyber-offense] td.status').innerText()).toBe('submitted');
  expect(await page.content()).not.toContain('INTERNAL-NOTE-42');

  // The workflow agrees with what the pages showed.
  const s = await api.reviews.status(reviewId);
  expect(s.phase).toBe('in-review');
  expect(s.evaluations[0]).toMatchObject({ status: 'submitted', severity: 'medium' });

  // PM: the list, least time remaining first, with the review's deadline.
  await signIn('pm');
  const listed = page.locator(`tr[data-review="${reviewId}"]`);
  expect(await listed.innerText()).toContain('in-review');
  expect(await listed.innerText()).toMatch(/\d+ d/);
  expect(await unlabelledControls()).toEqual([]);
  await shot('6-review-list');
  await page.goto(`${api.url}/reviews/${reviewId}`);
  await shot('7-review-page-pm');
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
    mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    copyFileSync(path.join(ARTIFACTS, 'dashboard-7-review-page-pm.png'), path.join(ROOT, 'docs', 'dashboard-review.png'));
    copyFileSync(path.join(ARTIFACTS, 'dashboard-6-review-list.png'), path.join(ROOT, 'docs', 'dashboard.png'));
  }
});

test('the program office pages: portfolio, workload and metrics (SVG charts with their tables, CSV); assigning a busy reviewer warns on the page', async () => {
  // The first test left the review in review, with r1's evaluation submitted; give the office something open.
  // (r9 has no token: later tests rely on r2 seeing nothing of this review.)
  await api.reviews.assignReviewer(reviewId, { track: 'bio', reviewer: { id: 'r9', name: 'Sam', email: 'sam@clearinghouse.example' } });
  const office = await createApiEnv(t, { office: { reviewerMaxOpen: 1, officeTimeZone: 'America/New_York' } });
  try {
    await signIn('pm', office);
    await page.getByRole('link', { name: 'Portfolio' }).click();
    await page.waitForURL(`${office.url}/portfolio`);
    const row = page.locator(`#portfolio-reviews tr[data-review="${reviewId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('evaluation due — bio (r9)');
    expect(await page.locator('#by-phase').innerText()).toMatch(/in-review\s+\d/);
    expect(await page.getByRole('heading', { name: /Due this week/ }).count()).toBe(1);
    expect(await unlabelledControls()).toEqual([]);
    await shot('8-portfolio');
    await page.getByLabel('Reviewer (id)').fill('nobody');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.locator('#main').innerText()).toContain('No open reviews match the filter.');

    await page.getByRole('link', { name: 'Workload' }).click();
    const r9 = page.locator('#workload tr[data-reviewer="r9"]');
    expect(await r9.innerText()).toContain('at capacity');
    expect(await r9.innerText()).toContain(`${reviewId} bio: due`);
    await shot('9-workload');

    await page.getByRole('link', { name: 'Metrics' }).click();
    expect(await page.locator('figure.chart svg[role=img]').count()).toBe(5);
    expect(await page.locator('figure.chart table caption').count()).toBe(5);
    expect(await page.locator('#chart-access-desc').count()).toBe(1);
    await shot('10-metrics');
    const csv = await page.request.get(`${office.url}/metrics.csv`);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toBe('metric,month,series,value');

    // r9 already has the bio track open (limit 1): assigning them another warns, naming it, and assigns.
    await page.goto(`${office.url}/reviews/${reviewId}`);
    const assign = page.locator('form[data-action=assignReviewer]');
    await assign.getByLabel('Track').fill('chem');
    await assign.getByLabel('Reviewer id').fill('r9');
    await assign.getByLabel('Reviewer name').fill('Sam');
    await assign.getByLabel('Reviewer e-mail').fill('sam@clearinghouse.example');
    await assign.getByRole('button', { name: 'Assign' }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'Warning' });
    expect(await warning.innerText()).toContain(`reviewer r9 already has 1 open assignment, at or over the limit of 1 (REVIEWER_MAX_OPEN): ${reviewId}/bio`);
    expect(await page.locator('#evaluations tr[data-track=chem]').innerText()).toContain('r9');

    // Labs and reviewers have no office pages.
    await signIn('lab', office);
    const denied = await page.goto(`${office.url}/portfolio`);
    expect(denied?.status()).toBe(403);
  } finally {
    await office.close();
  }
});

test('a rejected action shows the workflow\'s reason on the page; a reviewer cannot see others\' reviews (404, as if missing)', async () => {
  await signIn('pm');
  await page.goto(`${api.url}/reviews/${reviewId}`);
  const assign = page.locator('form[data-action=assignReviewer]');
  await assign.getByLabel('Track').fill('cyber-offense');
  await assign.getByLabel('Reviewer id').fill('r2');
  await assign.getByLabel('Reviewer name').fill('Robin');
  await assign.getByLabel('Reviewer e-mail').fill('robin@clearinghouse.example');
  await assign.getByRole('button', { name: 'Assign' }).click();
  const alert = await page.getByRole('alert').innerText();
  expect(alert).toContain('already has a submitted evaluation');
  expect((await api.reviews.status(reviewId)).evaluations[0].reviewerId).toBe('r1');

  await signIn('r2');
  expect(await page.locator(`tr[data-review="${reviewId}"]`).count()).toBe(0);
  const res = await page.goto(`${api.url}/reviews/${reviewId}`);
  expect(res?.status()).toBe(404);
});

test('dashboard guards: inherited names are no actions (404, not 500); the zone form never redirects off-site (finding 8)', async () => {
  await signIn('pm');
  await page.goto(`${api.url}/reviews/${reviewId}`);
  const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value')) ?? '';
  const origin = { origin: api.url };
  for (const action of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const res = await page.request.post(`${api.url}/reviews/${reviewId}/act/${action}`, { form: { _csrf: csrf }, headers: origin });
    expect(`${action} ${res.status()}`).toBe(`${action} 404`);
  }
  const zone = await page.request.post(`${api.url}/zone`, { form: { _csrf: csrf, tz: 'Europe/Paris' }, headers: { ...origin, referer: `${api.url}//evil.example/x` }, maxRedirects: 0 });
  expect(zone.status()).toBe(303);
  expect(zone.headers().location).toBe('/');
  const back = await page.request.post(`${api.url}/zone`, { form: { _csrf: csrf, tz: 'America/Chicago' }, headers: { ...origin, referer: `${api.url}/reviews/${reviewId}` }, maxRedirects: 0 });
  expect(back.headers().location).toBe(`/reviews/${reviewId}`);
});

test('the Outbox shows the mail sink\'s messages to PMs and directors; forms need their CSRF token', async () => {
  // What `npm start` does: the sink keeps every notice as an .eml file, the dashboard lists them.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-outbox-'));
  t.sink.messages.forEach((m, i) => writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}-${m.messageId.replace(/[^A-Za-z0-9-]+/g, '_')}.eml`), m.raw));
  const withOutbox = await createApiEnv(t, { outboxDir: dir });
  try {
    await signIn('pm', withOutbox);
    await page.getByRole('link', { name: 'Outbox' }).click();
    const rows = page.locator('main table tbody tr');
    expect(await rows.count()).toBe(t.sink.messages.length);
    expect(await page.locator('main').innerText()).toContain(`[${reviewId}]`);
    await shot('8-outbox');
    await rows.first().getByRole('link').click();
    expect(await page.locator('pre.mail').innerText()).toContain(reviewId);
    await shot('9-outbox-message');
    expect((await page.goto(`${withOutbox.url}/outbox/..%2F..%2Fetc%2Fpasswd`))?.status()).toBe(404);

    // A form post without the page's CSRF token is refused, even with the session cookie and from the right origin.
    const forged = await page.request.post(`${withOutbox.url}/reviews/${reviewId}/act/closeReview`, { form: { by: 'Mallory' }, headers: { origin: withOutbox.url } });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('the form expired or came from elsewhere');
    expect((await api.reviews.status(reviewId)).phase).toBe('in-review');

    await signIn('lab', withOutbox);
    expect(await page.getByRole('link', { name: 'Outbox' }).count()).toBe(0);
    expect((await page.goto(`${withOutbox.url}/outbox`))?.status()).toBe(403);
  } finally {
    await withOutbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A sign-in over plain HTTP (node:http, which lets a test set Host), as a browser's form post would send it. */
async function signInOverHttp(server: ApiEnv, who: Who, headers: Record<string, string> = { origin: server.url }): Promise<{ status: number; setCookie: string; session: string | null }> {
  const body = new URLSearchParams({ token: server.tokens[who] }).toString();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  res.resume();
  const setCookie = (res.headers['set-cookie'] ?? []).join('\n');
  return { status: res.statusCode ?? 0, setCookie, session: /fr_session=([^;]+)/.exec(setCookie)?.[1] ?? null };
}
const signedIn = async (server: ApiEnv, session: string): Promise<boolean> =>
  (await fetch(`${server.url}/login`, { redirect: 'manual', headers: { cookie: `fr_session=${session}` } })).status === 303; // signed in: /login sends you home

test('sessions (finding 7): the cookie holds an opaque session id, never the token; signing out revokes it on the server', async () => {
  await signIn('lab');
  const cookies = await page.context().cookies(api.url);
  expect(cookies.map((c) => c.name).sort()).toEqual(['fr_session', 'fr_tz']);
  const session = cookies.find((c) => c.name === 'fr_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false }); // served on loopback
  expect(JSON.stringify(cookies)).not.toContain(api.tokens.lab);
  expect(await signedIn(api, session?.value ?? '')).toBe(true);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${api.url}/login`);
  // The old cookie, replayed by anyone who copied it, opens nothing any more.
  expect(await signedIn(api, session?.value ?? '')).toBe(false);
  expect((await fetch(`${api.url}/`, { redirect: 'manual', headers: { cookie: `fr_session=${session?.value}` } })).headers.get('location')).toBe('/login');
});

test('sign-in and every form need this dashboard\'s Origin (no login CSRF); Secure cookies off loopback (finding 7)', async () => {
  const forged = await signInOverHttp(api, 'pm', { origin: 'https://evil.example' });
  expect(forged).toMatchObject({ status: 403, session: null });
  expect((await signInOverHttp(api, 'pm', {})).status).toBe(403); // no Origin, no Referer
  const ok = await signInOverHttp(api, 'pm');
  expect(ok.status).toBe(303);
  expect(ok.setCookie).not.toContain('Secure');
  // The same server reached by a name (behind a proxy): Secure, with the Origin of that name.
  const named = await signInOverHttp(api, 'pm', { host: 'review.example', origin: 'https://review.example' });
  expect(named.status).toBe(303);
  expect(named.setCookie).toMatch(/fr_session=[^;]+;.*; Secure/);
  // A form of a signed-in session, posted from another site: refused before anything runs.
  const cross = await fetch(`${api.url}/reviews/${reviewId}/act/closeReview`, {
    method: 'POST', redirect: 'manual', headers: { cookie: `fr_session=${ok.session}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'by=Mallory',
  });
  expect(cross.status).toBe(403);
  expect((await api.reviews.status(reviewId)).phase).toBe('in-review');
});

test('idle and absolute session expiry, and a revoked token ends its sessions (finding 7)', async () => {
  const idle = await createApiEnv(t, { sessions: { idleMs: 800, absoluteMs: 60_000, max: 100 } });
  const absolute = await createApiEnv(t, { sessions: { idleMs: 60_000, absoluteMs: 1_500, max: 100 } });
  try {
    const a = (await signInOverHttp(idle, 'director')).session as string;
    expect(await signedIn(idle, a)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await signedIn(idle, a)).toBe(false);

    const b = (await signInOverHttp(absolute, 'director')).session as string;
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect(await signedIn(absolute, b)).toBe(true); // in use, well within the idle limit
    }
    await new Promise((r) => setTimeout(r, 800));
    expect(await signedIn(absolute, b)).toBe(false);
  } finally {
    await idle.close();
    await absolute.close();
  }
});
