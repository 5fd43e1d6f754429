import { DELAYED_AFTER_MS, describeDelivery } from '../../client/notice-state';
import type { NoticeRecord } from '../../workflows/types';

const at = '2026-12-01T09:00:00.000-05:00';
const queued = Date.parse(at);
const notice = (o: Partial<NoticeRecord> = {}): NoticeRecord => ({ id: 'r/intake-ack/intake/lab', kind: 'intake-ack', audience: 'lab', to: ['sec@acme.example'], at, state: 'sending', ...o });

test('a notice sending for a short while is just "sending"', () => {
  expect(describeDelivery(notice(), queued + DELAYED_AFTER_MS - 1)).toBe('sending');
});

test('a notice still sending after the first retries says how long it has been delayed', () => {
  expect(describeDelivery(notice(), queued + DELAYED_AFTER_MS)).toBe('delayed: not delivered after 10 min, still retrying');
  expect(describeDelivery(notice(), queued + 72 * 60_000)).toBe('delayed: not delivered after 1 h 12 min, still retrying');
  expect(describeDelivery(notice(), queued + 3 * 86_400_000)).toBe('delayed: not delivered after 3 days, still retrying');
});

test('settled notices keep their state, with the error, the reason and a failed webhook copy', () => {
  expect(describeDelivery(notice({ state: 'sent' }), queued + 86_400_000)).toBe('sent');
  expect(describeDelivery(notice({ state: 'failed', error: 'rejected: sec@acme.example' }))).toBe('failed (rejected: sec@acme.example)');
  expect(describeDelivery(notice({ state: 'suppressed', reason: 'the evaluation was submitted' }))).toBe('suppressed (the evaluation was submitted)');
  expect(describeDelivery(notice({ state: 'sent', webhook: { state: 'failed', targets: 1, error: '503' } }))).toBe('sent [webhook copy failed: 503]');
});
