/**
 * The time-skipping test server as the tests, `review plan` and the benchmark start it (shared/time-skipping-server.ts):
 * it skips time, and a server that never listens or dies at once gives an error that says so, with its output.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverPaths } from '../../shared/temporal-servers';
import { startTimeSkippingServer } from '../../shared/time-skipping-server';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'ts-server-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('the environment skips time: a day of server time passes in well under a minute', async () => {
  const server = await startTimeSkippingServer(serverPaths().testServer);
  try {
    expect(server.env.supportsTimeSkipping).toBe(true);
    const before = await server.env.currentTimeMs();
    const wall = Date.now();
    await server.env.sleep(86_400_000);
    expect(await server.env.currentTimeMs()).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(Date.now() - wall).toBeLessThan(60_000);
  } finally {
    await server.stop();
  }
}, 180_000);

test('a server that exits at once: the error says it exited and shows its output', async () => {
  await expect(startTimeSkippingServer(script('dies.sh', 'echo "port $1: address in use" >&2; exit 3'))).rejects.toThrow(/\(it exited\); its output:\n.*address in use/);
});

test('a path that cannot be started: the error says so at once, without waiting out the bound', async () => {
  const started = Date.now();
  await expect(startTimeSkippingServer(path.join(dir, 'no-such-server'))).rejects.toThrow(/\(it could not be started\); its output:\n.*ENOENT/);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('a server that never listens: the error names the bound', async () => {
  await expect(startTimeSkippingServer(script('silent.sh', 'exec sleep 30'), { startMs: 1_000 })).rejects.toThrow(/did not listen on port \d+ within 1 s/);
});
