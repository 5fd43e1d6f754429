/**
 * The verifiable record on a real (time-skipping) server with the real SMTP sink: the access package's gaps in the
 * acknowledgement, completePackage, the evaluation record and the mismatch flag, and at close the signed receipt —
 * in the status and attached to the lab's real review-closed mail — checked with the export's hash chain. Without a
 * signing key the closure goes out all the same, and the audit trail says why there is no receipt. A review started
 * before patch local-receipt still gets its receipt from the activity that queries the trail.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { buildExport } from '../../client/export';
import { generateSigningKey, KEY_SET_ISSUER, publish } from '../../shared/record/keys';
import type { KeySet } from '../../shared/record/keys';
import { receiptFileName, signReceipt, statementOf, verifyReceipt } from '../../shared/record/receipt';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliFor } from '../support/cli';
import { closeReviewUpdate, completePackageUpdate, grantAccessUpdate, statusQuery, submitEvaluationUpdate } from '../../workflows/messages';
import type { ReviewStatus } from '../../workflows/types';
import { act } from '../support/act';
import { noticesOf, settled } from '../support/assertions';
import { loadKeys } from '../../client/verify';
import { createApiEnv } from '../support/api-env';
import type { ApiEnv } from '../support/api-env';
import { request } from '../support/fixtures';
import { rejectionOf } from '../support/rejection';
import { recordHistory } from '../support/histories';
import { localActivityTypesIn } from '../support/history-events';
import { mailWith } from '../support/mail';
import { createReviewEnv } from '../support/review-env';
import { bundleWithShim } from '../support/shim-bundle';
import type { ReviewEnv } from '../support/review-env';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const { key, pem } = generateSigningKey();
const KEYS: KeySet = { issuer: KEY_SET_ISSUER, keys: [publish(key.publicKey)] };

const packaged = () => request({
  lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
  package: {
    access: 'weights-transfer', modelIdentifier: 'acme/atlas-7-rc1', artifactDigest: DIGEST,
    documentation: { modelCard: { present: true, reference: 'https://acme.example/atlas-7/model-card' } },
    dataHandling: { retentionDays: 30, noTrainingOnOutputs: true, storageLocation: 'US enclave', clearedPersonnelOnly: true },
  },
});

/** The activities a history scheduled, and how many local signClosureReceipt activities it recorded (markers). */
function activitiesIn(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>): { scheduled: string[]; localSigned: number } {
  const events = history.events ?? [];
  return {
    scheduled: events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    localSigned: localActivityTypesIn(events).filter((type) => type === 'signClosureReceipt').length,
  };
}

async function closedMailTo(t: ReviewEnv, s: ReviewStatus, audience: string) {
  const n = noticesOf(s, 'review-closed').find((x) => x.audience === audience);
  expect(n?.state).toBe('sent');
  return mailWith(t.sink, n?.messageId);
}

