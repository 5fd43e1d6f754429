/**
 * Calendar feeds against a real dev server, worker and SMTP sink: each person's private .ics URL, read without a
 * cookie or bearer token and parsed with ical.js (Mozilla's iCalendar parser), holds exactly the dated events
 * their role answers for in their scope, with the mail invites' own UIDs, so a moved date moves the event in
 * place; a revoked or replaced URL answers 404, as one never issued; reads are rate limited per feed.
 */
import ICAL from 'ical.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeedStore, feedSsoDaysFromEnv, principalOfFeed } from '../../client/api/calendar-feeds';
import { makeToken, TokenStore } from '../../client/api/auth';
import type { ReviewRow } from '../../client/api/service';
import { createApiEnv } from '../support/api-env';
import { waitUntil } from '../support/assertions';
import { eventually } from '../support/cli';
import type { ApiEnv, Who } from '../support/api-env';
import { request } from '../support/fixtures';
import { invitesOf, mailWith, utc } from '../support/mail';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
let api: ApiEnv;
let feedsDir: string;
const suffix = Math.random().toString(36).slice(2, 7);
const A = `feed-a-${suffix}`; // acme; r1 (cyber-offense) and r2 (bio-uplift); access granted
const B = `feed-b-${suffix}`; // other-lab; r1; access granted
const C = `feed-c-${suffix}`; // acme; r2 only; awaiting access

interface FeedEvent {
  uid: string;
  summary: string;
  start: string;
  categories: string[];
}

interface Feed {
  calendarName: string;
  timeZone: string;
  events: FeedEvent[];
}

function parseFeed(text: string): Feed {
  const cal = new ICAL.Component(ICAL.parse(text));
  return {
    calendarName: String(cal.getFirstPropertyValue('x-wr-calname')),
    timeZone: String(cal.getFirstPropertyValue('x-wr-timezone')),
    events: cal.getAllSubcomponents('vevent').map((v) => {
      const e = new ICAL.Event(v);
      return { uid: e.uid, summary: e.summary, start: e.startDate.toJSDate().toISOString(), categories: v.getAllProperties('categories').map((p) => String(p.getFirstValue())) };
    }),
  };
}

