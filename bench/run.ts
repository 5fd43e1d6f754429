/**
 * `npm run bench`: the cost of a review against the engine's own floor (issue 6), and what repeated valid
 * updates do to one review (the abuse phase, issue 10). Starts its own Temporal
 * dev server (SQLite file in WAL mode) and SMTP sink, bundles the review and the no-op workflows once, runs
 * the phases, prints a markdown table and writes bench/results/<date>T<hhmm>.json. See BENCHMARKS.md.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpSink } from '../shared/smtp-sink';
import { serverPaths } from '../shared/temporal-servers';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { parseConfig } from './config';
import { BREAKDOWN_VARIANTS } from './context';
import type { BreakdownVariant, DevContext } from './context';
import { abusePhase } from './phases/abuse';
import { historyPhase } from './phases/history';
import { latencyPhase } from './phases/latency';
import { memoryPhase } from './phases/memory';
import { officePhase } from './phases/office';
import { stormPhase } from './phases/storm';
import { throughputPhase } from './phases/throughput';
import { devServerPid } from './proc';
import { machineInfo, table, verdicts } from './report';
import type { Results } from './report';

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };

/** `npm run bench -- --report FILE`: prints the table of a stored run again (verdicts recomputed by the current rules). */
function reprint(file: string): void {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Results;
  stored.verdicts = verdicts(stored);
  console.log(table(stored));
}