describe('with a signing key', () => {
  let t: ReviewEnv;
  let api: ApiEnv;
  beforeAll(async () => {
    t = await createReviewEnv('time-skipping', { activities: { receipts: { signingKeyPem: pem, issuer: 'test clearinghouse' } } });
    api = await createApiEnv(t, { keySet: KEYS });
  });
  afterAll(async () => {
    await api?.close();
    await t?.teardown();
  });

  test('package gaps are listed, completed, an evaluation of another digest is flagged, and the lab gets a signed receipt that verifies', async () => {
    const req = packaged();
    const h = await t.start(req);
    let s = await settled(t, req.reviewId);
    expect(s.package).toMatchObject({ complete: false, missing: ['systemCard', 'intendedUse', 'mitigations', 'knownLimitations', 'outageContact'] });
    const ack = (await mailWith(t.sink, noticesOf(s, 'intake-ack').find((n) => n.audience === 'lab')?.messageId)).text ?? '';
    expect(ack).toMatch(/The access package is incomplete/);
    expect(ack).toMatch(/system card/);
    expect(ack).toMatch(/outage contact/);

    // The lab completes it through the API (its token is its "by"); a reviewer may not.
    const parts = { outageContact: { name: 'Acme Ops', email: 'ops@acme.example' }, documentation: { systemCard: { present: true, reference: 'doc-17' } } };
    expect((await api.call('r1', 'POST', `/api/reviews/${req.reviewId}/completePackage`, parts)).status).toBe(403);
    const completed = await api.call('lab', 'POST', `/api/reviews/${req.reviewId}/completePackage`, parts);
    expect(completed.status).toBe(200);
    s = await h.query(statusQuery);
    expect(s.events.find((e) => e.type === 'package-completed')).toMatchObject({
      by: 'Acme Security', detail: 'outage contact, system card given; still missing: intended use, mitigations, known limitations',
    });
    const ackOf = await h.executeUpdate(completePackageUpdate, { args: [{ by: 'Pat PM', dataHandling: { retentionDays: 60 } }] });
    expect(ackOf).toMatchObject({ update: 'completePackage', remaining: 18 });
    s = await h.query(statusQuery);
    expect(s.package?.missing).toEqual(['intendedUse', 'mitigations', 'knownLimitations']);
    expect(await rejectionOf(h.executeUpdate(completePackageUpdate, { args: [{ artifactDigest: 'sha1:00' }] }))).toMatch(/artifactDigest: must be sha256:/);

    await act(h, grantAccessUpdate, { by: 'Sec Team' });
    await t.env.sleep('3 days');
    const record = { harness: { name: 'inspect_ai', version: '0.3.140', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' }, task: 'cyber/intercode_ctf', seeds: [42], runIds: ['Gq7qJ2s4'], model: { identifier: 'acme/atlas-7-rc1', digest: OTHER } };
    s = await act(h, submitEvaluationUpdate, { track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'No novel capability.', record });
    expect(s.evaluations[0].record).toEqual(record);
    expect(noticesOf(s, 'evaluated-model-mismatch').map((n) => n.audience)).toEqual(['pm']);
    expect(s.events.find((e) => e.type === 'evaluated-model-mismatch')?.detail).toBe(`cyber-offense: evaluated ${OTHER}, the package names ${DIGEST}`);
    s = await settled(t, req.reviewId);
    const flag = await mailWith(t.sink, noticesOf(s, 'evaluated-model-mismatch')[0].messageId);
    expect(flag.text).toMatch(/not the one in the access package/);

    await act(h, closeReviewUpdate, { by: 'Pat PM' });
    s = await settled(t, req.reviewId);
    expect(s.receipt).toBeTruthy();
    expect(s.events.map((e) => e.type)).toContain('receipt-signed');
    const labMail = await closedMailTo(t, s, 'lab');
    const attached = labMail.attachments.find((a) => a.filename === receiptFileName(req.reviewId));
    expect(attached?.contentType).toBe('application/json');
    expect(labMail.text).toMatch(/closure receipt, signed by the clearinghouse/);
    const envelope = JSON.parse(attached?.content.toString('utf8') ?? '{}');
    expect(envelope).toEqual(s.receipt);
    // Only the lab's copy carries it.
    expect((await closedMailTo(t, s, 'pm')).attachments.some((a) => a.filename?.endsWith('.intoto.json'))).toBe(false);

    const st = statementOf(envelope);
    expect(st.subject).toEqual([{ name: 'acme/atlas-7-rc1', digest: { sha256: 'ab'.repeat(32) } }]);
    expect(st.predicate).toMatchObject({ reviewId: req.reviewId, outcome: 'completed', clockStartedAt: s.clock.startedAt, windowEndsAt: s.clock.windowEndsAt, closedAt: s.closedAt, issuer: 'test clearinghouse' });
    // Events after close (the receipt's own, disposal) extend the chain; the signed head stays verifiable.
    const exported = buildExport(s);
    expect(verifyReceipt(envelope, KEYS, exported)).toMatchObject({ ok: true, chain: { ok: true } });
    const tampered = JSON.parse(JSON.stringify(exported)) as typeof exported;
    tampered.events[2] = { ...tampered.events[2], detail: 'cyber-offense: severity none' };
    expect(verifyReceipt(envelope, KEYS, tampered).ok).toBe(false);

    // Over HTTP: the lab fetches the receipt and its export (events it may not read are hashes only), the key set
    // from the well-known URL without a token, and the three check out together.
    const viaApi = await api.call('lab', 'GET', `/api/reviews/${req.reviewId}/receipt`);
    expect(viaApi).toMatchObject({ status: 200, body: envelope });
    expect(viaApi.headers.get('content-disposition')).toContain(receiptFileName(req.reviewId));
    const keysUrl = `${api.url}/.well-known/frontier-review/keys.json`;
    expect((await api.call(null, 'GET', '/.well-known/frontier-review/keys.json')).body).toEqual(KEYS);
    const labExport = (await api.call('lab', 'GET', `/api/reviews/${req.reviewId}/export?format=json`)).body as ReturnType<typeof buildExport>;
    expect(labExport.events.length).toBe(exported.events.length);
    expect(labExport.events.some((e) => e.withheld)).toBe(true);
    expect(JSON.stringify(labExport)).not.toContain(OTHER); // the mismatch event is the clearinghouse's
    expect(verifyReceipt(envelope, await loadKeys(keysUrl), labExport)).toMatchObject({ ok: true, chain: { ok: true } });
    expect((await api.call('lab', 'GET', '/api/reviews/no-such-review/receipt')).status).toBe(404);

    // The real CLI, offline: verifies; a changed export fails; after a key rotation the old receipt still verifies;
    // a receipt by a key outside the set fails.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'frontier-verify-'));
    const file = (name: string, body: unknown): string => {
      writeFileSync(path.join(dir, name), JSON.stringify(body));
      return name;
    };
    const cli = cliFor(t, dir);
    const ok = await cli(['verify', file('receipt.json', envelope), '--export', file('export.json', labExport), '--keys', file('keys.json', KEYS)]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/Signature: {2}valid/);
    expect(ok.stdout).toMatch(/Verified\./);
    const bad = await cli(['verify', 'receipt.json', '--export', file('tampered.json', tampered), '--keys', 'keys.json']);
    expect(bad.code).toBe(5);
    expect(bad.stdout).toMatch(/DOES NOT MATCH/);
    const rotated = await cli(['receipt-key', '--out', 'next.pem', '--keys', 'keys.json']);
    expect(rotated.code).toBe(0);
    const set = JSON.parse(readFileSync(path.join(dir, 'keys.json'), 'utf8')) as KeySet;
    expect(set.keys.map((k) => [k.keyid === key.keyid, k.retiredAt !== undefined])).toEqual([[true, true], [false, false]]);
    expect((await cli(['verify', 'receipt.json', '--export', 'export.json', '--keys', 'keys.json'])).code).toBe(0);
    const stranger = generateSigningKey().key;
    const forged = signReceipt(statementOf(envelope), stranger);
    const refused = await cli(['verify', file('forged.json', forged), '--keys', 'keys.json']);
    expect(refused.code).toBe(5);
    expect(refused.stdout).toMatch(/not in the key set/);
    // Signed in the closing workflow task (patch local-receipt): a local activity's marker, no activity of its own.
    expect(activitiesIn(await h.fetchHistory())).toEqual({ scheduled: expect.not.arrayContaining(['signClosureReceipt']), localSigned: 1 });
    await recordHistory(h, 'verifiable-record');
  });
});

describe('a review started before local-receipt', () => {
  let t: ReviewEnv;
  beforeAll(async () => {
    const workflowCode = await bundleWithShim(require.resolve('../support/before-local-receipt/workflow-shim'));
    t = await createReviewEnv('time-skipping', { activities: { receipts: { signingKeyPem: pem, issuer: 'test clearinghouse' } }, workflowCode });
  });
  afterAll(async () => { await t?.teardown(); });

  test('closes with a receipt signed by the activity that queries the trail, and it verifies', async () => {
    const req = packaged();
    const h = await t.start(req);
    await act(h, grantAccessUpdate, { by: 'Sec Team' });
    await act(h, closeReviewUpdate, { by: 'Pat PM' });
    const s = await settled(t, req.reviewId);
    expect(s.events.map((e) => e.type)).toContain('receipt-signed');
    const envelope = JSON.parse((await closedMailTo(t, s, 'lab')).attachments.find((a) => a.filename === receiptFileName(req.reviewId))?.content.toString('utf8') ?? '{}');
    expect(envelope).toEqual(s.receipt);
    expect(verifyReceipt(envelope, KEYS, buildExport(s))).toMatchObject({ ok: true, chain: { ok: true } });
    expect(activitiesIn(await h.fetchHistory())).toEqual({ scheduled: expect.arrayContaining(['signClosureReceipt']), localSigned: 0 });
  });
});

describe('without a signing key', () => {
  let t: ReviewEnv;
  beforeAll(async () => { t = await createReviewEnv('time-skipping', { activities: { receipts: {} } }); });
  afterAll(async () => { await t?.teardown(); });

  test('the closure goes out without a receipt, the status says why, and the audit trail is as without receipts', async () => {
    const saved = { a: process.env.RECEIPT_SIGNING_KEY, b: process.env.RECEIPT_SIGNING_KEY_FILE };
    expect(saved).toEqual({ a: undefined, b: undefined }); // the worker reads these; none is set in tests
    const req = request();
    const h = await t.start(req);
    await act(h, grantAccessUpdate, { by: 'Sec Team' });
    await act(h, closeReviewUpdate, { by: 'Pat PM' });
    const s = await settled(t, req.reviewId);
    expect(s.receipt).toBeNull();
    expect(s.receiptError).toMatch(/no receipt signing key is configured/);
    expect(s.receiptError).toMatch(/RECEIPT_SIGNING_KEY_FILE/);
    expect(s.events.map((e) => e.type)).toEqual(['review-started', 'access-granted', 'review-closed', 'evaluation-not-completed']);
    const labMail = await closedMailTo(t, s, 'lab');
    expect(labMail.attachments.some((a) => a.filename?.endsWith('.intoto.json'))).toBe(false);
    expect(labMail.text).toMatch(/You may proceed with the release/);
  });
});
