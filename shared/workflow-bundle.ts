/**
 * How the review workflows are bundled for a worker. With the SDK's reused V8 context (the default), every module a
 * workflow loads is evaluated again for each workflow, and each cached review keeps its own copy: luxon, valibot
 * and the review's code cost more memory per cached review than the engine itself (BENCHMARKS.md, "Memory").
 * Preloaded modules are evaluated once, before any workflow exists, and shared — deep-frozen by the SDK.
 *
 * That is safe for these modules because none keeps per-workflow state at module scope: the review's state lives
 * in the workflow function's closure, and the only module-level mutables are caches of pure functions
 * (timeline.ts `memo`, federal-holidays.ts), whose answers are the same for every review. A module added to the
 * workflows must keep it that way. The tests run on the preloaded bundle (test/support/global-setup.ts), so a
 * module that writes to its shared, frozen exports fails there.
 */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export const PRELOAD_MODULES: string[] = ['luxon', 'valibot', WORKFLOWS_PATH];

/**
 * The bundle a worker runs and its build id: `frontier-review+<16 hex of the bundle's SHA-256>`. Every workflow task
 * completion in a history records the worker's build id; the SDK's default (`@temporalio/worker@<version>+<64 hex>`)
 * costs ~90 bytes in each, a tenth of a review's history (BENCHMARKS.md, "History"). The short id still names the
 * exact workflow code, which is what the binary checksum is for (reset by bad binary, diagnosis).
 */
export async function reviewWorkflowBundle(given?: { code: string } | { codePath: string }): Promise<{ workflowBundle: { code: string }; buildId: string }> {
  const { createHash } = await import('node:crypto');
  let code: string;
  if (given && 'code' in given) code = given.code;
  else if (given) code = (await import('node:fs')).readFileSync(given.codePath, 'utf8');
  else code = (await (await import('@temporalio/worker')).bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: PRELOAD_MODULES })).code;
  return { workflowBundle: { code }, buildId: `frontier-review+${createHash('sha256').update(code).digest('hex').slice(0, 16)}` };
}
