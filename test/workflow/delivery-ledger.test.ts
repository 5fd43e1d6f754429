/**
 * Exactly-once notices through the ledger, and suppression just before sending. A real SQLite ledger with
 * a crash injected at one point of the scheme (not a mock: the wrapped ledger does the real work).
 */
import { SqliteLedger } from '../../activities/ledger';
import type { ClaimResult, Ledger, LedgerEntry } from '../../activities/ledger';
import { grantAccessUpdate, submitEvaluationUpdate } from '../../workflows/messages';
import { noticesOf, settled } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The real ledger, with a "crash" once for a matching notice: before its entry is written, or just after. */
class CrashingLedger implements Ledger {
  armed: { match: RegExp; when: 'before-write' | 'after-write' } | null = null;
  crashes = 0;
  constructor(readonly inner: SqliteLedger) {}
  lookup(id: string, run: string): Promise<LedgerEntry | undefined> { return this.inner.lookup(id, run); }
  async record(e: LedgerEntry): Promise<void> {
    const a = this.armed;
    if (a && e.state === 'sent' && a.match.test(e.noticeId)) {
      this.armed = null;
      this.crashes++;
      if (a.when === 'after-write') await this.inner.record(e);
      throw new Error(`simulated worker crash ${a.when === 'before-write' ? 'after the 250 reply, before the ledger write' : 'after the ledger write'}`);
    }
    await this.inner.record(e);
  }
  delivered(k: string, r: string, t: string): Promise<boolean> { return this.inner.delivered(k, r, t); }
  markDelivered(k: string, r: string, t: string): Promise<void> { return this.inner.markDelivered(k, r, t); }
  claim(id: string, run: string, holder: string, leaseMs: number): Promise<ClaimResult> { return this.inner.claim(id, run, holder, leaseMs); }
  release(id: string, run: string, holder: string): Promise<void> { return this.inner.release(id, run, holder); }
  close(): Promise<void> { return this.inner.close(); }
}

const ledger = new CrashingLedger(new SqliteLedger(path.join(mkdtempSync(path.join(os.tmpdir(), 'crash-ledger-')), 'ledger.sqlite')));
let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv('time-skipping', { activities: { ledger } }); });
afterAll(async () => { await t?.teardown(); await ledger.close(); });
afterEach(() => { t.sink.faults = {}; ledger.armed = null; });

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const copies = (messageId: string | undefined): number => t.sink.messages.filter((m) => m.messageId === messageId).length;

test('the crash window: accepted by the server but not yet in the ledger → resent once, with the same Message-ID', async () => {
  ledger.armed = { match: /\/intake-ack\/intake\/lab$/, when: 'before-write' };
  const req = request();
  await t.start(req);
  const id = `${req.reviewId}/intake-ack/intake/lab`;
  await until(() => ledger.crashes === 1, 'the crash');
  expect(t.sink.messages.filter((m) => m.raw.includes(`X-Frontier-Review-Notice: ${id}`))).toHaveLength(1);
  await t.env.sleep('1 minute'); // the retry's backoff
  const s = await settled(t, req.reviewId);
  const n = noticesOf(s, 'intake-ack').find((x) => x.audience === 'lab');
  expect(n?.state).toBe('sent');
  const copiesOfIt = t.sink.messages.filter((m) => m.raw.includes(`X-Frontier-Review-Notice: ${id}`));
  expect(copiesOfIt).toHaveLength(2);
  expect(copiesOfIt[0].messageId).toBe(n?.messageId);
  expect(copiesOfIt[1].messageId).toBe(n?.messageId);
  expect((await ledger.lookup(id, (await t.env.client.workflow.getHandle(`review-${req.reviewId}`).describe()).runId))?.state).toBe('sent');
  // The PM's notice, which did not crash, went once.
  expect(copies(noticesOf(s, 'intake-ack').find((x) => x.audience === 'pm')?.messageId)).toBe(1);
});

test('a retry after the ledger write (the completion was lost) sends nothing again', async () => {
  ledger.armed = { match: /\/intake-ack\/intake\/pm$/, when: 'after-write' };
  const req = request();
  await t.start(req);
  await until(() => ledger.crashes === 2, 'the crash');
  await t.env.sleep('1 minute');
  const s = await settled(t, req.reviewId);
  const n = noticesOf(s, 'intake-ack').find((x) => x.audience === 'pm');
  expect(n?.state).toBe('sent');
  expect(copies(n?.messageId)).toBe(1);
});

test('suppressed just before sending: an overdue notice held up by a mail outage, and the evaluation submitted meanwhile', async () => {
  const req = request({ policy: { windowDays: 5, closeReminderDays: [], reviewerReminderDays: [] } });
  req.evaluations[0].dueDay = 2;
  const h = await t.start(req);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await t.env.sleep('47 hours');
  await settled(t, req.reviewId);
  t.sink.faults = { temporaryFailure: 421 };
  await t.env.sleep('90 minutes'); // the due instant passes during the outage
  let s = await t.status(req.reviewId);
  expect(noticesOf(s, 'evaluation-overdue').map((n) => [n.audience, n.state])).toEqual([['pm', 'sending'], ['reviewer:r1', 'sending']]);
  await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'late but in' }] });
  t.sink.faults = {};
  await t.env.sleep('20 minutes');
  s = await settled(t, req.reviewId);
  for (const n of noticesOf(s, 'evaluation-overdue')) {
    expect(n).toMatchObject({ state: 'suppressed', reason: 'the cyber-offense evaluation has been submitted' });
    expect(t.sink.messages.some((m) => m.raw.includes(`X-Frontier-Review-Notice: ${n.id}`))).toBe(false);
  }
  expect(s.events.filter((e) => e.type === 'notice-suppressed').map((e) => e.detail).sort()).toEqual([
    'evaluation-overdue to pm: the cyber-offense evaluation has been submitted',
    'evaluation-overdue to reviewer:r1: the cyber-offense evaluation has been submitted',
  ]);
  // Facts of record still go: the ready-to-close notice the submission caused was sent.
  expect(noticesOf(s, 'ready-to-close')[0].state).toBe('sent');
  await recordHistory(h, 'overdue-suppressed-after-submission');
});

test('a review webhook without a signing secret on the worker: e-mail goes, the webhook is recorded as failed', async () => {
  const req = request({ webhooks: [{ url: 'http://127.0.0.1:9/never' }] });
  await t.start(req);
  await t.env.sleep('1 minute');
  const s = await settled(t, req.reviewId);
  const n = noticesOf(s, 'intake-ack')[0];
  expect(n.state).toBe('sent');
  await t.sink.waitFor((ms) => ms.some((m) => m.messageId === n.messageId));
  for (let i = 0; i < 50 && (await t.status(req.reviewId)).notices[0].webhook === undefined; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await t.status(req.reviewId)).notices[0].webhook).toMatchObject({ state: 'failed', error: expect.stringMatching(/no signing secret/) });
});
