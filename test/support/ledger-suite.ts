/**
 * One test suite for every delivery ledger (SQLite, PostgreSQL): the same storage semantics, the same claim, and
 * the same end-to-end outcome at a real SMTP sink when attempts of one notice overlap, die mid-send or run in
 * another process. test/integration/ledger-*.test.ts run it against each implementation.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createActivities, NOTICE_CLAIMED } from '../../activities';
import type { Ledger, LedgerEntry } from '../../activities';
import { DEFAULT_MESSAGE_ID_DOMAIN, messageIdFor } from '../../activities/message-id';
import { SmtpSink } from '../../shared/smtp-sink';
import type { NoticePayload, NoticeResult } from '../../workflows/types';

export interface LedgerUnderTest {
  /** A new connection (a new worker process's view) to the same ledger. */
  open(): Ledger;
  /** Environment that makes a worker process use this ledger. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  noticeId: 'rev-1/intake-ack/intake/lab', runKey: 'run-a', state: 'sent', messageId: '<rev-1/intake-ack/intake/lab@x>',
  accepted: ['security@acme.example'], rejected: [], response: '250 OK: queued', recordedAt: '2027-01-04T14:00:00.000Z', ...over,
});

let noticeCounter = 0;
function notice(): NoticePayload {
  const id = `ledger-suite-${process.pid}-${Date.now()}-${++noticeCounter}/intake-ack/intake/lab`;
  return {
    id, kind: 'intake-ack', audience: 'lab', to: [{ name: 'Sec Team', email: 'security@acme.example' }], reviewId: 'ledger-suite',
    model: { name: 'Atlas-7', version: 'rc1' }, labName: 'Acme AI', recipientTimeZone: 'America/Los_Angeles', reviewTimeZone: 'America/New_York',
    dates: { accessDeadlineAt: '2027-01-15T12:00:00.000-05:00' }, facts: { now: '2027-01-01T09:00:00.000-05:00' }, runKey: 'run-a',
  };
}

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Outcome = { ok: NoticeResult } | { error: string; type?: string };

/** One in-process attempt of sendNotice (number `attempt`) with its own ledger connection: a worker of its own. */
async function attemptHere(ledger: Ledger, sink: SmtpSink, n: NoticePayload, attempt: number, leaseSeconds: number): Promise<Outcome> {
  const env = new MockActivityEnvironment({ attempt, activityId: 'notice-here', startToCloseTimeoutMs: 120_000 }, { logger: new DefaultLogger('ERROR') });
  const activities = createActivities({ smtpUrl: sink.url, smtpPool: false, ledger, claimLeaseSeconds: leaseSeconds });
  try {
    return { ok: await env.run(activities.sendNotice, n) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e), type: e instanceof ApplicationFailure ? e.type ?? undefined : undefined };
  }
}

/** The same attempt in a child process (another worker host, as far as the ledger can tell). */
function attemptElsewhere(subject: LedgerUnderTest, sink: SmtpSink, n: NoticePayload, attempt: number, leaseSeconds: number): { child: ChildProcess; done: Promise<Outcome> } {
  const script = path.join(__dirname, 'notice-attempt.ts');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', script, JSON.stringify({ notice: n, attempt })], {
    env: { ...process.env, ...subject.env, SMTP_URL: sink.url, NOTICE_CLAIM_LEASE_SECONDS: String(leaseSeconds) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<Outcome>((resolve) => {
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Outcome);
      } catch {
        resolve({ error: `child exited (${signal ?? code}) without a result: ${err.slice(-500)}` });
      }
    });
  });
  return { child, done };
}

