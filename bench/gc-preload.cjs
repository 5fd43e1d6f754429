/* eslint-disable @typescript-eslint/no-require-imports, no-redeclare */
/* global require, globalThis */
/**
 * Preloaded into the benchmark's worker child (node --require): lets the child collect garbage in every worker
 * thread, not only in its main thread, before it reads its memory. The workflow sandbox runs in a worker thread
 * of its own, and the garbage of evicted workflows lives there. Needs --expose-gc.
 */
const { BroadcastChannel, isMainThread } = require('node:worker_threads');

if (!isMainThread && typeof globalThis.gc === 'function') {
  const channel = new BroadcastChannel('frontier-bench-gc');
  channel.onmessage = () => {
    globalThis.gc();
    const reply = new BroadcastChannel('frontier-bench-gc-done');
    reply.postMessage('done');
    reply.close();
  };
  channel.unref();
}
