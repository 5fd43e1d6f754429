/**
 * The weekly digest on the Temporal CLI dev server (schedules and visibility queries need a real server;
 * the time-skipping test server has neither): the schedule is created idempotently, and a run e-mails each
 * program manager their open reviews with what falls due this week, once.
 */
import { simpleParser } from 'mailparser';
import { ensureDigestSchedule } from '../../client/digest-schedule';
import { OPEN_REVIEWS_QUERY } from '../../activities/digest';
import { cancelReviewUpdate, grantAccessUpdate } from '../../workflows/messages';
import type { DigestResult } from '../../workflows/digest-types';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv('local'); });
afterAll(async () => { await t?.teardown(); });

const NY = 'America/New_York';
const SCHEDULE = 'test-weekly-digest';
const digestsTo = (email: string): string[] => t.sink.messages.filter((m) => m.envelopeTo.includes(email) && m.raw.includes('X-Frontier-Review-Digest')).map((m) => m.raw);

test('ensureDigestSchedule: created once, then unchanged, updated when the zone changes; Mondays 08:00 in that zone', async () => {
  const client = t.env.client;
  const opts = { taskQueue: t.taskQueue, timeZone: NY, scheduleId: SCHEDULE };
  expect(await ensureDigestSchedule(client, opts)).toBe('created');
  expect(await ensureDigestSchedule(client, opts)).toBe('unchanged');
  expect(await ensureDigestSchedule(client, { ...opts, timeZone: 'America/Chicago' })).toBe('updated');
  expect(await ensureDigestSchedule(client, opts)).toBe('updated');
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  expect(ids.filter((id) => id === SCHEDULE)).toHaveLength(1);
  const d = await client.schedule.getHandle(SCHEDULE).describe();
  expect(d.spec.timezone).toBe(NY);
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'digestWorkflow', taskQueue: t.taskQueue, args: [{ timeZone: NY }] });
  const next = d.info.nextActionTimes.slice(0, 3);
  expect(next).toHaveLength(3);
  for (const at of next) {
    const local = new Intl.DateTimeFormat('en-US', { timeZone: NY, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
    expect(local).toBe('Monday 08:00');
  }
  expect(next[1].getTime() - next[0].getTime()).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000 - 3600 * 1000); // a week (± a DST hour)
});

test('a digest run: each PM gets their open reviews, this week\'s deadlines first; closed reviews left out; sent once', async () => {
  const pat = { name: 'Pat PM', email: 'pat@clearinghouse.example' };
  const kim = { name: 'Kim PM', email: 'kim@clearinghouse.example' };
  const day = 24 * 3600 * 1000;
  // A: access granted, release in 3 days: the window ends this week and the evaluation falls due tomorrow.
  const a = request({ reviewId: `digest-a-${Date.now()}`, programManager: pat, plannedReleaseAt: new Date(Date.now() + 3 * day).toISOString() });
  // B: waiting for access (deadline in 14 days): open, nothing this week.
  const b = request({ reviewId: `digest-b-${Date.now()}`, programManager: pat });
  // C: Kim's, in review, due on day 21. D: Kim's, cancelled: not open.
  const c = request({ reviewId: `digest-c-${Date.now()}`, programManager: kim });
  const dReq = request({ reviewId: `digest-d-${Date.now()}`, programManager: kim });
  const ha = await t.start(a);
  await ha.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await t.start(b);
  await (await t.start(c)).executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await (await t.start(dReq)).executeUpdate(cancelReviewUpdate, { args: [{ by: 'Kim PM', reason: 'duplicate' }] });

  // Visibility catches up within a moment.
  const ours = new Set([a.reviewId, b.reviewId, c.reviewId].map((id) => `review-${id}`));
  for (let i = 0; ; i++) {
    const found: string[] = [];
    for await (const wf of t.env.client.workflow.list({ query: OPEN_REVIEWS_QUERY })) found.push(wf.workflowId);
    if ([...ours].every((id) => found.includes(id)) && !found.includes(`review-${dReq.reviewId}`)) break;
    if (i > 100) throw new Error(`visibility did not show the reviews: ${found.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  await ensureDigestSchedule(t.env.client, { taskQueue: t.taskQueue, timeZone: NY, scheduleId: SCHEDULE });
  await t.env.client.schedule.getHandle(SCHEDULE).trigger();
  await t.sink.waitFor(() => digestsTo(pat.email).length === 1 && digestsTo(kim.email).length === 1, 30_000);

  const patMail = await simpleParser(digestsTo(pat.email)[0]);
  expect(patMail.subject).toBe('Weekly review digest: 2 deadlines this week in 2 open reviews');
  const text = patMail.text ?? '';
  expect(text.indexOf(a.reviewId)).toBeLessThan(text.indexOf(b.reviewId)); // the one with deadlines first
  expect(text).toMatch(new RegExp(`review ${a.reviewId} \\(in-review\\)\\n\\n  - this week: .*cyber-offense evaluation due \\(Riley\\)\\n  - this week: .*window ends`));
  expect(text).toMatch(new RegExp(`review ${b.reviewId} \\(awaiting-access\\)\\n\\n  - nothing due this week\\n  - next after that: .*access deadline`));
  expect(text).not.toContain(c.reviewId);
  const kimMail = await simpleParser(digestsTo(kim.email)[0]);
  expect(kimMail.subject).toBe('Weekly review digest: 0 deadlines this week in 1 open review');
  expect(kimMail.text).toMatch(new RegExp(`review ${c.reviewId} \\(in-review\\)\\n\\n  - nothing due this week\\n  - next after that: .*cyber-offense evaluation due`));
  expect(kimMail.text).not.toContain(dReq.reviewId);

  // The same day again (a manual run): the ledger sends nothing twice.
  const again = await t.env.client.workflow.execute('digestWorkflow', { taskQueue: t.taskQueue, workflowId: `digest-manual-${Date.now()}`, args: [{ timeZone: NY }] }) as DigestResult;
  expect(again.programManagers).toBeGreaterThanOrEqual(2);
  expect(digestsTo(pat.email)).toHaveLength(1);
  expect(digestsTo(kim.email)).toHaveLength(1);
});
