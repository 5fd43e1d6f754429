/**
 * Notice storm: M reviews whose close reminders all fall due at one instant, and how fast those reminders reach the
 * SMTP sink, against plain nodemailer sending as many messages to the same sink over a pool of the same size.
 *
 * Set-up. A storm review has no track, the zone UTC, `closeReminderDays: [1]` and its planned release at X + 1 day,
 * X being the storm's instant: the window end is capped at the release, so its one close reminder is due at X
 * (release − 1 calendar day; UTC has no DST) — provided access was granted before X. Nothing else falls due near X
 * (no track: no reviewer reminder, no ready-to-close). Preparing a review (start, grantAccess, their four mails)
 * must end before X, so X comes from a warm-up: W = min(50, M) reviews of the same shape, prepared the same way and
 * as many at once as the storm's (their release ten days out: their reminder is never due during the run).
 * X = now + M × their time per review × 2 + 5 s (on a loaded machine 100 reviews took 1.8× the warm-up's time per
 * review), unless --storm-lead says otherwise; smoke skips the warm-up (and runs beside the abuse phase, see
 * run.ts). A preparation that overran X is reported as such.
 *
 * Measured at the sink: each reminder's lateness (arrival − X), and the rate while reminders flowed, (M − 1) ÷
 * (last − first arrival). Floors, after the storm (storm-floors.ts): plain nodemailer sending M copies of one
 * reminder (the same bytes; median of three rounds) — the target's floor — and, except in smoke, M no-op workflows due at one instant that
 * send one mail each — the engine's. To say what limits the storm: CPU of the worker, the dev server and this process
 * (client and sink) from X to the last arrival, the machine's busy share, the most activities and activations the
 * worker had in flight, the SMTP connections the reminders came over, and where the lateness goes (storm-stages.ts).
 */
import os from 'node:os';
import type { StoredMail } from '../../shared/smtp-sink';
import { grantAccessUpdate, workflowIdFor } from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { startWorker, waitMails } from '../context';
import { busiestThreads, machineCpuMs, processCpuMs, threadCpuMs } from '../proc';
import { benchRequest } from '../requests';
import { pool, sleep } from '../stats';
import type { WorkerProcess } from '../worker-process';
import { arrivals, engineFloor, nodemailerFloor, round } from './storm-floors';
import type { Arrivals, EngineFloor } from './storm-floors';
import { stormStages } from './storm-stages';
import type { StormStages } from './storm-stages';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const DAY_MS = 24 * 60 * 60 * 1000;
/** intake-ack to the lab and the PM at the start, clock-started to both at the grant (no track: no reviewer). */
const PREP_MAILS_PER_REVIEW = 4;
const PREP_CONCURRENCY = 50;
/** Smoke has no warm-up to estimate from: 20 reviews took 5–8 s to prepare at load average 2–9 on 2 cores, alone. */
const SMOKE_LEAD_SECONDS = 12;

