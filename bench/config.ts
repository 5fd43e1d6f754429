/**
 * Benchmark settings: the defaults, scaled by flags or BENCH_* environment variables
 * (`--samples 200` = `BENCH_SAMPLES=200`). `--smoke` is a tiny run (< 1 minute) for CI.
 */
import { parseArgs } from 'node:util';
import { ABUSE_SCENARIOS } from './phases/abuse';
import type { AbuseScenario } from './phases/abuse';
import { TRANSPORTS } from './phases/latency';
import type { Transport } from './phases/latency';
import type { WorkerTuning } from './worker-protocol';
import { PRELOAD_MODULES } from '../shared/workflow-bundle';

const preloadOf = (v: string | undefined): string[] =>
  v === undefined ? PRELOAD_MODULES : v === 'none' ? [] : v.split(',').map((x) => x.trim()).filter(Boolean);

export const PHASES = ['throughput', 'latency', 'memory', 'history', 'abuse', 'storm', 'office'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface BenchConfig {
  smoke: boolean;
  phases: PhaseName[];
  /** Start throughput: workflows per batch, batches per kind (ABBA order), starts in flight at once. */
  n: number;
  rounds: number;
  startConcurrency: number;
  /** Latency samples of the headline series (project default transport) and of the other transports. */
  samples: number;
  altSamples: number;
  /** Tracks per prepared review in the latency phase (1..5), one sample per track. */
  latTracks: number;
  /** SMTP transports of the latency series (see phases/latency.ts). */
  transports: Transport[];
  /** Open reviews for the uncapped memory figure (cache large enough for all). */
  memLevels: number[];
  /**
   * Rounds of the floor-vs-review comparison (ABBA order: floor, review, review, floor for 2), each a fresh worker;
   * its figure is the RSS slope from `memWarm` cached workflows to each level.
   */
  memRounds: number;
  memWarm: number;
  /** MALLOC_ARENA_MAX of every memory-phase worker (0: the system's default). */
  mallocArenaMax: number;
  /** Also measure workflows that do only part of what a review does (its engine work; luxon; valibot), one round each. */
  breakdown: boolean;
  /** Reviews started against a worker with a capped cache, the cap, and how many RSS checkpoints. */
  cappedTotal: number;
  cap: number;
  checkpoints: number;
  /** Tuning of every benchmark worker (the memory phase sets maxCachedWorkflows itself). */
  tuning: WorkerTuning;
  /** Bundle option preloadModules of the review bundle (shared by every workflow in the reused V8 context). */
  preloadModules: string[];
  /**
   * Turn on eager activity dispatch on the dev server (dynamic config system.enableActivityEagerExecution): an activity
   * scheduled by a workflow task goes back to the same worker in the task's completion reply, without a trip through
   * matching. The SDK asks for it by default; the server's default is off.
   */
  eagerActivities: boolean;
  /** Extra dev-server arguments (each "--flag=value" or a bare word). */
  serverArgs: string[];
  /** Time-skipping: days per sleep call; SMTP transport of the in-process worker. */
  stepDays: number;
  historySmtp: 'per-mail' | 'pooled';
  simRepeats: number;
  /** Abuse: valid updates per kind against one review (one review per scenario), and which scenarios. */
  abuseN: number;
  abuseScenarios: AbuseScenario[];
  /** Notice storm: reminders due at one instant; the SMTP pool of the storm worker and of its floor; its activity slots; seconds from the set-up to the instant (default: estimated). */
  stormN: number;
  stormPool: number;
  stormActSlots?: number;
  stormLead?: number;
  /** Also measure the storm's engine floor (no-op workflows due at one instant); off in smoke. */
  stormEngine: boolean;
  /** Program office: reviews on the server (open and closed), and timed requests per page. */
  officeN: number;
  officeSamples: number;
  /** Results file; default bench/results/<date>.json (<date>-smoke.json for --smoke). */
  out?: string;
}

const HELP = `npm run bench -- [options]      (every option also as BENCH_<NAME>, e.g. BENCH_N=500)
  --smoke                 tiny run for CI (< 1 minute)
  --phases LIST           comma list of ${PHASES.join(',')} (default all)
  --n N                   start throughput batch size (default 2000)
  --rounds R              batches per kind, ABBA order (default 2)
  --start-concurrency C   start requests in flight at once (default 200)
  --samples S             latency samples per series (default 500)
  --alt-samples S         samples of the series after the first (default 200)
  --lat-tracks T          tracks per prepared review in the latency phase, one sample each (default 5)
  --transports LIST       SMTP transports of the latency series: pooled (project default), per-mail (default both)
  --mem-levels LIST       open reviews cached for the uncapped figure (default 1000,5000)
  --mem-rounds R          floor-vs-review rounds, ABBA order, fresh worker each (default 2; 1 with --smoke)
  --mem-warm W            cached workflows before the slope's first point (default 100; 2 with --smoke)
  --malloc-arena-max A    MALLOC_ARENA_MAX of the memory phase's workers (default 2; 0 = system default)
  --breakdown             also measure workflows that do only part of a review: its first task's engine work, or
                          loading timeline/luxon or validation/valibot not preloaded (one round each)
  --capped-total N        reviews started against the capped worker (default 10000)
  --cap N                 maxCachedWorkflows of the capped worker (default 1000)
  --checkpoints K         RSS checkpoints of the capped run (default 5)
  --cache N               maxCachedWorkflows of the throughput/latency workers (default 5000)
  --wft-slots N           maxConcurrentWorkflowTaskExecutions (default 40, the SDK default)
  --wft-polls N           maxConcurrentWorkflowTaskPolls (default: SDK default)
  --act-slots N           maxConcurrentActivityTaskExecutions (default 100, the SDK default)
  --act-polls N           maxConcurrentActivityTaskPolls (default: SDK default)
  --reuse-v8 true|false   reuseV8Context (default true, the SDK default)
  --wf-threads N          workflowThreadPoolSize: threads that run workflow activations (default: SDK default, 1 with reuseV8Context)
  --nonsticky-ratio R     nonStickyToStickyPollRatio (default: SDK default 0.2)
  --autoscale-pollers MAX poller autoscaling up to MAX pollers (default: fixed pollers)
  --preload LIST          bundle option preloadModules of the review bundle: a comma list, or none (default: the project's, shared/workflow-bundle.ts)
  --no-eager              leave eager activity dispatch off on the dev server (the server's default)
  --server-arg ARG        extra dev-server argument (repeatable), e.g. --server-arg=--sqlite-pragma=synchronous=normal
  --step-days D           time-skipping: at most D days per sleep call (default 40: one call per scenario step)
  --sim-repeats K         runs of the full 30-day review for the simulated-time figure (default 5)
  --history-smtp T        SMTP transport of the history worker: pooled (project default) or per-mail
  --abuse-n N             abuse: valid updates per kind against one review (default 500; 3 with --smoke)
  --abuse-scenarios LIST  abuse scenarios, comma list of ${ABUSE_SCENARIOS.join(',')} (default all)
  --storm-n M             notice storm: close reminders due at one instant (default 1000; 20 with --smoke)
  --storm-pool P          SMTP connections of the storm worker and of its nodemailer floor (default 5)
  --storm-act-slots S     maxConcurrentActivityTaskExecutions of the storm worker (default: --act-slots, else the SDK's 100)
  --storm-lead SECONDS    from the storm's set-up to its instant (default: estimated from a warm-up)
  --no-storm-engine       skip the storm's engine floor (no-op workflows due at one instant, one mail each)
  --office-n N            program office: reviews on the server, open and closed (default 1000; 20 with --smoke)
  --office-samples S      program office: timed requests per page (default 20; 3 with --smoke)
  --out FILE              results file (default bench/results/<date>.json)
  --report FILE           print the table of a stored results file again, run nothing`;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      help: { type: 'boolean' },
      smoke: { type: 'boolean' },
      phases: { type: 'string' },
      n: { type: 'string' },
      rounds: { type: 'string' },
      'start-concurrency': { type: 'string' },
      samples: { type: 'string' },
      transports: { type: 'string' },
      'alt-samples': { type: 'string' },
      'lat-tracks': { type: 'string' },
      'mem-levels': { type: 'string' },
      'mem-rounds': { type: 'string' },
      'mem-warm': { type: 'string' },
      'malloc-arena-max': { type: 'string' },
      'capped-total': { type: 'string' },
      cap: { type: 'string' },
      checkpoints: { type: 'string' },
      cache: { type: 'string' },
      'wft-slots': { type: 'string' },
      'wft-polls': { type: 'string' },
      'act-slots': { type: 'string' },
      'act-polls': { type: 'string' },
      'reuse-v8': { type: 'string' },
      'wf-threads': { type: 'string' },
      'nonsticky-ratio': { type: 'string' },
      'autoscale-pollers': { type: 'string' },
      'server-arg': { type: 'string', multiple: true },
      preload: { type: 'string' },
      'no-eager': { type: 'boolean' },
      breakdown: { type: 'boolean' },
      'step-days': { type: 'string' },
      'history-smtp': { type: 'string' },
      'sim-repeats': { type: 'string' },
      'abuse-n': { type: 'string' },
      'abuse-scenarios': { type: 'string' },
      'storm-n': { type: 'string' },
      'storm-pool': { type: 'string' },
      'storm-act-slots': { type: 'string' },
      'storm-lead': { type: 'string' },
      'no-storm-engine': { type: 'boolean' },
      'office-n': { type: 'string' },
      'office-samples': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const get = (name: keyof typeof values): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.join(' ');
    return env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  };
  const flag = (name: keyof typeof values): boolean => values[name] === true || /^(1|true|yes)$/i.test(env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? '');
  const int = (name: keyof typeof values, dflt: number, min = 1): number => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got "${raw}"`);
    return n;
  };
  const optInt = (name: keyof typeof values): number | undefined => (get(name) === undefined ? undefined : int(name, 0));
  const list = (name: keyof typeof values, dflt: number[]): number[] => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    const xs = raw.split(',').map((s) => Number(s.trim()));
    if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`--${name} must be a comma list of whole numbers, got "${raw}"`);
    return xs.sort((a, b) => a - b);
  };

  const smoke = flag('smoke');
  const phasesRaw = get('phases');
  const phases = phasesRaw === undefined ? [...PHASES] : phasesRaw.split(',').map((p) => p.trim()) as PhaseName[];
  for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown phase "${p}"; phases: ${PHASES.join(', ')}`);
  const reuse = get('reuse-v8');

  return {
    smoke,
    phases,
    n: int('n', smoke ? 10 : 2000),
    rounds: int('rounds', smoke ? 1 : 2),
    startConcurrency: int('start-concurrency', 200),
    samples: int('samples', smoke ? 5 : 500),
    altSamples: int('alt-samples', smoke ? 5 : 200),
    latTracks: Math.min(5, int('lat-tracks', smoke ? 1 : 5)),
    transports: (() => {
      const raw = get('transports');
      const ts = (raw === undefined ? (smoke ? [TRANSPORTS[0]] : [...TRANSPORTS]) : raw.split(',').map((x) => x.trim())) as Transport[];
      for (const t of ts) if (!TRANSPORTS.includes(t)) throw new Error(`unknown transport "${t}"; transports: ${TRANSPORTS.join(', ')}`);
      return ts;
    })(),
    memLevels: list('mem-levels', smoke ? [10] : [1000, 5000]),
    memRounds: int('mem-rounds', smoke ? 1 : 2),
    memWarm: int('mem-warm', smoke ? 2 : 100),
    mallocArenaMax: int('malloc-arena-max', 2, 0),
    breakdown: flag('breakdown'),
    cappedTotal: int('capped-total', smoke ? 20 : 10_000),
    cap: int('cap', smoke ? 10 : 1000, 2),
    checkpoints: int('checkpoints', smoke ? 1 : 5),
    tuning: {
      maxCachedWorkflows: int('cache', 5000, 2),
      maxConcurrentWorkflowTaskExecutions: optInt('wft-slots'),
      maxConcurrentWorkflowTaskPolls: optInt('wft-polls'),
      maxConcurrentActivityTaskExecutions: optInt('act-slots'),
      maxConcurrentActivityTaskPolls: optInt('act-polls'),
      reuseV8Context: reuse === undefined ? undefined : /^(1|true|yes)$/i.test(reuse),
      workflowThreadPoolSize: optInt('wf-threads'),
      nonStickyToStickyPollRatio: get('nonsticky-ratio') === undefined ? undefined : Number(get('nonsticky-ratio')),
      autoscalePollersMax: optInt('autoscale-pollers'),
    },
    preloadModules: preloadOf(get('preload')),
    eagerActivities: !flag('no-eager'),
    serverArgs: values['server-arg'] ?? (env.BENCH_SERVER_ARGS ? env.BENCH_SERVER_ARGS.split(' ') : []),
    stepDays: int('step-days', 40),
    simRepeats: int('sim-repeats', smoke ? 1 : 5),
    historySmtp: get('history-smtp') === 'per-mail' ? 'per-mail' : 'pooled',
    abuseN: int('abuse-n', smoke ? 3 : 500),
    abuseScenarios: (() => {
      const raw = get('abuse-scenarios');
      const xs = (raw === undefined ? [...ABUSE_SCENARIOS] : raw.split(',').map((x) => x.trim())) as AbuseScenario[];
      for (const x of xs) if (!ABUSE_SCENARIOS.includes(x)) throw new Error(`unknown abuse scenario "${x}"; scenarios: ${ABUSE_SCENARIOS.join(', ')}`);
      return xs;
    })(),
    stormN: int('storm-n', smoke ? 20 : 1000),
    stormPool: int('storm-pool', 5),
    stormActSlots: optInt('storm-act-slots'),
    stormLead: optInt('storm-lead'),
    stormEngine: !smoke && !flag('no-storm-engine'),
    officeN: int('office-n', smoke ? 20 : 1000),
    officeSamples: int('office-samples', smoke ? 3 : 20),
    out: get('out'),
  };
}
