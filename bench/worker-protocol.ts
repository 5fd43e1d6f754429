/** Messages between the benchmark and its worker child process (worker-child.ts). */

export interface WorkerTuning {
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentActivityTaskPolls?: number;
  reuseV8Context?: boolean;
  workflowThreadPoolSize?: number;
  nonStickyToStickyPollRatio?: number;
  /** Poller autoscaling (workflowTaskPollerBehavior / activityTaskPollerBehavior) with this maximum. */
  autoscalePollersMax?: number;
}

export interface WorkerChildConfig {
  kind: 'review' | 'noop';
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  smtpUrl: string;
  mailFrom: string;
  tuning: WorkerTuning;
  /** Delivery-ledger file of the review activities (a fresh one per worker, in the run's temp dir). */
  ledgerPath?: string;
  memorySettleMs?: number;
  /** MALLOC_ARENA_MAX for the child (glibc): fixed in the memory phase, where the arena count moved the floor ~12%. */
  mallocArenaMax?: number;
}

export interface WorkerMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** V8 heap used by the worker threads (the workflow sandbox's, tsx's loader) after a collection, bytes. */
  workflowHeapUsed: number;
}

export type ChildCommand = { type: 'status'; id: number } | { type: 'memory'; id: number } | { type: 'reset-peaks' } | { type: 'stop' };

export interface ChildStatus {
  type: 'status';
  id: number;
  activitiesDone: number;
  lastActivityAt: number;
  lastBusyAt: number;
  busy: number;
  cached: number;
  now: number;
  /** CPU time of the whole worker process so far (user + system, all threads), ms. */
  cpuMs: number;
  /** Most activities and workflow activations in flight at once since the last reset-peaks (sampled every 5 ms). */
  peakActivities: number;
  peakActivations: number;
}

export type ChildMessage =
  | { type: 'ready'; pid: number }
  | ChildStatus
  | { type: 'memory'; id: number; memory: WorkerMemory; cached: number }
  | { type: 'error'; message: string }
  | { type: 'stopped' };
