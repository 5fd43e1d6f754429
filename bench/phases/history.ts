/**
 * History size and simulated time, on the Java time-skipping test server (serverPaths().testServer) with an
 * in-process worker, the project's activities and the SMTP sink. Three reviews, driven to the end:
 *
 * - one-track, full window: access granted at once, evaluation in on day 5, the window runs to day 30
 *   (three close reminders, deadline enforcement), lab and reviewer confirm disposal. Its wall time from
 *   the start request to the workflow result is the "simulated time" figure (30+ days).
 * - one-track, closed early: as above but the PM closes on day 5 (the shortest complete review).
 * - five tracks, every notice: access granted on day 8 (two access reminders), a critical finding, three
 *   evaluations in on time, the fifth late (reviewer reminder, overdue to PM and reviewer, director
 *   escalation), ready-to-close, three close reminders, closed at window end, disposal requests, nobody
 *   confirms for 6 days (disposal-overdue ×3 per party), then everyone confirms. Every notice kind except
 *   review-lapsed, which only a review that never got access can send.
 *
 * Bytes are the protobuf encoding of the history (what the server stores and sends to a replaying worker).
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { SmtpSink } from '../../shared/smtp-sink';
import {
  closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, statusQuery, submitEvaluationUpdate, workflowIdFor,
} from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { NoticePayload, NoticeResult, ReviewStatus, Severity } from '../../workflows/types';
import { messageIdFor } from '../../activities/message-id';
import { createSendNotices } from '../../activities/send-notices';
import { summarize } from '../stats';
import type { Summary } from '../stats';
import { MAIL_FROM } from '../context';
import { benchRequest, reviewer, TRACK_NAMES } from '../requests';
import { perMail } from '../smtp-url';
import { startingSearchAttributes } from '../../workflows/search-attributes';
import { reviewWorkflowBundle } from '../../shared/workflow-bundle';

const EventType = temporal.api.enums.v1.EventType;
const DAY = 24 * 60 * 60 * 1000;

export interface HistoryFigures {
  name: string;
  events: number;
  bytes: number;
  /** Wall time from the start request to the workflow result, ms. */
  wallMs: number;
  notices: number;
  noticeKinds: string[];
  outcome: string | null;
  /** Events and bytes by event type, largest first. */
  byType: { type: string; events: number; bytes: number }[];
  /** Bytes of the update results (the full status view) inside WorkflowExecutionUpdateCompleted events. */
  updateResultBytes: number;
  /** Bytes of activity inputs (the notice payloads) inside ActivityTaskScheduled events. */
  activityInputBytes: number;
  /** Activities scheduled, by activity type. */
  activityTypes: Record<string, number>;
}

export interface HistoryResult {
  server: 'time-skipping';
  /** Days the test server's clock is advanced per sleep call, and the SMTP transport of the in-process worker. */
  stepDays: number;
  smtp: 'per-mail' | 'pooled';
  /**
   * Wall time (ms) of the full one-track review, start → result, over repeated runs: with the project's activities
   * and real SMTP to the sink, and with sendNotice answering at once (engine + workflow + other activities only).
   */
  simulated: { real: Summary; stubbed: Summary };
  oneTrackFull: HistoryFigures;
  oneTrackEarly: HistoryFigures;
  fiveTracks: HistoryFigures;
}

function measure(name: string, history: temporal.api.history.v1.IHistory, wallMs: number, s: ReviewStatus): HistoryFigures {
  const events = history.events ?? [];
  const byType = new Map<string, { events: number; bytes: number }>();
  let updateResultBytes = 0;
  let activityInputBytes = 0;
  const activityTypes: Record<string, number> = {};
  const payloadsBytes = (p: temporal.api.common.v1.IPayloads | null | undefined): number =>
    (p?.payloads ?? []).reduce((a, x) => a + temporal.api.common.v1.Payload.encode(x).finish().length, 0);
  for (const e of events) {
    const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    const bytes = temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    const t = byType.get(type) ?? { events: 0, bytes: 0 };
    t.events++;
    t.bytes += bytes;
    byType.set(type, t);
    updateResultBytes += payloadsBytes(e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success);
    activityInputBytes += payloadsBytes(e.activityTaskScheduledEventAttributes?.input);
    const activityType = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activityType) activityTypes[activityType] = (activityTypes[activityType] ?? 0) + 1;
  }
  return {
    name,
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    wallMs: Math.round(wallMs),
    notices: s.notices.length,
    noticeKinds: [...new Set(s.notices.map((n) => n.kind))],
    outcome: s.outcome,
    byType: [...byType.entries()].map(([type, v]) => ({ type, ...v })).sort((a, b) => b.bytes - a.bytes),
    updateResultBytes,
    activityInputBytes,
    activityTypes,
  };
}

