/**
 * Determinism: every recorded lifecycle history (test/histories) must replay on the current workflow
 * code. A change that would break a running review fails here. Re-record with `npm run record-histories`
 * only after a compatible change made with patched().
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HISTORIES_DIR, HISTORY_GENERATION } from '../support/histories';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const histories = () => files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'))) }));
/**
 * The histories whose replay failed, each with how: `nondeterminism` for the error an incompatible change causes
 * (DeterminismViolationError, TMPRL1100), otherwise the error itself. The negative tests expect nondeterminism only:
 * a bundle that failed to load, or a workflow that threw, fails replay too, and proves nothing about the guards.
 */
async function replayFailures(results: AsyncIterable<ReplayResult>): Promise<string[]> {
  const failed: string[] = [];
  for await (const r of results) {
    if (!r.error) continue;
    const nondeterministic = r.error instanceof DeterminismViolationError && /nondetermin|TMPRL1100/i.test(r.error.message);
    failed.push(`${r.workflowId}: ${nondeterministic ? 'nondeterminism' : `${r.error.name}: ${r.error.message.slice(0, 200)}`}`);
  }
  return failed.sort();
}
const nondeterminismIn = (ids: string[]): string[] => ids.map((id) => `${id}: nondeterminism`).sort();
/** The histories one code generation recorded (`<path>@<generation>.json`), by name. */
const recordedBy = (generation: string): string[] => files.filter((f) => f.endsWith(`@${generation}.json`)).map((f) => f.replace(/\.json$/, ''));
/** How the named histories replay on the workflow code bundled with test/replay/<shim>/workflow-shim (replayFailures). */
async function failuresUnder(shim: string, names: string[]): Promise<string[]> {
  const code = await bundleWithShim(require.resolve(`./${shim}/workflow-shim`));
  return replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, histories().filter((h) => names.includes(h.workflowId))));
}

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

/** The patch markers each code generation records at the start of a review (file suffix `@<generation>`). */
const GENERATIONS: Record<string, string[]> = {
  'delivery-in-activity': ['notices-v2', 'notify-former-reviewers', 'delivery-in-activity'],
  'review-core-v2': ['notices-v2', 'notify-former-reviewers', 'delivery-in-activity', 'review-core-v2'],
  'review-core-v3': ['review-core-v3'],
  'verifiable-record': ['review-core-v3', 'verifiable-record'],
  'review-card': ['review-card'],
  // Reviews started by the code between verifiable-record's merge and compact-history (both markers at the start;
  // evidence-record, taken at its branch, where a history reaches it).
  'card-and-record': ['review-card', 'verifiable-record'],
  'compact-history': ['compact-history'],
  'local-receipt': ['local-receipt'],
  'local-notices': ['local-notices'],
};
/** Generations whose histories may add evidence-record after their start markers (taken at the close or the first attachment). */
const EVIDENCE_AT_BRANCH = ['card-and-record'];

