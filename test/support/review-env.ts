/**
 * A review test environment: a real Temporal server (Java time-skipping test server, or the CLI dev
 * server), a real worker with the project's activities, and a real SMTP sink on loopback.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import type { ActivitiesOptions } from '../../activities';
import { SmtpSink } from '../../shared/smtp-sink';
import { serverPaths } from '../../shared/temporal-servers';
import { startTimeSkippingServer } from '../../shared/time-skipping-server';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { statusQuery, workflowIdFor } from '../../workflows/messages';
import type { ReviewRequest, ReviewStatus } from '../../workflows/types';
import { startingSearchAttributes } from '../../workflows/search-attributes';
import { reviewWorkflowBundle } from '../../shared/workflow-bundle';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

export interface ReviewEnv {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  worker: Worker;
  taskQueue: string;
  /** The delivery ledger of this environment's worker (a fresh file per environment). */
  ledgerPath: string;
  /** The data converter of worker and client (the encryption codec), if any. */
  dataConverter?: DataConverter;
  start(request: ReviewRequest): Promise<WorkflowHandle>;
  status(reviewId: string): Promise<ReviewStatus>;
  teardown(): Promise<void>;
}


export interface ReviewEnvOptions {
  smtpTimeoutSeconds?: number;
  /** Used by both the worker and the client (e.g. the encryption codec). */
  dataConverter?: DataConverter;
  /** Extra createActivities options (webhooks, ledger, outage threshold). */
  activities?: ActivitiesOptions;
  /** Workflow code other than the project's bundle (e.g. an earlier code generation, test/support/before-*). */
  workflowCode?: string;
}

/** The SDK gives the dev server 5 s to come up; the Go binary needs well under one, but a loaded machine can stall it: try again. */
async function withStartRetry(start: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (e) {
      if (attempt >= 3 || !/did not start within/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

export async function createReviewEnv(kind: 'time-skipping' | 'local' = 'time-skipping', opts: ReviewEnvOptions = {}): Promise<ReviewEnv> {
  quietRuntime();
  const paths = serverPaths();
  const timeSkipping = kind === 'time-skipping' ? await startTimeSkippingServer(paths.testServer, { client: { dataConverter: opts.dataConverter } }) : undefined;
  const env = timeSkipping?.env ?? await withStartRetry(() => TestWorkflowEnvironment.createLocal({
    client: { dataConverter: opts.dataConverter }, server: { executable: { type: 'existing-path', path: paths.cli }, searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS },
  }));
  const sink = new SmtpSink();
  await sink.listen();
  const ledgerPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'frontier-review-ledger-')), 'ledger.sqlite');
  const taskQueue = `test-${Math.random().toString(36).slice(2)}`;
  const bundle = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    dataConverter: opts.dataConverter,
    ...(await reviewWorkflowBundle(opts.workflowCode !== undefined ? { code: opts.workflowCode } : bundle ? { codePath: bundle } : undefined)),
    activities: createActivities({
      smtpUrl: sink.url, mailFrom: 'frontier-review <noreply@clearinghouse.example>', smtpTimeoutSeconds: opts.smtpTimeoutSeconds ?? 5, ledgerPath,
      ...opts.activities,
    }),
  });
  const running = worker.run();
  return {
    env,
    sink,
    worker,
    taskQueue,
    ledgerPath,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    start: (request) =>
      env.client.workflow.start('reviewWorkflow', { taskQueue, workflowId: workflowIdFor(request.reviewId), args: [request], typedSearchAttributes: startingSearchAttributes(request) }),
    status: (reviewId) => env.client.workflow.getHandle(workflowIdFor(reviewId)).query(statusQuery),
    async teardown() {
      worker.shutdown();
      await running;
      await sink.close();
      await (timeSkipping ? timeSkipping.stop() : env.teardown());
    },
  };
}
