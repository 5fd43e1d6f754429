/**
 * The read model on a real dev server (issue 15 §3): lists, portfolio, workload and metrics answer from the
 * reviews' cards (memo) and search attributes — no status query per review — scoped by role in the query; a
 * review started before review-card (a worker whose patched('review-card') answers false) is still listed, read
 * through its status. Run twice: plain payloads, and encrypted ones (the card is then unreadable on the server).
 */
import { cardIn } from '../../client/read-model/facts';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { createActivities } from '../../activities';
import { labSearchValue } from '../../client/lab-search';
import type { ReviewRow } from '../../client/api/service';
import type { Portfolio } from '../../client/read-model/portfolio';
import type { ProgramMetrics } from '../../client/read-model/metrics';
import type { Workload } from '../../client/read-model/workload';
import { encryptingDataConverter, loadKeyRing } from '../../shared/encryption';
import type { KeyRing } from '../../shared/encryption';
import { grantAccessUpdate, workflowIdFor } from '../../workflows/messages';
import { REVIEW_CARD_MEMO } from '../../workflows/review-card';
import { LAB_SA, REVIEWERS_SA, STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import type { ReviewRequest } from '../../workflows/types';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv, Who } from '../support/api-env';
import { waitUntil } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { bundleWithShim } from '../support/shim-bundle';
import { cliFor } from '../support/cli';
import os from 'node:os';

const RILEY = { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' };
const ROBIN = { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' };
const lab = (id: string): ReviewRequest['lab'] => ({ id, name: id === 'acme' ? 'Acme AI' : 'Other AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec', email: `security@${id}.example` }] });

// One bundle of the old code for both runs (webpack takes seconds).
let oldCode: Promise<string> | undefined;
const oldBundle = (): Promise<string> => (oldCode ??= bundleWithShim(require.resolve('../support/before-review-card/workflow-shim')));

