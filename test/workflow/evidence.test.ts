/**
 * Evidence in the review's record, on the time-skipping server with a real directory store: attachEvidence records
 * only the reference (validated, bounded, audited), the disposal requests list what each party holds, confirmDisposal
 * attests destroyed digests, and when the lab's retention period ends the worker deletes the files while the review
 * keeps their digests and stays queryable.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_MEDIA_TYPES } from '../../shared/evidence/config';
import { DirectoryEvidenceStore } from '../../shared/evidence/directory-store';
import { refFor } from '../../shared/evidence/seal';
import { EvidenceNotFoundError } from '../../shared/evidence/types';
import type { EvidenceRef } from '../../shared/evidence/types';
import { DEFAULT_RETENTION_DAYS, EVIDENCE_LIMITS } from '../../workflows/evidence';
import {
  attachEvidenceUpdate, closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, statusQuery,
} from '../../workflows/messages';
import { act } from '../support/act';
import { noticesOf, plusDays, settled, wall } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const dir = mkdtempSync(path.join(tmpdir(), 'evidence-workflow-'));
const store = new DirectoryEvidenceStore(dir, { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) }, { maxBytes: 1024 * 1024, mediaTypes: DEFAULT_MEDIA_TYPES });

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv('time-skipping', { activities: { evidenceStore: store } }); });
afterAll(async () => {
  await t?.teardown();
  await rm(dir, { recursive: true, force: true });
});

async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((e as WorkflowUpdateFailedError).cause?.message)).toMatch(message);
}

const fakeRef = (reviewId: string, n: number): EvidenceRef => {
  const digest = `sha256:${createHash('sha256').update(`fake ${n}`).digest('hex')}`;
  return { digest, size: 10, mediaType: 'text/plain', name: `fake-${n}.txt`, ref: refFor(reviewId, digest) };
};

test('evidence: attached by reference, listed for disposal, attested destroyed, deleted from the store when the retention ends', async () => {
  const req = request();
  const h = await t.start(req);
  const put = (name: string, mediaType: string) => store.put({ reviewId: req.reviewId, name, mediaType, body: randomBytes(3000) });
  const labDoc = await put('model-card.pdf', 'application/pdf');
  const r1Log = await put('inspect-log.json', 'application/json');
  const pmReport = await put('findings-for-lab.pdf', 'application/pdf');

  // The lab documents its model before access: shared with the reviewers by default.
  let s = await act(h, attachEvidenceUpdate, { evidence: labDoc, party: 'lab', by: 'Sec Team' });
  expect(s.evidence?.[0]).toMatchObject({ ...labDoc, party: 'lab', visibleTo: 'reviewers', by: 'Sec Team', track: null, deletedAt: null });
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  s = await act(h, attachEvidenceUpdate, { evidence: r1Log, party: 'r1', by: 'Riley', track: 'cyber-offense' });
  s = await act(h, attachEvidenceUpdate, { evidence: pmReport, party: 'clearinghouse', by: 'Pat PM', visibleTo: 'lab' });
  expect(s.evidence?.map((e) => [e.party, e.visibleTo])).toEqual([['lab', 'reviewers'], ['r1', 'clearinghouse'], ['clearinghouse', 'lab']]);
  expect(s.events.filter((e) => e.type === 'evidence-attached').map((e) => e.detail)).toEqual([
    `lab: model-card.pdf (${labDoc.digest.slice(0, 19)}…, 3000 bytes, application/pdf); visible to the reviewers`,
    `r1: inspect-log.json (${r1Log.digest.slice(0, 19)}…, 3000 bytes, application/json) for cyber-offense; visible to the clearinghouse and that reviewer`,
    `clearinghouse: findings-for-lab.pdf (${pmReport.digest.slice(0, 19)}…, 3000 bytes, application/pdf); visible to the lab`,
  ]);

  // Refused with the field named, nothing recorded.
  const before = (await h.query(statusQuery)).events.length;
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: r1Log, party: 'r1', by: 'Riley' }] }), /evidence.digest: "r1" already attached this file/);
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: { ...r1Log, digest: 'sha256:xyz' }, party: 'r1', by: 'Riley' }] }), /evidence.digest: must be sha256/);
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: fakeRef(req.reviewId, 0), party: 'r1', by: 'Riley', visibleTo: 'lab' }] }), /visibleTo: a reviewer's evidence is visible to the clearinghouse and that reviewer only/);
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: fakeRef(req.reviewId, 0), party: 'r9', by: 'Robin' }] }), /party: "r9" is not a reviewer assigned/);
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: fakeRef(req.reviewId, 0), party: 'lab', by: 'x', extra: 1 } as never] }), /unknown field\(s\) "extra"/);
  // Bounded per party: r1 has one; fill up to the limit, and the next is refused with the limit named.
  for (let n = 1; n < EVIDENCE_LIMITS.perParty; n++) await h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: fakeRef(req.reviewId, n), party: 'r1', by: 'Riley' }] });
  await refused(h.executeUpdate(attachEvidenceUpdate, { args: [{ evidence: fakeRef(req.reviewId, 99), party: 'r1', by: 'Riley' }] }), /"r1" has attached 25 evidence files, the most one party may \(25\)/);
  s = await h.query(statusQuery);
  expect(s.events.length).toBe(before + EVIDENCE_LIMITS.perParty - 1);
  // The history holds references only: the whole status with 27 files stays small.
  expect(Buffer.byteLength(JSON.stringify(s.evidence))).toBeLessThan(20_000);

  await settled(t, req.reviewId);
  const closed = await act(h, closeReviewUpdate, { by: 'Pat PM' });
  expect(closed.phase).toBe('disposal');
  expect(closed.evidenceRetention).toMatchObject({ days: DEFAULT_RETENTION_DAYS, deletedAt: null });
  expect(wall(closed.evidenceRetention?.deleteAt as string, req.timeZone)).toBe(plusDays(closed.closedAt as string, DEFAULT_RETENTION_DAYS, req.timeZone));

  // The disposal requests list what each party holds: the lab its own document and the report meant for it; the
  // reviewer the model access, the lab's document and its own files (not the report for the lab).
  const settledClose = await settled(t, req.reviewId);
  const mailText = async (audience: string): Promise<string> => {
    const n = noticesOf(settledClose, 'disposal-request').find((x) => x.audience === audience);
    await t.sink.waitFor((ms) => ms.some((m) => m.messageId === n?.messageId));
    return (await simpleParser(t.sink.messages.find((m) => m.messageId === n?.messageId)?.raw ?? '')).text ?? '';
  };
  const toLab = await mailText('lab');
  expect(toLab).toContain(`evidence model-card.pdf (${labDoc.digest.slice(0, 19)}…`);
  expect(toLab).toContain(`evidence findings-for-lab.pdf (${pmReport.digest.slice(0, 19)}…`);
  expect(toLab).not.toContain('inspect-log.json');
  const toR1 = await mailText('reviewer:r1');
  expect(toR1).toContain('access to Atlas-7 rc1 and the credentials that came with it');
  expect(toR1).toContain('evidence model-card.pdf');
  expect(toR1).toContain('evidence inspect-log.json');
  expect(toR1).not.toContain('findings-for-lab.pdf');

  // Attesting destruction: only digests the party holds.
  await refused(h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team', destroyed: [r1Log.digest] }] }), /destroyed\[0\]: sha256:.{12}… is not a file "lab" holds/);
  await refused(h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team', destroyed: ['md5:abc'] }] }), /destroyed\[0\]: must be sha256/);
  s = await act(h, confirmDisposalUpdate, { party: 'lab', by: 'Sec Team', destroyed: [pmReport.digest, labDoc.digest] });
  expect(s.disposal.find((d) => d.party === 'lab')?.destroyed).toEqual([pmReport.digest, labDoc.digest]);
  expect(s.events.at(-1)?.detail).toBe(`lab; destroyed 2 of 2 evidence file(s): ${pmReport.digest}, ${labDoc.digest}`);
  s = await act(h, confirmDisposalUpdate, { party: 'r1', by: 'Riley', destroyed: [r1Log.digest] });
  expect(s.phase).toBe('closed');

  // Closed, but the review waits (queryable) for the retention to end: the files are still in the store.
  expect((await h.describe()).status.name).toBe('RUNNING');
  await expect(store.get(labDoc)).resolves.toBeDefined();

  // Awaiting the result lets the time-skipping server jump to the end of the retention period.
  const result = await h.result();
  expect(result).toMatchObject({ phase: 'closed', outcome: 'expired' });
  const end = await h.query(statusQuery);
  const deleted = end.events.filter((e) => e.type === 'evidence-deleted');
  expect(deleted).toHaveLength(1);
  expect(deleted[0].detail).toBe(`the lab's retention period (${DEFAULT_RETENTION_DAYS} days after close) ended: 3 evidence file(s) deleted from the store, 24 already gone; their digests stay in this record`);
  expect(wall(deleted[0].at, req.timeZone)).toBe(plusDays(closed.closedAt as string, DEFAULT_RETENTION_DAYS, req.timeZone));
  expect(end.evidence?.every((e) => e.deletedAt === deleted[0].at)).toBe(true);
  expect(end.evidence?.map((e) => e.digest).slice(0, 3)).toEqual([labDoc.digest, r1Log.digest, pmReport.digest]);
  expect(end.evidenceRetention?.deletedAt).toBe(deleted[0].at);
  for (const ref of [labDoc, r1Log, pmReport]) await expect(store.get(ref)).rejects.toThrow(EvidenceNotFoundError);

  await recordHistory(h, 'evidence-retention');
});

test('a review without evidence completes at disposal as before (no retention wait)', async () => {
  const req = request();
  const h = await t.start(req);
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  await settled(t, req.reviewId);
  await act(h, closeReviewUpdate, { by: 'Pat PM' });
  await settled(t, req.reviewId);
  await h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] });
  const s = await act(h, confirmDisposalUpdate, { party: 'r1', by: 'Riley' });
  expect(s.evidenceRetention).toBeNull();
  await h.result();
  expect((await h.describe()).status.name).toBe('COMPLETED');
  expect((await h.query(statusQuery)).events.map((e) => e.type)).not.toContain('evidence-deleted');
});