test('each history carries the patch markers of the code generation that recorded it', () => {
  expect(Object.keys(GENERATIONS)).toContain(HISTORY_GENERATION);
  const before = ['assign-and-reassign', 'cancelled', 'completed-closed-early', 'critical-finding', 'expired-with-escalations-and-disposal-overdue', 'lapsed',
    'pause-auto-resume', 'pause-resume', 'release-date-earlier-then-later', 'release-date-superseded-reminders', 'withdrawn-after-access', 'withdrawn-before-access'];
  // Patches taken at a branch (patched() where the new behaviour differs) appear only in histories that reach it.
  const atBranch: Record<string, string[]> = { 'calendar-seconds-move@delivery-in-activity': ['calendar-minute-moves'], 'evidence-retention@review-core-v3': ['evidence-record'] };
  // A run a review continued into takes its behaviour from the carried state: it records no marker.
  const continued = Object.keys(GENERATIONS).filter((g) => g !== 'delivery-in-activity').map((g) => `continued-as-new-last-run@${g}`);
  for (const f of files) {
    const name = f.replace(/\.json$/, '');
    const generation = name.includes('@') ? name.slice(name.indexOf('@') + 1) : null;
    const branch = generation !== null && EVIDENCE_AT_BRANCH.includes(generation) && patchesIn(f).at(-1) === 'evidence-record' ? ['evidence-record'] : [];
    const expected = continued.includes(name) ? branch
      : generation !== null ? [...(GENERATIONS[generation] ?? [`unknown generation ${generation}`]), ...(atBranch[name] ?? []), ...branch]
        : before.includes(name) ? [] : ['notices-v2'];
    expect([name, patchesIn(f)]).toEqual([name, expected]);
  }
  // Every lifecycle path is recorded by the current code too.
  for (const name of before) expect(files).toContain(`${name}@${HISTORY_GENERATION}.json`);
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

test('without the patch guards, each change would break the reviews recorded before it', async () => {
  // The same workflow code, bundled with patched() answering true: what an unguarded change would be.
  const code = await bundleWithShim(require.resolve('./unpatched/workflow-shim'));
  const old = files.filter((f) => !f.includes('@') && patchesIn(f).length === 0);
  expect(old.length).toBeGreaterThanOrEqual(12);
  const failures = await replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, histories().filter((h) => old.includes(`${h.workflowId}.json`))));
  // Even reviews that never got access fail: they sent their two intake notices as two activities, which
  // review-core-v3 sends as one.
  expect(failures).toEqual(nondeterminismIn(old.map((f) => f.replace(/\.json$/, ''))));

  // The same for delivery-in-activity: reviews recorded by notices-v2 code scheduled webhook activities.
  const v2 = files.filter((f) => patchesIn(f).join() === 'notices-v2');
  expect(v2.length).toBeGreaterThanOrEqual(4);
  const v2Failures = await replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, histories().filter((h) => v2.includes(`${h.workflowId}.json`))));
  expect(v2Failures).toEqual(nondeterminismIn(v2.map((f) => f.replace(/\.json$/, ''))));

  // And for calendar-minute-moves: a review that sent calendar updates for a pause of seconds.
  const seconds = histories().filter((h) => h.workflowId === 'calendar-seconds-move-before-patch@delivery-in-activity');
  expect(seconds).toHaveLength(1);
  expect(await replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, seconds))).toEqual(nondeterminismIn([seconds[0].workflowId]));

  // And for review-core-v2: reviews recorded before it sent a calendar update as soon as an update moved a
  // date; the coalesced code waits for the dates to settle. Each earlier history with such an update fails
  // unguarded. (An auto-resume moves the dates days after the last update: it goes at once either way.)
  const previous = recordedBy('delivery-in-activity');
  const withUpdates = previous.filter((name) => calendarUpdatesIn(`${name}.json`) > 0 && !name.startsWith('pause-auto-resume'));
  expect(withUpdates.length).toBeGreaterThanOrEqual(4);
  expect(await failuresUnder('unpatched-core', previous)).toEqual(nondeterminismIn(withUpdates));

  // And for review-core-v3: every review-core-v2 review sent each notice as an activity of its own, from its
  // two intake notices on. The run a review continued into keeps its carried behaviour, so it replays.
  const v2Core = files.filter((f) => f.endsWith('@review-core-v2.json') && !f.startsWith('continued-as-new-last-run')).map((f) => f.replace(/\.json$/, ''));
  expect(v2Core.length).toBeGreaterThanOrEqual(12);
  const v3Failures = await replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, histories().filter((h) => v2Core.includes(h.workflowId))));
  expect(v3Failures).toEqual(nondeterminismIn(v2Core));

  // And for review-card: every review-core-v3 review wrote no card; unguarded, the first card upsert (at intake)
  // is a command those histories do not hold. The run a review continued into keeps its carried behaviour.
  const v3Core = files.filter((f) => f.endsWith('@review-core-v3.json') && !f.startsWith('continued-as-new-last-run')).map((f) => f.replace(/\.json$/, ''));
  expect(v3Core.length).toBeGreaterThanOrEqual(12);
  expect(await failuresUnder('unpatched-card', v3Core)).toEqual(nondeterminismIn(v3Core));
});

