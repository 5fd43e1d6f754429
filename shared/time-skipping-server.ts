/**
 * The Java time-skipping test server, started here and handed to the SDK's test environment as an existing server.
 *
 * The SDK's own start (`TestWorkflowEnvironment.createTimeSkipping`) gives the server 5 s to listen and then gives up.
 * A JVM on a loaded 2-core machine needs longer: CI failed on it five attempts in a row at load 9. Here the server
 * has as long as it keeps running (bounded by `startMs`), and a start that fails says why (the server's own output).
 * The review's search attributes are registered on it (the dev server gets them as arguments; this one over the API).
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ClientOptionsForTestEnv } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/** A port that was free a moment ago on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const connects = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

export interface TimeSkippingServer {
  env: TestWorkflowEnvironment;
  /** Closes the environment's connections and stops the server process. */
  stop(): Promise<void>;
}

interface CreateOptions {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: boolean;
  client?: ClientOptionsForTestEnv;
}
/**
 * `createFromExistingServer` always marks the environment as without time skipping; the private `create` it calls
 * takes the flag (SDK 1.24.0, pinned in package.json; test/workflow tests fail at once if this ever changes).
 */
const createEnv = (o: CreateOptions): Promise<TestWorkflowEnvironment> =>
  (TestWorkflowEnvironment as unknown as { create(o: CreateOptions): Promise<TestWorkflowEnvironment> }).create(o);

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the server at `testServer` (a path from serverPaths()) and connects a time-skipping test environment to it. */
export async function startTimeSkippingServer(testServer: string, opts: { client?: ClientOptionsForTestEnv; startMs?: number } = {}): Promise<TimeSkippingServer> {
  const deadline = Date.now() + (opts.startMs ?? 120_000);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(testServer, [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer): void => { output = (output + b.toString()).slice(-2_000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let failed = false; // not started at all (a wrong path): no exit code follows
    child.once('error', (e) => { failed = true; keep(Buffer.from(String(e))); });
    let up = false;
    while (!up && !failed && child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      up = await connects(port);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (up) {
      try {
        const env = await createEnv({ server: { type: 'existing' }, address: `127.0.0.1:${port}`, namespace: 'default', supportsTimeSkipping: true, client: opts.client });
        const TYPES = temporal.api.enums.v1.IndexedValueType;
        await env.connection.operatorService.addSearchAttributes({
          namespace: 'default',
          searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([k, t]) => [k, t === 'DATETIME' ? TYPES.INDEXED_VALUE_TYPE_DATETIME : t === 'KEYWORD_LIST' ? TYPES.INDEXED_VALUE_TYPE_KEYWORD_LIST : TYPES.INDEXED_VALUE_TYPE_KEYWORD])),
        });
        return { env, stop: async () => { await env.teardown(); await stopProcess(child); } };
      } catch (e) {
        await stopProcess(child);
        throw e;
      }
    }
    if (!failed) await stopProcess(child);
    // The port can be taken between freePort() and the server's bind: that server exits, and another port is tried.
    if (failed || Date.now() >= deadline || attempt >= 3) {
      throw new Error(`the time-skipping test server (${testServer}) did not listen on port ${port} ${Date.now() >= deadline ? `within ${Math.round((opts.startMs ?? 120_000) / 1000)} s` : failed ? '(it could not be started)' : '(it exited)'}; its output:\n${output.trim()}`);
    }
  }
}
