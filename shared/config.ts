/**
 * Runtime configuration from the environment. The Temporal connection comes from @temporalio/envconfig, so
 * the same TEMPORAL_* variables and TOML profiles work for the worker, the CLI and the `temporal` CLI.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import { TASK_QUEUE_DEFAULT } from '../workflows/messages';

/** What the connection options leave unset means the SDK default: a local server. */
export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface AppConfig {
  connectionOptions: ClientConnectConfig['connectionOptions'];
  namespace: string;
  /** host:port actually used, for messages. */
  address: string;
  taskQueue: string;
  smtpUrl?: string;
  mailFrom?: string;
  /**
   * WORKER_MAX_ACTIVITIES: activities one worker runs at once (maxConcurrentActivityTaskExecutions); unset, the
   * SDK's 100. Mail activities share the SMTP pool (SMTP_MAX_CONNECTIONS), so more slots than a few times the
   * pool only lengthen the queue in front of it (BENCHMARKS.md, "Notice storm").
   */
  maxConcurrentActivities?: number;
  /** WORKER_MAX_CACHED_WORKFLOWS: reviews kept in the worker's cache (~0.7 MB each, BENCHMARKS.md); unset, the SDK's default. */
  maxCachedWorkflows?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function definedOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function loadConfig(env: Env = process.env): AppConfig {
  let connect: ClientConnectConfig;
  try {
    connect = loadClientConnectConfig(env === process.env ? {} : { overrideEnvVars: definedOnly(env) });
  } catch (e) {
    // Bad TOML, a missing profile or an unreadable certificate: say which setting is at fault.
    const where = env.TEMPORAL_CONFIG_FILE ? ` (TEMPORAL_CONFIG_FILE=${env.TEMPORAL_CONFIG_FILE})` : '';
    throw new ConfigError(`invalid Temporal connection configuration${where}: ${(e as Error).message}`);
  }
  const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const slots = blank(env.WORKER_MAX_ACTIVITIES);
  if (slots !== undefined && !/^[1-9][0-9]*$/.test(slots)) throw new ConfigError(`WORKER_MAX_ACTIVITIES must be a whole number of at least 1, got "${slots}"`);
  const cached = blank(env.WORKER_MAX_CACHED_WORKFLOWS);
  if (cached !== undefined && !/^[0-9]+$/.test(cached)) throw new ConfigError(`WORKER_MAX_CACHED_WORKFLOWS must be a whole number, got "${cached}"`);
  return {
    connectionOptions: connect.connectionOptions,
    namespace: connect.namespace ?? DEFAULT_NAMESPACE,
    address: connect.connectionOptions.address ?? DEFAULT_ADDRESS,
    taskQueue: blank(env.TASK_QUEUE) ?? TASK_QUEUE_DEFAULT,
    smtpUrl: blank(env.SMTP_URL),
    mailFrom: blank(env.MAIL_FROM),
    ...(slots !== undefined ? { maxConcurrentActivities: Number(slots) } : {}),
    ...(cached !== undefined ? { maxCachedWorkflows: Number(cached) } : {}),
  };
}
