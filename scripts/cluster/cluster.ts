/**
 * A production-shaped Temporal cluster on one host: a private PostgreSQL cluster (scripts/provision-postgres.sh),
 * Temporal server v1.29.1 built from the Go module proxy (scripts/provision-cluster.sh), the schema set up with the
 * module's SQL tool, and two server processes sharing the database, each running every service (frontend, history,
 * matching, worker) — so either one can be lost and the other carries the whole load. Clients reach the frontends
 * through one address (frontend-proxy.ts). `npm run cluster` (start.ts) and `npm run test:cluster` both use this.
 *
 * Everything lives under `dataDir` (database, generated configs, logs); a second start reuses it: the schema is
 * created once and only migrated afterwards, the namespace and search attributes are registered when missing.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { startPostgres, stopPostgres, withDatabase } from '../../shared/postgres';
import type { PostgresPlace } from '../../shared/postgres';
import { runProvisionScript } from '../../shared/provision';
import { queryNamingEveryAttribute, searchAttributesToRegister } from '../../shared/search-attribute-registration';
import { freePort } from '../../shared/time-skipping-server';
import { DYNAMIC_CONFIG, nodeConfig, PORT_NAMES } from './config';
import type { NodePorts } from './config';
import { FrontendProxy } from './frontend-proxy';

const run = promisify(execFile);
const SECOND = 1000;

export class ClusterError extends Error {}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  schemaDir: string;
  configTemplate: string;
}

/** The server and SQL tool (built with go install when missing, cached under ~/.cache/frontier-review). */
export function clusterBinaries(): ClusterBinaries {
  const v = runProvisionScript('provision-cluster.sh', 'the Temporal server v1.29.1 and its SQL tool');
  if (!v.TEMPORAL_SERVER_PATH || !v.TEMPORAL_SQL_TOOL_PATH || !v.TEMPORAL_SCHEMA_DIR || !v.TEMPORAL_CONFIG_TEMPLATE) {
    throw new ClusterError(`scripts/provision-cluster.sh printed no paths: ${JSON.stringify(v)}`);
  }
  return { server: v.TEMPORAL_SERVER_PATH, sqlTool: v.TEMPORAL_SQL_TOOL_PATH, schemaDir: v.TEMPORAL_SCHEMA_DIR, configTemplate: v.TEMPORAL_CONFIG_TEMPLATE };
}

export interface ClusterOptions {
  dataDir: string;
  /** The clients' address (the frontend proxy); 0: a free port. */
  port: number;
  /** History shards (fixed when the database is created: a later start must give the same number). */
  shards?: number;
  nodes?: number;
  namespace?: string;
  /** Workflow history retention of the namespace, when it is created. */
  retentionDays?: number;
  log?: (line: string) => void;
}

const connects = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The frontend at `port` answers gRPC (a listening socket alone comes before the services are up). */
async function answers(port: number): Promise<boolean> {
  if (!(await connects(port))) return false;
  try {
    const c = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 5 * SECOND });
    try {
      await c.workflowService.getSystemInfo({});
      return true;
    } finally {
      await c.close();
    }
  } catch {
    return false;
  }
}

/** A free loopback port from 10000 to 32767. */
async function freeLowPort(): Promise<number> {
  for (let i = 0; ; i++) {
    const port = 10_000 + Math.floor(Math.random() * 22_768);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (free) return port;
    if (i > 200) throw new ClusterError('no free loopback port found from 10000 to 32767');
  }
}

/** One server process: its generated config, its ports, its log. Can be killed and started again on the same config. */
export class ServerNode {
  readonly stats = { starts: 0, kills: 0 };
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  ports: NodePorts | undefined;

  constructor(readonly name: string, private readonly c: { bin: string; dataDir: string; config: (ports: NodePorts) => string }) {}

  get frontendPort(): number | undefined {
    return this.ports?.frontend;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return path.join(this.c.dataDir, 'logs', `${this.name}.log`);
  }

