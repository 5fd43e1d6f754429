/**
 * Regression: a worker killed (kill -9) right after a review's first notices went out, restarted, and handed
 * an update at once. The fresh worker rebuilds the review from its history and then handles the update; the
 * commands it issues must be exactly what a later replay of that history expects.
 *
 * Before patch `delivery-in-activity` the workflow chose whether to schedule a webhook activity from a count
 * that earlier notice results reported, and a cold worker could handle the update before those results:
 * the replay then failed with TMPRL1100 and the review was stuck (2 runs out of 2). With a refused lab
 * address the same held for the alert to the program manager.
 */
import { Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpSink } from '../../shared/smtp-sink';
import { grantAccessUpdate, statusQuery, workflowIdFor } from '../../workflows/messages';
import { freePort, RestartableDevServer } from './dev-server';
import { RetryingClient, sleep } from './retrying-client';
import { reviewRequest } from './scenarios';
import { WorkerProcess, workerEnv } from './worker-process';
import { serverPaths } from '../../shared/temporal-servers';

const ROOT = path.resolve(__dirname, '../..');
const REFUSED = 'security@acme.example';
const TASK_QUEUE = 'cold-worker';

let dir: string;
let server: RestartableDevServer;
let sink: SmtpSink;
let rc: RetryingClient;
let worker: WorkerProcess;
const bundle = (): string => {
  const b = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  if (!b) throw new Error('FRONTIER_REVIEW_TEST_BUNDLE is not set (test/support/global-setup.ts sets it)');
  return b;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cold-worker-'));
  server = new RestartableDevServer({ cli: serverPaths().cli, port: await freePort(), dbFilename: path.join(dir, 'temporal.sqlite') });
  await server.start();
  sink = new SmtpSink();
  await sink.listen(0, '127.0.0.1');
  rc = await RetryingClient.connect(server.address, () => undefined);
  const env = workerEnv({
    TEMPORAL_ADDRESS: server.address, TASK_QUEUE, SMTP_URL: sink.url, FRONTIER_REVIEW_WORKFLOW_BUNDLE: bundle(),
    NOTICE_LEDGER_PATH: path.join(dir, 'ledger.sqlite'),
  });
  worker = new WorkerProcess({ cwd: ROOT, env, logFile: path.join(dir, 'worker.log'), maxStarts: 20, restartDelayMs: 500 });
  worker.start();
  if (!(await worker.waitReady(Date.now() + 60_000))) throw new Error(`worker did not start; see ${dir}/worker.log`);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await rc?.close();
  await server?.stop();
  await sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const mailFor = (reviewId: string): number => sink.messages.filter((m) => m.messageId.startsWith(`<${reviewId}/`)).length;

async function coldUpdate(reviewId: string, refusedLabAddress: boolean): Promise<{ failedTasks: string[]; replay: string }> {
  const h = await rc.client.workflow.start('reviewWorkflow', {
    taskQueue: TASK_QUEUE, workflowId: workflowIdFor(reviewId),
    args: [reviewRequest({ reviewId, plannedReleaseAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), ...(refusedLabAddress ? { extraLabContact: 'desk@acme.example' } : {}) })],
  });
  // Both intake notices are settled (their results reach the workflow in a task of this worker)...
  await sink.waitFor(() => mailFor(reviewId) >= 2, 30_000);
  for (const deadline = Date.now() + 30_000; ;) {
    const s = await h.query(statusQuery);
    if (s.notices.every((n) => n.state !== 'sending')) break;
    if (Date.now() > deadline) throw new Error(`${reviewId}: intake notices still sending`);
    await sleep(100);
  }
  // ...then the worker dies, a new one starts cold, and the first thing it gets is an update.
  await worker.kill9();
  worker.start();
  if (!(await worker.waitReady(Date.now() + 60_000))) throw new Error(`worker did not restart; see ${dir}/worker.log`);
  await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  await sink.waitFor(() => mailFor(reviewId) >= 2 + 5, 60_000); // clock started ×4 (lab, pm, r1, r2) and the assignments
  const history = await h.fetchHistory();
  const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)
    .map((e) => `event ${String(e.eventId)}: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? ''}`);
  let replay = 'ok';
  try {
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundle() }, replayName: reviewId }, history, workflowIdFor(reviewId));
  } catch (e) {
    replay = e instanceof Error ? e.message.slice(0, 400) : String(e);
  }
  return { failedTasks, replay };
}

test('an update handled by a freshly restarted worker issues the commands a replay expects', async () => {
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await coldUpdate(`cold-${Date.now().toString(36)}-${i}`, false));
  expect(results).toEqual(results.map(() => ({ failedTasks: [], replay: 'ok' })));
}, 300_000);

test('the same with a lab address that the mail server refuses (the program manager is alerted)', async () => {
  sink.faults = { rejectRecipients: [REFUSED] };
  try {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await coldUpdate(`cold-550-${Date.now().toString(36)}-${i}`, true));
    expect(results).toEqual(results.map(() => ({ failedTasks: [], replay: 'ok' })));
    // The alert went to the program manager once per review, not once per notice to the lab.
    const alerts = sink.messages.filter((m) => m.raw.includes('X-Frontier-Review-Alert: address-rejected'));
    expect(alerts).toHaveLength(3);
  } finally {
    sink.faults = {};
  }
}, 300_000);
