/**
 * `npm run cluster`: a production-shaped Temporal cluster on this machine (cluster.ts): PostgreSQL, two Temporal
 * server processes sharing it, one client address. Ctrl-C / SIGTERM stop it; the data stays under .data/cluster/
 * (FRONTIER_REVIEW_CLUSTER_DIR), and the next start carries on from it. The worker, the API and the CLI reach it
 * with the usual TEMPORAL_* settings, printed at the end of the start.
 */
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { withDatabase } from '../../shared/postgres';
import { ClusterError, TemporalCluster } from './cluster';

const ROOT = path.resolve(__dirname, '../..');
const LEDGER_DB = 'notice_ledger';

class UsageError extends Error {}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}=${raw} must be a whole number from ${min} to ${max}`);
  return n;
}

const say = (line: string): void => console.log(`[cluster] ${line}`);

/** A database for the workers' shared notice ledger (NOTICE_LEDGER_URL), on the cluster's PostgreSQL. */
async function ledgerDatabase(url: string): Promise<string> {
  const c = new PgClient({ connectionString: url });
  await c.connect();
  try {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [LEDGER_DB]);
    if (found.rowCount === 0) await c.query(`CREATE DATABASE ${LEDGER_DB}`);
  } finally {
    await c.end();
  }
  return withDatabase(url, LEDGER_DB);
}

async function main(): Promise<number> {
  const port = intFromEnv('TEMPORAL_PORT', 7233, 1, 65535);
  const shards = intFromEnv('CLUSTER_HISTORY_SHARDS', 16, 1, 16384);
  const dataDir = path.resolve(process.env.FRONTIER_REVIEW_CLUSTER_DIR?.trim() || path.join(ROOT, '.data', 'cluster'));
  const t0 = Date.now();
  let cluster: TemporalCluster | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      say(`${why}: stopping the servers and PostgreSQL (data kept in ${dataDir})...`);
      await cluster?.stop();
      say('stopped');
    })();
    return stopping;
  };
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      interrupted = true;
      // Before the start finished: stopped once it has (or failed); the start's own cleanup covers a failure.
      if (cluster) void stop(sig).then(() => process.exit(0));
    });
  }

  say(`data in ${dataDir}; ${shards} history shards; client address 127.0.0.1:${port}`);
  try {
    cluster = await TemporalCluster.start({ dataDir, port, shards, log: say });
  } catch (e) {
    if (/EADDRINUSE/.test((e as Error).message)) throw new UsageError(`port ${port} is in use (\`npm start\`, another cluster?): stop it or set TEMPORAL_PORT`);
    throw e;
  }
  if (interrupted) {
    await stop('interrupted during the start');
    return 0;
  }
  const ledgerUrl = await ledgerDatabase(cluster.postgresUrl);
  for (const n of cluster.nodes) {
    const node = n;
    const check = setInterval(() => {
      if (!node.running && !stopping) {
        say(`server ${node.name} exited (see ${node.logFile}); the other carries on. Restart \`npm run cluster\` to bring it back.`);
        clearInterval(check);
      }
    }, 1000);
    check.unref();
  }
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cluster.nodes.map((n) => `${n.name} (pid ${n.pid}, frontend 127.0.0.1:${n.frontendPort})`).join(', ')}`);
  say('connect the worker, the API and the CLI with:');
  console.log(`  export TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=default`);
  console.log(`  export NOTICE_LEDGER_URL=${ledgerUrl}   # the notice ledger every worker shares`);
  say('Ctrl-C stops the cluster');
  await new Promise<never>(() => undefined);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[cluster] ERROR: ${e instanceof UsageError || e instanceof ClusterError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
