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

test('a deliberately changed workflow fails replay', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./changed-workflow'), logger: silent });
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories())) {
    if (r.error) failures.push(r.workflowId);
  }
  expect(failures.sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
});
