/**
 * Single sign-on to the dashboard, end to end in a real browser (chromium via playwright-core) against a local
 * OpenID provider (`oidc-provider`, test/support/oidc-provider.mjs, on an ephemeral port of another site:
 * localhost, while the dashboard is 127.0.0.1), over a real dev server and worker. People sign in at the
 * provider (authorization code + PKCE), their role and scope come from the configured claims, the session is the
 * dashboard's own (an opaque id in the cookie), signing out ends it here and at the provider; claims that give
 * no role, two roles or a malformed id are refused with a page that says which claim, and no session. Then the
 * role × endpoint × scope matrix of the dashboard, for sessions opened this way. Last, the bearer tokens that
 * stay for automation: their expiry dates hold, and the token file is re-read by the running server.
 */
import type { Page } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenStore, makeToken } from '../../client/api/auth';
import type { TokenStore } from '../../client/api/auth';
import { createApiServer } from '../../client/api/server';
import { oidcSettingsFromEnv } from '../../client/dashboard/oidc';
import type { OidcSettings } from '../../client/dashboard/oidc';
import type { ReviewRequest } from '../../workflows/types';
import { launchBrowser } from '../support/browser';
import type { TestBrowser } from '../support/browser';
import { eventually, ROOT } from '../support/cli';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv } from '../support/api-env';
import { startIdp } from '../support/oidc-idp';
import type { Idp } from '../support/oidc-idp';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));
const uid = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const future = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const request = (reviewId: string): ReviewRequest => ({ ...EXAMPLE, reviewId, plannedReleaseAt: future(200) });

/** The provider's accounts: login name → claims. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  pat: { name: 'Pat PM', groups: ['staff', 'frontier-review-pm'], email: 'pm@clearinghouse.example', email_verified: true, zoneinfo: 'America/New_York' },
  dana: { name: 'Dana Director', groups: ['frontier-review-director'] },
  riley: { name: 'Riley Reviewer', reviewer_id: 'r1', email: 'riley@clearinghouse.example', email_verified: true },
  robin: { name: 'Robin Reviewer', reviewer_id: 'r2', email: 'robin@clearinghouse.example', email_verified: true },
  acme: { name: 'Acme Security', lab_id: 'acme' },
  // Signs in only by single sign-on: no API token stands for this identity.
  jordan: { name: 'Jordan Release Manager', lab_id: 'acme', zoneinfo: 'America/Los_Angeles' },
  other: { name: 'Other Security', lab_id: 'other-lab' },
  // Misconfigured or unknown identities.
  norole: { name: 'No Role', groups: ['staff'] },
  twohats: { name: 'Two Hats', groups: ['frontier-review-pm'], lab_id: 'acme' },
  badlab: { name: 'Bad Lab', lab_id: 'acme lab; drop' },
  unverified: { name: 'Not Riley', reviewer_id: 'r1', email: 'riley@clearinghouse.example', email_verified: false },
};

let t: ReviewEnv;
let idp: Idp;
let api: ApiEnv;
let settings: OidcSettings;
let browser: TestBrowser;
let page: Page;
/** Fixtures of lab acme with r1 on cyber-offense: awaiting access, in review, in disposal. */
const A = uid('sso-awaiting');
const B = uid('sso-inreview');
const C = uid('sso-disposal');

async function ok(p: Promise<{ status: number; text: string }>, status = 200): Promise<void> {
  const res = await p;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
}

