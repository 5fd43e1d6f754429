/* eslint-disable @typescript-eslint/no-require-imports, no-redeclare */
/* global require, globalThis */
/**
 * Preloaded into the benchmark's worker child (node --require): lets the child collect garbage in every worker
 * thread, not only in its main thread, before it reads its memory. The workflow sandbox runs in a worker thread
 * of its own, and the garbage of evicted workflows lives there; each thread answers with its heap's size after the
 * collection. Needs --expose-gc.
 */
const { BroadcastChannel, isMainThread } = require('node:worker_threads');
const v8 = require('node:v8');

if (!isMainThread && typeof globalThis.gc === 'function') {
  const channel = new BroadcastChannel('frontier-bench-gc');
  channel.onmessage = () => {
    globalThis.gc();
    // The thread's own V8 heap after the collection: RSS mixes it with the Rust core and the allocator's slack.
    const h = v8.getHeapStatistics();
    const reply = new BroadcastChannel('frontier-bench-gc-done');
    reply.postMessage({ used: h.used_heap_size });
    reply.close();
  };
  channel.unref();
}
