/**
 * Several notices can find the same address refused at the same moment (their activities run side by side):
 * the program manager still gets one alert per address and review, through the ledger and one turn at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import { SmtpSink } from '../../shared/smtp-sink';
import type { DeliveryAlert } from '../../workflows/types';

let sink: SmtpSink;
let dir: string;
beforeAll(async () => {
  sink = new SmtpSink();
  await sink.listen(0, '127.0.0.1');
  dir = mkdtempSync(path.join(os.tmpdir(), 'alert-once-'));
});
afterAll(async () => {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
});

const alert = (noticeId: string, address: string): DeliveryAlert => ({
  id: `rev-1/alert/address-rejected:${address}`, kind: 'address-rejected', reviewId: 'rev-1', model: { name: 'Atlas-7', version: 'rc1' },
  programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' }, noticeId, noticeKind: 'clock-started', audience: 'lab', address,
  error: '550 Mailbox unavailable', runKey: 'run-1',
});

test('concurrent alerts about one address send one e-mail; another address gets its own', async () => {
  const a = createActivities({ smtpUrl: sink.url, ledgerPath: path.join(dir, 'ledger.sqlite'), webhooks: { urls: [] } });
  const results = await Promise.all([
    a.sendDeliveryAlert(alert('rev-1/clock-started/start/lab', 'sec@acme.example')),
    a.sendDeliveryAlert(alert('rev-1/reviewer-assigned/t1/lab', 'sec@acme.example')),
    a.sendDeliveryAlert(alert('rev-1/intake-ack/intake/lab', 'sec@acme.example')),
    a.sendDeliveryAlert(alert('rev-1/intake-ack/intake/lab', 'desk@acme.example')),
  ]);
  expect(results.map((r) => r.emailed)).toEqual([true, true, true, true]); // each caller learns the alert went
  const ids = sink.messages.map((m) => m.messageId).sort();
  expect(ids).toHaveLength(2);
  expect(ids[0]).toContain('desk');
  expect(ids[1]).toContain('sec');
});
