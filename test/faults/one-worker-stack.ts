/**
 * A dev server, the SMTP sink and one worker in a child process that a test can kill -9 and restart: the stack of the
 * focused regression tests next to the fault run (cold-worker, query-during-outage). `replayError` replays a review's
 * history on the test bundle: 'ok', or the start of the error.
 */
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpSink } from '../../shared/smtp-sink';
import { serverPaths } from '../../shared/temporal-servers';
import { freePort, RestartableDevServer } from './dev-server';
import { RetryingClient } from './retrying-client';
import { WorkerProcess, workerEnv } from './worker-process';

const ROOT = path.resolve(__dirname, '../..');

export function testBundle(): string {
  const b = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  if (!b) throw new Error('FRONTIER_REVIEW_TEST_BUNDLE is not set (test/support/global-setup.ts sets it)');
  return b;
}

export class OneWorkerStack {
  private constructor(
    readonly dir: string, readonly server: RestartableDevServer, readonly sink: SmtpSink, readonly rc: RetryingClient,
    readonly worker: WorkerProcess, readonly taskQueue: string,
  ) {}

  static async start(taskQueue: string): Promise<OneWorkerStack> {
    const dir = mkdtempSync(path.join(os.tmpdir(), `${taskQueue}-`));
    const server = new RestartableDevServer({ cli: serverPaths().cli, port: await freePort(), dbFilename: path.join(dir, 'temporal.sqlite') });
    await server.start();
    const sink = new SmtpSink();
    await sink.listen(0, '127.0.0.1');
    const rc = await RetryingClient.connect(server.address, () => undefined);
    const env = workerEnv({
      TEMPORAL_ADDRESS: server.address, TASK_QUEUE: taskQueue, SMTP_URL: sink.url, FRONTIER_REVIEW_WORKFLOW_BUNDLE: testBundle(),
      NOTICE_LEDGER_PATH: path.join(dir, 'ledger.sqlite'), NOTICE_LEDGER_URL: '',
    });
    const worker = new WorkerProcess({ cwd: ROOT, env, logFile: path.join(dir, 'worker.log'), maxStarts: 20, restartDelayMs: 500 });
    const stack = new OneWorkerStack(dir, server, sink, rc, worker, taskQueue);
    worker.start();
    await stack.waitWorker('start');
    return stack;
  }

  async waitWorker(what: string): Promise<void> {
    if (!(await this.worker.waitReady(Date.now() + 60_000))) throw new Error(`worker did not ${what}; see ${this.dir}/worker.log`);
  }

  /** kill -9 the worker and start a new one (its sticky cache and anything it held are gone). */
  async killAndRestart(): Promise<void> {
    await this.worker.kill9();
    this.worker.start();
    await this.waitWorker('restart');
  }

  mailFor(reviewId: string): number {
    return this.sink.messages.filter((m) => m.messageId.startsWith(`<${reviewId}/`)).length;
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.rc.close();
    await this.server.stop();
    await this.sink.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Replays the review's history as it now stands: 'ok', or the first 400 characters of the error. */
export async function replayError(h: WorkflowHandle): Promise<string> {
  const history = await h.fetchHistory();
  try {
    await Worker.runReplayHistory({ workflowBundle: { codePath: testBundle() }, replayName: h.workflowId }, history, h.workflowId);
    return 'ok';
  } catch (e) {
    return e instanceof Error ? e.message.slice(0, 400) : String(e);
  }
}
