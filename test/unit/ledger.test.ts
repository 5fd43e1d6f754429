/** The delivery ledger on a real SQLite file: what it records survives a reopen and another process's view. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteLedger } from '../../activities/ledger';
import type { LedgerEntry } from '../../activities/ledger';

const file = (): string => path.join(mkdtempSync(path.join(os.tmpdir(), 'ledger-test-')), 'sub', 'ledger.sqlite');
const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  noticeId: 'rev-1/intake-ack/intake/lab', runKey: 'run-a', state: 'sent', messageId: '<rev-1/intake-ack/intake/lab@x>',
  accepted: ['security@acme.example'], rejected: [], response: '250 OK: queued', recordedAt: '2027-01-04T14:00:00.000Z', ...over,
});

test('records a notice and finds it again after the file is reopened (the directory is created)', () => {
  const f = file();
  const a = new SqliteLedger(f);
  expect(a.lookup('rev-1/intake-ack/intake/lab', 'run-a')).toBeUndefined();
  a.record(entry());
  a.close();
  const b = new SqliteLedger(f);
  expect(b.lookup('rev-1/intake-ack/intake/lab', 'run-a')).toEqual(entry());
  b.close();
});

test('the first outcome wins: a second record of the same notice changes nothing', () => {
  const l = new SqliteLedger(file());
  l.record(entry());
  l.record(entry({ state: 'suppressed', response: 'late', accepted: [] }));
  expect(l.lookup('rev-1/intake-ack/intake/lab', 'run-a')).toMatchObject({ state: 'sent', response: '250 OK: queued' });
  l.close();
});

test('entries are scoped by the review run: a reused review id starts clean', () => {
  const l = new SqliteLedger(file());
  l.record(entry());
  expect(l.lookup('rev-1/intake-ack/intake/lab', 'run-b')).toBeUndefined();
  l.close();
});

test('two connections on one file (two worker processes) see each other\'s writes at once', () => {
  const f = file();
  const a = new SqliteLedger(f);
  const b = new SqliteLedger(f);
  a.record(entry({ noticeId: 'n1' }));
  expect(b.lookup('n1', 'run-a')?.state).toBe('sent');
  b.markDelivered('n1#webhook', 'run-a', 'http://127.0.0.1:1/hook');
  expect(a.delivered('n1#webhook', 'run-a', 'http://127.0.0.1:1/hook')).toBe(true);
  expect(a.delivered('n1#webhook', 'run-a', 'http://127.0.0.1:2/hook')).toBe(false);
  a.close();
  b.close();
});

test('rejections keep the refused addresses', () => {
  const l = new SqliteLedger(file());
  l.record(entry({ noticeId: 'n2', state: 'rejected', accepted: [], rejected: ['gone@acme.example'], response: '550 Mailbox unavailable' }));
  expect(l.lookup('n2', 'run-a')).toMatchObject({ state: 'rejected', rejected: ['gone@acme.example'] });
  l.close();
});
