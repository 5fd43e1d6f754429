/**
 * `npm start`: the whole local stack in one process — the Temporal dev server (SQLite under .data/, so
 * reviews survive restarts; web UI), an SMTP sink that keeps every notice as an .eml file, the review
 * worker, and the HTTP API with the web dashboard (and the codec endpoint when payloads are encrypted).
 * Ctrl-C / SIGTERM stop everything (the Worker listens for those signals; we clean up after it).
 */
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadTokenStore, makeToken, TokenConfigError, TokenStore } from '../client/api/auth';
import type { TokenEntry } from '../client/api/auth';
import { createApiServer } from '../client/api/server';
import { FeedStore, feedsFileFromEnv, feedSsoDaysFromEnv } from '../client/api/calendar-feeds';
import { dashboardSignInFromEnv } from '../client/dashboard/oidc';
import { opaqueIdsFromEnv } from '../client/workflow-ids';
import { programOfficeZone } from '../client/digest-schedule';
import { ReviewClient } from '../client/review-client';
import { codecOptionsFromEnv } from '../shared/codec-server';
import { sessionLimitsFromEnv } from '../client/dashboard/sessions';
import { loadConfig } from '../shared/config';
import { encryptingDataConverter, EncryptionCodec, loadKeyRing } from '../shared/encryption';
import { SmtpSink } from '../shared/smtp-sink';
import { serverPaths } from '../shared/temporal-servers';
import { holdShutdownSignals, stopWhenOrphaned } from '../worker/signals';
import { createReviewWorker } from '../worker/worker';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data');
const DB_FILE = path.join(DATA_DIR, 'temporal.db');
const MAIL_DIR = path.join(DATA_DIR, 'mail');
const TOKENS_FILE = path.join(DATA_DIR, 'api-tokens.json');
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
  const keyRing = loadKeyRing(); // encryption when FRONTIER_REVIEW_KEYS / _KEY_FILE is set
  const opaqueWorkflowIds = opaqueIdsFromEnv(process.env, keyRing); // OPAQUE_WORKFLOW_IDS=1, with the keys
  const dataConverter = keyRing ? encryptingDataConverter(keyRing) : undefined;
  const port = portFromEnv('TEMPORAL_PORT', 7233);
  const uiPort = portFromEnv('TEMPORAL_UI_PORT', 8233);
  const smtpPort = portFromEnv('SMTP_PORT', 2525);
  const apiPort = portFromEnv('API_PORT', 8080);
  await ensureFree(port, 'Temporal gRPC', 'TEMPORAL_PORT');
  await ensureFree(uiPort, 'Temporal web UI', 'TEMPORAL_UI_PORT');
  await ensureFree(smtpPort, 'SMTP sink', 'SMTP_PORT');
  await ensureFree(apiPort, 'API and dashboard', 'API_PORT');
  mkdirSync(DATA_DIR, { recursive: true });
  const { tokens, demo } = apiTokens();

  const { cli } = serverPaths();
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
      // The web UI decodes encrypted payloads through the codec endpoint on the API server.
      ...(keyRing ? { extraArgs: ['--ui-codec-endpoint', `http://${HOST}:${apiPort}`] } : {}),
    },
  });
  const sink = new SmtpSink({ mailDir: MAIL_DIR });
  let api: Awaited<ReturnType<typeof createApiServer>> | undefined;
  try {
    await sink.listen(smtpPort, HOST);
    const namespace = env.namespace ?? 'default';
    const worker = await createReviewWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue: config.taskQueue,
      activitiesOptions: { smtpUrl: sink.url, mailFrom: config.mailFrom },
      dataConverter,
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    });
    const reviews = new ReviewClient(new Client({ connection: env.connection, namespace, dataConverter }), { taskQueue: config.taskQueue, address: env.address, keyRing, opaqueWorkflowIds });
    const codec = keyRing ? codecOptionsFromEnv(new EncryptionCodec(keyRing)) : undefined;
    api = await createApiServer({
      reviews, tokens, outboxDir: MAIL_DIR, logger: process.env.API_LOG === '1', sessions: sessionLimitsFromEnv(), ...dashboardSignInFromEnv(),
      // Calendar feeds outlive restarts (their owners, not the demo tokens, are kept).
      feeds: new FeedStore(feedsFileFromEnv() ?? path.join(DATA_DIR, 'calendar-feeds.json'), Date.now, 1000, feedSsoDaysFromEnv()),
      ...(codec ? { codec } : {}),
    });
    await api.listen({ port: apiPort, host: HOST });
    // The program managers' weekly digest (idempotent: brought up to date on every start).
    await reviews.ensureDigestSchedule();
    banner({ address: env.address, namespace, uiPort, apiPort, smtpUrl: sink.url, taskQueue: config.taskQueue, encrypted: dataConverter !== undefined, demo });
    await worker.run(); // returns after Ctrl-C / SIGTERM, once in-flight tasks are done
    console.log('\nStopping ...');
    return 0;
  } finally {
    await api?.close().catch(() => undefined);
    await sink.close().catch(() => undefined);
    // On Ctrl-C the terminal signals the dev server too; it may already be gone.
    await env.teardown().catch(() => undefined);
  }
}

