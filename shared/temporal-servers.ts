/** Locates (and if needed provisions) the Temporal server binaries; see scripts/provision-servers.sh. */
import { runProvisionScript } from './provision';

export interface ServerPaths {
  cli: string;
  testServer: string;
}

let cached: ServerPaths | undefined;

export function serverPaths(): ServerPaths {
  if (cached) return cached;
  const vars = runProvisionScript('provision-servers.sh', 'the Temporal servers');
  if (!vars.TEMPORAL_CLI_PATH || !vars.TEMPORAL_TEST_SERVER_PATH) throw new Error(`provisioning printed no server paths: ${JSON.stringify(vars)}`);
  cached = { cli: vars.TEMPORAL_CLI_PATH, testServer: vars.TEMPORAL_TEST_SERVER_PATH };
  return cached;
}
