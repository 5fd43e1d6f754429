/** Once per jest run: provision the servers and the browser, and bundle the workflow code, shared with every test file. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserPath } from '../../shared/provision';
import { serverPaths } from '../../shared/temporal-servers';
import { PRELOAD_MODULES, WORKFLOWS_PATH } from '../../shared/workflow-bundle';

export default async function globalSetup(): Promise<void> {
  const paths = serverPaths();
  process.env.TEMPORAL_CLI_PATH = paths.cli;
  process.env.TEMPORAL_TEST_SERVER_PATH = paths.testServer;
  // The dashboard's browser tests: found, or installed from Debian's packages (scripts/provision-browser.sh).
  process.env.CHROMIUM_PATH = browserPath();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: PRELOAD_MODULES, logger: quietLogger });
  const file = path.join(os.tmpdir(), `frontier-review-bundle-${process.pid}.js`);
  writeFileSync(file, code);
  process.env.FRONTIER_REVIEW_TEST_BUNDLE = file;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