/** Demo sign-ins for the local stack: one per role, fresh on every start; only their hashes are written. */
const DEMO_USERS: Omit<TokenEntry, 'sha256'>[] = [
  { name: 'Pat PM', role: 'pm', timeZone: 'America/New_York' },
  { name: 'Dana Director', role: 'director', timeZone: 'America/New_York' },
  // Bound as examples/review.json assigns them: reviewer r1 with its address, the lab by its id.
  { name: 'Riley Reviewer', role: 'reviewer', reviewerId: 'r1', email: 'riley@clearinghouse.example', timeZone: 'America/New_York' },
  { name: 'Acme Security Team', role: 'lab', labId: 'acme', timeZone: 'America/Los_Angeles' },
];

/** Configured tokens (FRONTIER_REVIEW_API_TOKENS_FILE / _TOKENS), or demo ones printed in the banner. */
function apiTokens(): { tokens: TokenStore; demo: { label: string; token: string }[] } {
  let configured: TokenStore | null;
  try {
    configured = loadTokenStore();
  } catch (e) {
    throw new StartError(e instanceof TokenConfigError ? e.message : String(e));
  }
  if (configured) return { tokens: configured, demo: [] };
  const made = DEMO_USERS.map((u) => ({ u, ...makeToken(u) }));
  writeFileSync(TOKENS_FILE, `${JSON.stringify({ tokens: made.map((m) => m.entry) }, null, 2)}\n`, { mode: 0o600 });
  const scope = (u: Omit<TokenEntry, 'sha256'>): string => (u.role === 'reviewer' ? ` ${u.reviewerId}` : u.role === 'lab' ? ` "${u.labId ?? u.lab}"` : '');
  return { tokens: new TokenStore(made.map((m) => m.entry)), demo: made.map((m) => ({ label: `${m.u.role}${scope(m.u)} (${m.u.name})`, token: m.token })) };
}

function banner(o: {
  address: string; namespace: string; uiPort: number; apiPort: number; smtpUrl: string; taskQueue: string; encrypted: boolean;
  demo: { label: string; token: string }[];
}): void {
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
    `  Weekly digest   Mondays 08:00 ${programOfficeZone()} to each program manager (\`npx review digest send\` sends one now)`,
    `  Dashboard       http://${HOST}:${o.apiPort}/  (sign in with a token below; Outbox shows the sink's mail)`,
    `  HTTP API        http://${HOST}:${o.apiPort}/api  (OpenAPI: http://${HOST}:${o.apiPort}/openapi.json)${o.encrypted ? `; codec endpoint http://${HOST}:${o.apiPort}/codec` : ''}`,
    '',
    ...(o.demo.length
      ? ['Sign-in tokens for this run (new on every start; only their SHA-256 is kept, in .data/api-tokens.json):', ...o.demo.map((d) => `  ${d.label.padEnd(42)} ${d.token}`), '']
      : ['API tokens: from FRONTIER_REVIEW_API_TOKENS_FILE / FRONTIER_REVIEW_API_TOKENS.', '']),
    'In another terminal:',
    `  ${review} start examples/review.json`,
    `  ${review} grant-access acme-atlas7-2026-12 --by "Acme Security Team"`,
    `  ${review} status acme-atlas7-2026-12`,
    '  npx review plan examples/review.json   # every date and notice a request will produce, before starting it',
    `  curl -H "Authorization: Bearer <pm token>" http://${HOST}:${o.apiPort}/api/reviews`,
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
