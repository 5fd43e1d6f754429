/**
 * The server's copy of the review cards (client/read-model/card-cache.ts) on a real dev server: it lists every review
 * at start-up, a review whose code predates ReviewUpdatedAt included; it sees a change made by another client through
 * an incremental listing (ReviewUpdatedAt), not a full one; the older review's changes come with the full resync; a
 * write through the server shows at once; and no page issues a query per review (gRPC calls counted).
 */
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities';
import { makeToken, TokenStore } from '../../client/api/auth';
import { createApiServer } from '../../client/api/server';
import type { ReviewRow } from '../../client/api/service';
import { CardCache } from '../../client/read-model/card-cache';
import type { Portfolio } from '../../client/read-model/portfolio';
import { ReviewClient } from '../../client/review-client';
import { workflowIdFor } from '../../workflows/messages';
import { REVIEW_CARD_MEMO } from '../../workflows/review-card';
import { LAB_SA, startingSearchAttributes, UPDATED_AT_SA } from '../../workflows/search-attributes';
import { waitUntil } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { bundleWithShim } from '../support/shim-bundle';

const suffix = Math.random().toString(36).slice(2, 7);
const ids = { a: `cache-a-${suffix}`, b: `cache-b-${suffix}`, c: `cache-c-${suffix}`, old: `cache-old-${suffix}` };
const pm = makeToken({ name: 'Pat PM', role: 'pm', timeZone: 'America/New_York' });

let t: ReviewEnv;
let oldWorker: Worker;
let oldRun: Promise<void>;
/** The server's own connection: its gRPC calls are the ones counted. */
let serverConnection: Connection;
let serverReviews: ReviewClient;
/** Another client (not the server): a PM's CLI, a script. */
let other: ReviewClient;
let cache: CardCache;
let app: FastifyInstance;
let url: string;

const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${pm.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};
const post = async (path: string, body: unknown): Promise<number> => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${pm.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.text();
  return res.status;
};
const phaseIn = (pf: Portfolio, reviewId: string): string | undefined => pf.reviews.find((r) => r.reviewId === reviewId)?.phase;
const visiblePhase = async (reviewId: string): Promise<string | null> => (await other.list({ limit: 1000 })).find((r) => r.reviewId === reviewId)?.phase ?? null;

beforeAll(async () => {
  t = await createReviewEnv('local');
  const namespace = t.env.namespace ?? 'default';
  other = new ReviewClient(new Client({ connection: t.env.connection, namespace }), { taskQueue: t.taskQueue, callTimeoutMs: 60_000 });
  // A worker with the code before compact-history, on a queue of its own: its review keeps a card but no ReviewUpdatedAt.
  const oldQueue = `${t.taskQueue}-old`;
  oldWorker = await Worker.create({
    connection: t.env.nativeConnection, namespace, taskQueue: oldQueue,
    workflowBundle: { code: await bundleWithShim(require.resolve('../support/before-compact-history/workflow-shim')) },
    activities: createActivities({ smtpUrl: t.sink.url, mailFrom: 'frontier-review <noreply@clearinghouse.example>', ledgerPath: `${t.ledgerPath}-old` }),
  });
  oldRun = oldWorker.run();
  const old = request({ reviewId: ids.old });
  await t.env.client.workflow.start('reviewWorkflow', {
    taskQueue: oldQueue, workflowId: workflowIdFor(ids.old), args: [old],
    typedSearchAttributes: [{ key: LAB_SA, value: 'Acme AI' }, ...startingSearchAttributes(old)],
  });
  for (const id of [ids.a, ids.b]) await other.start(request({ reviewId: id }));
  await waitUntil(async () => (await other.list({ limit: 1000 })).filter((r) => Object.values(ids).includes(r.reviewId)).length === 3, 'the three reviews listed');
  await waitUntil(async () => (await t.env.client.workflow.getHandle(workflowIdFor(ids.old)).describe()).memo?.[REVIEW_CARD_MEMO] !== undefined, 'the old review\'s card');
  // A review is listed from its start; its card and ReviewUpdatedAt come with its first workflow task (later, under load).
  for (const id of [ids.a, ids.b]) {
    await waitUntil(async () => (await t.env.client.workflow.getHandle(workflowIdFor(id)).describe()).typedSearchAttributes.get(UPDATED_AT_SA) !== undefined, `${id}'s first card`);
  }

  serverConnection = await Connection.connect({ address: t.env.address });
  serverReviews = new ReviewClient(new Client({ connection: serverConnection, namespace }), { taskQueue: t.taskQueue, callTimeoutMs: 60_000 });
  // Requests never wait for a refresh here (max age 10 min): what they see came from the background or a write.
  // A margin of 5 s (default 10 s): reviews started more than that ago are listed again only when their card changes.
  cache = new CardCache(serverReviews, { backgroundMs: 300, maxAgeMs: 600_000, fullEveryMs: 600_000, marginMs: 5_000 });
  app = await createApiServer({ reviews: serverReviews, tokens: new TokenStore([pm.entry]), cardCache: cache, office: { officeTimeZone: 'America/New_York' } });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await serverConnection?.close();
  oldWorker?.shutdown();
  await oldRun;
  await t?.teardown();
});

