/**
 * The private PostgreSQL cluster of scripts/provision-postgres.sh (tests, local use of NOTICE_LEDGER_URL), and
 * fresh databases in it. The script does the work (initdb/pg_ctl as an unprivileged account, idempotent, locked);
 * this wraps it for TypeScript callers and turns its failure into one error that says what is missing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { provisionedVars } from './provision';

const SCRIPT = path.join(__dirname, '..', 'scripts', 'provision-postgres.sh');

export interface PostgresCluster {
  /** Connection URL of the `postgres` database (superuser, trust on loopback). */
  url: string;
  dataDir: string;
}

let cached: PostgresCluster | undefined;

/** Starts the private cluster unless it runs already; throws with the script's own explanation when it cannot. */
export function ensurePostgres(): PostgresCluster {
  cached ??= startPostgres();
  return cached;
}

/** Where a cluster of its own lives (the Temporal cluster's, scripts/cluster): unset, the shared test cluster. */
export interface PostgresPlace {
  dataDir: string;
  port: number;
}

/** Starts (or finds running) the cluster at `place`; throws with the script's own explanation when it cannot. */
export function startPostgres(place?: PostgresPlace): PostgresCluster {
  const { PG_URL: url, PG_DATA: dataDir } = postgresScript('start', place);
  if (!url || !dataDir) throw new Error(`${SCRIPT} printed no PG_URL`);
  return { url, dataDir };
}

/** Stops the cluster at `place` (fast shutdown; data kept). */
export function stopPostgres(place: PostgresPlace): void {
  postgresScript('stop', place);
}

function postgresScript(action: 'start' | 'stop', place?: PostgresPlace): Record<string, string> {
  const env = place ? { ...process.env, FRONTIER_REVIEW_PG_DIR: place.dataDir, FRONTIER_REVIEW_PG_PORT: String(place.port) } : process.env;
  try {
    return provisionedVars(execFileSync('bash', [SCRIPT, action], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env }));
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`PostgreSQL is needed here and could not be ${action === 'start' ? 'started' : 'stopped'} (${SCRIPT}):\n${stderr || (e as Error).message}`);
  }
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface FreshDatabase {
  url: string;
  name: string;
  /** Drops the database (its connections first). */
  drop(): Promise<void>;
}

/** A new, empty database in the private cluster: one per test suite, so suites never see each other's rows. */
export async function freshDatabase(prefix = 'test'): Promise<FreshDatabase> {
  const { url } = ensurePostgres();
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  await withAdmin(url, (c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(url, name),
    name,
    drop: () => withAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
