/** Parent side of a benchmark worker child process: start it, ask it for status and memory, stop it. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ChildCommand, ChildMessage, ChildStatus, WorkerChildConfig, WorkerMemory } from './worker-protocol';

export class WorkerProcess {
  private nextId = 1;
  private pending = new Map<number, (m: ChildMessage) => void>();
  private exited: Promise<void>;
  private errors: string[] = [];

  private constructor(private readonly child: ChildProcess, readonly config: WorkerChildConfig) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'error') {
        this.errors.push(m.message);
        console.error(`[worker ${config.taskQueue}] ${m.message}`);
      }
      if ('id' in m) {
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      }
    });
  }

  static async start(config: WorkerChildConfig): Promise<WorkerProcess> {
    const child = fork(path.join(__dirname, 'worker-child.ts'), [], {
      execArgv: ['--import', 'tsx', '--expose-gc', '--require', path.join(__dirname, 'gc-preload.cjs')],
      env: {
        ...process.env,
        BENCH_WORKER_CONFIG: JSON.stringify(config),
        ...(config.mallocArenaMax !== undefined ? { MALLOC_ARENA_MAX: String(config.mallocArenaMax) } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const w = new WorkerProcess(child, config);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: ChildMessage): void => {
        if (m.type === 'ready') {
          child.off('message', onMessage);
          resolve();
        } else if (m.type === 'error') reject(new Error(`worker child failed to start: ${m.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`worker child exited with code ${code} before it was ready`)));
    });
    return w;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private request<T extends ChildMessage>(cmd: Omit<Extract<ChildCommand, { id: number }>, 'id'>, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker child did not answer ${cmd.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m as T);
      });
      this.child.send({ ...cmd, id } as ChildCommand);
    });
  }

  status(): Promise<ChildStatus> {
    return this.request<ChildStatus>({ type: 'status' });
  }

  /** Starts the in-flight peaks (status().peakActivities / peakActivations) afresh. */
  resetPeaks(): void {
    this.child.send({ type: 'reset-peaks' } satisfies ChildCommand);
  }

  async memory(): Promise<{ memory: WorkerMemory; cached: number }> {
    const m = await this.request<Extract<ChildMessage, { type: 'memory' }>>({ type: 'memory' });
    return { memory: m.memory, cached: m.cached };
  }

  /**
   * Waits until the worker has had nothing in flight for `quietMs` (and `extra` holds), then returns the last
   * instant (epoch ms) it was busy: the end of the batch's work.
   */
  async drained(opts: { quietMs?: number; timeoutMs?: number; extra?: (s: ChildStatus) => boolean } = {}): Promise<ChildStatus> {
    const quiet = opts.quietMs ?? 1000;
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const s = await this.status();
      if (s.busy === 0 && s.now - s.lastBusyAt >= quiet && (opts.extra?.(s) ?? true)) return s;
      if (Date.now() > deadline) throw new Error(`worker ${this.config.taskQueue} still busy after ${opts.timeoutMs} ms (in flight: ${s.busy})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send({ type: 'stop' } satisfies ChildCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}