test('the full listing at start-up brings every review, one whose code predates ReviewUpdatedAt included; pages say as of when', async () => {
  const described = async (id: string) => (await t.env.client.workflow.getHandle(workflowIdFor(id)).describe()).typedSearchAttributes.get(UPDATED_AT_SA);
  expect(await described(ids.a)).toBeInstanceOf(Date);
  expect(await described(ids.old)).toBeUndefined();
  const res = await fetch(`${url}/api/reviews`, { headers: { authorization: `Bearer ${pm.token}` } });
  const rows = (await res.json()) as ReviewRow[];
  expect(rows.map((r) => r.reviewId).filter((id) => Object.values(ids).includes(id)).sort()).toEqual([ids.a, ids.b, ids.old].sort());
  expect(rows.find((r) => r.reviewId === ids.old)).toMatchObject({ phase: 'awaiting-access', model: { name: 'Atlas-7' } });
  const asOf = res.headers.get('x-as-of') as string;
  expect(Date.parse(asOf)).toBeGreaterThan(Date.now() - 60_000);
  expect(cache.stats().fullListings).toBe(1);
  expect((await get<Portfolio>('/api/portfolio')).asOf).toEqual(expect.any(String));
});

test('a change made by another client shows through an incremental listing, within a few refreshes', async () => {
  // Past the margin since the starts: a listing that brings review A back does so for its ReviewUpdatedAt alone.
  const startedAt = Math.max(...(await other.list({ limit: 1000 })).filter((r) => Object.values(ids).includes(r.reviewId)).map((r) => Date.parse(r.startedAt)));
  await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 7_000 - Date.now())));
  const before = cache.stats();
  const changed = Date.now();
  await other.grantAccess(ids.a, { by: 'Acme Security' });
  await waitUntil(async () => phaseIn(await get<Portfolio>('/api/portfolio'), ids.a) === 'in-review', 'the portfolio showing the change');
  const seenMs = Date.now() - changed;
  const after = cache.stats();
  // No full listing since start-up: only reviews with a recent ReviewUpdatedAt were listed — the changed one, and
  // those changed within the margin before the newest change the copy had seen (its window counts back from there
  // when that is older than the last look, for a lagging store): at most A and B, never the review without it.
  expect(after.fullListings).toBe(before.fullListings);
  expect(after.incrementalListings).toBeGreaterThan(before.incrementalListings);
  expect(after.lastListed).toBeLessThanOrEqual(2);
  // The background refreshes every 300 ms; the visibility store lags a moment behind the workflow.
  expect(seenMs).toBeLessThan(15_000);
});

test('an incremental listing misses a review without ReviewUpdatedAt; the full resync brings its change', async () => {
  const own = new CardCache(other, { backgroundMs: 0, marginMs: 0, fullEveryMs: 600_000 });
  await own.refresh(); // full
  await other.grantAccess(ids.old, { by: 'Acme Security' });
  await other.grantAccess(ids.b, { by: 'Acme Security' });
  await waitUntil(async () => (await visiblePhase(ids.old)) === 'in-review' && (await visiblePhase(ids.b)) === 'in-review', 'both changes visible');
  await own.refresh(); // incremental
  const phases = (c: CardCache): Record<string, string | null> => Object.fromEntries(c.entries({ limit: 1000 }).filter((e) => e.summary.reviewId === ids.old || e.summary.reviewId === ids.b).map((e) => [e.summary.reviewId, e.card?.phase ?? null]));
  expect(phases(own)).toEqual({ [ids.b]: 'in-review', [ids.old]: 'awaiting-access' });
  const resync = new CardCache(other, { backgroundMs: 0, fullEveryMs: 0 });
  await resync.refresh();
  expect(phases(resync)).toEqual({ [ids.b]: 'in-review', [ids.old]: 'in-review' });
  // The server's own copy: its next full resync is minutes away, so the older review waits for it (README: what is derived).
  await own.refresh();
  expect(own.stats().fullListings).toBe(1);
});

