/** Locates (and if needed provisions) the Temporal server binaries; see scripts/provision-servers.sh. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface ServerPaths {
  cli: string;
  testServer: string;
}

let cached: ServerPaths | undefined;

export function serverPaths(): ServerPaths {
  if (cached) return cached;
  const script = path.join(__dirname, '..', 'scripts', 'provision-servers.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    throw new Error(`could not provision the Temporal servers (${script}): ${(e as Error).message}`);
  }
  const vars = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  if (!vars.TEMPORAL_CLI_PATH || !vars.TEMPORAL_TEST_SERVER_PATH) throw new Error(`provisioning printed no server paths:\n${out}`);
  cached = { cli: vars.TEMPORAL_CLI_PATH, testServer: vars.TEMPORAL_TEST_SERVER_PATH };
  return cached;
}
