/**
 * Section 508 / WCAG 2.1 AA in a real browser (Debian's chromium through playwright-core) against the API server
 * over a real dev server and worker: axe-core finds no A/AA violation on any page or state the dashboard has
 * (sign-in, list, new review with errors and preview, each phase of a review, a failed action, the outbox, error
 * pages); every action is reachable and operable with the keyboard alone; the review's record prints cleanly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations, expectNoAxeViolations } from '../support/a11y';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv } from '../support/api-env';
import { launchBrowser, signIn } from '../support/browser';
import type { TestBrowser } from '../support/browser';
import { request } from '../support/fixtures';
import { focusedElement, pressUntilFocused, tabOrder, unreachableByTab } from '../support/keyboard';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
let api: ApiEnv;
let outboxDir: string;
let b: TestBrowser;
let page: Page;
const suffix = Math.random().toString(36).slice(2, 7);
const ids = { waiting: `a11y-wait-${suffix}`, running: `a11y-run-${suffix}`, closing: `a11y-close-${suffix}`, keyboard: `a11y-keys-${suffix}`, cancelled: `a11y-cancel-${suffix}` };

const start = async (reviewId: string): Promise<void> => {
  await api.reviews.start(request({
    reviewId,
    lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley Reviewer', email: 'riley@clearinghouse.example' }, dueDay: 21 },
      { track: 'bio-uplift', reviewer: { id: 'r2', name: 'Robin Reviewer', email: 'robin@clearinghouse.example' }, dueDay: 14 },
    ],
  }));
};

beforeAll(async () => {
  t = await createReviewEnv('local');
  outboxDir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-a11y-outbox-'));
  api = await createApiEnv(t, { outboxDir });
  for (const id of Object.values(ids)) await start(id);
  for (const id of [ids.running, ids.closing]) await api.reviews.updateThenStatus('grantAccess', id, { by: 'Sec Team' });
  await api.reviews.updateThenStatus('submitEvaluation', ids.running, { track: 'bio-uplift', reviewerId: 'r2', severity: 'critical', summary: 'Novel exploit chain.' });
  await api.reviews.updateThenStatus('pauseClock', ids.running, { by: 'Pat PM', reason: 'lab outage' });
  await api.reviews.updateThenStatus('closeReview', ids.closing, { by: 'Pat PM' });
  await api.reviews.updateThenStatus('cancelReview', ids.cancelled, { by: 'Pat PM', reason: 'the lab postponed the model' });
  b = await launchBrowser();
  page = b.page;
}, 180_000);

afterAll(async () => {
  await b?.close();
  await api?.close();
  await t?.teardown();
  if (outboxDir) rmSync(outboxDir, { recursive: true, force: true });
});

test('axe finds no WCAG 2.1 A/AA violation on any page or state', async () => {
  await page.goto(`${api.url}/login`);
  await expectNoAxeViolations(page, 'sign-in');
  await page.getByLabel('Access token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await expectNoAxeViolations(page, 'sign-in with an error');

  await signIn(page, api, 'pm');
  await expectNoAxeViolations(page, 'review list (PM)');
  await page.goto(`${api.url}/?phase=closed&lab=nobody`);
  await expectNoAxeViolations(page, 'review list, nothing matches');

  await page.goto(`${api.url}/reviews/new`);
  await expectNoAxeViolations(page, 'new review, empty');
  await page.getByRole('button', { name: 'Start review' }).click();
  await page.locator('#error-summary').waitFor();
  await expectNoAxeViolations(page, 'new review with errors');
  await page.getByLabel('Review id').fill(`a11y-new-${suffix}`);
  await page.getByLabel('Model name').fill('Atlas-7');
  await page.getByLabel('Model version').fill('rc2');
  await page.getByLabel('Lab name').fill('Acme AI');
  await page.getByLabel('Lab contacts').fill('Acme Security Team <security@acme.example>');
  await page.getByLabel('Program manager name').fill('Pat PM');
  await page.getByLabel('Program manager e-mail').fill('pm@clearinghouse.example');
  await page.getByLabel('Director name').fill('Dana Director');
  await page.getByLabel('Director e-mail').fill('director@clearinghouse.example');
  await page.getByLabel('Evaluation tracks').fill('cyber-offense, r1, Riley Reviewer, riley@clearinghouse.example, 21');
  await page.getByRole('button', { name: 'Preview dates and notices' }).click();
  await page.locator('#plan').waitFor();
  await expectNoAxeViolations(page, 'new review with preview');

  for (const [phase, id] of [['awaiting-access', ids.waiting], ['paused, critical finding', ids.running], ['disposal', ids.closing], ['closed, cancelled', ids.cancelled]]) {
    await page.goto(`${api.url}/reviews/${id}`);
    await expectNoAxeViolations(page, `review page (PM, ${phase})`);
  }
  // A failed action: the form comes back with the workflow's reason and the field marked.
  await page.goto(`${api.url}/reviews/${ids.waiting}`);
  const assign = page.locator('form[data-action=assignReviewer]');
  await assign.getByLabel('Track').fill('cyber-offense');
  await assign.getByRole('button', { name: 'Assign' }).click();
  await page.getByRole('alert').waitFor();
  await expectNoAxeViolations(page, 'review page with a failed action');
  expect((await page.goto(`${api.url}/reviews/no-such-review`))?.status()).toBe(404);
  await expectNoAxeViolations(page, 'not found');

  // The outbox and one message.
  t.sink.messages.slice(0, 5).forEach((m, i) => writeFileSync(path.join(outboxDir, `${String(i).padStart(4, '0')}-m.eml`), m.raw));
  await page.goto(`${api.url}/outbox`);
  await expectNoAxeViolations(page, 'outbox');
  await page.locator('main table tbody tr').first().getByRole('link').click();
  await page.locator('pre.mail').waitFor();
  await expectNoAxeViolations(page, 'outbox message');

  // The program office's views, each with its charts or tables.
  for (const view of ['portfolio', 'workload', 'metrics']) {
    expect((await page.goto(`${api.url}/${view}`))?.status()).toBe(200);
    await expectNoAxeViolations(page, view);
  }

  for (const who of ['lab', 'r1', 'director'] as const) {
    await signIn(page, api, who);
    await expectNoAxeViolations(page, `review list (${who})`);
    await page.goto(`${api.url}/reviews/${ids.running}`);
    await expectNoAxeViolations(page, `review page (${who}, paused)`);
  }
  await signIn(page, api, 'lab');
  expect((await page.goto(`${api.url}/outbox`))?.status()).toBe(403);
  await expectNoAxeViolations(page, 'not allowed');
});

test('the calendar feed page, with the keyboard: issue a feed (its URL works without signing in), then revoke it (404); axe on each state', async () => {
  await signIn(page, api, 'r1');
  await pressUntilFocused(page, (f) => f.tag === 'a' && f.name === 'Calendar feed');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${api.url}/calendar-feed`);
  expect(await page.locator('#feed-state').innerText()).toContain('no calendar feed');
  await expectNoAxeViolations(page, 'calendar feed, none issued');
  await pressUntilFocused(page, (f) => f.tag === 'button' && f.name === 'Issue a calendar feed URL');
  await page.keyboard.press('Enter');
  await page.locator('#feed-url').waitFor();
  await expectNoAxeViolations(page, 'calendar feed, just issued');
  const url = await page.locator('#feed-url').inputValue();
  expect(url).toMatch(/\/feeds\/frf_[A-Za-z0-9_-]{43}\.ics$/);
  const feed = await fetch(url); // a calendar client: no cookie
  expect(feed.status).toBe(200);
  expect(await feed.text()).toContain(`${ids.running}/calendar/window-end@`);
  await page.goto(`${api.url}/calendar-feed`);
  expect(await page.locator('#feed-url').count()).toBe(0); // shown once only
  expect(await page.locator('#feed-state').innerText()).toMatch(/Active since \w+day/);
  await pressUntilFocused(page, (f) => f.tag === 'button' && f.name === 'Revoke the feed');
  await page.keyboard.press('Space');
  await page.getByRole('status').waitFor();
  await expectNoAxeViolations(page, 'calendar feed, revoked');
  expect((await fetch(url)).status).toBe(404);
});

test('the axe check fails when a page breaks WCAG (the helper is not a no-op)', async () => {
  await page.goto('about:blank'); // a fresh document: setContent over a dashboard page would keep its CSP (no inline styles)
  await page.setContent('<!doctype html><html><body><img src="x.png"><input type="text"><p style="color:#bbb;background:#fff">faint</p></body></html>');
  const ids = (await axeViolations(page)).map((v) => v.id);
  expect(ids).toEqual(expect.arrayContaining(['image-alt', 'label', 'color-contrast', 'html-has-lang', 'document-title']));
  await expect(expectNoAxeViolations(page, 'a broken page')).rejects.toThrow(/image-alt \(critical\)/);
});

const phaseOf = async (): Promise<string> => page.locator('#phase').innerText();

test('keyboard only: the skip link comes first, focus is visible, every control is reachable, actions work with Enter and Space', async () => {
  await page.context().clearCookies();
  await page.goto(`${api.url}/login`);
  const [skip, token] = await tabOrder(page, 2);
  expect(skip).toMatchObject({ tag: 'a', name: 'Skip to content', focusVisible: true });
  expect(skip?.outline).toMatch(/^3px solid/);
  expect(token).toMatchObject({ tag: 'input', id: 'token', focusVisible: true });
  await page.keyboard.type(api.tokens.pm);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${api.url}/`);

  // The header in reading order, each with a visible focus indicator.
  const header = await tabOrder(page, 12);
  expect(header.map((f) => f?.name)).toEqual(['Skip to content', 'Reviews', 'New review', 'Portfolio', 'Workload', 'Metrics', 'Outbox', 'Calendar feed', 'API', 'Time zone for dates', 'Set zone', 'Sign out']);
  for (const f of header) expect(f).toMatchObject({ focusVisible: true, outline: expect.stringMatching(/^3px solid/) });
  // The skip link takes the focus past the header into the page's content.
  await page.reload();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  expect((await focusedElement(page))?.id).toBe('main');
  await page.keyboard.press('Tab');
  expect(await focusedElement(page)).toMatchObject({ id: 'f-phase' });

  // Nothing a mouse can operate is out of the keyboard's reach, on any page.
  for (const url of ['/', '/reviews/new', `/reviews/${ids.keyboard}`, `/reviews/${ids.running}`, `/reviews/${ids.closing}`, '/outbox']) {
    await page.goto(`${api.url}${url}`);
    expect({ url, unreachable: await unreachableByTab(page) }).toEqual({ url, unreachable: [] });
  }

  // Operable: open a review from the list with Enter, grant access with Space, pause with Enter in a field.
  await page.goto(`${api.url}/`);
  await pressUntilFocused(page, (f) => f.tag === 'a' && f.name === ids.keyboard);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/reviews/${ids.keyboard}$`));
  expect(await phaseOf()).toContain('awaiting-access');
  await pressUntilFocused(page, (f) => f.tag === 'button' && f.name === 'Grant access');
  expect(await focusedElement(page)).toMatchObject({ focusVisible: true });
  await page.keyboard.press('Space');
  await page.waitForURL(/done=grantAccess/);
  expect(await phaseOf()).toContain('in-review');
  await expectNoAxeViolations(page, 'review page (PM, in-review, after an action)');
  await pressUntilFocused(page, (f) => f.id === 'pause-reason');
  await page.keyboard.type('lab-side outage');
  await page.keyboard.press('Enter');
  await page.waitForURL(/done=pauseClock/);
  expect(await phaseOf()).toContain('paused');
  // A select changed with the arrow keys, then the form submitted from its button with Enter: the evaluation is in.
  await pressUntilFocused(page, (f) => f.id === 'submit-cyber-offense-severity');
  await page.keyboard.press('ArrowDown'); // none → low
  await page.keyboard.press('Tab');
  await page.keyboard.type('Keyboard-only submission.');
  // Past the reproducibility record's optional fields to the button.
  await pressUntilFocused(page, (f) => f.tag === 'button' && f.name === 'Submit evaluation', 30);
  await page.keyboard.press('Enter');
  await page.waitForURL(/done=submitEvaluation/);
  const s = await api.reviews.status(ids.keyboard);
  expect(s.evaluations.find((e) => e.track === 'cyber-offense')).toMatchObject({ status: 'submitted', severity: 'low', summary: 'Keyboard-only submission.' });
  expect(s.events.find((e) => e.type === 'clock-paused')?.detail).toContain('lab-side outage');
});

const shown = async (selector: string): Promise<boolean> => page.locator(selector).first().isVisible();
const shownCount = async (selector: string): Promise<number> => {
  let n = 0;
  for (const l of await page.locator(selector).all()) if (await l.isVisible()) n++;
  return n;
};

test('print: a review\'s record prints without navigation, forms or actions, with evaluations as the viewer may see them', async () => {
  await signIn(page, api, 'pm');
  await page.goto(`${api.url}/reviews/${ids.running}`);
  expect(await shown('header.top nav')).toBe(true);
  expect(await shownCount('form[data-action]')).toBeGreaterThan(0);
  expect(await shown('#print-meta')).toBe(false);

  await page.emulateMedia({ media: 'print' });
  try {
    for (const hidden of ['header.top', 'header.top nav', '.skip', 'form', 'button', '.legend', '#h-actions']) expect({ hidden, shown: await shownCount(hidden) }).toEqual({ hidden, shown: 0 });
    for (const part of ['h1', '#h-facts', '#window-end', '.timeline svg', '#timeline-table', '#evaluations', '#notices', '#audit']) expect({ part, shown: await shown(part) }).toEqual({ part, shown: true });
    expect(await page.locator('#print-meta').innerText()).toMatch(/as Pat PM — Program manager may see it, printed \w+day \d+ \w+ \d{4}/);
    expect(await page.locator('#evaluations').innerText()).toContain('Novel exploit chain.');
    expect(await page.locator('#timeline-table').innerText()).toMatch(/Clock paused[\s\S]*still paused/);
    const pdf = await page.pdf({ format: 'Letter', printBackground: false });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0).toBeGreaterThanOrEqual(1);

    // The lab's printout: the same record without the reviewers' notes.
    await page.emulateMedia({ media: 'screen' }); // the sign-in form is a form: not printed
    await signIn(page, api, 'lab');
    await page.goto(`${api.url}/reviews/${ids.running}`);
    await page.emulateMedia({ media: 'print' });
    expect(await shownCount('form')).toBe(0);
    expect(await page.locator('#evaluations').innerText()).not.toContain('Novel exploit chain.');
    expect(await page.locator('#print-meta').innerText()).toContain('Acme Security — Lab');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});
