/**
 * sendNotices over a stand-in for sendNotice: what a batch answers for each notice, and when it fails as a whole;
 * and how the workflow cuts a task's notices into batches.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createSendNotices } from '../../activities/send-notices';
import { messageIdFor } from '../../activities/message-id';
import { PERMANENT_REJECTION } from '../../activities/send-notice';
import { BATCH_SIZE, batchesOf, expandBatch } from '../../workflows/notice-batch';
import type { NoticeBatch, NoticePayload, NoticeResult } from '../../workflows/types';

const shared = { reviewId: 'r', model: { name: 'M', version: '1' }, labName: 'Acme', reviewTimeZone: 'UTC', runKey: 'run-1', now: '2027-01-01T00:00:00Z' };
const notice = (id: string): NoticeBatch['notices'][number] => ({
  id, kind: 'clock-started', audience: 'lab', to: [{ name: 'A', email: `${id.replace('/', '-')}@acme.example` }], recipientTimeZone: 'UTC', dates: {}, facts: { by: 'Sec Team' },
});
const batch: NoticeBatch = { shared, notices: [notice('r/a'), notice('r/b'), notice('r/c')] };
const ok = (n: NoticePayload): NoticeResult => ({ messageId: `<${n.id}@x>`, accepted: n.to.map((p) => p.email), rejected: [], response: '250 queued' });
const refused = (n: NoticePayload): ApplicationFailure => ApplicationFailure.create({
  type: PERMANENT_REJECTION, nonRetryable: true, message: `SMTP rejected ${n.kind} notice ${n.id} permanently: 550`, details: [{ rejected: ['x@acme.example'], response: '550 no such user' }],
});

test('each notice is sent with the shared fields; sent and refused notices are outcomes, in the batch order', async () => {
  const seen: NoticePayload[] = [];
  const send = createSendNotices(async (n) => {
    seen.push(n);
    if (n.id === 'r/b') throw refused(n);
    return n.id === 'r/c' ? { ...ok(n), suppressed: 'submitted meanwhile' } : ok(n);
  });
  const outcomes = await send(batch);
  expect(seen.map((n) => [n.id, n.reviewId, n.runKey, n.labName])).toEqual([['r/a', 'r', 'run-1', 'Acme'], ['r/b', 'r', 'run-1', 'Acme'], ['r/c', 'r', 'run-1', 'Acme']]);
  expect(seen[0].facts).toEqual({ by: 'Sec Team', now: '2027-01-01T00:00:00Z' });
  expect(seen[0]).not.toHaveProperty('now');
  expect(outcomes).toEqual([
    { sent: { messageId: '<r/a@x>' } },
    { refused: { message: 'SMTP rejected clock-started notice r/b permanently: 550', rejected: ['x@acme.example'], response: '550 no such user' } },
    { sent: { messageId: '<r/c@x>', suppressed: 'submitted meanwhile' } },
  ]);
});

test('temporary trouble with one notice fails the batch, but only once every other notice has settled', async () => {
  const settled: string[] = [];
  const send = createSendNotices(async (n) => {
    if (n.id === 'r/a') throw Object.assign(new Error('450 mailbox busy'), { responseCode: 450 });
    await new Promise((r) => setTimeout(r, 20));
    settled.push(n.id);
    return ok(n);
  });
  await expect(send(batch)).rejects.toThrow('450 mailbox busy');
  expect(settled.sort()).toEqual(['r/b', 'r/c']);
});

test('a partly refused notice keeps the server reply the workflow records', async () => {
  const send = createSendNotices(async (n) => ({ ...ok(n), rejected: ['x@acme.example'], response: '250 ok', rejectedResponse: '550 x unknown' }));
  const [first] = await send({ shared, notices: [notice('r/a')] });
  expect(first).toEqual({ sent: { messageId: '<r/a@x>', rejected: ['x@acme.example'], response: '250 ok', rejectedResponse: '550 x unknown' } });
});

test('a compact batch leaves out a Message-ID the notice id gives, and keeps one that differs (another domain)', async () => {
  const send = createSendNotices(async (n) => ({ ...ok(n), messageId: n.id === 'r/a' ? messageIdFor(n.id) : messageIdFor(n.id, 'mail.example') }));
  const notices = [notice('r/a'), notice('r/b')];
  expect(await send({ shared, notices, compact: true })).toEqual([{ sent: {} }, { sent: { messageId: '<r/b@mail.example>' } }]);
  // Without the flag (reviews before compact-history read it from the result), every Message-ID is there.
  expect(await send({ shared, notices })).toEqual([{ sent: { messageId: messageIdFor('r/a') } }, { sent: { messageId: '<r/b@mail.example>' } }]);
});

describe('batches of the notices of one workflow task (workflows/notice-batch.ts)', () => {
  const payload = (id: string, over: Partial<NoticePayload> = {}): NoticePayload => ({ ...notice(id), ...shared, facts: { by: 'Sec Team', now: shared.now }, ...over });

  test('split and expanded again, every notice is what it was', () => {
    const ps = [payload('r/a'), payload('r/b', { checkBeforeSend: true, invites: [{ key: 'window-end', sequence: 0, method: 'REQUEST', at: '2027-01-01T00:00:00Z' }] })];
    const [only, ...rest] = batchesOf(ps, (p) => p);
    expect(rest).toEqual([]);
    expect(only.items.map((p) => p.id)).toEqual(['r/a', 'r/b']);
    expect(expandBatch(only.batch)).toEqual(ps);
    expect(JSON.stringify(only.batch).length).toBeLessThan(JSON.stringify(ps).length);
  });

  test('at most BATCH_SIZE notices a batch; notices of another moment (carried over) go in a batch of their own', () => {
    const ps = Array.from({ length: BATCH_SIZE + 3 }, (_, i) => payload(`r/n${i}`));
    const carried = payload('r/old', { facts: { now: '2026-12-01T00:00:00Z' } });
    const batches = batchesOf([...ps, carried], (p) => p);
    expect(batches.map((b) => b.items.length)).toEqual([BATCH_SIZE, 3, 1]);
    expect(batches.flatMap((b) => b.items.map((p) => p.id))).toEqual([...ps, carried].map((p) => p.id));
    expect(expandBatch(batches[2].batch)).toEqual([carried]);
  });
});