export interface StormResult {
  n: number;
  smtpPool: number;
  /** maxConcurrentActivityTaskExecutions of the storm worker (null: the SDK default, 100). */
  activitySlots: number | null;
  loadAverage: number[];
  warmup: { reviews: number; msPerReview: number } | null;
  leadSeconds: number;
  /** Starts, grants, their mails and the worker idle again; must end before the instant. */
  prepSeconds: number;
  /** Seconds from the end of the preparation to the instant (negative: the preparation overran it). */
  slackSeconds: number;
  storm: Arrivals;
  floor: { rounds: Arrivals[]; mailsPerSec: number };
  /** Storm rate ÷ nodemailer floor rate (target ≥ 0.8). */
  ratio: number;
  engine: EngineFloor | null;
  /** From the instant to the last reminder's arrival. */
  during: {
    workerCpuMs: number; serverCpuMs: number | null; benchCpuMs: number; machineBusyPct: number; peakActivities: number; peakActivations: number;
    /** The worker's busiest threads over the same span, with their share of it (one at ~100%: that thread is the limit). Absent in older results. */
    workerThreads?: { tid: number; name: string; ms: number; pctOfWall: number }[];
  };
  /** Where the lateness goes (medians over a sample of reviews, ms after the instant); null if no history could be read. */
  stages: StormStages | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const mailOf = (prefix: string, kind?: string) => (m: StoredMail): boolean => m.messageId.startsWith(`<${prefix}-`) && (kind === undefined || m.messageId.includes(`/${kind}/`));
const slotsOf = (ctx: DevContext): number | null => ctx.cfg.stormActSlots ?? ctx.cfg.tuning.maxConcurrentActivityTaskExecutions ?? null;

/** The storm's worker: the project's activities, its pool size in the URL (which wins, as an operator would set it). */
function startStormWorker(ctx: DevContext): Promise<WorkerProcess> {
  const slots = slotsOf(ctx);
  return startWorker(ctx, 'review', `bench-${ctx.runId}-storm`, {
    smtpUrl: `${ctx.sink.url}?maxConnections=${ctx.cfg.stormPool}`,
    ...(slots !== null ? { tuning: { maxConcurrentActivityTaskExecutions: slots } } : {}),
  });
}

/** Starts and grants `count` reviews due at `instant`, waits for their four mails each and an idle worker. */
async function prepare(ctx: DevContext, worker: WorkerProcess, prefix: string, count: number, instant: number): Promise<void> {
  const { client, sink } = ctx;
  const mark = sink.messages.length;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await pool(ids, PREP_CONCURRENCY, async (id) => {
    const request = benchRequest(id, 0, { timeZone: 'UTC', plannedReleaseAt: iso(instant + DAY_MS), policy: { closeReminderDays: [1] } });
    const h = await client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue: worker.config.taskQueue, workflowId: workflowIdFor(id), args: [request], typedSearchAttributes: STARTING_SEARCH_ATTRIBUTES });
    await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
  });
  await waitMails(sink, mark, mailOf(prefix), PREP_MAILS_PER_REVIEW * count, 900_000);
  await worker.drained({ quietMs: 300 });
}