/** Through the provider's own sign-in form (any password; consent is implied for this first-party client). */
async function atProvider(login: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${api.url}/login`);
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.waitForURL((u) => u.origin === idp.issuer);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

async function ssoSignIn(login: string): Promise<void> {
  await atProvider(login);
  await page.waitForURL(`${api.url}/`);
}

const sessionCookie = async (): Promise<string | undefined> => (await page.context().cookies(api.url)).find((c) => c.name === 'fr_session')?.value;

beforeAll(async () => {
  t = await createReviewEnv('local');
  idp = await startIdp();
  // Read from the environment as `review serve` does. The dashboard's address is known once it listens: the
  // redirect URIs are completed then (the server reads its settings at each sign-in), and the client registered.
  settings = oidcSettingsFromEnv({
    OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'frontier-review', OIDC_CLIENT_SECRET: 'test-client-secret-0123456789',
    OIDC_REDIRECT_URI: 'http://127.0.0.1:1/login/oidc/callback', OIDC_SCOPES: 'openid profile email frontier', OIDC_DISPLAY_NAME: 'Test IdP',
  }) as OidcSettings;
  api = await createApiEnv(t, { oidc: settings });
  settings.redirectUri = new URL('/login/oidc/callback', api.url);
  settings.postLogoutRedirectUri = new URL('/login', api.url);
  await idp.configure({
    client_id: 'frontier-review', client_secret: 'test-client-secret-0123456789',
    redirect_uris: [settings.redirectUri.href], post_logout_redirect_uris: [settings.postLogoutRedirectUri.href],
  }, ACCOUNTS);
  for (const id of [A, B, C]) await ok(api.call('pm', 'POST', '/api/reviews', request(id)), 201);
  for (const id of [B, C]) await ok(api.call('lab', 'POST', `/api/reviews/${id}/grantAccess`, { by: 'Acme Security' }));
  await ok(api.call('pm', 'POST', `/api/reviews/${C}/closeReview`, { by: 'Pat PM', reason: 'fixture' }));
  browser = await launchBrowser('UTC');
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await idp?.close();
  await t?.teardown();
});

test('people sign in at the provider: role and scope from the claims, the dashboard\'s own session; signing out ends it here and at the provider', async () => {
  // The lab, from its lab_id claim: sees its reviews, acts on them.
  await ssoSignIn('acme');
  expect(await page.locator('header .who').innerText()).toContain('Acme Security — Lab (acme)');
  await page.goto(`${api.url}/reviews/${A}`);
  await page.locator('form[data-action=grantAccess]').getByRole('button', { name: 'Grant access' }).click();
  await page.waitForURL(/done=grantAccess/);
  expect(await page.locator('#phase').innerText()).toContain('in-review');
  const status = await api.reviews.status(A);
  expect(status.events.find((e) => e.type === 'access-granted')?.by).toBe('Acme Security'); // the claims' name is the actor

  // The cookie: an opaque id (HttpOnly, SameSite=Strict), no token of any kind; the ID token stays on the server.
  const cookies = await page.context().cookies(api.url);
  const session = cookies.find((c) => c.name === 'fr_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(cookies.map((c) => c.name)).not.toContain('fr_oidc'); // the pending sign-in is cleared
  expect(JSON.stringify(cookies)).not.toMatch(/eyJ/); // no JWT

  // A session is no API credential.
  expect((await fetch(`${api.url}/api/me`, { headers: { cookie: `fr_session=${session?.value}` } })).status).toBe(401);

  // Sign out: revoked here, then the provider's own sign-out, back to /login.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.origin === idp.issuer);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${api.url}/login`);
  expect((await fetch(`${api.url}/`, { redirect: 'manual', headers: { cookie: `fr_session=${session?.value}` } })).headers.get('location')).toBe('/login');
  // Signed out at the provider too: signing in again asks for the password.
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.waitForURL((u) => u.origin === idp.issuer);
  expect(await page.locator('input[name=login]').count()).toBe(1);

  // The PM, from a group among others; the reviewer, bound to id and verified address.
  await ssoSignIn('pat');
  expect(await page.locator('header .who').innerText()).toContain('Pat PM — Program manager');
  expect(await page.getByRole('link', { name: 'New review' }).count()).toBe(1);
  await ssoSignIn('riley');
  expect(await page.locator('header .who').innerText()).toContain('Riley Reviewer — Reviewer (r1)');
  await page.goto(`${api.url}/reviews/${B}`);
  expect(await page.locator('form[data-action=submitEvaluation]').count()).toBe(1);
});

