/**
 * Determinism: every recorded lifecycle history (test/histories) must replay on the current workflow
 * code. A change that would break a running review fails here. Re-record with `npm run record-histories`
 * only after a compatible change made with patched().
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HISTORIES_DIR } from '../support/histories';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const histories = () => files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'))) }));
const silent = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };

test('histories of every lifecycle path are recorded', () => {
  expect(files.length).toBeGreaterThanOrEqual(12);
});

/** Patch ids recorded in a history (patched() markers). */
function patchesIn(file: string): string[] {
  const h = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> } }[] };
  return h.events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    const data = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
}

test('histories recorded before calendar invites, webhooks and alerts lack the notices-v2 patch; the later ones carry it', () => {
  const before = ['assign-and-reassign', 'cancelled', 'completed-closed-early', 'critical-finding', 'expired-with-escalations-and-disposal-overdue', 'lapsed',
    'pause-auto-resume', 'pause-resume', 'release-date-earlier-then-later', 'release-date-superseded-reminders', 'withdrawn-after-access', 'withdrawn-before-access'];
  for (const f of files) {
    const name = f.replace(/\.json$/, '');
    expect([name, patchesIn(f)]).toEqual([name, before.includes(name) ? [] : ['notices-v2']]);
  }
  expect(files.length).toBeGreaterThan(before.length);
});

test('every recorded history replays on the current workflow code', async () => {
  const bundle = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  const options = bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') };
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories(options, histories())) {
    replayed++;
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
});

test('without the patch guard, the new notice behaviour would break every review recorded before it', async () => {
  // The same workflow code, bundled with patched() answering true: what an unguarded change would be.
  const shim = require.resolve('./unpatched/workflow-shim');
  const workflowsDir = path.dirname(require.resolve('../../workflows'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: silent,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), {
        apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (nmf: { hooks: { beforeResolve: { tap(name: string, fn: (r: { request: string; context: string }) => void): void } } }) => void): void } } }) {
          compiler.hooks.normalModuleFactory.tap('unpatched', (nmf) => nmf.hooks.beforeResolve.tap('unpatched', (r) => {
            if (r.request === '@temporalio/workflow' && r.context.startsWith(workflowsDir)) r.request = shim;
          }));
        },
      }],
    }),
  });
  const old = files.filter((f) => patchesIn(f).length === 0);
  expect(old.length).toBeGreaterThanOrEqual(12);
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories().filter((h) => old.includes(`${h.workflowId}.json`)))) {
    if (r.error) failures.push(r.workflowId);
  }
  expect(failures.sort()).toEqual(old.map((f) => f.replace(/\.json$/, '')).sort());
});

test('a deliberately changed workflow fails replay', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./changed-workflow'), logger: silent });
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories())) {
    if (r.error) failures.push(r.workflowId);
  }
  expect(failures.sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
});