test('without the compact-history guard, every review of the two generations before it would break', async () => {
  // compact-history stands for review-card, verifiable-record and evidence-record: unguarded, the code would not ask
  // for the markers those reviews recorded at their start (nor their TemporalChangeVersion upserts), a review-card
  // review that closed would sign a closure receipt its history does not hold, and evidence-record would be taken at
  // the start instead of at its branch. The run a review continued into keeps its carried switches, so it replays.
  const previous = files.filter((f) => /@(review-card|card-and-record)\.json$/.test(f) && !f.startsWith('continued-as-new-last-run')).map((f) => f.replace(/\.json$/, ''));
  expect(previous.length).toBeGreaterThanOrEqual(30);
  expect(await failuresUnder('unpatched-compact', previous)).toEqual(nondeterminismIn(previous));
});

test('without the local-receipt guard, every compact-history review that signed its receipt would break', async () => {
  // A compact-history review signed its closure receipt in an activity that queried the trail; the new code signs it
  // in a local activity (a marker where the history holds the activity). Reviews that never closed in their recorded
  // history replay either way, and so does a run continued into (its switches are carried).
  const compact = recordedBy('compact-history');
  const signed = compact.filter((name) => !name.startsWith('continued-as-new-last-run') && activityTypesIn(`${name}.json`).includes('signClosureReceipt'));
  expect(signed.length).toBeGreaterThanOrEqual(8);
  expect(signed.length).toBeLessThan(compact.length);
  expect(await failuresUnder('unpatched-receipt', compact)).toEqual(nondeterminismIn(signed));
});

test('without the local-notices guard, every local-receipt review that sent a notice would break', async () => {
  // A local-receipt review sent each batch of notices in a sendNotices activity; the new code first tries a local
  // activity (a marker where the history holds the activity). Only a run continued into, which records no marker and
  // carries its switches, replays either way.
  const receipt = recordedBy('local-receipt');
  const sent = receipt.filter((name) => !name.startsWith('continued-as-new-last-run') && activityTypesIn(`${name}.json`).includes('sendNotices'));
  expect(sent.length).toBeGreaterThanOrEqual(20);
  expect(await failuresUnder('unpatched-notices', receipt)).toEqual(nondeterminismIn(sent));
});

test('without the verifiable-record guard, every review-core-v3 review that closed would break', async () => {
  // A review-core-v3 review that closed sent its closure notices at once; the new code
  // first signs the closure receipt (an activity) and holds the lab's closure mail for it. Reviews that never
  // closed in their recorded history replay either way, and so does a run continued into (its switches are carried).
  // Only this patch answers unguarded here (unpatched-record), so a failure is this change's.
  const v3Core = recordedBy('review-core-v3');
  const v3Closed = v3Core.filter((name) => !name.startsWith('continued-as-new-last-run') && noticeKindsIn(`${name}.json`).includes('review-closed'));
  expect(v3Closed.length).toBeGreaterThanOrEqual(8);
  expect(await failuresUnder('unpatched-record', v3Core)).toEqual(nondeterminismIn(v3Closed));
});

/** The workflow code bundled with `@temporalio/workflow` replaced by `shim` inside workflows/. */
async function bundleWithShim(shim: string): Promise<string> {
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
  return code;
}

/** The activity types a history scheduled, in order. */
function activityTypesIn(file: string): string[] {
  const h = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] };
  return h.events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
}

/** The kinds of the notices a history's sendNotices batches carried (activity inputs). */
function noticeKindsIn(file: string): string[] {
  const h = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string }; input?: { payloads?: { data?: string }[] } } }[] };
  return h.events.flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    const data = a?.activityType?.name === 'sendNotices' ? a.input?.payloads?.[0]?.data : undefined;
    return data === undefined ? [] : (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { notices: { kind: string }[] }).notices.map((n) => n.kind);
  });
}

/** Notices in a history that update a calendar date (ids with `:seq`), from the scheduled activities' inputs. */
function calendarUpdatesIn(file: string): number {
  const h = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string }; input?: { payloads?: { data?: string }[] } } }[] };
  return h.events.filter((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    const data = a?.activityType?.name === 'sendNotice' ? a.input?.payloads?.[0]?.data : undefined;
    return data !== undefined && /:seq\d+\//.test((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
  }).length;
}

test('a deliberately changed workflow fails replay', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./changed-workflow'), logger: silent });
  const failures = await replayFailures(Worker.runReplayHistories({ workflowBundle: { code } }, histories()));
  expect(failures).toEqual(nondeterminismIn(files.map((f) => f.replace(/\.json$/, ''))));
});
