/**
 * The server's copy of the cards when the visibility store lags: a change indexed later than the copy's margin must
 * still come with an incremental listing (counted back from the newest change listed, not from the clock). The store
 * is a stand-in that applies the listing's ReviewUpdatedAt clause to what it has indexed so far; the real
 * store is covered by test/e2e/card-cache.test.ts.
 */
import type { ReviewClient, ScannedEntry } from '../../client/review-client';
import { CardCache } from '../../client/read-model/card-cache';

const S = 1_000;

function entry(id: string, updatedAt: number): ScannedEntry {
  return {
    summary: { reviewId: id, workflowId: `review-${id}`, phase: 'in-review', lab: 'Acme AI', windowEndsAt: null, outcome: null, status: 'running', startedAt: new Date(0).toISOString() },
    card: null, labValue: 'Acme AI', reviewerIds: [], updatedAt, startedAtMs: 0,
  };
}

/** A visibility store that has indexed `indexed` so far; `since` calls are kept. */
function laggingStore() {
  const store = { indexed: [] as ScannedEntry[], since: [] as (number | null)[] };
  const client = {
    scan: async (since: number | null, _max: number, updatedSince: number | null = since) => {
      store.since.push(updatedSince);
      return store.indexed.filter((e) => updatedSince === null || (e.updatedAt ?? 0) >= updatedSince);
    },
    labValues: (lab: string | string[]) => [lab].flat(),
  } as unknown as ReviewClient;
  return { store, client };
}

test('a change the store indexes 30 s late still comes with the next incremental listing', async () => {
  let now = 1_000 * S;
  const { store, client } = laggingStore();
  const cache = new CardCache(client, { backgroundMs: 0, marginMs: 10 * S, fullEveryMs: 300 * S, clock: () => now });
  store.indexed.push(entry('a', 990 * S));
  await cache.refresh(); // full listing
  expect(store.since).toEqual([null]);

  // At 1,000 s a second review changes; the store, behind, indexes it at 1,030 s. Listings every second meanwhile.
  for (now = 1_001 * S; now < 1_030 * S; now += S) await cache.refresh();
  store.indexed.push(entry('b', 1_000 * S));
  await cache.refresh();
  expect(cache.entries({}).map((e) => e.summary.reviewId).sort()).toEqual(['a', 'b']);
  // Counted back from the newest change listed (990 s), not from the last look (1,029 s): 980 s, not 1,019 s.
  expect(store.since.at(-1)).toBe(980 * S);

  // Once the store has caught up, the window follows the newest change again.
  now += S;
  await cache.refresh();
  expect(store.since.at(-1)).toBe(990 * S);
});

test('after a burst and then quiet, the window falls back to the clock once the burst is maxLagMs old', async () => {
  let now = 10_000 * S;
  const { store, client } = laggingStore();
  const cache = new CardCache(client, { backgroundMs: 0, marginMs: 10 * S, maxLagMs: 60 * S, fullEveryMs: 300 * S, clock: () => now });
  store.indexed.push(entry('burst', 10_000 * S));
  await cache.refresh();
  now += 30 * S;
  await cache.refresh();
  expect(store.since.at(-1)).toBe(9_990 * S); // 30 s of quiet: the burst is still in the window
  now = 10_100 * S;
  await cache.refresh(); // last look at 10,030 s
  now = 10_101 * S;
  await cache.refresh(); // last look at 10,100 s
  expect(store.since.at(-1)).toBe(10_040 * S); // the last look less maxLagMs: the burst has left the window
});
