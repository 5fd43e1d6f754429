/**
 * The shipped worker's encryption wiring: `worker/main.ts` as a child process (as `npm run worker` runs it) reads
 * the keys from its environment — FRONTIER_REVIEW_KEYS, then FRONTIER_REVIEW_KEY_FILE with a rotated key — and
 * encrypts what it writes to the history. Other tests wire the codec into an in-process worker themselves, so a
 * main.ts that dropped the data converter would pass them all.
 */
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReviewClient } from '../../client/review-client';
import { SmtpSink } from '../../shared/smtp-sink';
import { serverPaths } from '../../shared/temporal-servers';
import { EncryptionCodec, KEY_ID_METADATA, loadKeyRing } from '../../shared/encryption';
import type { KeyRing } from '../../shared/encryption';
import { workflowIdFor } from '../../workflows/messages';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { WorkerProcess, workerEnv } from '../faults/worker-process';
import { ROOT } from '../support/cli';
import { request } from '../support/fixtures';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const TASK_QUEUE = 'worker-encryption';
const SECRETS = ['Acme AI', 'security@acme.example', 'riley@clearinghouse.example', 'Sec Team'];

let dir: string;
let env: TestWorkflowEnvironment;
let sink: SmtpSink;
const workers: WorkerProcess[] = [];

async function stopWorkers(): Promise<void> {
  for (const w of workers.splice(0)) await w.stop();
}

/** The worker as shipped, with only the settings given (nothing inherited may point it elsewhere). */
async function startWorker(name: string, settings: Record<string, string>): Promise<WorkerProcess> {
  const w = new WorkerProcess({
    cwd: ROOT, logFile: path.join(dir, `${name}.log`), maxStarts: 3, restartDelayMs: 500,
    env: workerEnv({
      TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', TASK_QUEUE, SMTP_URL: sink.url, NOTICE_LEDGER_PATH: path.join(dir, 'ledger.sqlite'),
      FRONTIER_REVIEW_WORKFLOW_BUNDLE: process.env.FRONTIER_REVIEW_TEST_BUNDLE ?? '', ...settings,
    }),
  });
  workers.push(w);
  w.start();
  if (!(await w.waitReady(Date.now() + 60_000))) throw new Error(`the worker did not start; see ${dir}/${name}.log`);
  return w;
}

/** A client with the key ring `ring`, as `review` builds it from the same settings: the codec and the lab pseudonym. */
function clientWith(ring: KeyRing): ReviewClient {
  const client = new Client({ connection: env.connection, namespace: 'default', dataConverter: { payloadCodecs: [new EncryptionCodec(ring)] } });
  return new ReviewClient(client, { taskQueue: TASK_QUEUE, keyRing: ring });
}

/** The history as the server stores it, and the key id of every activity input the worker scheduled, in order. */
async function stored(reviewId: string): Promise<{ bytes: Buffer; activityKeys: string[] }> {
  const raw = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: workflowIdFor(reviewId) } });
  const history = raw.history as temporal.api.history.v1.IHistory;
  // What the worker wrote: activity inputs, and the results of local activities (a notice batch since local-notices).
  const activityKeys = (history.events ?? []).flatMap((e) => {
    const local = e.markerRecordedEventAttributes?.markerName === 'core_local_activity' ? e.markerRecordedEventAttributes.details?.result : undefined;
    const p = (e.activityTaskScheduledEventAttributes?.input ?? local)?.payloads?.[0];
    return p ? [Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString() || 'none'] : [];
  });
  return { bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()), activityKeys };
}

/** The stored history once it shows what is awaited (polled for up to 10 s; then as it is). */
async function storedOnce(reviewId: string, shows: (h: Awaited<ReturnType<typeof stored>>) => boolean): Promise<Awaited<ReturnType<typeof stored>>> {
  for (let i = 0; ; i++) {
    const h = await stored(reviewId);
    if (shows(h) || i === 100) return h;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Mails of one notice kind of one review, by Message-ID (derived from the notice id, activities/message-id.ts). */
const noticeMails = (reviewId: string, kind: string) => sink.messages.filter((m) => m.messageId.startsWith(`<${reviewId}/${kind}/`));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'worker-encryption-'));
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: serverPaths().cli }, searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS },
  });
  sink = new SmtpSink();
  await sink.listen();
});