test('claims that give no role, two roles, a malformed id or an unverified address are refused, saying which claim; no session', async () => {
  const cases: [string, RegExp][] = [
    ['norole', /no role for this account: it is in none of the groups frontier-review-pm, frontier-review-director \(claim groups\) and has no lab_id or reviewer_id claim/],
    ['twohats', /more than one role \(pm, lab\)/],
    ['badlab', /claim lab_id: "acme lab; drop" is not a lab id/],
    ['unverified', /claim email_verified: the identity provider has not verified this address/],
  ]; // every other refusal: test/unit/oidc.test.ts
  for (const [login, why] of cases) {
    const answer = page.waitForResponse((r) => r.url().startsWith(`${api.url}/login/oidc/callback`));
    await atProvider(login);
    expect(`${login}: ${(await answer).status()}`).toBe(`${login}: 403`);
    expect(await page.locator('#sso-refused').innerText()).toMatch(why);
    expect(await sessionCookie()).toBeUndefined();
    expect((await page.goto(`${api.url}/`))?.url()).toBe(`${api.url}/login`);
  }
  // A callback this browser did not start (no pending sign-in, or one already used): refused, nothing opened.
  const stray = await fetch(`${api.url}/login/oidc/callback?code=abc&state=def`, { redirect: 'manual' });
  expect(stray.status).toBe(400);
  expect(stray.headers.get('set-cookie') ?? '').not.toMatch(/fr_session=[^;]/);

  // DASHBOARD_TOKEN_SIGN_IN=0: the provider is the only way in to the dashboard (the API keeps its tokens).
  const ssoOnly = await createApiEnv(t, { oidc: settings, tokenSignIn: false });
  try {
    const loginPage = await (await fetch(`${ssoOnly.url}/login`)).text();
    expect(loginPage).toContain('Sign in with Test IdP');
    expect(loginPage).not.toContain('name="token"');
    const pasted = await fetch(`${ssoOnly.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { origin: ssoOnly.url, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ssoOnly.tokens.pm}`,
    });
    expect(pasted.status).toBe(403);
    expect(pasted.headers.get('set-cookie') ?? '').not.toContain('fr_session=');
    expect((await ssoOnly.call('pm', 'GET', '/api/me')).status).toBe(200);
  } finally {
    await ssoOnly.close();
  }
});

