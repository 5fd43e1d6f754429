/**
 * `npm run worker`: a standalone worker for a running Temporal server or cluster (configured through the
 * TEMPORAL_* variables). Ctrl-C / SIGTERM drain it (the Worker listens for them) and close the connection.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../shared/config';
import { dataConverterFromEnv } from '../shared/encryption';
import { holdShutdownSignals, shortConnectError, stopWhenOrphaned } from './signals';
import { startReviewPhaseGauge } from './review-phase-gauge';
import { installWorkerRuntime } from './telemetry';
import { createReviewWorker } from './worker';

async function main(): Promise<number> {
  // First: the runtime (and its Prometheus exporter, WORKER_METRICS_ADDRESS) must exist before any connection.
  const metricsAddress = installWorkerRuntime();
  holdShutdownSignals('worker');
  stopWhenOrphaned('worker');
  const config = loadConfig();
  const dataConverter = dataConverterFromEnv(); // encryption when FRONTIER_REVIEW_KEYS / _KEY_FILE is set
  const bundle = process.env.FRONTIER_REVIEW_WORKFLOW_BUNDLE?.trim();
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(config.connectionOptions);
  } catch (e) {
    console.error(`worker: cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${shortConnectError(e)}`);
    console.error('worker: start a local server with `npm start`, or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE.');
    return 1;
  }
  try {
    const worker = await createReviewWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      activitiesOptions: { smtpUrl: config.smtpUrl, mailFrom: config.mailFrom },
      dataConverter,
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      maxCachedWorkflows: config.maxCachedWorkflows,
      // A prebuilt bundle (bundleWorkflowCode output) makes a restart take a second instead of bundling anew.
      ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    });
    const stopGauge = metricsAddress
      ? startReviewPhaseGauge(new Client({ connection, namespace: config.namespace }), gaugeIntervalMs(process.env.REVIEW_PHASE_METRICS_SECONDS))
      : undefined;
    console.log(`worker: polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace})${dataConverter ? ', payloads encrypted' : ''}`
      + `${metricsAddress ? `; metrics at http://${metricsAddress}/metrics` : ''}; Ctrl-C stops it`);
    await worker.run();
    stopGauge?.();
    console.log('worker: stopped');
    return 0;
  } finally {
    await connection.close();
  }
}

/** REVIEW_PHASE_METRICS_SECONDS: how often the reviews-by-phase gauge is counted (default 60 s). */
function gaugeIntervalMs(v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '') return 60_000;
  if (!Number.isFinite(n) || n < 1) throw new ConfigError(`REVIEW_PHASE_METRICS_SECONDS must be at least 1, got "${v}"`);
  return n * 1000;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`worker: ${e instanceof ConfigError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
