/**
 * The worker's Prometheus endpoint: the SDK's runtime telemetry (task slots, poll and schedule-to-start latency,
 * workflow cache, sticky queue …) plus the project's own metrics that activities record through the same meter
 * (activities/notice-metrics.ts) and the reviews-by-phase gauge (review-phase-gauge.ts). Off unless
 * WORKER_METRICS_ADDRESS names a bind address (host:port, e.g. 0.0.0.0:9464); served at /metrics by the SDK's core.
 * The runtime can be installed once per process, before the first connection.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** host:port, or an error naming the variable; undefined when unset. */
export function metricsAddressOf(env: Record<string, string | undefined>): string | undefined {
  const v = env.WORKER_METRICS_ADDRESS?.trim();
  if (!v) return undefined;
  if (!/^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/i.test(v)) throw new Error(`WORKER_METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9464), got "${v}"`);
  return v;
}

/**
 * Installs the SDK runtime with the log level (LOG_LEVEL, default INFO as the SDK's own default) and, when
 * configured, the Prometheus exporter. Returns the metrics address.
 */
export function installWorkerRuntime(env: Record<string, string | undefined> = process.env): string | undefined {
  const level = (env.LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel;
  const bindAddress = metricsAddressOf(env);
  Runtime.install({
    logger: new DefaultLogger(LEVELS.includes(level) ? level : 'INFO'),
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
  return bindAddress;
}