  /** Starts the process (new ports when it has none or they were taken) and waits until its frontend answers. */
  async start(deadline: number): Promise<void> {
    if (this.running) return;
    for (let attempt = 1; ; attempt++) {
      if (!this.ports || attempt > 1) {
        // Membership ports are kept in a smallint column (cluster_membership.rpc_port): below 32768, unlike ephemeral ones.
        const ports = await Promise.all(PORT_NAMES.map((k) => (k.endsWith('Membership') ? freeLowPort() : freePort())));
        this.ports = Object.fromEntries(PORT_NAMES.map((k, i) => [k, ports[i]])) as unknown as NodePorts;
      }
      writeFileSync(path.join(this.c.dataDir, 'config', `${this.name}.yaml`), this.c.config(this.ports));
      this.log ??= createWriteStream(this.logFile, { flags: 'a' });
      this.log.write(`\n=== ${new Date().toISOString()} start (frontend 127.0.0.1:${this.ports.frontend})\n`);
      this.stats.starts++;
      const child = spawn(this.c.bin, ['--root', this.c.dataDir, '--config', 'config', '--env', this.name, '--allow-no-auth', 'start'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      let tail = '';
      const keep = (d: Buffer): void => {
        this.log?.write(d);
        tail = (tail + d.toString()).slice(-3000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
      child.once('exit', (code, signal) => this.log?.write(`=== ${new Date().toISOString()} exited (code ${code}, signal ${signal})\n`));
      const port = this.ports.frontend;
      while (this.running && Date.now() < deadline && !(await answers(port))) await sleep(500);
      if (this.running && (await answers(port))) return;
      if (this.running) {
        await this.kill();
        throw new ClusterError(`server ${this.name} did not listen on 127.0.0.1:${port} in time; see ${this.logFile}:\n${tail.trim().slice(-1500)}`);
      }
      // Exited at once: a port taken between choosing and binding is retried with new ports; anything else is reported.
      if (attempt >= 3 || !/address already in use/i.test(tail)) {
        throw new ClusterError(`server ${this.name} exited while starting (see ${this.logFile}):\n${tail.trim().slice(-1500)}`);
      }
    }
  }

  /** kill -9 and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.stats.kills++;
  }

  /** SIGTERM (the server drains and leaves the membership ring), SIGKILL after `graceMs`. */
  async stop(graceMs = 20 * SECOND): Promise<void> {
    const child = this.child;
    if (child && this.running) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

export class TemporalCluster {
  readonly nodes: ServerNode[];
  readonly proxy: FrontendProxy;
  readonly stats = { postgresRestarts: 0 };
  private pg: PostgresPlace | undefined;
  private pgUrl = '';

  private constructor(readonly o: Required<ClusterOptions>, private readonly bin: ClusterBinaries) {
    const template = readFileSync(bin.configTemplate, 'utf8');
    const names = Array.from({ length: o.nodes }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
    this.nodes = names.map((name) => new ServerNode(name, {
      bin: bin.server, dataDir: o.dataDir,
      config: (ports) => nodeConfig({
        template, pgPort: this.pg?.port ?? 0, shards: o.shards, ports,
        dynamicConfigFile: path.join(o.dataDir, 'config', 'dynamicconfig.yaml'), archivalDir: path.join(o.dataDir, 'archival'),
      }),
    }));
    this.proxy = new FrontendProxy(() => this.nodes.filter((n) => n.running && n.frontendPort).map((n) => n.frontendPort as number));
  }

  /** The clients' address (TEMPORAL_ADDRESS). */
  get address(): string {
    return `127.0.0.1:${this.proxy.port}`;
  }

  /** The database server's URL (its `postgres` database); Temporal's are `temporal` and `temporal_visibility`. */
  get postgresUrl(): string {
    return this.pgUrl;
  }

  get postgresDir(): string {
    return path.join(this.o.dataDir, 'postgres');
  }

  /** Provisions what is missing, starts PostgreSQL, the schema, the server processes, the proxy, the namespace. */
  static async start(opts: ClusterOptions): Promise<TemporalCluster> {
    const o: Required<ClusterOptions> = {
      shards: 16, nodes: 2, namespace: 'default', retentionDays: 3, log: () => undefined, ...opts, dataDir: path.resolve(opts.dataDir),
    };
    if (o.shards < 1 || !Number.isInteger(o.shards)) throw new ClusterError(`shards must be a whole number of at least 1, got ${o.shards}`);
    o.log('provisioning the Temporal server and SQL tool (go install, cached)...');
    const bin = clusterBinaries();
    for (const d of ['config', 'logs', 'archival']) mkdirSync(path.join(o.dataDir, d), { recursive: true });
    // PostgreSQL runs as the unprivileged `postgres` account when we are root: it must reach its directory.
    chmodSync(o.dataDir, 0o755);
    writeFileSync(path.join(o.dataDir, 'config', 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
    const cluster = new TemporalCluster(o, bin);
    // The client port first: a second `npm run cluster` on the same directory stops here, before it touches the first's
    // PostgreSQL (its cleanup would stop it).
    await cluster.proxy.listen(o.port);
    try {
      await cluster.startPostgres();
      await cluster.schema();
      const deadline = Date.now() + 180 * SECOND;
      for (const n of cluster.nodes) {
        o.log(`starting Temporal server ${n.name}...`);
        await n.start(deadline);
        o.log(`  ${n.name}: frontend 127.0.0.1:${n.frontendPort}, pid ${n.pid}, log ${n.logFile}`);
      }
      await cluster.namespace(deadline);
      return cluster;
    } catch (e) {
      await cluster.stop().catch(() => undefined);
      throw e;
    }
  }

  private async startPostgres(): Promise<void> {
    // The same port as last time when it is free, so NOTICE_LEDGER_URL stays valid across restarts of the cluster.
    const portFile = path.join(this.o.dataDir, 'postgres.port');
    const last = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : NaN;
    // (A cluster still running there from an interrupted start is simply reused by provision-postgres.sh.)
    const port = Number.isInteger(last) && last > 0 ? last : await freePort();
    writeFileSync(portFile, `${port}\n`);
    this.pg ??= { dataDir: this.postgresDir, port };
    this.o.log(`starting PostgreSQL (${this.pg.dataDir}, 127.0.0.1:${this.pg.port})...`);
    this.pgUrl = startPostgres(this.pg).url;
  }

  /** Stops PostgreSQL (fast shutdown) and starts it again on the same port: the servers must reconnect by themselves. */
  async restartPostgres(downMs = 0): Promise<void> {
    if (!this.pg) throw new ClusterError('PostgreSQL was never started');
    stopPostgres(this.pg);
    await sleep(downMs);
    this.pgUrl = startPostgres(this.pg).url;
    this.stats.postgresRestarts++;
  }

  private sqlTool(database: string, ...args: string[]): Promise<unknown> {
    const common = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(this.pg?.port), '--user', 'postgres', '--password', '', '--database', database];
    return run(this.bin.sqlTool, [...common, ...args], { maxBuffer: 16 * 1024 * 1024 }).catch((e: unknown) => {
      const err = e as { stderr?: string; message: string };
      throw new ClusterError(`temporal-sql-tool ${args[0]} on ${database} failed: ${(err.stderr ?? '').trim().slice(-1500) || err.message}`);
    });
  }

  /** Creates the two databases and their schema once; brings them to the module's newest version every start. */
  private async schema(): Promise<void> {
    const admin = new PgClient({ connectionString: this.pgUrl });
    await admin.connect();
    let existing: Set<string>;
    try {
      existing = new Set((await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname));
    } finally {
      await admin.end();
    }
    for (const [db, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
      let set = false;
      if (existing.has(db)) {
        const c = new PgClient({ connectionString: withDatabase(this.pgUrl, db) });
        await c.connect();
        try {
          set = (await c.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'")).rowCount === 1;
        } finally {
          await c.end();
        }
      } else {
        this.o.log(`creating database ${db}...`);
        await this.sqlTool(db, 'create-database');
      }
      if (!set) {
        this.o.log(`setting up the ${db} schema...`);
        await this.sqlTool(db, 'setup-schema', '--version', '0.0');
      }
      this.o.log(`updating the ${db} schema (${path.join(this.bin.schemaDir, dir, 'versioned')})...`);
      await this.sqlTool(db, 'update-schema', '--schema-dir', path.join(this.bin.schemaDir, dir, 'versioned'));
    }
  }

  /**
   * The namespace and the review's search attributes, registered when missing, then waited for on every frontend:
   * each process learns them from its namespace cache (refreshed every 10 s), and a review started before would be
   * refused.
   */
  private async namespace(deadline: number): Promise<void> {
    const ns = this.o.namespace;
    const connection = await Connection.connect({ address: this.address });
    try {
      for (;;) {
        try {
          await connection.workflowService.registerNamespace({ namespace: ns, workflowExecutionRetentionPeriod: msToTs(`${this.o.retentionDays} days`) });
          this.o.log(`namespace ${ns} registered`);
          break;
        } catch (e) {
          if (/already exists/i.test((e as Error).message)) break;
          if (Date.now() > deadline) throw new ClusterError(`could not register namespace ${ns}: ${(e as Error).message}`);
          await sleep(1000); // the ring is still forming right after the start
        }
      }
      for (;;) {
        try {
          const have = await connection.operatorService.listSearchAttributes({ namespace: ns });
          const missing = searchAttributesToRegister(Object.keys(have.customAttributes ?? {}));
          if (Object.keys(missing).length === 0) break;
          await connection.operatorService.addSearchAttributes({ namespace: ns, searchAttributes: missing });
          this.o.log(`search attributes registered: ${Object.keys(missing).join(', ')}`);
        } catch (e) {
          if (Date.now() > deadline) throw new ClusterError(`could not register the search attributes in ${ns}: ${(e as Error).message}`);
          await sleep(1000);
        }
      }
    } finally {
      await connection.close();
    }
    for (const n of this.nodes) await this.awaitSearchAttributes(n, deadline);
  }

  /** Until a visibility query naming the review's attributes is accepted by `node`'s own frontend. */
  async awaitSearchAttributes(node: ServerNode, deadline: number): Promise<void> {
    const connection = await Connection.connect({ address: `127.0.0.1:${node.frontendPort}` });
    try {
      for (;;) {
        try {
          await connection.workflowService.listWorkflowExecutions({ namespace: this.o.namespace, pageSize: 1, query: queryNamingEveryAttribute() });
          return;
        } catch (e) {
          if (Date.now() > deadline) throw new ClusterError(`${node.name} does not know the namespace's search attributes yet: ${(e as Error).message}`);
          await sleep(1000);
        }
      }
    } finally {
      await connection.close();
    }
  }

  /** Stops the proxy, the servers (gracefully) and PostgreSQL; the data stays. */
  async stop(): Promise<void> {
    await this.proxy.close();
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (this.pg) stopPostgres(this.pg);
  }
}