/** What a calendar client does: a plain GET of the URL, no cookie, no Authorization. */
async function readFeed(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function issue(who: Who, server: ApiEnv = api, body?: unknown): Promise<string> {
  const res = await server.call(who, 'POST', '/api/me/calendar-feed', body);
  expect(res.status).toBe(201);
  return (res.body as { url: string }).url;
}

const keyOf = (e: FeedEvent): string => `${e.summary.replace(/ — .*$/, '')} @${e.uid.split('/calendar/')[0]}`;

beforeAll(async () => {
  t = await createReviewEnv('local');
  feedsDir = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-feeds-'));
  api = await createApiEnv(t, { feeds: new FeedStore(path.join(feedsDir, 'calendar-feeds.json')) });
  const lab = (id: string) => ({ id, name: id === 'acme' ? 'Acme AI' : 'Other AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: `security@${id}.example` }] });
  const r1 = { id: 'r1', name: 'Riley Reviewer', email: 'riley@clearinghouse.example' };
  const r2 = { id: 'r2', name: 'Robin Reviewer', email: 'robin@clearinghouse.example' };
  const release = new Date(Date.now() + 60 * 86_400_000).toISOString();
  await api.reviews.start(request({ reviewId: A, lab: lab('acme'), plannedReleaseAt: release, evaluations: [{ track: 'cyber-offense', reviewer: r1, dueDay: 21 }, { track: 'bio-uplift', reviewer: r2, dueDay: 14 }] }));
  await api.reviews.start(request({ reviewId: B, lab: lab('other-lab'), evaluations: [{ track: 'cyber-offense', reviewer: r1, dueDay: 21 }] }));
  await api.reviews.start(request({ reviewId: C, lab: lab('acme'), evaluations: [{ track: 'bio-uplift', reviewer: r2, dueDay: 21 }] }));
  for (const id of [A, B]) await api.reviews.updateThenStatus('grantAccess', id, { by: 'Sec Team' });
  // Feeds read the server's copy of the cards (card-cache.ts), which sees a change made by another client (here the
  // review client directly) at its next refresh: wait until it shows both grants, and until their notices went out.
  await waitUntil(async () => {
    const rows = (await api.call('pm', 'GET', '/api/reviews')).body as ReviewRow[];
    return rows.filter((r) => (r.reviewId === A || r.reviewId === B) && r.phase === 'in-review').length === 2;
  }, "the server's copy showing both grants");
  await eventually(() => api.reviews.status(A), (s) => s.notices.every((n) => n.state !== 'sending'), 60_000);
}, 180_000);

afterAll(async () => {
  await api?.close();
  await t?.teardown();
  if (feedsDir) rmSync(feedsDir, { recursive: true, force: true });
});

test('each person\'s feed holds the events their role answers for, in their scope; no cookie or bearer token needed; the secret is not the token', async () => {
  const urls = Object.fromEntries(await Promise.all((['pm', 'director', 'lab', 'otherLab', 'r1', 'r2'] as const).map(async (who) => [who, await issue(who)]))) as Record<string, string>;
  for (const [who, url] of Object.entries(urls)) {
    expect(url).toMatch(new RegExp(`^${api.url}/feeds/frf_[A-Za-z0-9_-]{43}\\.ics$`));
    expect(url).not.toContain(api.tokens[who as Who]);
  }
  // Only hashes are kept, in a file only its owner may read.
  const stored = readFileSync(path.join(feedsDir, 'calendar-feeds.json'), 'utf8');
  for (const url of Object.values(urls)) expect(stored).not.toContain(/frf_[^.]+/.exec(url)?.[0]);
  expect(statSync(path.join(feedsDir, 'calendar-feeds.json')).mode & 0o777).toBe(0o600);

  const feeds: Record<string, Feed> = {};
  for (const [who, url] of Object.entries(urls)) {
    const res = await readFeed(url);
    expect(`${who} ${res.status} ${res.headers.get('content-type')}`).toBe(`${who} 200 text/calendar; charset=utf-8`);
    feeds[who] = parseFeed(res.text);
    // The zone is a property of the calendar, before its events (RFC 5545's order).
    expect(res.text.indexOf('X-WR-TIMEZONE:')).toBeLessThan(res.text.indexOf('BEGIN:VEVENT'));
  }
  const keys = (who: string): string[] => feeds[who].events.map(keyOf).filter((k) => /@feed-[abc]-/.test(k) && k.includes(suffix)).sort();
  const at = (id: string): string => `@${id}`;
  expect(keys('pm')).toEqual([
    `Access deadline ${at(C)}`, `Evaluation due: bio-uplift ${at(A)}`, `Evaluation due: cyber-offense ${at(A)}`, `Evaluation due: cyber-offense ${at(B)}`,
    `Lab's planned release ${at(A)}`, `Review window ends ${at(A)}`, `Review window ends ${at(B)}`,
  ].sort());
  expect(keys('director')).toEqual(keys('pm'));
  // The lab: its own reviews' dates, no reviewer's due dates, nothing of another lab.
  expect(keys('lab')).toEqual([`Access deadline ${at(C)}`, `Lab's planned release ${at(A)}`, `Review window ends ${at(A)}`].sort());
  expect(keys('otherLab')).toEqual([`Review window ends ${at(B)}`]);
  // Reviewers: their own tracks and those reviews' window ends only.
  expect(keys('r1')).toEqual([`Evaluation due: cyber-offense ${at(A)}`, `Evaluation due: cyber-offense ${at(B)}`, `Review window ends ${at(A)}`, `Review window ends ${at(B)}`].sort());
  expect(keys('r2')).toEqual([`Evaluation due: bio-uplift ${at(A)}`, `Review window ends ${at(A)}`].sort());

  // In the person's zone: the token's (the lab's is America/Los_Angeles), UTC without one; dates in words in it.
  expect(feeds.lab.timeZone).toBe('America/Los_Angeles');
  expect(feeds.director.timeZone).toBe('UTC');
  const a = await api.reviews.status(A);
  const windowEnd = feeds.lab.events.find((e) => keyOf(e) === `Review window ends ${at(A)}`);
  expect(windowEnd?.start).toBe(utc(a.clock.windowEndsAt));
  expect(feeds.lab.calendarName).toBe('frontier-review: Acme Security');

  // The bearer token is no feed secret, and a made-up secret opens nothing.
  expect((await readFeed(`${api.url}/feeds/${api.tokens.pm}.ics`)).status).toBe(404);
  expect((await readFeed(`${api.url}/feeds/frf_${'A'.repeat(43)}.ics`)).status).toBe(404);
});

test('the feed uses the invites\' UIDs, and a moved date keeps its UID (the event moves in place)', async () => {
  const url = await issue('lab');
  const before = parseFeed((await readFeed(url)).text);
  const s = await api.reviews.status(A);
  const clockStarted = s.notices.find((n) => n.kind === 'clock-started' && n.audience === 'lab');
  const [invite] = invitesOf(await mailWith(t.sink, clockStarted?.messageId));
  const windowEnd = before.events.find((e) => e.uid === invite.uid);
  expect(windowEnd).toMatchObject({ summary: expect.stringContaining('Review window ends'), start: invite.start });
  const assigned = s.notices.find((n) => n.kind === 'reviewer-assigned' && n.audience === 'reviewer:r1');
  const [dueInvite] = invitesOf(await mailWith(t.sink, assigned?.messageId));
  const r1Feed = parseFeed((await readFeed(await issue('r1'))).text);
  expect(r1Feed.events.find((e) => e.uid === dueInvite.uid)?.start).toBe(dueInvite.start);

  // The lab moves its release before the window end: the window end moves to it, under the same UID.
  const release = new Date(Date.parse(s.clock.windowEndsAt as string) - 5 * 86_400_000);
  const moved = await api.call('lab', 'POST', `/api/reviews/${A}/setReleaseDate`, { plannedReleaseAt: release.toISOString() });
  expect(moved.status).toBe(200);
  const after = parseFeed((await readFeed(url)).text);
  const movedEnd = after.events.find((e) => e.uid === invite.uid);
  expect(movedEnd?.start).toBe(utc(release.toISOString()));
  expect(movedEnd?.start).not.toBe(invite.start);
  expect(after.events.filter((e) => e.summary.startsWith('Review window ends') && e.uid.startsWith(A))).toHaveLength(1);
});

test('revoked or replaced feeds answer 404; issuing again gives a new URL; the API says whether a feed is active', async () => {
  const first = await issue('r1', api, { timeZone: 'Europe/Berlin' });
  expect(parseFeed((await readFeed(first)).text).timeZone).toBe('Europe/Berlin');
  expect((await api.call('r1', 'GET', '/api/me/calendar-feed')).body).toMatchObject({ active: true, timeZone: 'Europe/Berlin' });
  const second = await issue('r1');
  expect(second).not.toBe(first);
  expect((await readFeed(first)).status).toBe(404);
  expect((await readFeed(second)).status).toBe(200);

  const revoked = await api.call('r1', 'DELETE', '/api/me/calendar-feed');
  expect(revoked).toMatchObject({ status: 200, body: { active: false, revoked: true } });
  const gone = await readFeed(second);
  expect(gone.status).toBe(404);
  expect(gone.text).toContain('no such calendar feed');
  expect((await api.call('r1', 'GET', '/api/me/calendar-feed')).body).toMatchObject({ active: false });
  // Bad input changes nothing; no token, no feed.
  const bad = await api.call('r2', 'POST', '/api/me/calendar-feed', { timeZone: 'Mars/Olympus' });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('timeZone');
  expect((await api.call('r2', 'POST', '/api/me/calendar-feed', { zone: 'UTC' })).status).toBe(400);
  expect((await api.call(null, 'POST', '/api/me/calendar-feed')).status).toBe(401);
  // The feeds survive a restart of the server (the hashes are in the file).
  const kept = await issue('director');
  const restarted = await createApiEnv(t, { feeds: new FeedStore(path.join(feedsDir, 'calendar-feeds.json')) });
  try {
    // The new server has new tokens for the same people: the feed belongs to the person.
    expect((await readFeed(kept.replace(api.url, restarted.url))).status).toBe(200);
    expect((await readFeed(second.replace(api.url, restarted.url))).status).toBe(404);
  } finally {
    await restarted.close();
  }
});

test('reads of one feed are rate limited (429 with Retry-After); other feeds are not affected', async () => {
  const limited = await createApiEnv(t, { feedRateLimit: { max: 3, timeWindowMs: 60_000 } });
  try {
    const url = await issue('otherLab', limited);
    const other = await issue('lab', limited);
    for (let i = 0; i < 3; i++) expect((await readFeed(url)).status).toBe(200);
    const refused = await readFeed(url);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await readFeed(other)).status).toBe(200);
  } finally {
    await limited.close();
  }
});

test('a feed reads as its person: when their API token is revoked, the feed answers as missing', () => {
  const riley = makeToken({ name: 'Riley Reviewer', role: 'reviewer', reviewerId: 'r1', email: 'riley@clearinghouse.example' });
  const rotated = makeToken({ name: 'Riley Reviewer', role: 'reviewer', reviewerId: 'r1', email: 'Riley@clearinghouse.example' });
  const robin = makeToken({ name: 'Robin Reviewer', role: 'reviewer', reviewerId: 'r2', email: 'robin@clearinghouse.example' });
  const feeds = new FeedStore();
  const { secret } = feeds.issue({ ...riley.entry }, 'UTC');
  const feed = feeds.lookup(secret);
  expect(feed).not.toBeNull();
  if (!feed) return;
  expect(principalOfFeed(new TokenStore([riley.entry, robin.entry]), feed, Date.now())).toMatchObject({ reviewerId: 'r1', tokenHash: riley.entry.sha256 });
  expect(principalOfFeed(new TokenStore([rotated.entry]), feed, Date.now())).toMatchObject({ reviewerId: 'r1' }); // a rotated token keeps the feed
  expect(principalOfFeed(new TokenStore([robin.entry]), feed, Date.now())).toBeNull(); // revoked
  expect(principalOfFeed(new TokenStore([{ ...riley.entry, expiresAt: '2020-01-01T00:00:00Z' }]), feed, Date.now())).toBeNull(); // expired
  expect(feeds.lookup(`${secret.slice(0, -1)}x`)).toBeNull();
});

test('a feed issued by single sign-on reads as the signed-in principal for CALENDAR_FEED_SSO_DAYS after the latest sign-in; changed claims end the old identity\'s feed', () => {
  let now = Date.parse('2026-12-01T09:00:00Z');
  const feeds = new FeedStore(undefined, () => now, 1000, 30);
  const none = new TokenStore([]);
  const jordan = { name: 'Jordan Release Manager', role: 'lab' as const, labId: 'acme', timeZone: 'America/Los_Angeles', tokenHash: 'a'.repeat(64) };
  const { secret } = feeds.issue(jordan, 'America/Los_Angeles', jordan);
  const feed = (): NonNullable<ReturnType<FeedStore['lookup']>> => {
    const f = feeds.lookup(secret);
    if (!f) throw new Error('feed missing');
    return f;
  };
  expect(principalOfFeed(none, feed(), now)).toMatchObject({ role: 'lab', labId: 'acme', name: 'Jordan Release Manager' });
  now += 29 * 86_400_000;
  expect(principalOfFeed(none, feed(), now)).not.toBeNull();
  expect(feeds.signedIn(jordan)).toBe(true); // a sign-in on day 29 renews it
  now += 20 * 86_400_000;
  expect(principalOfFeed(none, feed(), now)).not.toBeNull();
  now += 11 * 86_400_000; // 31 days after the latest sign-in
  expect(principalOfFeed(none, feed(), now)).toBeNull();
  expect(feeds.signedIn(jordan)).toBe(true); // signing in again brings it back
  expect(principalOfFeed(none, feed(), now)).not.toBeNull();
  // The provider now says Jordan is in another lab: the feed of the old identity ends; a sign-in with nothing issued changes nothing.
  expect(feeds.signedIn({ ...jordan, labId: 'other-lab' })).toBe(true);
  expect(feeds.lookup(secret)).toBeNull();
  expect(feeds.signedIn({ ...jordan, labId: 'other-lab' })).toBe(false);
  // A feed issued with a bearer token keeps no principal: without the token it reads as nobody.
  const withToken = feeds.issue({ name: 'Pat PM', role: 'pm' }, 'UTC');
  expect(withToken.entry.sso).toBeUndefined();
  expect(principalOfFeed(none, withToken.entry, now)).toBeNull();
});

test('CALENDAR_FEED_SSO_DAYS: a whole number of days from 1 to 365', () => {
  expect(feedSsoDaysFromEnv({})).toBe(30);
  expect(feedSsoDaysFromEnv({ CALENDAR_FEED_SSO_DAYS: '7' })).toBe(7);
  expect(() => feedSsoDaysFromEnv({ CALENDAR_FEED_SSO_DAYS: '0' })).toThrow('CALENDAR_FEED_SSO_DAYS must be a whole number from 1 to 365, got "0"');
});

test('two servers sharing the feeds file: a feed revoked on one is refused by the other; a broken edit keeps the feeds known', () => {
  const file = path.join(feedsDir, 'shared-feeds.json');
  const one = new FeedStore(file, Date.now, 0);
  const two = new FeedStore(file, Date.now, 0);
  const pat = { name: 'Pat PM', role: 'pm' as const };
  const { secret } = one.issue(pat, 'America/New_York');
  expect(two.lookup(secret)?.timeZone).toBe('America/New_York');
  one.revoke(pat);
  expect(two.lookup(secret)).toBeNull();
  const again = two.issue(pat, 'UTC');
  expect(one.lookup(again.secret)?.timeZone).toBe('UTC');
  writeFileSync(file, '{ not json');
  const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(one.lookup(again.secret)?.timeZone).toBe('UTC'); // kept from the last good read
    expect(String(errors.mock.calls[0]?.[0])).toContain('changed but cannot be used');
  } finally {
    errors.mockRestore();
  }
  expect(() => new FeedStore(file)).toThrow(/FRONTIER_REVIEW_FEEDS_FILE .*shared-feeds\.json/);
  // A single sign-on feed survives the file; a hand-edited one whose sso is not well formed is refused by name.
  writeFileSync(file, JSON.stringify({ feeds: [] }));
  const jordan = { name: 'Jordan Release Manager', role: 'lab' as const, labId: 'acme', tokenHash: 'b'.repeat(64) };
  const sso = new FeedStore(file, Date.now, 0).issue(jordan, 'UTC', jordan);
  expect(new FeedStore(file).lookup(sso.secret)?.sso?.principal).toMatchObject({ labId: 'acme' });
  writeFileSync(file, JSON.stringify({ feeds: [{ ...sso.entry, sso: { until: 'never' } }] }));
  expect(() => new FeedStore(file)).toThrow('the entry of Jordan Release Manager has an sso that is not { principal, until, subject }');
});