/** Advances the test server's clock to `day` days after `origin`, in steps so each timer fires in order. */
async function advanceTo(env: TestWorkflowEnvironment, origin: number, day: number, stepDays: number): Promise<void> {
  for (;;) {
    const now = await env.currentTimeMs();
    const left = origin + day * DAY - now;
    if (left <= 0) return;
    await env.sleep(Math.min(left, stepDays * DAY));
  }
}

export async function historyPhase(
  sink: SmtpSink, bundlePath: string, testServer: string, ledgerPath: string, log: (m: string) => void,
  opts: { stepDays: number; pooledSmtp: boolean; repeats: number },
): Promise<HistoryResult> {
  const { stepDays } = opts;
  const { startTimeSkippingServer } = await import('../../shared/time-skipping-server');
  const server = await startTimeSkippingServer(testServer);
  const { env } = server;
  try {
    const realActivities = createActivities({ smtpUrl: opts.pooledSmtp ? sink.url : perMail(sink.url), mailFrom: MAIL_FROM, smtpTimeoutSeconds: 5, ledgerPath });
    // The same activities, except that a notice "goes out" at once without SMTP: what the engine and the workflow cost alone.
    const stubSend = async (n: NoticePayload): Promise<NoticeResult> => ({ messageId: messageIdFor(n.id), accepted: n.to.map((p) => p.email), rejected: [], response: '250 stubbed' });
    const stubbedActivities = {
      ...createActivities({ smtpUrl: sink.url, mailFrom: MAIL_FROM, smtpTimeoutSeconds: 5, ledgerPath: `${ledgerPath}-stubbed` }),
      sendNotice: stubSend,
      sendNotices: createSendNotices(stubSend),
    };
    const bundle = await reviewWorkflowBundle({ codePath: bundlePath });
    const mkWorker = (taskQueue: string, activities: object): Promise<Worker> => Worker.create({
      connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, ...bundle, activities,
    });
    const real = await mkWorker('bench-history', realActivities);
    const stubbed = await mkWorker('bench-history-stubbed', stubbedActivities);
    let seq = 0;
    const start = (taskQueue: string, id: string, tracks: number): Promise<WorkflowHandle<typeof reviewWorkflow>> =>
      env.client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue, workflowId: workflowIdFor(`${id}-${seq++}`), args: [benchRequest(`${id}-${seq}`, tracks)], typedSearchAttributes: startingSearchAttributes(benchRequest(`${id}-${seq}`, tracks)) });
    const submit = (h: WorkflowHandle, track: number, severity: Severity) =>
      h.executeUpdate(submitEvaluationUpdate, { args: [{ track: TRACK_NAMES[track - 1], reviewerId: reviewer(track).id, severity, summary: `Track ${track}: findings recorded in the evaluation report.` }] });
    const finish = async (name: string, h: WorkflowHandle, t0: number, quiet = false): Promise<HistoryFigures> => {
      await h.result();
      const wall = performance.now() - t0;
      const s = await h.query(statusQuery);
      const history = await h.fetchHistory();
      const f = measure(name, history, wall, s);
      // For reading a history event by event: BENCH_HISTORY_DIR=<dir> writes each measured one as JSON.
      if (process.env.BENCH_HISTORY_DIR && !quiet) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(`${process.env.BENCH_HISTORY_DIR}/${name.replace(/[^a-z0-9]+/gi, '-')}.json`, JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.create(history), { longs: String, enums: String }), null, 1));
      }
      if (!quiet) log(`  ${name}: ${f.events} events, ${f.bytes} bytes, ${f.notices} notices, outcome ${f.outcome}, ${f.wallMs} ms wall`);
      return f;
    };
    /** One track, full window: granted at once, evaluation in on day 5, window to its end, disposal confirmed. */
    const oneTrackFullRun = async (taskQueue: string, name: string, quiet = false): Promise<HistoryFigures> => {
      const t0 = performance.now();
      const h = await start(taskQueue, 'hist-one-full', 1);
      const origin = await env.currentTimeMs();
      await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
      await advanceTo(env, origin, 5, stepDays);
      await submit(h, 1, 'low');
      await advanceTo(env, origin, 30.5, stepDays);
      for (const party of ['lab', 'r1']) await h.executeUpdate(confirmDisposalUpdate, { args: [{ party, by: party }] });
      return finish(name, h, t0, quiet);
    };

    return await real.runUntil(() => stubbed.runUntil(async () => {
      // Warm-up of both workers (bundle load, V8 context, first SMTP connection): not measured.
      for (const tq of ['bench-history', 'bench-history-stubbed']) {
        const h = await start(tq, 'hist-warm', 1);
        await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
        await h.executeUpdate(closeReviewUpdate, { args: [{ by: 'Pat PM' }] });
        for (const party of ['lab', 'r1']) await h.executeUpdate(confirmDisposalUpdate, { args: [{ party, by: party }] });
        await h.result();
      }

      const oneTrackFull = await oneTrackFullRun('bench-history', 'one track, full 30-day window');

      // One track, closed early by the PM.
      let t0 = performance.now();
      let h = await start('bench-history', 'hist-one-early', 1);
      let origin = await env.currentTimeMs();
      await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
      await advanceTo(env, origin, 5, stepDays);
      await submit(h, 1, 'low');
      await h.executeUpdate(closeReviewUpdate, { args: [{ by: 'Pat PM', reason: 'all tracks done' }] });
      for (const party of ['lab', 'r1']) await h.executeUpdate(confirmDisposalUpdate, { args: [{ party, by: party }] });
      const oneTrackEarly = await finish('one track, closed early', h, t0);

      // Five tracks, every notice.
      t0 = performance.now();
      h = await start('bench-history', 'hist-five', 5);
      origin = await env.currentTimeMs();
      await advanceTo(env, origin, 8, stepDays); // access reminders on days 3 and 7
      await h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] });
      await advanceTo(env, origin, 10, stepDays);
      await submit(h, 1, 'critical');
      await submit(h, 2, 'low');
      await submit(h, 3, 'medium');
      await submit(h, 4, 'high');
      await advanceTo(env, origin, 8 + 25, stepDays); // T0+18 reminder, +21 overdue, +24 director escalation
      await submit(h, 5, 'medium'); // late: ready-to-close
      await advanceTo(env, origin, 8 + 30.5, stepDays); // close reminders T0+23, +27, +29; window end T0+30
      await advanceTo(env, origin, 8 + 30 + 6, stepDays); // disposal overdue at close + 5 days
      for (const party of ['lab', 'r1', 'r2', 'r3', 'r4', 'r5']) await h.executeUpdate(confirmDisposalUpdate, { args: [{ party, by: party }] });
      const fiveTracks = await finish('five tracks, every notice', h, t0);

      // Simulated time: the full one-track review again, `repeats` times with real SMTP and with the mail stubbed.
      const walls = { real: [] as number[], stubbed: [] as number[] };
      for (let i = 0; i < opts.repeats; i++) {
        walls.real.push((await oneTrackFullRun('bench-history', 'simulated time (real SMTP)', true)).wallMs);
        walls.stubbed.push((await oneTrackFullRun('bench-history-stubbed', 'simulated time (mail stubbed)', true)).wallMs);
      }
      const simulated = { real: summarize(walls.real), stubbed: summarize(walls.stubbed) };
      log(`  simulated time, ${opts.repeats} runs: real SMTP p50 ${simulated.real.p50} ms (min ${simulated.real.min}), mail stubbed p50 ${simulated.stubbed.p50} ms (min ${simulated.stubbed.min})`);

      return {
        server: 'time-skipping' as const, stepDays, smtp: opts.pooledSmtp ? 'pooled' as const : 'per-mail' as const,
        oneTrackFull, oneTrackEarly, fiveTracks, simulated,
      };
    }));
  } finally {
    await server.stop();
  }
}