afterAll(async () => {
  await stopWorkers();
  await sink?.close();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('keys from FRONTIER_REVIEW_KEYS, then a rotated FRONTIER_REVIEW_KEY_FILE: the review goes on, nothing readable is stored', async () => {
  const req = request();
  await startWorker('worker-keys', { FRONTIER_REVIEW_KEYS: `k1:${K1}` });
  expect(readFileSync(path.join(dir, 'worker-keys.log'), 'utf8')).toContain('payloads encrypted');

  // The worker decrypts the request (it could not address the notices otherwise) and encrypts what it schedules.
  const v1 = clientWith(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${K1}` }) as KeyRing);
  await v1.start(req);
  await sink.waitFor(() => noticeMails(req.reviewId, 'intake-ack').length === 2, 60_000);
  // The mails leave within the workflow task (a local activity); its marker is stored when the task completes.
  const before = await storedOnce(req.reviewId, (h) => h.activityKeys.length > 0);
  expect(before.activityKeys).toEqual(['k1']); // the two intake notices, one batch (a local sendNotices)
  for (const secret of SECRETS) expect([secret, before.bytes.includes(Buffer.from(secret))]).toEqual([secret, false]);

  // Key rotation through the key file: a new active key; the old one still reads what is stored.
  await stopWorkers();
  const keyFile = path.join(dir, 'keys.json');
  writeFileSync(keyFile, JSON.stringify({ active: 'k2', keys: { k2: K2, k1: K1 } }), { mode: 0o600 });
  await startWorker('worker-key-file', { FRONTIER_REVIEW_KEY_FILE: keyFile });
  const v2 = clientWith(loadKeyRing({ FRONTIER_REVIEW_KEY_FILE: keyFile }) as KeyRing);
  await v2.grantAccess(req.reviewId, { by: 'Sec Team' });
  await sink.waitFor(() => noticeMails(req.reviewId, 'clock-started').length >= 2 && noticeMails(req.reviewId, 'reviewer-assigned').length === 1, 60_000);
  const status = await v2.status(req.reviewId);
  expect(status.phase).toBe('in-review');
  expect(status.lab.name).toBe('Acme AI');

  const after = await stored(req.reviewId);
  expect(after.activityKeys.slice(0, 1)).toEqual(['k1']);
  expect(after.activityKeys.length).toBeGreaterThan(1);
  expect(after.activityKeys.slice(1).filter((k) => k !== 'k2')).toEqual([]); // everything the rotated worker scheduled
  for (const secret of SECRETS) expect([secret, after.bytes.includes(Buffer.from(secret))]).toEqual([secret, false]);
});

test('a worker without the keys cannot read the review: it refuses the task instead of writing plaintext', async () => {
  await stopWorkers();
  const req = request();
  const v1 = clientWith(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${K1}` }) as KeyRing);
  await v1.start(req);
  await startWorker('worker-no-keys', {});
  expect(readFileSync(path.join(dir, 'worker-no-keys.log'), 'utf8')).not.toContain('payloads encrypted');
  // The workflow task fails on the encrypted input; wait for that failure in the history itself.
  const failed = async (): Promise<boolean> => {
    const h = await v1.client.workflow.getHandle(workflowIdFor(req.reviewId)).fetchHistory();
    return (h.events ?? []).some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  };
  const deadline = Date.now() + 60_000;
  while (!(await failed())) {
    if (Date.now() > deadline) throw new Error('no failed workflow task within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(noticeMails(req.reviewId, 'intake-ack')).toEqual([]);
  for (const secret of SECRETS) expect([secret, (await stored(req.reviewId)).bytes.includes(Buffer.from(secret))]).toEqual([secret, false]);
});