test('a full listing keeps the card objects of reviews that did not change (their derived facts stay with them); a changed card is a new object', async () => {
  const own = new CardCache(other, { backgroundMs: 0, fullEveryMs: 0 });
  await own.refresh();
  const cards = (): Map<string, unknown> => new Map(own.entries({ limit: 1000 }).map((e) => [e.summary.reviewId, e.card]));
  const before = cards();
  expect(before.get(ids.a)).toBeTruthy();
  await other.setReleaseDate(ids.a, { plannedReleaseAt: new Date(Date.now() + 150 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'), by: 'Acme Security' });
  await waitUntil(async () => {
    await own.refresh(); // full every time (fullEveryMs 0)
    return cards().get(ids.a) !== before.get(ids.a);
  }, 'the changed card listed');
  const after = cards();
  const unchanged = [...before.keys()].filter((id) => id !== ids.a && before.get(id) !== null);
  expect(unchanged.length).toBeGreaterThan(0);
  for (const id of unchanged) expect([id, after.get(id) === before.get(id)]).toEqual([id, true]);
  expect(own.stats().fullListings).toBeGreaterThanOrEqual(2);
});

test('no page issues a query per review: four pages and a calendar feed, no status query, no listing between refreshes', async () => {
  cache.stop();
  const issued = await fetch(`${url}/api/me/calendar-feed`, { method: 'POST', headers: { authorization: `Bearer ${pm.token}` } });
  expect(issued.status).toBe(201);
  const feedUrl = new URL(((await issued.json()) as { url: string }).url).pathname;
  await cache.refresh();
  const service = serverConnection.workflowService;
  const queries = jest.spyOn(service, 'queryWorkflow');
  const listings = jest.spyOn(service, 'listWorkflowExecutions');
  try {
    for (const path of ['/api/reviews', '/api/portfolio', '/api/workload', '/api/metrics', '/api/reviews?phase=in-review', '/api/portfolio?lab=Acme%20AI']) await get(path);
    const feed = await fetch(`${url}${feedUrl}`);
    const ics = (await feed.text()).replace(/\r\n[ \t]/g, ''); // unfolded (RFC 5545 folds long lines)
    expect(feed.status).toBe(200);
    // Every open review's window end or access deadline is in the feed (three reviews, read from their cards).
    expect(ics.match(/BEGIN:VEVENT/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    for (const id of [ids.a, ids.b, ids.old]) expect(ics).toContain(id);
    expect(queries).not.toHaveBeenCalled();
    expect(listings).not.toHaveBeenCalled();
  } finally {
    queries.mockRestore();
    listings.mockRestore();
  }
});

test('a write through this server shows at once, before any refresh', async () => {
  // No background refresh, and requests never wait for one (max age 10 min): only the write itself can show.
  cache.stop();
  const listings = jest.spyOn(serverConnection.workflowService, 'listWorkflowExecutions');
  try {
    expect(await post(`/api/reviews/${ids.b}/pauseClock`, { by: 'Pat PM', reason: 'lab outage' })).toBe(200);
    expect(phaseIn(await get<Portfolio>('/api/portfolio'), ids.b)).toBe('paused');
    expect(await post('/api/reviews', request({ reviewId: ids.c }))).toBe(201);
    const rows = await get<ReviewRow[]>('/api/reviews');
    expect(rows.find((r) => r.reviewId === ids.c)).toMatchObject({ phase: 'awaiting-access', model: { name: 'Atlas-7' } });
    expect(listings).not.toHaveBeenCalled();
  } finally {
    listings.mockRestore();
  }
});
