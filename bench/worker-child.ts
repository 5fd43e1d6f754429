/**
 * A benchmark worker in its own process, so its memory is its own and it has a core of its own beside the
 * benchmark's client and SMTP sink. Started by worker-process.ts with `node --import tsx --expose-gc`; the
 * configuration comes in BENCH_WORKER_CONFIG (JSON); commands and answers go over the IPC channel.
 */
import { reviewWorkflowBundle } from '../shared/workflow-bundle';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { BroadcastChannel } from 'node:worker_threads';
import { createActivities } from '../activities';
import { createNoopActivities } from './noop-activities';
import type { ChildCommand, ChildMessage, WorkerChildConfig, WorkerMemory } from './worker-protocol';

const config = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '{}') as WorkerChildConfig;

function send(m: ChildMessage): void {
  process.send?.(m);
}

/** How many threads answered the most recent collection: a later one is complete once as many have answered. */
let threadsSeen = 0;

/**
 * Collects garbage in every worker thread (gc-preload.cjs) — the workflow sandbox's, and tsx's module-loader thread —
 * and resolves with their V8 heaps after the collection (summed): once as many threads answered as last time, else
 * every answer within 500 ms of the first (the threads answer at once unless busy); at most 5 s.
 */
async function collectThreads(): Promise<number> {
  const done = new BroadcastChannel('frontier-bench-gc-done');
  let used = 0;
  let answers = 0;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(window);
      resolve();
    };
    const timer = setTimeout(finish, 5000);
    let window: NodeJS.Timeout | undefined;
    done.onmessage = (e: unknown) => {
      used += (e as { data?: { used?: number } }).data?.used ?? 0;
      if (++answers === threadsSeen) finish();
      else window ??= setTimeout(finish, 500);
    };
    const ask = new BroadcastChannel('frontier-bench-gc');
    ask.postMessage('gc');
    ask.close();
  });
  done.close();
  threadsSeen = Math.max(threadsSeen, answers);
  return used;
}

async function memory(): Promise<WorkerMemory> {
  // Collect twice everywhere (the second pass frees what finalizers of the first released), let the allocator settle, then read.
  const gc = (globalThis as { gc?: () => void }).gc;
  let threadsHeap = 0;
  for (let i = 0; i < 2; i++) {
    threadsHeap = await collectThreads();
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, config.memorySettleMs ?? 1000));
  const samples: NodeJS.MemoryUsage[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(process.memoryUsage());
    await new Promise((r) => setTimeout(r, 100));
  }
  const median = (k: keyof NodeJS.MemoryUsage): number => samples.map((s) => s[k]).sort((a, b) => a - b)[1];
  return {
    rss: median('rss'), heapUsed: median('heapUsed'), heapTotal: median('heapTotal'), external: median('external'), arrayBuffers: median('arrayBuffers'),
    workflowHeapUsed: threadsHeap,
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  let activitiesDone = 0;
  let lastActivityAt = 0;
  const counted = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    const r = await fn(...a);
    activitiesDone++;
    lastActivityAt = Date.now();
    return r;
  };
  // Every activity of the kind's factory, each counted when it completes.
  const raw = (config.kind === 'review'
    ? createActivities({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, smtpTimeoutSeconds: 30, ...(config.ledgerPath ? { ledgerPath: config.ledgerPath } : {}) })
    : createNoopActivities({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom })) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const activities = Object.fromEntries(Object.entries(raw).map(([name, fn]) => [name, counted(fn)]));

  const t = config.tuning;
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...(await reviewWorkflowBundle({ codePath: config.bundlePath })),
    activities,
    ...(t.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: t.maxCachedWorkflows } : {}),
    ...(t.maxConcurrentWorkflowTaskExecutions !== undefined ? { maxConcurrentWorkflowTaskExecutions: t.maxConcurrentWorkflowTaskExecutions } : {}),
    ...(t.maxConcurrentWorkflowTaskPolls !== undefined ? { maxConcurrentWorkflowTaskPolls: t.maxConcurrentWorkflowTaskPolls } : {}),
    ...(t.maxConcurrentActivityTaskExecutions !== undefined ? { maxConcurrentActivityTaskExecutions: t.maxConcurrentActivityTaskExecutions } : {}),
    ...(t.maxConcurrentActivityTaskPolls !== undefined ? { maxConcurrentActivityTaskPolls: t.maxConcurrentActivityTaskPolls } : {}),
    ...(t.reuseV8Context !== undefined ? { reuseV8Context: t.reuseV8Context } : {}),
    ...(t.workflowThreadPoolSize !== undefined ? { workflowThreadPoolSize: t.workflowThreadPoolSize } : {}),
    ...(t.nonStickyToStickyPollRatio !== undefined ? { nonStickyToStickyPollRatio: t.nonStickyToStickyPollRatio } : {}),
    ...(t.autoscalePollersMax !== undefined
      ? {
          workflowTaskPollerBehavior: { type: 'autoscaling' as const, maximum: t.autoscalePollersMax },
          activityTaskPollerBehavior: { type: 'autoscaling' as const, maximum: t.autoscalePollersMax },
        }
      : {}),
  });

  // "Busy" = an activation or an activity in flight; the last busy instant tells when a batch's work drained.
  let lastBusyAt = 0;
  // Peaks tell whether the activity slots were full (the storm phase sizes them).
  let peakActivities = 0;
  let peakActivations = 0;
  const busyTimer = setInterval(() => {
    const s = worker.getStatus();
    if (s.numInFlightWorkflowActivations > 0 || s.numInFlightActivities > 0) lastBusyAt = Date.now();
    peakActivities = Math.max(peakActivities, s.numInFlightActivities);
    peakActivations = Math.max(peakActivations, s.numInFlightWorkflowActivations);
  }, 5);

  process.on('message', (msg: ChildCommand) => {
    void (async () => {
      if (msg.type === 'status') {
        const s = worker.getStatus();
        const cpu = process.cpuUsage();
        send({
          type: 'status', id: msg.id, activitiesDone, lastActivityAt, lastBusyAt, busy: s.numInFlightWorkflowActivations + s.numInFlightActivities,
          cached: s.numCachedWorkflows, now: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000, peakActivities, peakActivations,
        });
      } else if (msg.type === 'reset-peaks') {
        peakActivities = 0;
        peakActivations = 0;
      } else if (msg.type === 'memory') {
        const s = worker.getStatus();
        send({ type: 'memory', id: msg.id, memory: await memory(), cached: s.numCachedWorkflows });
      } else if (msg.type === 'stop') {
        clearInterval(busyTimer);
        worker.shutdown();
      }
    })().catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
  });

  const running = worker.run();
  send({ type: 'ready', pid: process.pid });
  await running;
  await connection.close();
  send({ type: 'stopped' });
  process.disconnect?.();
  // The activities' pooled SMTP connections would keep the process alive until their idle timeout (~30 s a stop).
  process.exit(0);
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exitCode = 1;
  process.disconnect?.();
});