export function ledgerSuite(name: string, setup: () => Promise<LedgerUnderTest>): void {
  describe(`${name} ledger`, () => {
    let subject: LedgerUnderTest;
    let sink: SmtpSink;
    const opened: Ledger[] = [];
    const open = (): Ledger => {
      const l = subject.open();
      opened.push(l);
      return l;
    };
    // By Message-ID, derived from the notice id: the header holding the id may be folded.
    const copies = (n: NoticePayload): number => sink.messages.filter((m) => m.messageId === messageIdFor(n.id, DEFAULT_MESSAGE_ID_DOMAIN)).length;

    beforeAll(async () => {
      subject = await setup();
      sink = new SmtpSink();
      await sink.listen();
    });
    afterEach(() => { sink.faults = {}; });
    afterAll(async () => {
      for (const l of opened) await l.close();
      await sink?.close();
      await subject?.cleanup();
    });

    describe('storage', () => {
      test('records a notice and finds it again from a new connection', async () => {
        const a = open();
        const e = entry({ noticeId: 'store-1' });
        expect(await a.lookup('store-1', 'run-a')).toBeUndefined();
        await a.record(e);
        await a.close();
        expect(await open().lookup('store-1', 'run-a')).toEqual(e);
      });

      test('the first outcome wins: a second record of the same notice changes nothing', async () => {
        const l = open();
        await l.record(entry({ noticeId: 'store-2' }));
        await l.record(entry({ noticeId: 'store-2', state: 'suppressed', response: 'late', accepted: [] }));
        expect(await l.lookup('store-2', 'run-a')).toMatchObject({ state: 'sent', response: '250 OK: queued', accepted: ['security@acme.example'] });
      });

      test('entries are scoped by the review run: a reused review id starts clean', async () => {
        const l = open();
        await l.record(entry({ noticeId: 'store-3' }));
        expect(await l.lookup('store-3', 'run-b')).toBeUndefined();
      });

      test("two connections (two worker processes) see each other's writes at once", async () => {
        const a = open();
        const b = open();
        await a.record(entry({ noticeId: 'store-4' }));
        expect((await b.lookup('store-4', 'run-a'))?.state).toBe('sent');
        await b.markDelivered('store-4#webhook', 'run-a', 'http://127.0.0.1:1/hook');
        await b.markDelivered('store-4#webhook', 'run-a', 'http://127.0.0.1:1/hook'); // twice: no error, still one
        expect(await a.delivered('store-4#webhook', 'run-a', 'http://127.0.0.1:1/hook')).toBe(true);
        expect(await a.delivered('store-4#webhook', 'run-a', 'http://127.0.0.1:2/hook')).toBe(false);
        expect(await a.delivered('store-4#webhook', 'run-b', 'http://127.0.0.1:1/hook')).toBe(false);
      });

      test('rejections keep the refused addresses', async () => {
        const l = open();
        await l.record(entry({ noticeId: 'store-5', state: 'rejected', accepted: [], rejected: ['gone@acme.example'], response: '550 Mailbox unavailable' }));
        expect(await l.lookup('store-5', 'run-a')).toMatchObject({ state: 'rejected', rejected: ['gone@acme.example'] });
      });
    });

    describe('claim', () => {
      test('one holder at a time: renewed by its holder, refused to others, free again once released by its holder only', async () => {
        const a = open();
        const b = open();
        expect(await a.claim('claim-1', 'run-a', 'holder-a', 60_000)).toEqual({ granted: true });
        expect(await a.claim('claim-1', 'run-a', 'holder-a', 60_000)).toEqual({ granted: true });
        const refused = await b.claim('claim-1', 'run-a', 'holder-b', 60_000);
        expect(refused).toMatchObject({ granted: false, holder: 'holder-a' });
        expect(refused.granted === false && refused.remainingMs > 0 && refused.remainingMs <= 60_000).toBe(true);
        expect(await b.claim('claim-1', 'run-b', 'holder-b', 60_000)).toEqual({ granted: true }); // another run: another notice
        await b.release('claim-1', 'run-a', 'holder-b'); // not b's to release
        expect((await b.claim('claim-1', 'run-a', 'holder-b', 60_000)).granted).toBe(false);
        await a.release('claim-1', 'run-a', 'holder-a');
        expect(await b.claim('claim-1', 'run-a', 'holder-b', 60_000)).toEqual({ granted: true });
      });

      test('a lease that is not renewed runs out and is taken over', async () => {
        const a = open();
        const b = open();
        expect((await a.claim('claim-2', 'run-a', 'holder-a', 300)).granted).toBe(true);
        // Only the expiry can grant it: holder-a neither renews nor releases.
        await until(async () => (await b.claim('claim-2', 'run-a', 'holder-b', 60_000)).granted, 'the 300 ms lease to run out', 30_000);
        expect(await a.claim('claim-2', 'run-a', 'holder-a', 60_000)).toMatchObject({ granted: false, holder: 'holder-b' });
      });

      test('of many holders racing over several connections for a free lease, exactly one gets it', async () => {
        const conns = [open(), open(), open()];
        const results = await Promise.all(Array.from({ length: 24 }, (_, i) => conns[i % conns.length].claim('claim-3', 'run-a', `racer-${i}`, 60_000)));
        expect(results.filter((r) => r.granted)).toHaveLength(1);
      });
    });

    describe('sendNotice against a real SMTP server', () => {
      test('two concurrent attempts of one notice on two workers: one mail; the other backs off and then finds the entry', async () => {
        const n = notice();
        const stalledBefore = sink.stats.stalledReplies;
        sink.faults = { stallMs: 1_500 }; // the first attempt is still waiting for its 250 when the second starts
        const first = attemptHere(open(), sink, n, 1, 60);
        await until(() => sink.stats.stalledReplies > stalledBefore, 'the first attempt to be mid-send');
        const second = await attemptHere(open(), sink, n, 2, 60);
        expect(second).toMatchObject({ type: NOTICE_CLAIMED });
        const one = await first;
        expect(one).toMatchObject({ ok: { accepted: ['security@acme.example'] } });
        const retry = await attemptHere(open(), sink, n, 3, 60);
        expect(retry).toEqual(one); // from the ledger: same Message-ID, same server reply
        expect(copies(n)).toBe(1);
      });

      test('a holder killed mid-send: its lease runs out and the next attempt sends, once', async () => {
        const n = notice();
        const abandonedBefore = sink.stats.abandoned;
        const stalledBefore = sink.stats.stalledReplies;
        sink.faults = { stallMs: 5_000 };
        const holder = attemptElsewhere(subject, sink, n, 1, 3);
        await until(() => sink.stats.stalledReplies > stalledBefore, 'the other process to be mid-send', 60_000);
        // While it lives (and renews its 3 s lease), nobody else sends.
        expect(await attemptHere(open(), sink, n, 2, 3)).toMatchObject({ type: NOTICE_CLAIMED });
        holder.child.kill('SIGKILL');
        await holder.done;
        await until(() => sink.stats.abandoned > abandonedBefore, 'the sink to see the killed sender hang up without a reply', 30_000);
        sink.faults = {};
        let last: Outcome = { error: 'no attempt yet' };
        await until(async () => 'ok' in (last = await attemptHere(open(), sink, n, 3, 3)) || last.type !== NOTICE_CLAIMED, 'the dead holder\'s lease to run out', 60_000);
        expect(last).toMatchObject({ ok: { accepted: ['security@acme.example'] } });
        expect(copies(n)).toBe(1);
      });

      test('a notice another worker process sent is not sent again here', async () => {
        const n = notice();
        const elsewhere = await attemptElsewhere(subject, sink, n, 1, 60).done;
        expect(elsewhere).toMatchObject({ ok: { accepted: ['security@acme.example'] } });
        expect(copies(n)).toBe(1);
        const here = await attemptHere(open(), sink, n, 2, 60);
        expect(here).toEqual(elsewhere);
        expect(copies(n)).toBe(1);
      });
    });
  });
}
