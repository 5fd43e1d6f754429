/**
 * The program office at a real office's size (issue 15 §3): `officeN` reviews (default 1,000) on the dev server,
 * open and closed — a fifth cancelled before access, a fifth closed after access (in disposal), the rest in review
 * with two tracks, some evaluations in — then the API server answers the list, the portfolio and the metrics, as
 * JSON and as dashboard pages, each timed over `officeSamples` requests after two warm-ups. Target: < 300 ms each.
 *
 * Floors, measured in the same run: one visibility query reading every review with its memo (what the read model
 * costs the server and the codec-less client at least), and an authenticated API request that reads nothing
 * (GET /api/me). The reviews run on an in-process worker whose notices "go out" at once (no SMTP): this phase times
 * reading, not mail.
 */
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import { createSendNotices } from '../../activities/send-notices';
import { messageIdFor } from '../../activities/message-id';
import { makeToken, TokenStore } from '../../client/api/auth';
import { createApiServer } from '../../client/api/server';
import { ReviewClient } from '../../client/review-client';
import { CardCache } from '../../client/read-model/card-cache';
import type { CardCacheStats } from '../../client/read-model/card-cache';
import { WORKFLOW_TYPE } from '../../workflows/messages';
import type { NoticePayload, NoticeResult } from '../../workflows/types';
import type { DevContext } from '../context';
import { MAIL_FROM } from '../context';
import { benchRequest, reviewer, TRACK_NAMES } from '../requests';
import { summarize } from '../stats';
import type { Summary } from '../stats';

export interface OfficeTiming {
  name: string;
  /** Response body bytes of the last sample. */
  bytes: number;
  ms: Summary;
  /** The first request (not in the samples): facts derived from every card it reads, before they are kept (facts.ts). */
  firstMs?: number;
}

export interface OfficeResult {
  reviews: number;
  open: number;
  closed: number;
  prepSeconds: number;
  samples: number;
  loadAverage: number[];
  floors: OfficeTiming[];
  pages: OfficeTiming[];
  /** The server's copy of the cards: what keeping it current costs, and its counters after the run. */
  cache: OfficeTiming[];
  cacheStats: CardCacheStats;
  /** A change made by another client (a direct update), until the API's portfolio shows it: ms. */
  changeSeenMs: number;
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * A set-up call, retried when the loaded server gave up on it (SQLite contention: "Workflow Task in failed state",
 * deadlines). A retry the review refuses means an earlier attempt took effect: done.
 */
async function settle(call: () => Promise<unknown>, tries = 8): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (attempt > 1 && /not allowed|already|only in|refused|has finished|must be/i.test(msg)) return;
      if (attempt >= tries || !/failed state|deadline|unavailable|timed out|context|no connection|not respond/i.test(msg)) throw e;
      await new Promise((r) => setTimeout(r, 2_000 * attempt));
    }
  }
}