describe('role × endpoint × scope matrix for single sign-on sessions', () => {
  type Who = 'pat' | 'dana' | 'riley' | 'robin' | 'acme' | 'other';
  const everyone: Who[] = ['pat', 'dana', 'riley', 'robin', 'acme', 'other'];
  const role: Record<Who, string> = { pat: 'pm', dana: 'director', riley: 'reviewer', robin: 'reviewer', acme: 'lab', other: 'lab' };
  /** In scope of the fixtures (lab acme, reviewer r1). */
  const inScope: Record<Who, boolean> = { pat: true, dana: true, riley: true, robin: false, acme: true, other: false };
  const sessions = {} as Record<Who, { cookie: string; csrf: string }>;

  beforeAll(async () => {
    // Lists come from the visibility store, which catches up within a second or so.
    await eventually(async () => (await api.call('pm', 'GET', '/api/reviews')).text, (text) => text.includes(B) && text.includes(C));
    for (const who of everyone) {
      await ssoSignIn(who);
      const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value')) ?? '';
      sessions[who] = { cookie: `fr_session=${await sessionCookie()}`, csrf };
    }
  }, 120_000);

  const get = (who: Who | null, url: string): Promise<Response> =>
    fetch(`${api.url}${url}`, { redirect: 'manual', headers: who ? { cookie: sessions[who].cookie } : {} });
  const post = (who: Who, url: string, fields: Record<string, string>): Promise<Response> => fetch(`${api.url}${url}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: sessions[who].cookie, origin: api.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: sessions[who].csrf, ...fields }).toString(),
  });

  test('pages: list, review, export, the new-review form and start; the API refuses the cookie', async () => {
    const mismatches: string[] = [];
    const expectStatus = async (what: string, res: Promise<Response>, want: number): Promise<void> => {
      const got = (await res).status;
      if (got !== want) mismatches.push(`${what}: expected ${want}, got ${got}`);
    };
    await expectStatus('list as anonymous', get(null, '/'), 303);
    for (const who of everyone) {
      await expectStatus(`list as ${who}`, get(who, '/'), 200);
      await expectStatus(`review as ${who}`, get(who, `/reviews/${B}`), inScope[who] ? 200 : 404);
      await expectStatus(`export as ${who}`, get(who, `/reviews/${B}/export?format=csv`), inScope[who] ? 200 : 404);
      await expectStatus(`new-review form as ${who}`, get(who, '/reviews/new'), role[who] === 'pm' ? 200 : 403);
      if (role[who] !== 'pm') await expectStatus(`start as ${who}`, post(who, '/reviews/new', { reviewId: uid('sso-nope') }), 403);
      await expectStatus(`API /api/me with the cookie as ${who}`, get(who, '/api/me'), 401);
      await expectStatus(`API list with the cookie as ${who}`, get(who, '/api/reviews'), 401);
    }
    expect(mismatches).toEqual([]);
    // The list is scoped as the claims say.
    const listed = async (who: Who): Promise<boolean> => (await (await get(who, '/')).text()).includes(`data-review="${B}"`);
    expect(Object.fromEntries(await Promise.all(everyone.map(async (w) => [w, await listed(w)])))).toEqual(inScope);
  });

  test('every action × every identity: outside the scope 404 (as if missing), outside the role 403, otherwise the workflow decides (409 here); nothing changes', async () => {
    const tomorrow = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 16);
    const actions: { name: string; target: string; fields: (who: Who) => Record<string, string>; roles: string[] }[] = [
      { name: 'grantAccess', target: B, fields: () => ({ by: 'x' }), roles: ['pm', 'lab'] },
      { name: 'assignReviewer', target: C, fields: () => ({ track: 'new-track', reviewerId: 'r9', reviewerName: 'N', reviewerEmail: 'n@clearinghouse.example' }), roles: ['pm'] },
      { name: 'submitEvaluation', target: C, fields: (w) => ({ track: 'cyber-offense', reviewerId: w === 'robin' ? 'r2' : 'r1', severity: 'low', summary: 's' }), roles: ['pm', 'reviewer'] },
      { name: 'setReleaseDate', target: C, fields: () => ({ plannedReleaseAt: tomorrow }), roles: ['pm', 'lab'] },
      { name: 'pauseClock', target: C, fields: () => ({ by: 'x' }), roles: ['pm'] },
      { name: 'resumeClock', target: B, fields: () => ({ by: 'x' }), roles: ['pm'] },
      { name: 'withdraw', target: C, fields: () => ({ by: 'x' }), roles: ['pm', 'lab'] },
      { name: 'closeReview', target: C, fields: () => ({ by: 'x' }), roles: ['pm'] },
      { name: 'cancelReview', target: B, fields: () => ({ by: 'x', reason: 'r' }), roles: ['pm'] },
      { name: 'confirmDisposal', target: B, fields: (w) => ({ party: w === 'riley' ? 'r1' : w === 'robin' ? 'r2' : 'lab', by: 'x' }), roles: ['pm', 'lab', 'reviewer'] },
    ];
    const mismatches: string[] = [];
    for (const a of actions) {
      for (const who of everyone) {
        const res = await post(who, `/reviews/${a.target}/act/${a.name}`, a.fields(who));
        // The dashboard reads the review first (scope), then the API's own rules (role, then the workflow).
        const want = !inScope[who] ? 404 : !a.roles.includes(role[who]) ? 403 : 409;
        if (res.status !== want) mismatches.push(`${a.name} as ${who}: expected ${want}, got ${res.status} ${(await res.text()).replace(/\s+/g, ' ').match(/role="alert">[^<]*/)?.[0] ?? ''}`);
      }
    }
    expect(mismatches).toEqual([]);
    for (const [id, phase] of [[B, 'in-review'], [C, 'disposal']]) expect((await api.reviews.status(id)).phase).toBe(phase);
  });
});

test('a person who signs in only by single sign-on gets a calendar feed that reads as them; revoking it ends it', async () => {
  await eventually(async () => (await api.call('pm', 'GET', '/api/reviews')).text, (text) => text.includes(B));
  await ssoSignIn('jordan');
  const cookie = `fr_session=${await sessionCookie()}`;
  const form = async (intent: string): Promise<Response> => {
    const csrf = (await (await fetch(`${api.url}/calendar-feed`, { headers: { cookie } })).text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
    return fetch(`${api.url}/calendar-feed`, {
      method: 'POST', redirect: 'manual', headers: { cookie, origin: api.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, intent, tz: 'America/Los_Angeles' }).toString(),
    });
  };
  const issued = await form('issue');
  expect(issued.status).toBe(200);
  const url = (await issued.text()).match(/https?:\/\/[^"<\s]+\/feeds\/frf_[A-Za-z0-9_-]+\.ics/)?.[0];
  expect(url).toBeDefined();
  if (!url) return;
  // The calendar client reads it with no session: the feed holds lab acme's dates, in the person's zone.
  await eventually(async () => (await fetch(url)).text(), (text) => text.includes(B));
  const feed = await (await fetch(url)).text();
  expect(feed).toMatch(/^BEGIN:VCALENDAR/);
  expect(feed).toContain('X-WR-TIMEZONE:America/Los_Angeles');
  expect(feed).toContain(`Review ${B}`);
  expect(feed).not.toContain('Other Security');
  expect((await form('revoke')).status).toBe(200);
  expect((await fetch(url)).status).toBe(404);
});

test('bearer tokens for automation: expiry dates hold, and the running server re-reads the token file (a deleted token and its sessions end)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-tokens-'));
  const file = path.join(dir, 'tokens.json');
  const script = makeToken({ name: 'Nightly export', role: 'director', expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() });
  const stale = makeToken({ name: 'Old script', role: 'director', expiresAt: new Date(Date.now() - 60_000).toISOString() });
  const added = makeToken({ name: 'New script', role: 'pm', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  writeFileSync(file, JSON.stringify({ tokens: [script.entry, stale.entry] }));
  const app = await createApiServer({ reviews: api.reviews, tokens: loadTokenStore({ FRONTIER_REVIEW_API_TOKENS_FILE: file }) as TokenStore });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const me = async (token: string): Promise<number> => (await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  try {
    expect(await me(script.token)).toBe(200);
    expect(await me(stale.token)).toBe(401); // past its expiresAt
    const login = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${script.token}` });
    const cookie = /fr_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? '';
    expect((await fetch(`${url}/`, { redirect: 'manual', headers: { cookie } })).status).toBe(200);

    // The operator deletes one entry and adds another: no restart.
    writeFileSync(file, JSON.stringify({ tokens: [stale.entry, added.entry] }));
    await eventually(() => me(script.token), (status) => status === 401, 15_000);
    expect((await fetch(`${url}/`, { redirect: 'manual', headers: { cookie } })).headers.get('location')).toBe('/login'); // its session ended too
    expect(await me(added.token)).toBe(200);
    // Its expiry date moved into the past: it stops working (no clock race: the date is already past when written).
    writeFileSync(file, JSON.stringify({ tokens: [stale.entry, { ...added.entry, expiresAt: new Date(Date.now() - 1_000).toISOString() }] }));
    await eventually(() => me(added.token), (status) => status === 401, 15_000);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
