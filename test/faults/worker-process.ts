/**
 * The project's standalone worker (worker/main.ts) as a real child process: `node --require tsx/cjs worker/main.ts`,
 * spawned directly so SIGKILL hits the worker itself, not a wrapper. Output goes to a log file.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';

export interface WorkerProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Upper bound on spawns in one run (a loop guard). */
  maxStarts: number;
  /** Delay before restarting a worker that exited by itself (failed start during a server outage, crash). */
  restartDelayMs: number;
  /** Output lines to count (e.g. activity failures of one kind), by name. */
  countLines?: Record<string, RegExp>;
}

const READY_LINE = 'worker: polling task queue';

/**
 * One worker process from spawn to exit, on this process's clock. Only one runs at a time, so the process that
 * held a message when the SMTP sink accepted it is the one whose life covers that instant: the fault ledger
 * blames a resent notice on that process's kill, and on nothing else.
 */
export interface WorkerLife {
  pid: number;
  spawnedAt: number;
  /** When it printed that it polls (null: it never got that far). */
  readyAt: number | null;
  /** When its exit was seen (null: still running). */
  endedAt: number | null;
  /** When kill -9 was sent to it (null: it was not killed by kill9()). */
  killedAt: number | null;
}

/** Settings a worker reads that this shell may have set: a test's worker must not inherit any of them. */
const WORKER_SETTINGS = /^(TEMPORAL_|FRONTIER_REVIEW_|WEBHOOK_|SMTP_|WORKER_MAX_ACTIVITIES$|WORKER_MAX_CACHED_WORKFLOWS$|MAIL_FROM$|NOTICE_LEDGER_PATH$|NOTICE_LEDGER_URL$|NOTICE_CLAIM_LEASE_SECONDS$|WORKER_METRICS_ADDRESS$|MAIL_OUTAGE_ALERT_MINUTES$)/;

/** This process's environment without the worker's settings, plus exactly the ones given. */
export function workerEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !WORKER_SETTINGS.test(k))), ...settings };
}

export class WorkerProcess {
  readonly stats = { starts: 0, kills: 0, failedStarts: 0, crashes: 0, startupMs: [] as number[], lines: {} as Record<string, number> };
  /** Every process spawned, in order. */
  readonly lives: WorkerLife[] = [];
  private child: ChildProcess | undefined;
  private killing: ChildProcess | undefined;
  private readyAt: number | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly log: WriteStream;

  constructor(private readonly o: WorkerProcessOptions) {
    this.log = createWriteStream(o.logFile, { flags: 'a' });
  }

  get ready(): boolean {
    return this.readyAt !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A worker process exists (starting or polling). */
  get alive(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child || this.stopping) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.stats.starts >= this.o.maxStarts) throw new Error(`worker started ${this.stats.starts} times: giving up`);
    this.stats.starts++;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
      cwd: this.o.cwd, env: this.o.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.readyAt = null;
    const spawnedAt = Date.now();
    const life: WorkerLife = { pid: child.pid ?? -1, spawnedAt, readyAt: null, endedAt: null, killedAt: null };
    this.lives.push(life);
    this.log.write(`\n=== ${new Date().toISOString()} start #${this.stats.starts} pid ${child.pid}\n`);
    let tail = '';
    const partial = { stdout: '', stderr: '' };
    const count = (stream: 'stdout' | 'stderr', d: Buffer): void => {
      const lines = (partial[stream] + d.toString()).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const [name, re] of Object.entries(this.o.countLines ?? {})) {
        for (const line of lines) if (re.test(line)) this.stats.lines[name] = (this.stats.lines[name] ?? 0) + 1;
      }
    };
    child.stdout?.on('data', (d: Buffer) => {
      this.log.write(d);
      count('stdout', d);
      tail = (tail + d.toString()).slice(-500);
      if (this.readyAt === null && this.child === child && tail.includes(READY_LINE)) {
        this.readyAt = Date.now();
        life.readyAt = this.readyAt;
        this.stats.startupMs.push(this.readyAt - spawnedAt);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.log.write(d);
      count('stderr', d);
    });
    child.on('exit', (code, signal) => {
      life.endedAt = Date.now();
      const wasReady = this.child === child && this.readyAt !== null;
      if (this.child === child) {
        this.child = undefined;
        this.readyAt = null;
      }
      this.log.write(`=== ${new Date().toISOString()} pid ${child.pid} exited (code ${code}, signal ${signal})\n`);
      if (this.killing === child || this.stopping) return;
      if (wasReady) this.stats.crashes++;
      else this.stats.failedStarts++;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.start();
      }, this.o.restartDelayMs);
    });
  }

  /** kill -9 the running worker and wait until it is gone. Returns its life, or null when no worker was running. */
  async kill9(): Promise<WorkerLife | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return null;
    const life = this.lives.find((l) => l.pid === child.pid && l.endedAt === null) ?? null;
    this.killing = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (life) life.killedAt = Date.now();
    child.kill('SIGKILL');
    await exited;
    this.stats.kills++;
    return life;
  }

  /** Resolves true once a worker is polling, false at the deadline (starting one if none is running). */
  async waitReady(deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      if (this.ready) return true;
      if (!this.child && !this.restartTimer) this.start();
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.ready;
  }

  /** Graceful stop (SIGTERM drains the worker), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}