export async function officePhase(ctx: DevContext): Promise<OfficeResult> {
  const { cfg, env, log } = ctx;
  const n = cfg.officeN;
  const taskQueue = `bench-office-${ctx.runId}`;
  const stubSend = async (x: NoticePayload): Promise<NoticeResult> => ({ messageId: messageIdFor(x.id), accepted: x.to.map((p) => p.email), rejected: [], response: '250 stubbed' });
  const worker = await Worker.create({
    connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, workflowBundle: { codePath: ctx.bundles.review },
    activities: { ...createActivities({ smtpUrl: ctx.sink.url, mailFrom: MAIL_FROM, ledgerPath: path.join(ctx.tmpDir, 'office-ledger.sqlite') }), sendNotice: stubSend, sendNotices: createSendNotices(stubSend) },
  });
  const running = worker.run();
  const reviews = new ReviewClient(new Client({ connection: env.connection, namespace: env.namespace ?? 'default' }), { taskQueue, callTimeoutMs: 600_000 });
  const t0 = performance.now();
  try {
    const ids = Array.from({ length: n }, (_, i) => `office-${ctx.runId}-${String(i).padStart(4, '0')}`);
    const labs = ['acme', 'borealis', 'cobalt', 'delphi', 'ember'];
    log(`office: starting ${n} reviews`);
    await pool(ids, 20, (id) => {
      const i = Number(id.slice(-4));
      const lab = labs[i % labs.length];
      return reviews.start(benchRequest(id, 2, {
        lab: { id: lab, name: `${lab} AI`, timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec', email: `security@${lab}.example` }] },
        evaluations: [0, 1].map((k) => ({ track: TRACK_NAMES[k], reviewer: reviewer(1 + ((i + k * 7) % 12)), dueDay: 21 })),
      }));
    });
    log('office: access, evaluations, closes');
    await pool(ids, 20, async (id) => {
      const i = Number(id.slice(-4));
      if (i % 5 === 0) return settle(() => reviews.cancelReview(id, { by: 'Pat PM', reason: 'bench: withdrawn request' }));
      await settle(() => reviews.grantAccess(id, { by: 'Lab' }));
      if (i % 3 === 0) await settle(() => reviews.submitEvaluation(id, { track: TRACK_NAMES[0], reviewerId: reviewer(1 + (i % 12)).id, severity: i % 33 === 0 ? 'critical' : 'low', summary: 'bench' }));
      if (i % 5 === 1) await settle(() => reviews.closeReview(id, { by: 'Pat PM' }));
      return undefined;
    });
    // Visibility catches up within a second or so.
    for (let tries = 0; tries < 60; tries++) {
      const c = await env.client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}' AND ReviewPhase IN ('in-review', 'disposal', 'closed')`);
      if (c.count >= n) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const prepSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const closed = ids.filter((_, i) => i % 5 === 0 || i % 5 === 1).length;
    log(`office: ${n} reviews ready in ${prepSeconds} s; timing pages`);

    const pm = makeToken({ name: 'Pat PM', role: 'pm', timeZone: 'America/New_York' });
    // The server's copy of the cards, with its defaults (a background refresh every second); the first request waits for its full listing.
    const cache = new CardCache(reviews);
    const app = await createApiServer({ reviews, tokens: new TokenStore([pm.entry]), rateLimit: { max: 1_000_000, timeWindowMs: 60_000 }, office: { reviewerMaxOpen: 4, officeTimeZone: 'America/New_York' }, cardCache: cache });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const login = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(pm.token)}&tz=America%2FNew_York` });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
      const time = async (name: string, get: () => Promise<number>): Promise<OfficeTiming> => {
        const first = performance.now();
        await get();
        const firstMs = Math.round((performance.now() - first) * 10) / 10;
        await get();
        const samples: number[] = [];
        let bytes = 0;
        for (let i = 0; i < cfg.officeSamples; i++) {
          const start = performance.now();
          bytes = await get();
          samples.push(performance.now() - start);
        }
        return { name, bytes, ms: summarize(samples), firstMs };
      };
      const http = (p: string, auth: 'bearer' | 'cookie') => async (): Promise<number> => {
        const res = await fetch(`${url}${p}`, { headers: auth === 'bearer' ? { authorization: `Bearer ${pm.token}` } : { cookie } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${p}: ${res.status} ${body.slice(0, 200)}`);
        return body.length;
      };
      const floors = [
        await time(`visibility: every review with its memo (${n})`, async () => {
          let count = 0;
          for await (const info of env.client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'`, pageSize: 1000 })) count += info.memo ? 1 : 0;
          return count;
        }),
        await time('GET /api/me (authenticated, reads nothing)', http('/api/me', 'bearer')),
      ];
      const pages = [
        await time('GET /api/reviews (list, 100 rows)', http('/api/reviews', 'bearer')),
        await time('GET / (list page)', http('/', 'cookie')),
        await time('GET /api/portfolio (first page, 100 per list)', http('/api/portfolio', 'bearer')),
        await time('GET /api/portfolio?limit=1000 (every open review)', http('/api/portfolio?limit=1000', 'bearer')),
        await time('GET /portfolio (page)', http('/portfolio', 'cookie')),
        await time('GET /api/workload', http('/api/workload', 'bearer')),
        await time('GET /api/metrics', http('/api/metrics', 'bearer')),
        await time('GET /metrics (page, 5 SVG charts)', http('/metrics', 'cookie')),
      ];
      // Keeping the copy current: an incremental listing (what the background does every second) and a full one (at start-up, every 5 minutes).
      const cacheCosts = [
        await time('card cache: incremental refresh (changes in the last 10 s)', async () => {
          await cache.refresh();
          return cache.stats().lastListed;
        }),
      ];
      // A change by another client (not through this server): the portfolio shows it after a background refresh.
      const target = ids.find((id, i) => i % 5 === 2 && i % 3 !== 0) as string;
      const changedAt = performance.now();
      await reviews.pauseClock(target, { by: 'Lab', reason: 'bench: outage' });
      for (;;) {
        const pf = await fetch(`${url}/api/portfolio?limit=1000`, { headers: { authorization: `Bearer ${pm.token}` } }).then((r) => r.json()) as { reviews: { reviewId: string; phase: string }[] };
        if (pf.reviews.find((r) => r.reviewId === target)?.phase === 'paused') break;
        if (performance.now() - changedAt > 60_000) throw new Error(`office: ${target} not seen paused within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const changeSeenMs = Math.round(performance.now() - changedAt);
      return {
        reviews: n, open: n - closed, closed, prepSeconds, samples: cfg.officeSamples, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100), floors, pages,
        cache: cacheCosts, cacheStats: cache.stats(), changeSeenMs,
      };
    } finally {
      await app.close();
    }
  } finally {
    worker.shutdown();
    await running;
  }
}