async function main(): Promise<void> {
  const reportAt = process.argv.indexOf('--report');
  if (reportAt >= 0) return reprint(process.argv[reportAt + 1] ?? '');
  const cfg = parseConfig(process.argv.slice(2));
  const began = Date.now();
  const log = (msg: string): void => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const paths = serverPaths();
  const machine = machineInfo(paths.cli);
  log(`${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}; phases ${cfg.phases.join(', ')}${cfg.smoke ? ' (smoke)' : ''}`);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'frontier-bench-'));
  const sink = new SmtpSink();
  await sink.listen();
  let env: TestWorkflowEnvironment | undefined;
  let historySink: SmtpSink | undefined;
  const partial: Omit<Results, 'verdicts' | 'durationSeconds'> = { date: new Date().toISOString(), smoke: cfg.smoke, machine, config: cfg };
  // A phase that fails is reported with the others' figures, not instead of them: a full run takes most of an hour.
  const failed: { phase: string; error: string }[] = [];
  const phase = async (name: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      failed.push({ phase: name, error });
      log(`  ${name}: FAILED — ${error}`);
    }
  };
  try {
    // Prebuilt bundles: each worker loads a file instead of running webpack (~2 s and ~100 MB each).
    log('bundling the review workflows and the no-op workflows');
    const bundles: DevContext['bundles'] = { review: path.join(tmp, 'review-bundle.js'), noop: path.join(tmp, 'noop-bundle.js') };
    writeFileSync(bundles.review, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger, preloadModules: cfg.preloadModules })).code);
    writeFileSync(bundles.noop, (await bundleWorkflowCode({ workflowsPath: require.resolve('./noop-workflow'), logger: quietLogger })).code);
    if (cfg.phases.includes('memory')) {
      // The engine floor always (the memory target's reference); the partial loads only with the breakdown.
      const breakdown: Partial<Record<BreakdownVariant, string>> = {};
      for (const v of BREAKDOWN_VARIANTS.filter((x) => x === 'floor' || cfg.breakdown)) {
        breakdown[v] = path.join(tmp, `breakdown-${v}-bundle.js`);
        writeFileSync(breakdown[v], (await bundleWorkflowCode({ workflowsPath: require.resolve(`./breakdown/${v}-workflow`), logger: quietLogger })).code);
      }
      Object.assign(bundles, { breakdown });
    }

    const devPhases = cfg.phases.filter((p) => p !== 'history');
    const dev = async (): Promise<void> => {
      if (devPhases.length === 0) return;
      log('starting the Temporal dev server (SQLite, WAL)');
      env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: paths.cli },
          dbFilename: path.join(tmp, 'temporal.sqlite'),
          searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS,
          extraArgs: [
            '--sqlite-pragma', 'journal_mode=wal',
            ...(cfg.eagerActivities ? ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] : []),
            ...cfg.serverArgs.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a])),
          ],
        },
      });
      const port = Number(env.address.slice(env.address.lastIndexOf(':') + 1));
      const ctx: DevContext = { cfg, env, client: env.client, sink, bundles, runId: Date.now().toString(36), tmpDir: tmp, serverPid: devServerPid(port), log };
      // The office first: its pages list every review on the server, and it times them over its own 1,000. After the
      // other phases the server holds ~20,000 more (memory, storm), and a listing of all of them is a different figure.
      if (cfg.phases.includes('office')) {
        log(`program office: ${cfg.officeN} reviews, list, portfolio and metrics timed over ${cfg.officeSamples} requests each`);
        await phase('office', async () => { partial.office = await officePhase(ctx); });
      }
      if (cfg.phases.includes('throughput')) {
        log(`start throughput: ${cfg.n} per batch, ${cfg.rounds} batch(es) per kind`);
        await phase('throughput', async () => { partial.throughput = await throughputPhase(ctx); });
      }
      if (cfg.phases.includes('latency')) {
        log(`action → mail latency: ${cfg.samples} samples per series`);
        await phase('latency', async () => { partial.latency = await latencyPhase(ctx); });
      }
      const memory = async (): Promise<void> => {
        if (!cfg.phases.includes('memory')) return;
        log(`worker memory: ${cfg.memLevels.join(', ')} cached; ${cfg.cappedTotal} with maxCachedWorkflows ${cfg.cap}`);
        await phase('memory', async () => { partial.memory = await memoryPhase(ctx); });
      };
      const abuse = async (): Promise<void> => {
        if (!cfg.phases.includes('abuse')) return;
        log(`abuse: ${cfg.abuseN} valid updates per kind, one review per scenario (${cfg.abuseScenarios.join(', ')})`);
        await phase('abuse', async () => { partial.abuse = await abusePhase(ctx); });
      };
      const storm = async (): Promise<void> => {
        if (!cfg.phases.includes('storm')) return;
        log(`notice storm: ${cfg.stormN} close reminders due at one instant; SMTP pool ${cfg.stormPool}, ${cfg.stormActSlots ?? 'default'} activity slots`);
        await phase('storm', async () => { partial.storm = await stormPhase(ctx); });
      };
      // Smoke runs the memory phase (a worker child of its own), the abuse phase and the storm side by side: none of
      // their smoke figures is a timing (tiny sizes; the abuse scenarios run all at once anyway), and one after the
      // other they would add ~25 s to the smoke run, which is there to show that every phase still runs.
      // The sink is emptied between them, not by a phase: the phases wait for mail by index into the shared list, so
      // one that removed mail while another waited would shift that one's mail past its cursor.
      const clearSink = (): void => void sink.messages.splice(0);
      if (cfg.smoke) await Promise.all([memory(), abuse(), storm()]);
      else {
        await memory();
        clearSink();
        await abuse();
        clearSink();
        await storm();
      }
      clearSink();
      await env.teardown();
      env = undefined;
    };
    const history = async (historySink: SmtpSink): Promise<void> => {
      if (!cfg.phases.includes('history')) return;
      log('history size and simulated time (time-skipping server)');
      await phase('history', async () => { partial.history = await historyPhase(historySink, bundles.review, paths.testServer, path.join(tmp, 'ledger-history.sqlite'), log, { stepDays: cfg.stepDays, pooledSmtp: cfg.historySmtp === 'pooled', repeats: cfg.simRepeats }); });
    };
    // Smoke runs the history phase (its own time-skipping server, worker and sink) beside the dev server's phases:
    // smoke figures are not timings, and one after the other it would add ~10 s to the smoke run.
    if (cfg.smoke) {
      historySink = new SmtpSink();
      await historySink.listen();
      await Promise.all([dev(), history(historySink)]);
    } else {
      await dev();
      await history(sink);
    }
  } finally {
    await env?.teardown();
    await historySink?.close();
    await sink.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  const results: Results = { ...partial, durationSeconds: (Date.now() - began) / 1000, verdicts: [], ...(failed.length > 0 ? { failed } : {}) };
  results.verdicts = verdicts(results);
  // Date and time: a second run on the same day must not overwrite the first.
  const stamp = results.date.slice(0, 16).replace(':', '');
  const out = cfg.out ?? path.join(__dirname, 'results', `${stamp}${cfg.smoke ? '-smoke' : ''}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${table(results)}\n\nresults: ${path.relative(process.cwd(), out)}`);
  for (const f of failed) console.error(`phase ${f.phase} failed: ${f.error}`);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
