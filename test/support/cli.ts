/** Runs the real `review` CLI (bin/review.js) as a child process against a test environment. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { ReviewEnv } from './review-env';

export const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'review.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export type Cli = (args: string[], extraEnv?: Record<string, string>, timeoutMs?: number) => Promise<CliResult>;

/**
 * A CLI bound to the environment's server, namespace and task queue, with no TEMPORAL_* variable or
 * config file of the developer's leaking in. `cwd` is elsewhere on purpose: the bin must work from anywhere.
 */
export function cliFor(t: ReviewEnv, cwd: string, env: Record<string, string> = {}): Cli {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('TEMPORAL_') && !k.startsWith('FRONTIER_REVIEW_KEY'))) as Record<string, string>;
  const base = {
    ...inherited,
    TEMPORAL_ADDRESS: t.env.address,
    TEMPORAL_NAMESPACE: t.env.namespace ?? 'default',
    TASK_QUEUE: t.taskQueue,
    TEMPORAL_CONFIG_FILE: path.join(cwd, 'no-such-temporal.toml'),
    ...env,
  };
  return (args, extraEnv = {}, timeoutMs = 60_000) => {
    const started = Date.now();
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...extraEnv }, timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
    });
  };
}

/** Runs a command with --json and parses stdout; throws with stderr when it fails. */
export async function cliJson<T>(cli: Cli, args: string[]): Promise<T> {
  const r = await cli(['--json', ...args]);
  if (r.code !== 0) throw new Error(`review ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Polls until `ok` holds (visibility and notice delivery are asynchronous) and returns that value. Throws at the
 * deadline, with the last value: a condition that never held must fail here, not pass on to assertions that might
 * hold for the stale value.
 */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