export async function stormPhase(ctx: DevContext): Promise<StormResult> {
  const { cfg, sink, runId } = ctx;
  const n = cfg.stormN;
  const poolSize = cfg.stormPool;
  const slots = slotsOf(ctx);
  const loadAverage = os.loadavg().map((x) => round(x, 2));
  const worker = await startStormWorker(ctx);
  try {
    let warmup: StormResult['warmup'] = null;
    if (!cfg.smoke) {
      const w = Math.min(PREP_CONCURRENCY, n);
      const tw = Date.now();
      await prepare(ctx, worker, `stormw-${runId}`, w, Date.now() + 10 * DAY_MS);
      warmup = { reviews: w, msPerReview: round((Date.now() - tw) / w) };
    }
    const leadSeconds = cfg.stormLead ?? (warmup ? Math.ceil((n * warmup.msPerReview * 2) / 1000 + 5) : SMOKE_LEAD_SECONDS);
    const instant = Math.ceil((Date.now() + leadSeconds * 1000) / 1000) * 1000;
    ctx.log(`  storm: ${warmup ? `warm-up ${warmup.reviews} reviews, ${warmup.msPerReview} ms per review; ` : ''}${n} reminders due at ${iso(instant)} (in ${leadSeconds} s)`);

    const prefix = `storms-${runId}`;
    const tp = Date.now();
    await prepare(ctx, worker, prefix, n, instant);
    const prepared = Date.now();
    const slackSeconds = round((instant - prepared) / 1000);
    ctx.log(slackSeconds < 0
      ? `  storm: the preparation overran the instant by ${-slackSeconds} s: late grants send no reminder`
      : `  storm: prepared in ${round((prepared - tp) / 1000)} s, ${slackSeconds} s before the instant`);

    await sleep(instant - Date.now() - 200);
    worker.resetPeaks();
    const before = await worker.status();
    const server0 = ctx.serverPid ? processCpuMs(ctx.serverPid) : null;
    const bench0 = process.cpuUsage();
    const machine0 = machineCpuMs();
    const threads0 = worker.pid ? threadCpuMs(worker.pid) : new Map<number, { name: string; ms: number }>();
    const t0 = Date.now();
    const reminder = mailOf(prefix, 'close-reminder');
    const from = sink.messages.length;
    await waitMails(sink, from, reminder, n, 120_000 + n * 200).catch(() => undefined);
    const after = await worker.status();
    const server1 = ctx.serverPid ? processCpuMs(ctx.serverPid) : null;
    const bench1 = process.cpuUsage(bench0);
    const machine1 = machineCpuMs();
    const workerThreads = worker.pid ? busiestThreads(threads0, threadCpuMs(worker.pid), Date.now() - t0) : [];
    const reminders = sink.messages.slice(from).filter(reminder);
    const storm = arrivals(reminders, instant);
    const during = {
      workerCpuMs: Math.round(after.cpuMs - before.cpuMs),
      serverCpuMs: server0 !== null && server1 !== null ? Math.round(server1 - server0) : null,
      benchCpuMs: Math.round((bench1.user + bench1.system) / 1000),
      machineBusyPct: round(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100),
      peakActivities: after.peakActivities, peakActivations: after.peakActivations, workerThreads,
    };
    const late = storm.latenessMs;
    ctx.log(`  storm: ${storm.arrived} of ${n} reminders, ${storm.mailsPerSec}/s over ${storm.seconds} s; lateness p50 ${late?.p50} / p99 ${late?.p99} / max ${late?.max} ms; `
      + `peak ${during.peakActivities} activities, ${during.peakActivations} activations; ${storm.connections} SMTP connections; `
      + `CPU worker ${during.workerCpuMs}, server ${during.serverCpuMs}, bench ${during.benchCpuMs} ms; machine ${during.machineBusyPct}% busy; `
      + `busiest worker threads ${workerThreads.map((t) => `${t.name} ${t.ms} ms (${t.pctOfWall}%)`).join(', ')}`);
    await worker.drained({ quietMs: 500 });
    const stages = await stormStages(ctx.client, reminders, instant, cfg.smoke ? 3 : 10).catch(() => null);
    if (stages) ctx.log(`  storm stages (median of ${stages.sampled}, ms after the instant): timer set for ${stages.timerDue}, fired ${stages.timerFired}, workflow task ${stages.workflowTaskStarted}, `
      + `${stages.local} of ${stages.sampled} sent in it (local), notice scheduled ${stages.activityScheduled ?? '-'}, activity started ${stages.activityStarted ?? '-'}, task completed ${stages.workflowTaskCompleted}, mail at the sink ${stages.mailAtSink}`);
    await worker.stop();

    const raw = reminders[0]?.raw ?? 'Subject: storm floor\r\n\r\nno reminder arrived\r\n';
    // Three rounds, the median is the floor: a few hundred sends take a fraction of a second, and one GC pause or
    // burst of other load moves a round by 2× on a shared machine.
    const rounds: Arrivals[] = [];
    for (let r = 0; r < 3; r++) rounds.push(await nodemailerFloor(sink, raw, n, poolSize, `storm-floor-${runId}-${r}`));
    const floorRate = [...rounds].sort((a, b) => a.mailsPerSec - b.mailsPerSec)[1].mailsPerSec;
    const ratio = floorRate > 0 ? round(storm.mailsPerSec / floorRate, 3) : 0;
    ctx.log(`  storm floor (nodemailer, pool ${poolSize}): ${rounds.map((x) => `${x.mailsPerSec}/s`).join(', ')}; ratio ${ratio}`);
    let engine: EngineFloor | null = null;
    if (cfg.stormEngine) {
      engine = await engineFloor(ctx, n, poolSize, slots, `storm-engine-${runId}`);
      ctx.log(`  storm engine floor (${n} no-op workflows due at once, one mail each): ${engine.arrived} mails, ${engine.mailsPerSec}/s; `
        + `lateness p50 ${engine.latenessMs?.p50} / max ${engine.latenessMs?.max} ms; prepared ${engine.prepSlackSeconds} s before its instant`);
    }
    return {
      n, smtpPool: poolSize, activitySlots: slots, loadAverage, warmup, leadSeconds, prepSeconds: round((prepared - tp) / 1000), slackSeconds,
      storm, floor: { rounds, mailsPerSec: floorRate }, ratio, engine, during, stages,
    };
  } finally {
    await worker.stop();
  }
}
