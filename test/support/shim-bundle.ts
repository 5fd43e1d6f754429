/** The workflow code bundled with `@temporalio/workflow` replaced by `shim` inside workflows/ (a changed patch answer). */
import { bundleWorkflowCode } from '@temporalio/worker';
import path from 'node:path';
import { PRELOAD_MODULES } from '../../shared/workflow-bundle';

const silent = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };

type Resolve = { request: string; context: string };
type Compiler = { hooks: { normalModuleFactory: { tap(name: string, fn: (nmf: { hooks: { beforeResolve: { tap(name: string, fn: (r: Resolve) => void): void } } }) => void): void } } };

export async function bundleWithShim(shim: string): Promise<string> {
  const workflowsDir = path.dirname(require.resolve('../../workflows'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: silent,
    preloadModules: PRELOAD_MODULES,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), {
        apply(compiler: Compiler) {
          compiler.hooks.normalModuleFactory.tap('shim', (nmf) => nmf.hooks.beforeResolve.tap('shim', (r) => {
            if (r.request === '@temporalio/workflow' && r.context.startsWith(workflowsDir)) r.request = shim;
          }));
        },
      }],
    }),
  });
  return code;
}