describe.each([['plain', null], ['encrypted', `k1:${randomBytes(32).toString('base64')}`]] as const)('read model, %s payloads', (_name, keys) => {
  let t: ReviewEnv;
  let api: ApiEnv;
  let oldWorker: Worker;
  let oldRun: Promise<void>;
  const ring = keys ? loadKeyRing({ FRONTIER_REVIEW_KEYS: keys }) as KeyRing : null;
  const suffix = Math.random().toString(36).slice(2, 7);
  const ids = { a: `acme-a-${suffix}`, b: `other-b-${suffix}`, c: `acme-c-${suffix}`, old: `acme-old-${suffix}` };

  beforeAll(async () => {
    t = await createReviewEnv('local', ring ? { dataConverter: encryptingDataConverter(ring) } : {});
    api = await createApiEnv(t, { office: { reviewerMaxOpen: 2, officeTimeZone: 'America/New_York' } }, { keyRing: ring ?? undefined });
    // A worker with the code before review-card, on a queue of its own: its reviews keep no card.
    const oldQueue = `${t.taskQueue}-old`;
    oldWorker = await Worker.create({
      connection: t.env.nativeConnection, namespace: t.env.namespace ?? 'default', taskQueue: oldQueue,
      workflowBundle: { code: await oldBundle() },
      ...(t.dataConverter ? { dataConverter: t.dataConverter } : {}),
      activities: createActivities({ smtpUrl: t.sink.url, mailFrom: 'frontier-review <noreply@clearinghouse.example>', ledgerPath: `${t.ledgerPath}-old` }),
    });
    oldRun = oldWorker.run();

    await api.reviews.start(request({ reviewId: ids.a, lab: lab('acme'), evaluations: [{ track: 'cyber-offense', reviewer: RILEY, dueDay: 21 }] }));
    await api.reviews.start(request({ reviewId: ids.b, lab: lab('other-lab'), evaluations: [{ track: 'bio', reviewer: ROBIN, dueDay: 21 }] }));
    // Names reviewer id r1 with another address: the r1 token (bound to riley@) must not see it.
    await api.reviews.start(request({ reviewId: ids.c, lab: lab('acme'), evaluations: [{ track: 'cyber-offense', reviewer: { ...RILEY, email: 'mallory@elsewhere.example' }, dueDay: 21 }] }));
    // Started as the client did before review-card: no ReviewReviewers.
    const old = t.env.client.workflow.start('reviewWorkflow', {
      taskQueue: oldQueue, workflowId: workflowIdFor(ids.old),
      args: [request({ reviewId: ids.old, lab: lab('acme'), evaluations: [{ track: 'cyber-offense', reviewer: RILEY, dueDay: 21 }] })],
      typedSearchAttributes: [{ key: LAB_SA, value: labSearchValue('acme', ring) }, ...STARTING_SEARCH_ATTRIBUTES],
    });
    await old;
    await api.reviews.grantAccess(ids.a, { by: 'Acme Security' });
    await t.env.client.workflow.getHandle(workflowIdFor(ids.old)).executeUpdate(grantAccessUpdate, { args: [{ by: 'Acme Security' }] });
    // Visibility lags the transitions by a moment.
    await waitUntil(async () => {
      const rows = (await api.call('pm', 'GET', '/api/reviews')).body as ReviewRow[];
      const ours = rows.filter((r) => Object.values(ids).includes(r.reviewId));
      return ours.length === 4 && ours.filter((r) => r.phase === 'in-review').length === 2;
    }, 'the four reviews listed, two in review');
    // The server's copy of the cards (card-cache.ts) may have listed a review before its first card was written (it then
    // reads its status, as an older review's): it holds every new review's card within a refresh or two.
    await waitUntil(async () => {
      const status = jest.spyOn(api.reviews, 'statusAt');
      try {
        await api.call('pm', 'GET', '/api/reviews');
        return status.mock.calls.every(([, id]) => id === ids.old);
      } finally {
        status.mockRestore();
      }
    }, "the server's copy holding every new review's card");
  });

  afterAll(async () => {
    oldWorker?.shutdown();
    await oldRun;
    await api?.close();
    await t?.teardown();
  });

  const listed = async (who: Who, path = '/api/reviews'): Promise<string[]> => {
    const res = await api.call(who, 'GET', path);
    expect(res.status).toBe(200);
    return ((res.body as ReviewRow[]).map((r) => r.reviewId).filter((id) => Object.values(ids).includes(id))).sort();
  };

  test('new reviews carry the card in the memo and their reviewer ids as a search attribute; an old one has neither', async () => {
    const a = await t.env.client.workflow.getHandle(workflowIdFor(ids.a)).describe();
    // Since compact-history in four memo fields (identity, state, evaluations, disposal), read back as one card.
    expect(a.memo?.[REVIEW_CARD_MEMO]).toMatchObject({ v: 2, reviewId: ids.a, lab: { id: 'acme' } });
    expect(cardIn(a.memo)).toMatchObject({ reviewId: ids.a, phase: 'in-review', lab: { id: 'acme' }, disposal: [] });
    expect(a.typedSearchAttributes.get(REVIEWERS_SA)).toEqual(['r1']);
    const old = await t.env.client.workflow.getHandle(workflowIdFor(ids.old)).describe();
    expect(old.memo?.[REVIEW_CARD_MEMO]).toBeUndefined();
    expect(old.typedSearchAttributes.get(REVIEWERS_SA)).toBeUndefined();
    if (ring) {
      // Stored encrypted: neither the model nor a reviewer's address is readable on the server.
      const raw = await t.env.connection.workflowService.getWorkflowExecutionHistory({ namespace: t.env.namespace ?? 'default', execution: { workflowId: workflowIdFor(ids.a) } });
      const history = raw.history as temporal.api.history.v1.IHistory;
      expect((history.events ?? []).some((e) => e.workflowPropertiesModifiedEventAttributes?.upsertedMemo)).toBe(true);
      const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      for (const secret of ['Atlas-7', 'riley@clearinghouse.example', 'Acme AI']) expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });

  test('lists are scoped by role in the query, and read no status but the old review\'s', async () => {
    // Rows read a status by workflow id (statusAt), never by a lookup of the review id (ids may be opaque).
    const status = jest.spyOn(api.reviews, 'statusAt');
    expect(await listed('pm')).toEqual(Object.values(ids).sort());
    expect(status.mock.calls.map(([, id]) => id)).toEqual([ids.old]);
    status.mockClear();
    expect(await listed('director')).toEqual(Object.values(ids).sort());
    expect(await listed('lab')).toEqual([ids.a, ids.c, ids.old].sort());
    expect(await listed('otherLab')).toEqual([ids.b]);
    expect(await listed('r1')).toEqual([ids.a, ids.old].sort());
    expect(await listed('r2')).toEqual([ids.b]);
    expect(await listed('pm', '/api/reviews?reviewer=r2')).toEqual([ids.b]);
    status.mockRestore();
    // The old review's row is whole (read through its status).
    const rows = (await api.call('pm', 'GET', '/api/reviews')).body as ReviewRow[];
    const old = rows.find((r) => r.reviewId === ids.old) as ReviewRow;
    expect(old).toMatchObject({ phase: 'in-review', lab: 'Acme AI', deadline: { kind: 'window-end' }, pendingEvaluations: 1 });
    expect(old.error).toBeUndefined();
    const a = rows.find((r) => r.reviewId === ids.a) as ReviewRow;
    expect(a.windowEndsAt).toBe((await api.reviews.status(ids.a)).clock.windowEndsAt);
    expect((await api.call('r1', 'GET', '/api/reviews?reviewer=r2')).status).toBe(403);
  });

  test('portfolio: open reviews by phase, filters by lab, reviewer and phase; for PM and director only', async () => {
    const pf = (await api.call('pm', 'GET', '/api/portfolio?timeZone=Europe/Berlin')).body as Portfolio;
    const ours = pf.reviews.filter((r) => Object.values(ids).includes(r.reviewId));
    expect(ours.map((r) => r.reviewId).sort()).toEqual(Object.values(ids).sort());
    expect(pf.timeZone).toBe('Europe/Berlin');
    const a = ours.find((r) => r.reviewId === ids.a);
    expect(a).toMatchObject({ phase: 'in-review', nextDeadline: { kind: 'evaluation-due', track: 'cyber-offense', reviewerId: 'r1', overdue: false }, reviewers: ['r1'] });
    expect(pf.byPhase.find((b) => b.phase === 'in-review')?.count).toBeGreaterThanOrEqual(2);
    const byLab = (await api.call('director', 'GET', '/api/portfolio?lab=other-lab')).body as Portfolio;
    expect(byLab.reviews.map((r) => r.reviewId)).toEqual([ids.b]);
    const byReviewer = (await api.call('pm', 'GET', '/api/portfolio?reviewer=r2&phase=awaiting-access')).body as Portfolio;
    expect(byReviewer.reviews.map((r) => r.reviewId)).toEqual([ids.b]);
    expect((await api.call('lab', 'GET', '/api/portfolio')).status).toBe(403);
    expect((await api.call('r1', 'GET', '/api/workload')).status).toBe(403);
    expect((await api.call('pm', 'GET', '/api/portfolio?timeZone=Mars/Olympus')).status).toBe(400);
  });

  test('portfolio JSON in pages: every list cut to the same window, totals whole, nextOffset leads through the rest; a bad window is a 400 naming it', async () => {
    const whole = (await api.call('pm', 'GET', '/api/portfolio?limit=1000')).body as Portfolio;
    expect(whole.page).toMatchObject({ offset: 0, limit: 1000, nextOffset: null, totals: { reviews: whole.reviews.length, overdue: whole.overdue.length } });
    expect(whole.reviews.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const pg = (await api.call('pm', 'GET', `/api/portfolio?limit=2&offset=${offset}`)).body as Portfolio;
      expect(pg.reviews.length).toBeLessThanOrEqual(2);
      expect(pg.page?.totals).toEqual(whole.page?.totals);
      expect(pg.byPhase).toEqual(whole.byPhase);
      seen.push(...pg.reviews.map((r) => r.reviewId));
      offset = pg.page?.nextOffset ?? null;
    }
    expect(seen).toEqual(whole.reviews.map((r) => r.reviewId));
    for (const [query, path] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['offset=-1', 'offset'], ['limit=ten', 'limit']]) {
      const res = await api.call('pm', 'GET', `/api/portfolio?${query}`);
      expect([query, res.status, res.text]).toEqual([query, 400, expect.stringContaining(path)]);
    }
  });

  test('workload, and an assignment past REVIEWER_MAX_OPEN warns with what (and is made)', async () => {
    const w = (await api.call('pm', 'GET', '/api/workload')).body as Workload;
    const r1 = w.reviewers.find((r) => r.reviewerId === 'r1');
    // r1 on a, c (the id, whoever's address) and the old review: three open assignments, limit 2.
    expect(r1).toMatchObject({ open: 3, overdue: 0, atCapacity: true });
    expect(r1?.assignments.map((x) => x.reviewId).sort()).toEqual([ids.a, ids.c, ids.old].sort());
    const res = await api.call('pm', 'POST', `/api/reviews/${ids.b}/assignReviewer`, { track: 'cyber-offense', reviewer: RILEY });
    expect(res.status).toBe(200);
    const body = res.body as { evaluations: { track: string; reviewerId: string }[]; warnings?: { kind: string; reviewerId: string; open: number; message: string }[] };
    expect(body.evaluations.map((e) => `${e.track}:${e.reviewerId}`)).toContain('cyber-offense:r1');
    expect(body.warnings?.[0]).toMatchObject({ kind: 'reviewer-load', reviewerId: 'r1', open: 3 });
    expect(body.warnings?.[0].message).toContain(ids.a);
    // The CLI warns the same way, on stderr and in its --json output (FRONTIER_REVIEW_KEYS as the server's).
    const cli = cliFor(t, os.tmpdir(), { REVIEWER_MAX_OPEN: '2', ...(keys ? { FRONTIER_REVIEW_KEYS: keys } : {}) });
    const out = await cli(['assign', ids.a, '--track', 'chem', '--reviewer-id', 'r1', '--reviewer-name', 'Riley', '--reviewer-email', RILEY.email]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(new RegExp(`warning: reviewer r1 already has [34] open assignments, at or over the limit of 2 \\(REVIEWER_MAX_OPEN\\): .*${ids.old}`));
    // r2 has one open assignment: no warning.
    const fine = await api.call('pm', 'POST', `/api/reviews/${ids.a}/assignReviewer`, { track: 'bio', reviewer: ROBIN });
    expect((fine.body as { warnings?: unknown }).warnings).toBeUndefined();
  });

  test('metrics: a cancelled review counts in this month, as JSON and CSV', async () => {
    await api.reviews.cancelReview(ids.c, { by: 'Pat PM', reason: 'duplicate' });
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    await waitUntil(async () => {
      const m = (await api.call('pm', 'GET', '/api/metrics?lab=acme')).body as ProgramMetrics;
      return m.closedByOutcome.find((r) => r.month === month)?.cancelled === 1;
    }, 'the cancelled review in the metrics');
    const m = (await api.call('director', 'GET', '/api/metrics?lab=acme&months=3')).body as ProgramMetrics;
    expect(m.months).toHaveLength(3);
    expect(m.intakeToAccess.find((r) => r.month === month)?.reviews).toBe(2);
    const csv = await api.call('pm', 'GET', '/api/metrics.csv?lab=acme');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text).toContain(`reviews-closed,${month},cancelled,1`);
    expect((await api.call('lab', 'GET', '/api/metrics')).status).toBe(403);
  });
});
