/**
 * `npm start`: the whole local stack in one process — the Temporal dev server (SQLite under .data/, so
 * reviews survive restarts; web UI), an SMTP sink that keeps every notice as an .eml file, and the review
 * worker. Ctrl-C / SIGTERM stop all three (the Worker listens for those signals; we clean up after it).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../worker/config';
import { dataConverterFromEnv } from '../worker/encryption';
import { holdShutdownSignals, stopWhenOrphaned } from '../worker/signals';
import { createReviewWorker } from '../worker/worker';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { serverPaths } from './servers';
import { SmtpSink } from './smtp-sink';

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data');
const DB_FILE = path.join(DATA_DIR, 'temporal.db');
const MAIL_DIR = path.join(DATA_DIR, 'mail');
const HOST = '127.0.0.1';
const LOG_LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

class StartError extends Error {}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`${name}=${raw} is not a port number (1-65535)`);
  return port;
}

/** Fails early with a clear message instead of a dev server that cannot bind. */
async function ensureFree(port: number, what: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new StartError(e.code === 'EADDRINUSE'
        ? `${what} port ${port} is already in use (another \`npm start\` or Temporal server?). Stop it, or set ${envVar} to a free port.`
        : `cannot use ${what} port ${port}: ${e.message}`));
    });
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve()));
  });
}

async function main(): Promise<number> {
  const level = (process.env.LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  // Installed first: from here on the SDK's runtime owns SIGINT/SIGTERM and turns them into a worker shutdown.
  Runtime.install({ logger: new DefaultLogger(LOG_LEVELS.includes(level) ? level : 'WARN') });
  holdShutdownSignals('npm start');
  stopWhenOrphaned('npm start');

  const config = loadConfig();
  const dataConverter = dataConverterFromEnv(); // encryption when FRONTIER_REVIEW_KEYS / _KEY_FILE is set
  const port = portFromEnv('TEMPORAL_PORT', 7233);
  const uiPort = portFromEnv('TEMPORAL_UI_PORT', 8233);
  const smtpPort = portFromEnv('SMTP_PORT', 2525);
  await ensureFree(port, 'Temporal gRPC', 'TEMPORAL_PORT');
  await ensureFree(uiPort, 'Temporal web UI', 'TEMPORAL_UI_PORT');
  await ensureFree(smtpPort, 'SMTP sink', 'SMTP_PORT');

  const { cli } = serverPaths();
  mkdirSync(DATA_DIR, { recursive: true });
  console.log(`Starting the Temporal dev server (${cli}) ...`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: HOST,
      port,
      ui: true,
      uiPort,
      dbFilename: DB_FILE,
      // Registered on every start; the dev server accepts attributes that already exist in the database.
      searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS,
    },
  });
  const sink = new SmtpSink({ mailDir: MAIL_DIR });
  try {
    await sink.listen(smtpPort, HOST);
    const namespace = env.namespace ?? 'default';
    const worker = await createReviewWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue: config.taskQueue,
      activitiesOptions: { smtpUrl: sink.url, mailFrom: config.mailFrom },
      dataConverter,
    });
    banner({ address: env.address, namespace, uiPort, smtpUrl: sink.url, taskQueue: config.taskQueue, encrypted: dataConverter !== undefined });
    await worker.run(); // returns after Ctrl-C / SIGTERM, once in-flight tasks are done
    console.log('\nStopping ...');
    return 0;
  } finally {
    await sink.close().catch(() => undefined);
    // On Ctrl-C the terminal signals the dev server too; it may already be gone.
    await env.teardown().catch(() => undefined);
  }
}

function banner(o: { address: string; namespace: string; uiPort: number; smtpUrl: string; taskQueue: string; encrypted: boolean }): void {
  const rel = (p: string): string => path.relative(process.cwd(), p) || '.';
  const address = o.address.replace(/^localhost:/, `${HOST}:`);
  const cliEnv = [
    ...(address !== '127.0.0.1:7233' ? [`TEMPORAL_ADDRESS=${address}`] : []),
    ...(o.taskQueue !== 'frontier-review' ? [`TASK_QUEUE=${o.taskQueue}`] : []),
  ].join(' ');
  const review = `${cliEnv ? `${cliEnv} ` : ''}npx review`;
  const lines = [
    '',
    'frontier-review is running:',
    `  Temporal gRPC   ${address}  (namespace ${o.namespace}; data in ${rel(DB_FILE)})`,
    `  Temporal web UI http://${HOST}:${o.uiPort}/namespaces/${o.namespace}/workflows`,
    `  SMTP sink       ${o.smtpUrl}  (every notice is saved under ${rel(MAIL_DIR)}/ as .eml)`,
    `  Worker          task queue "${o.taskQueue}"${o.encrypted ? ' (payloads encrypted: the CLI needs the same FRONTIER_REVIEW_KEYS)' : ''}`,
    '',
    'In another terminal:',
    `  ${review} start examples/review.json`,
    `  ${review} grant-access acme-atlas7-2026-12 --by "Acme Security Team"`,
    `  ${review} status acme-atlas7-2026-12`,
    `  ${review} --help`,
    '',
    'Ctrl-C stops everything; reviews are kept and continue on the next `npm start`.',
  ];
  if (process.env.TEMPORAL_ADDRESS && process.env.TEMPORAL_ADDRESS !== address) {
    lines.push(`Note: TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} is set in this shell; the CLI will use it, not this server.`);
  }
  console.log(lines.join('\n'));
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`npm start: ${e instanceof StartError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
