/**
 * Webhook copies leave for chat tools and ticketing, which keep them and show them to a channel: no copy may
 * carry personal data (issue 13). The refused-address alert used to name the address in a field, in its text
 * and in its delivery id; notice copies named reviewers and carried reasons people wrote. Real activities, a
 * real SMTP sink and a real HTTP receiver on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import { noticeWebhookBody } from '../../activities/notice-webhooks';
import { SmtpSink } from '../../shared/smtp-sink';
import { NOTICE_KINDS } from '../../workflows/types';
import type { DeliveryAlert, NoticePayload } from '../../workflows/types';
import { HookServer } from '../support/hook-server';

const ADDRESS = 'sec.lead@acme.example';
let sink: SmtpSink;
let hooks: HookServer;
let dir: string;
beforeAll(async () => {
  sink = new SmtpSink();
  await sink.listen(0, '127.0.0.1');
  hooks = await HookServer.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'webhook-personal-'));
});
afterAll(async () => {
  await sink.close();
  await hooks.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the refused-address alert: the PM\'s e-mail names the address; the webhook copy (body, text, delivery id) names no address and no person', async () => {
  const a = createActivities({
    smtpUrl: sink.url, ledgerPath: path.join(dir, 'ledger.sqlite'),
    webhooks: { urls: [hooks.url('/chat')], secret: 'operator-secret-0123456789', dashboardUrl: 'https://review.example.gov' },
  });
  const alert: DeliveryAlert = {
    id: `rev-7/alert/address-rejected:${ADDRESS}`, kind: 'address-rejected', reviewId: 'rev-7', model: { name: 'Atlas-7', version: 'rc1' },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' }, noticeId: 'rev-7/clock-started/start/lab', noticeKind: 'clock-started',
    audience: 'lab', address: ADDRESS, error: `SMTP rejected clock-started notice permanently: 550 5.1.1 <${ADDRESS}>: Recipient address rejected`, runKey: 'run-7',
  };
  const result = await a.sendDeliveryAlert(alert);
  expect(result).toEqual({ emailed: true, webhooks: 1 });
  expect(sink.messages).toHaveLength(1);
  expect(sink.messages[0].raw.toString()).toContain(ADDRESS); // the PM needs to know which address

  expect(hooks.received).toHaveLength(1);
  const copy = hooks.received[0];
  const everything = `${JSON.stringify(copy.headers)}\n${copy.body}`;
  expect(everything).not.toContain(ADDRESS);
  expect(everything).not.toContain('sec.lead');
  expect(everything).not.toContain('Pat PM');
  expect(everything).not.toMatch(/[^\s<>"']+@[^\s<>"']+\.[a-z]+/);
  const body = JSON.parse(copy.body) as Record<string, unknown>;
  expect(body).not.toHaveProperty('address');
  expect(body).toMatchObject({ type: 'alert', alert: 'address-rejected', reviewId: 'rev-7', audience: 'lab', link: 'https://review.example.gov/reviews/rev-7' });
  expect(String(body.text)).toContain('clock-started notice to lab');
  expect(String(body.error)).toContain('550 5.1.1 <<address>>: Recipient address rejected');

  // Delivered once: the same alert again posts nothing more (the ledger key no longer holds the address, but is stable).
  await a.sendDeliveryAlert(alert);
  expect(hooks.received).toHaveLength(1);
});

test('notice copies of every kind and audience: no recipient, no reviewer name, no reason a person wrote, no address', () => {
  const people = ['Sec Team', 'security@acme.example', 'Riley Reviewer', 'riley@clearinghouse.example', 'Pat PM', 'Dana Director'];
  const reason = 'Riley Reviewer left; ask jordan@acme.example';
  const audiences = ['lab', 'pm', 'director', 'reviewer:r1'] as const;
  const leaks: string[] = [];
  for (const kind of NOTICE_KINDS) {
    for (const audience of audiences) {
      const n: NoticePayload = {
        id: `rev-7/${kind}/k/${audience}`, kind, audience, reviewId: 'rev-7', model: { name: 'Atlas-7', version: 'rc1' }, labName: 'Acme AI',
        to: [{ name: audience === 'lab' ? 'Sec Team' : 'Riley Reviewer', email: audience === 'lab' ? 'security@acme.example' : 'riley@clearinghouse.example' }],
        recipientTimeZone: 'America/New_York', reviewTimeZone: 'America/New_York',
        dates: { accessDeadlineAt: '2027-01-15T12:00:00.000-05:00', startedAt: '2027-01-04T09:00:00.000-05:00', windowEndsAt: '2027-02-03T09:00:00.000-05:00', dueAt: '2027-01-25T09:00:00.000-05:00', submittedAt: '2027-01-20T14:30:00.000-05:00', closedAt: '2027-02-01T16:45:00.000-05:00', disposalDueAt: '2027-02-06T16:45:00.000-05:00' },
        facts: { windowDays: 30, daysRemaining: 3, track: 'cyber-offense', reviewerName: 'Riley Reviewer', summary: 'secret finding', tracks: 1, outcome: 'completed', reason, party: 'r1', by: 'Dana Director', severity: 'critical', level: 1, now: '2027-01-20T14:30:00.000-05:00' },
      };
      const copy = JSON.stringify(noticeWebhookBody(n, 'https://review.example.gov'));
      for (const p of [...people, 'jordan@', 'secret finding']) if (copy.includes(p)) leaks.push(`${kind} to ${audience}: ${p}`);
    }
  }
  expect(leaks).toEqual([]);
});
