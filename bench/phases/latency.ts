/**
 * Action → mail latency. A reviewer submits an evaluation with severity "critical" (`submitEvaluation`
 * update; one action at a time, the next sent when the previous one's mails are in, so no load) and we time
 * until the resulting critical-finding notice is stored by the SMTP sink — the sink's clock, not when the benchmark
 * looked, which is after the update's result (the PM's is scheduled first; "all 3" =
 * PM, director and lab). Each sample uses its own review, prepared beforehand (started, access granted) and
 * cached in the worker. A prepared review has `latTracks` tracks (default 5) and gives one sample per track,
 * submitted in track-major order (every review's first track, then every review's second, …).
 *
 * Beside it, on the same server, the engine's floor: a no-op update's round-trip on a no-op workflow, and a
 * no-op update that starts one activity sending one small mail.
 *
 * Each mail series runs once per SMTP transport:
 * - `pooled`:   the project's default — nodemailer's pool, kept connections (SMTP_URL smtp://host:port); nodemailer
 *               10 sets TCP_NODELAY on every SMTP socket, which the `nodelay` series of earlier runs emulated;
 * - `per-mail`: the former default — a new SMTP connection for every mail (SMTP_URL …?pool=false).
 */
import { grantAccessUpdate, submitEvaluationUpdate, workflowIdFor } from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { noticeMail, startWorker, waitMails } from '../context';
import { doneSignal, pingMailUpdate, pingUpdate } from '../noop-messages';
import type { noopUpdateWorkflow } from '../noop-workflow';
import { benchRequest, reviewer, TRACK_NAMES } from '../requests';
import { perMail } from '../smtp-url';
import { pool, sleep, summarize } from '../stats';
import type { Summary } from '../stats';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export const TRANSPORTS = ['pooled', 'per-mail'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface ReviewLatency {
  transport: Transport;
  /** Tracks of each prepared review: one sample per track (a track's evaluation can be submitted once). */
  tracksPerReview: number;
  /** Update sent → update result back at the client. */
  update: Summary;
  /** Update sent → first critical-finding mail at the sink (the figure with the target). */
  firstMail: Summary;
  /** Update sent → all three critical-finding mails at the sink. */
  allMails: Summary;
}

export interface LatencyResult {
  samples: number;
  /** Samples of the series after the first (the project default's). */
  altSamples: number;
  /** No-op update round-trip on a no-op workflow. */
  noopUpdate: Summary;
  /** No-op update that starts one activity sending one mail → the mail at the sink, per transport. */
  noopUpdateToMail: Partial<Record<Transport, Summary>>;
  review: Partial<Record<Transport, ReviewLatency>>;
}

const SUMMARY = 'Automated exploit generation against the withheld CVE set succeeded in 7 of 10 targets.';

function workerSmtp(ctx: DevContext, t: Transport): { smtpUrl: string } {
  return { smtpUrl: t === 'per-mail' ? perMail(ctx.sink.url) : ctx.sink.url };
}

async function floor(ctx: DevContext, transports: Transport[]): Promise<Pick<LatencyResult, 'noopUpdate' | 'noopUpdateToMail'>> {
  const { client, sink, cfg, runId } = ctx;
  const noopUpdateToMail: LatencyResult['noopUpdateToMail'] = {};
  let noopUpdate: Summary | undefined;
  for (const t of transports) {
    const worker = await startWorker(ctx, 'noop', `bench-${runId}-lat-noop-${t}`, { smtpUrl: ctx.sink.url });
    try {
      const h = await client.workflow.start<typeof noopUpdateWorkflow>('noopUpdateWorkflow', { taskQueue: worker.config.taskQueue, workflowId: `lat-noop-${t}-${runId}`, args: [] });
      for (let i = 0; i < 20; i++) await h.executeUpdate(pingUpdate, { args: [i] }); // warm-up
      if (!noopUpdate) {
        const rtt: number[] = [];
        for (let i = 0; i < cfg.samples; i++) {
          const t0 = performance.now();
          await h.executeUpdate(pingUpdate, { args: [i] });
          rtt.push(performance.now() - t0);
        }
        noopUpdate = summarize(rtt);
        ctx.log(`  floor: no-op update round-trip p50 ${noopUpdate.p50} / p95 ${noopUpdate.p95} / p99 ${noopUpdate.p99} ms`);
      }
      const xs: number[] = [];
      const n = t === TRANSPORTS[0] ? cfg.samples : cfg.altSamples;
      for (let i = -10; i < n; i++) {
        const to = `floor-${runId}-${t}-${i + 10}@bench.example`;
        const mark = sink.messages.length;
        const w0 = Date.now();
        await h.executeUpdate(pingMailUpdate, { args: [{ seq: i, to, pooled: t !== 'per-mail' }] });
        const { receivedAt } = await waitMails(sink, mark, (m) => m.envelopeTo.includes(to), 1);
        if (i >= 0) xs.push(receivedAt - w0); // the first 10 warm up
        await sleep(2);
      }
      noopUpdateToMail[t] = summarize(xs);
      ctx.log(`  floor: no-op update → 1 mail (${t}) p50 ${noopUpdateToMail[t]?.p50} / p95 ${noopUpdateToMail[t]?.p95} / p99 ${noopUpdateToMail[t]?.p99} ms`);
      await h.signal(doneSignal);
      await h.result();
      sink.messages.splice(0);
    } finally {
      await worker.stop();
    }
  }
  return { noopUpdate: noopUpdate as Summary, noopUpdateToMail };
}

async function reviewSeries(ctx: DevContext, t: Transport, samples: number): Promise<ReviewLatency> {
  const { client, sink, cfg, runId } = ctx;
  const worker = await startWorker(ctx, 'review', `bench-${runId}-lat-review-${t}`, workerSmtp(ctx, t));
  try {
    const warm = 10;
    const tracks = cfg.latTracks;
    const prefix = `lat-${t}-${runId}`;
    const ids = Array.from({ length: Math.ceil((samples + warm) / tracks) }, (_, i) => `${prefix}-${i}`);
    const mark = sink.messages.length;
    await pool(ids, 50, async (id) => {
      const h = await client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue: worker.config.taskQueue, workflowId: workflowIdFor(id), args: [benchRequest(id, tracks)], typedSearchAttributes: STARTING_SEARCH_ATTRIBUTES });
      await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
    });
    // intake-ack ×2 at start; clock-started ×2 and reviewer-assigned ×tracks at access
    await waitMails(sink, mark, (m) => m.messageId.startsWith(`<${prefix}-`), (4 + tracks) * ids.length, 900_000);
    await worker.drained({ quietMs: 1000 });
    sink.messages.splice(0);

    // Track-major order: each review gets its next submission only after every other review had one.
    const pairs = Array.from({ length: tracks }, (_, k) => ids.map((id) => ({ id, track: k + 1 }))).flat().slice(0, samples + warm);
    const update: number[] = [];
    const first: number[] = [];
    const all: number[] = [];
    for (const [i, { id, track }] of pairs.entries()) {
      const h = client.workflow.getHandle(workflowIdFor(id));
      const from = sink.messages.length;
      const t0 = performance.now();
      const w0 = Date.now();
      await h.executeUpdate(submitEvaluationUpdate, { args: [{ track: TRACK_NAMES[track - 1], reviewerId: reviewer(track).id, severity: 'critical', summary: SUMMARY }] });
      const tUpdate = performance.now();
      const m1 = await waitMails(sink, from, noticeMail(id, 'critical-finding'), 1);
      const m3 = await waitMails(sink, from, noticeMail(id, 'critical-finding'), 3);
      // the last track in: the PM is also told the review is ready to close; let that go out too
      if (track === tracks) await waitMails(sink, from, noticeMail(id, 'ready-to-close'), 1);
      if (i >= warm) {
        update.push(tUpdate - t0);
        // When the sink stored them (its clock, ms): since local-notices the notice leaves within the update's own task, before the result returns.
        first.push(m1.receivedAt - w0);
        all.push(m3.receivedAt - w0);
      }
      await sleep(2);
    }
    sink.messages.splice(0);
    return { transport: t, tracksPerReview: tracks, update: summarize(update), firstMail: summarize(first), allMails: summarize(all) };
  } finally {
    await worker.stop();
  }
}

export async function latencyPhase(ctx: DevContext): Promise<LatencyResult> {
  const transports = ctx.cfg.transports;
  const f = await floor(ctx, transports);
  const review: LatencyResult['review'] = {};
  for (const t of transports) {
    const r = await reviewSeries(ctx, t, t === TRANSPORTS[0] ? ctx.cfg.samples : ctx.cfg.altSamples);
    review[t] = r;
    ctx.log(`  review (${t}): submitEvaluation → first critical-finding mail p50 ${r.firstMail.p50} / p95 ${r.firstMail.p95} / p99 ${r.firstMail.p99} ms; update ${r.update.p50} ms p50`);
  }
  return { samples: ctx.cfg.samples, altSamples: ctx.cfg.altSamples, ...f, review };
}
