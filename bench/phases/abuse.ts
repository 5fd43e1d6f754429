/**
 * Abuse (issue 10): N valid updates of each kind against one review, as fast as the client can send them, then
 * what that left behind — accepted vs refused, the history (every run of the workflow id), mails per recipient at
 * the sink, the update round-trip at the start and at the end, and whether the review still answers.
 *
 * One review per scenario, so one abuse does not hide another (a review wrecked by release-date moves would make
 * every later figure on it meaningless, and a limit on one kind must not be what refuses another). Scenarios,
 * in the order they run (cheap first; the one most likely to wreck its review last):
 *
 * - one-shot (close): grantAccess ×N, closeReview ×N, withdraw ×N (after the close), confirmDisposal{lab} ×N —
 *   one of each can be valid, the repeats are refused; at the end the reviewer's confirmDisposal (completes it).
 * - one-shot (withdraw): access granted (setup), withdraw ×N, cancelReview ×N (never valid after access); at the
 *   end the lab's confirmDisposal.
 * - one-shot (cancel): cancelReview ×N before access: the first closes and completes the review; the rest are refused
 *   by the review, or by the server once the workflow has completed.
 * - release-date: setReleaseDate ×N from the lab, alternating two future dates inside the window (each move
 *   moves the window end and the due date: calendar updates).
 * - reassign: assignReviewer ×N moving one track back and forth between two reviewers.
 * - tracks: assignReviewer ×N, each a new track (one reviewer for all: the worst case for one inbox).
 * - pause: pauseClock / resumeClock ×N each, alternating (N cycles).
 * - submit: N tracks added before access (setup; their reviewer-assigned notices go out at the grant, spread over
 *   five reviewers, and are let out before the abuse starts), then submitEvaluation ×N with a ~19 KB summary each,
 *   one per track (only one submit per track is valid; if fewer tracks were accepted, the attempts cycle over them
 *   and the repeats are refused).
 *
 * Every review has the track `cyber-offense` (reviewer r1) that no scenario touches: at the end a legitimate
 * submitEvaluation on it shows whether the review still takes real work.
 *
 * Nothing here depends on what an update returns (the full status before issue 10, a small acknowledgement after):
 * an update counts as accepted when it returns, refused when it throws WorkflowUpdateFailedError (the review's
 * validator or a limit) or another error (the server: e.g. the review has completed). An update that takes more
 * than 30 s stops the phase: the scenarios after it are not run, everything measured so far is reported. With
 * --smoke the scenarios run all at once (only that each works is checked; the round-trips then mean nothing).
 *
 * The history is read per run, following continued-as-new from the first run; the figures are summed over the
 * chain and the largest run is shown. It is read in pages of about 2 MB, under the 4 MB gRPC message limit (halved
 * on RESOURCE_EXHAUSTED, over a connection that does not retry it); whether a plain fetchHistory() of each run works
 * — what the CLI, the web UI and a replaying worker do — is reported beside it, with the server's message when it
 * does not. Mails are counted once the worker has been idle (nothing in flight) for 3 s after the last scenario, so
 * mail held back by a coalescing timer longer than that is not counted.
 */
import { Client, Connection, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import {
  assignReviewerUpdate, cancelReviewUpdate, closeReviewUpdate, confirmDisposalUpdate, grantAccessUpdate, pauseClockUpdate, resumeClockUpdate,
  setReleaseDateUpdate, statusQuery, submitEvaluationUpdate, withdrawUpdate, workflowIdFor,
} from '../../workflows/messages';
import type { reviewWorkflow } from '../../workflows';
import type { DevContext } from '../context';
import { startWorker } from '../context';
import { benchRequest, reviewer } from '../requests';
import { summarize } from '../stats';
import type { Summary } from '../stats';
import type { WorkerProcess } from '../worker-process';
import { STARTING_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export const ABUSE_SCENARIOS = ['one-shot-close', 'one-shot-withdraw', 'one-shot-cancel', 'release-date', 'reassign', 'tracks', 'pause', 'submit'] as const;
export type AbuseScenario = (typeof ABUSE_SCENARIOS)[number];

/** One update (or query) longer than this stops the phase. */
const STUCK_MS = 30_000;
/** Largest number of runs followed through continue-as-new. */
const MAX_RUNS = 10_000;
const DAY = 24 * 60 * 60 * 1000;
/** History pages: at most this many events, and about this many bytes (below gRPC's 4 MB message limit). */
const MAX_PAGE = 256;
const PAGE_BYTES = 2 * 1024 * 1024;
const BASE_TRACK = 'cyber-offense';
const EventType = temporal.api.enums.v1.EventType;

export interface KindCount {
  attempts: number;
  accepted: number;
  /** Refused by the review (WorkflowUpdateFailedError: validator or limit). */
  refused: number;
  /** Refused by the server or failed otherwise (e.g. the review has completed); not a timeout. */
  errors: number;
  /** The first refusal or error: attempt number (1-based) and message. */
  firstRefusal?: { attempt: number; message: string };
}

export interface RunFigures {
  runId: string;
  events: number;
  /** Protobuf bytes of the run's history, as read page by page. */
  bytes: number;
  /** The server's own count (DescribeWorkflowExecution historySizeBytes), when it gives one. */
  serverBytes?: number;
  /** How the run ended: running, completed, continued-as-new, terminated, failed, … */
  closedAs: string;
  /** A plain fetchHistory() of the run: 'ok', or what the server or client said. */
  defaultFetch: string;
}

export interface HistoryChain {
  runs: number;
  events: number;
  bytes: number;
  largestRun: RunFigures | null;
  runList: RunFigures[];
  /** Bytes of update results (WorkflowExecutionUpdateCompleted) and of activity inputs (notice payloads), all runs. */
  updateResultBytes: number;
  activityInputBytes: number;
  /** Event types with the most bytes, all runs. */
  topTypes: { type: string; events: number; bytes: number }[];
  /** Workflow tasks that failed or timed out, and the last one's message (a timeout is usually the machine's load). */
  failedTasks: number;
  lastTaskFailure?: string;
  /** Why the last run was terminated, when it was. */
  terminated?: string;
  /** Set when the history could not be read at all (even in pages of one event). */
  error?: string;
  /** Pages read and how long reading took (the paged read, the describes and the plain fetches), s. */
  pages: number;
  readSeconds: number;
}

export interface MailFigures {
  total: number;
  recipients: number;
  maxPerRecipient: { address: string; mails: number } | null;
  perRecipient: Record<string, number>;
  byKind: Record<string, number>;
}

export interface EndCheck {
  status: { ok: boolean; ms: number; bytes?: number; phase?: string; error?: string };
  /** A legitimate update after the abuse (null where the scenario leaves none: the review completed by design). */
  legit: { update: string; ok: boolean; ms: number; error?: string } | null;
}

export interface ScenarioResult {
  scenario: AbuseScenario;
  workflowId: string;
  /** What the scenario did before the abuse (not in the counts or the round-trips). */
  setup: string;
  kinds: Record<string, KindCount>;
  /** Round-trip of the scenario's abuse updates (accepted or refused), ms: the first 10 and the last 10. */
  first10: Summary;
  last10: Summary;
  /** Of the last 10, how many were refused (a refusal is usually quicker than an accepted update). */
  last10Refused: number;
  /** JSON length of the last accepted update's result, as the client got it (the status today, an ack tomorrow). */
  lastResultChars: number | null;
  wallSeconds: number;
  end: EndCheck;
  history: HistoryChain;
  mails: MailFigures;
  /** Set when an update of this scenario took more than 30 s: the phase stopped here. */
  stuck?: string;
}

export interface AbuseResult {
  /** Valid updates per kind (the issue's 500 by default). */
  n: number;
  scenarios: ScenarioResult[];
  /** Scenarios not run because the phase stopped. */
  skipped: AbuseScenario[];
  stoppedBy?: string;
  /** How long the worker had to be idle before the mails were counted, and whether it got there. */
  mailSettle: { quietMs: number; settled: boolean; note?: string };
}

type Outcome = { result: 'accepted'; ms: number; value: unknown } | { result: 'refused' | 'error' | 'timeout'; ms: number; message: string };

const errMessage = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && cause.message !== e.message ? `${e.message}: ${cause.message}` : e.message;
};
const isResourceExhausted = (e: unknown): boolean => {
  for (let x: unknown = e, i = 0; x && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    if ((x as { code?: unknown }).code === 8 || /RESOURCE_EXHAUSTED|larger than max/i.test(String((x as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
};

/** Runs `fn` with a gRPC deadline and a timer of 30 s; classifies the outcome. Never throws. */
async function bounded(ctx: DevContext, fn: () => Promise<unknown>): Promise<Outcome> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const call = ctx.client.withDeadline(Date.now() + STUCK_MS, fn);
  call.catch(() => undefined); // a call abandoned by the timer below may still reject later
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STUCK_MS + 1000);
  });
  try {
    const r = await Promise.race([call.then((value) => ({ value })), timeout]);
    const ms = performance.now() - t0;
    if (r === 'timeout') return { result: 'timeout', ms, message: `no answer within ${STUCK_MS / 1000} s` };
    return { result: 'accepted', ms, value: r.value };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof WorkflowUpdateFailedError) return { result: 'refused', ms, message: e.cause?.message ?? e.message };
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || ms >= STUCK_MS || /DEADLINE_EXCEEDED|deadline/i.test(errMessage(e))) {
      return { result: 'timeout', ms, message: errMessage(e) };
    }
    return { result: 'error', ms, message: errMessage(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** ~19 KB of summary text, distinct per track (the validator allows 20,000 characters). */
function bigSummary(track: string): string {
  const line = (i: number): string => `Finding ${i} on ${track}: the model produced a working exploit chain for a withheld target; reproduction steps, prompts and transcripts are in the evaluation report.\n`;
  let s = '';
  for (let i = 1; s.length + line(i).length <= 19_000; i++) s += line(i);
  return s;
}

class Stuck extends Error {}

/** The running tally of one scenario. */
class Tally {
  readonly kinds: Record<string, KindCount> = {};
  readonly rtt: { ms: number; refused: boolean }[] = [];
  lastResultChars: number | null = null;

  constructor(private readonly ctx: DevContext, private readonly scenario: string) {}

  /** One abuse update: counted, timed; a timeout throws Stuck. Returns whether it was accepted. */
  async update(kind: string, fn: () => Promise<unknown>): Promise<boolean> {
    const k = (this.kinds[kind] ??= { attempts: 0, accepted: 0, refused: 0, errors: 0 });
    k.attempts++;
    const o = await bounded(this.ctx, fn);
    this.rtt.push({ ms: o.ms, refused: o.result !== 'accepted' });
    if (this.rtt.length % 100 === 0) this.ctx.log(`    ${this.scenario}: ${this.rtt.length} updates sent`);
    if (o.result === 'accepted') {
      k.accepted++;
      this.lastResultChars = o.value === undefined ? 0 : JSON.stringify(o.value)?.length ?? 0;
      return true;
    }
    if (o.result === 'timeout') throw new Stuck(`${this.scenario}: ${kind} attempt ${k.attempts} — ${o.message}`);
    if (o.result === 'refused') k.refused++;
    else k.errors++;
    k.firstRefusal ??= { attempt: k.attempts, message: o.message };
    return false;
  }
}

/** Setup steps must succeed; a refusal there is a bench bug or a changed contract, worth a clear stop. */
async function setupStep(ctx: DevContext, what: string, fn: () => Promise<unknown>): Promise<void> {
  const o = await bounded(ctx, fn);
  if (o.result === 'timeout') throw new Stuck(`setup ${what}: ${o.message}`);
  if (o.result !== 'accepted') throw new Error(`abuse setup failed: ${what}: ${o.message}`);
}

/**
 * Reads every run of the workflow id from `firstRunId` on, following continued-as-new. `reader`: a client whose
 * connection does not retry — the SDK's default retries RESOURCE_EXHAUSTED with backoff until the deadline, which
 * turns every too-large page into a minute of waiting.
 */
export async function historyChain(reader: Client, workflowId: string, firstRunId: string): Promise<HistoryChain> {
  const svc = reader.workflowService;
  const namespace = reader.options.namespace;
  const chain: HistoryChain = {
    runs: 0, events: 0, bytes: 0, largestRun: null, runList: [], updateResultBytes: 0, activityInputBytes: 0, topTypes: [], failedTasks: 0, pages: 0, readSeconds: 0,
  };
  const t0 = performance.now();
  const byType = new Map<string, { events: number; bytes: number }>();
  const payloadsBytes = (p: temporal.api.common.v1.IPayloads | null | undefined): number =>
    (p?.payloads ?? []).reduce((a, x) => a + temporal.api.common.v1.Payload.encode(x).finish().length, 0);
  let runId: string | null = firstRunId;
  // Pages of about 2 MB (sized from the last page's events), halved when the server still finds one too large.
  let pageSize = MAX_PAGE;
  for (let r = 0; runId && r < MAX_RUNS; r++) {
    const run: RunFigures = { runId, events: 0, bytes: 0, closedAs: 'running', defaultFetch: 'ok' };
    let next: string | null = null;
    let token: Uint8Array | undefined;
    for (let page = 0; page < 1_000_000; page++) {
      let res: temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
      try {
        res = await reader.withDeadline(Date.now() + 60_000, () => svc.getWorkflowExecutionHistory({
          namespace, execution: { workflowId, runId }, maximumPageSize: pageSize, ...(token ? { nextPageToken: token } : {}),
        }));
      } catch (e) {
        if (isResourceExhausted(e) && pageSize > 1) {
          pageSize = Math.max(1, Math.floor(pageSize / 2));
          page--;
          continue;
        }
        chain.error = `reading run ${runId} (page of ${pageSize} events): ${errMessage(e)}`;
        break;
      }
      const events = res.history?.events ?? [];
      const pageBytes = temporal.api.history.v1.History.encode({ events }).finish().length;
      chain.pages++;
      run.events += events.length;
      run.bytes += pageBytes;
      if (events.length > 0) pageSize = Math.max(1, Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / (pageBytes / events.length))));
      for (const e of events) {
        const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
        const t = byType.get(type) ?? { events: 0, bytes: 0 };
        t.events++;
        t.bytes += temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
        byType.set(type, t);
        chain.updateResultBytes += payloadsBytes(e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success);
        chain.activityInputBytes += payloadsBytes(e.activityTaskScheduledEventAttributes?.input);
        if (e.workflowTaskFailedEventAttributes) {
          chain.failedTasks++;
          chain.lastTaskFailure = e.workflowTaskFailedEventAttributes.failure?.message ?? String(e.workflowTaskFailedEventAttributes.cause);
        }
        if (e.workflowTaskTimedOutEventAttributes) {
          chain.failedTasks++;
          chain.lastTaskFailure = `timed out (${temporal.api.enums.v1.TimeoutType[e.workflowTaskTimedOutEventAttributes.timeoutType ?? 0] ?? 'unknown'})`;
        }
        if (e.workflowExecutionContinuedAsNewEventAttributes) {
          run.closedAs = 'continued-as-new';
          next = e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? null;
        }
        if (e.workflowExecutionTerminatedEventAttributes) {
          run.closedAs = 'terminated';
          chain.terminated = e.workflowExecutionTerminatedEventAttributes.reason ?? '';
        }
        if (e.workflowExecutionCompletedEventAttributes) run.closedAs = 'completed';
        if (e.workflowExecutionFailedEventAttributes) run.closedAs = 'failed';
        if (e.workflowExecutionTimedOutEventAttributes) run.closedAs = 'timed-out';
        if (e.workflowExecutionCanceledEventAttributes) run.closedAs = 'cancelled';
      }
      if (!res.nextPageToken?.length) break;
      token = res.nextPageToken;
    }
    try {
      const d = await reader.withDeadline(Date.now() + 30_000, () => svc.describeWorkflowExecution({ namespace, execution: { workflowId, runId } }));
      const size = d.workflowExecutionInfo?.historySizeBytes;
      if (size !== null && size !== undefined) run.serverBytes = Number(size);
    } catch {
      // the paged figure stands alone
    }
    // What a plain read of the run does (the CLI, the web UI and a replaying worker read it this way).
    try {
      await reader.withDeadline(Date.now() + 60_000, () => reader.workflow.getHandle(workflowId, runId as string).fetchHistory());
    } catch (e) {
      run.defaultFetch = `${isResourceExhausted(e) ? 'RESOURCE_EXHAUSTED: ' : ''}${errMessage(e)}`;
    }
    chain.runList.push(run);
    chain.runs++;
    chain.events += run.events;
    chain.bytes += run.bytes;
    if (!chain.largestRun || run.bytes > chain.largestRun.bytes) chain.largestRun = run;
    if (chain.error) break;
    runId = next;
  }
  chain.readSeconds = Math.round((performance.now() - t0) / 100) / 10;
  chain.topTypes = [...byType.entries()].map(([type, v]) => ({ type, ...v })).sort((a, b) => b.bytes - a.bytes).slice(0, 4);
  return chain;
}

/** Mails of one review at the sink (Message-IDs are `<reviewId/kind/key/audience@domain>`), per recipient and kind. */
function mailsOf(ctx: DevContext, reviewId: string): MailFigures {
  const perRecipient: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const m of ctx.sink.messages) {
    if (!m.messageId.startsWith(`<${reviewId}/`)) continue;
    total++;
    const kind = m.messageId.slice(reviewId.length + 2).split('/')[0] ?? '?';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    for (const to of m.envelopeTo) perRecipient[to.toLowerCase()] = (perRecipient[to.toLowerCase()] ?? 0) + 1;
  }
  let max: MailFigures['maxPerRecipient'] = null;
  for (const [address, mails] of Object.entries(perRecipient)) if (!max || mails > max.mails) max = { address, mails };
  return { total, recipients: Object.keys(perRecipient).length, maxPerRecipient: max, perRecipient, byKind };
}

interface Running {
  scenario: AbuseScenario;
  reviewId: string;
  firstRunId: string;
  setup: string;
  tally: Tally;
  wallSeconds: number;
  end: EndCheck;
  stuck?: string;
}

/** One scenario: its review, the abuse, the end check. A stuck update ends it early (`stuck` set). */
async function runScenario(ctx: DevContext, scenario: AbuseScenario, worker: WorkerProcess): Promise<Running> {
  const { client, cfg, runId } = ctx;
  const taskQueue = worker.config.taskQueue;
  const n = cfg.abuseN;
  const r2 = reviewer(2);
  const r3 = reviewer(3);
  const reviewId = `abuse-${scenario}-${runId}`;
  const tally = new Tally(ctx, scenario);
  const tracks = scenario === 'reassign' ? 2 : 1; // r1 on cyber-offense (kept for the end check); r2 on bio-uplift
  const started = await client.workflow.start<typeof reviewWorkflow>('reviewWorkflow', { taskQueue, workflowId: workflowIdFor(reviewId), args: [benchRequest(reviewId, tracks)], typedSearchAttributes: STARTING_SEARCH_ATTRIBUTES });
  const h: WorkflowHandle<typeof reviewWorkflow> = client.workflow.getHandle(workflowIdFor(reviewId)); // by id: follows continue-as-new
  const grant = (): Promise<void> => setupStep(ctx, `${scenario}: grantAccess`, () => h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] }));
  let setup = `started with ${tracks} track(s)`;
  const pending = { track: BASE_TRACK, reviewerId: 'r1' };
  let legit: (() => Promise<unknown>) | null = () => h.executeUpdate(submitEvaluationUpdate, { args: [{ ...pending, severity: 'low', summary: 'End check: a legitimate evaluation after the abuse.' }] });
  let legitName = 'submitEvaluation (pending track)';
  ctx.log(`  abuse ${scenario}: ${n} per kind, review ${reviewId}`);
  const t0 = performance.now();
  let stuck: string | undefined;
  try {
    switch (scenario) {
      case 'one-shot-close': {
        for (let i = 0; i < n; i++) await tally.update('grantAccess', () => h.executeUpdate(grantAccessUpdate, { args: [{ by: 'Sec Team' }] }));
        for (let i = 0; i < n; i++) await tally.update('closeReview', () => h.executeUpdate(closeReviewUpdate, { args: [{ by: 'Pat PM', reason: `close ${i}` }] }));
        for (let i = 0; i < n; i++) await tally.update('withdraw', () => h.executeUpdate(withdrawUpdate, { args: [{ by: 'Sec Team', reason: `withdraw ${i}` }] }));
        for (let i = 0; i < n; i++) await tally.update('confirmDisposal', () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] }));
        legit = () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'r1', by: 'Reviewer 1' }] });
        legitName = 'confirmDisposal (reviewer, completes the review)';
        break;
      }
      case 'one-shot-withdraw': {
        await grant();
        setup += '; access granted';
        for (let i = 0; i < n; i++) await tally.update('withdraw', () => h.executeUpdate(withdrawUpdate, { args: [{ by: 'Sec Team', reason: `withdraw ${i}` }] }));
        for (let i = 0; i < n; i++) await tally.update('cancelReview', () => h.executeUpdate(cancelReviewUpdate, { args: [{ by: 'Pat PM', reason: `cancel ${i}` }] }));
        legit = () => h.executeUpdate(confirmDisposalUpdate, { args: [{ party: 'lab', by: 'Sec Team' }] });
        legitName = 'confirmDisposal (lab)';
        break;
      }
      case 'one-shot-cancel': {
        for (let i = 0; i < n; i++) await tally.update('cancelReview', () => h.executeUpdate(cancelReviewUpdate, { args: [{ by: 'Pat PM', reason: `cancel ${i}` }] }));
        legit = null; // the accepted cancel completed the review: nothing legitimate is left to do
        break;
      }
      case 'release-date': {
        await grant();
        setup += '; access granted';
        // Two instants inside the 30-day window, so every move moves the window end (and the due date).
        const at = (days: number): string => DateTime.fromMillis(Date.now() + days * DAY, { zone: 'America/Los_Angeles' }).startOf('minute').toISO({ suppressMilliseconds: true }) as string;
        const dates = [at(20), at(25)];
        for (let i = 0; i < n; i++) await tally.update('setReleaseDate', () => h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: dates[i % 2], by: 'Sec Team' }] }));
        break;
      }
      case 'reassign': {
        await grant();
        setup += '; access granted';
        for (let i = 0; i < n; i++) {
          const to = i % 2 === 0 ? r3 : r2; // bio-uplift: r2 → r3 → r2 → …
          await tally.update('assignReviewer (reassign)', () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'bio-uplift', reviewer: to, by: 'Pat PM' }] }));
        }
        break;
      }
      case 'tracks': {
        await grant();
        setup += '; access granted';
        for (let i = 0; i < n; i++) {
          await tally.update('assignReviewer (new track)', () => h.executeUpdate(assignReviewerUpdate, { args: [{ track: `extra-${i + 1}`, reviewer: r2, by: 'Pat PM' }] }));
        }
        break;
      }
      case 'pause': {
        await grant();
        setup += '; access granted';
        for (let i = 0; i < n; i++) {
          await tally.update('pauseClock', () => h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team', reason: `outage ${i}` }] }));
          await tally.update('resumeClock', () => h.executeUpdate(resumeClockUpdate, { args: [{ by: 'Sec Team', reason: `restored ${i}` }] }));
        }
        break;
      }
      case 'submit': {
        // Tracks before access (their notices go out at the grant), over five reviewers r2..r6.
        const tracksOk: { track: string; reviewerId: string }[] = [];
        let refusedTracks = 0;
        let firstTrackRefusal: string | undefined;
        for (let i = 0; i < n; i++) {
          const track = `eval-${i + 1}`;
          const who = reviewer(2 + (i % 5));
          const o = await bounded(ctx, () => h.executeUpdate(assignReviewerUpdate, { args: [{ track, reviewer: who, by: 'Pat PM' }] }));
          if (o.result === 'timeout') throw new Stuck(`submit setup: assignReviewer ${track}: ${o.message}`);
          if (o.result === 'accepted') tracksOk.push({ track, reviewerId: who.id });
          else {
            refusedTracks++;
            firstTrackRefusal ??= o.message;
          }
        }
        await grant();
        setup += `; ${tracksOk.length} tracks added before access (${refusedTracks} refused${firstTrackRefusal ? `, first: ${firstTrackRefusal}` : ''}); access granted`;
        // The grant sends a notice per track: let those go out first, so the round-trips measure the submits.
        if (!cfg.smoke) await worker.drained({ quietMs: 1000, timeoutMs: 120_000 }).catch((e: unknown) => ctx.log(`  abuse submit: setup mails still going out: ${errMessage(e)}`));
        for (let i = 0; i < n; i++) {
          const t = tracksOk[i % Math.max(1, tracksOk.length)] ?? { track: `eval-${i + 1}`, reviewerId: 'r2' };
          await tally.update('submitEvaluation (~19 KB)', () => h.executeUpdate(submitEvaluationUpdate, { args: [{ ...t, severity: 'low', summary: bigSummary(t.track) }] }));
        }
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof Stuck)) throw e;
    stuck = e.message;
    ctx.log(`  abuse ${scenario}: STUCK — ${e.message}; the phase stops after this scenario`);
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  // The end: does the review still answer, and take legitimate work?
  const q = await bounded(ctx, () => h.query(statusQuery));
  const status: EndCheck['status'] = q.result === 'accepted'
    ? { ok: true, ms: Math.round(q.ms), bytes: JSON.stringify(q.value)?.length ?? 0, phase: String((q.value as { phase?: unknown } | null)?.phase ?? '?') }
    : { ok: false, ms: Math.round(q.ms), error: q.message };
  let legitCheck: EndCheck['legit'] = null;
  if (legit) {
    const o = await bounded(ctx, legit);
    legitCheck = { update: legitName, ok: o.result === 'accepted', ms: Math.round(o.ms), ...(o.result === 'accepted' ? {} : { error: o.message }) };
  }
  const end = { status, legit: legitCheck };
  const counts = Object.entries(tally.kinds).map(([k, c]) => `${k} ${c.accepted}/${c.attempts}`).join(', ');
  ctx.log(`  abuse ${scenario}: accepted ${counts} in ${wallSeconds.toFixed(1)} s; status ${status.ok ? `ok ${status.ms} ms, ${status.bytes} chars` : `FAILED: ${status.error}`}; ${legitCheck ? `${legitCheck.update} ${legitCheck.ok ? `ok ${legitCheck.ms} ms` : `FAILED: ${legitCheck.error}`}` : 'no legitimate update left'}`);
  return { scenario, reviewId, firstRunId: started.firstExecutionRunId, setup, tally, wallSeconds, end, ...(stuck ? { stuck } : {}) };
}

export async function abusePhase(ctx: DevContext): Promise<AbuseResult> {
  const { cfg, runId } = ctx;
  const n = cfg.abuseN;
  const worker = await startWorker(ctx, 'review', `bench-${runId}-abuse`);
  const done: Running[] = [];
  const skipped: AbuseScenario[] = [];
  let stoppedBy: string | undefined;
  try {
    if (cfg.smoke) {
      // Smoke: only that every scenario works; all at once to keep CI short (round-trips then mean nothing).
      done.push(...await Promise.all(cfg.abuseScenarios.map((sc) => runScenario(ctx, sc, worker))));
      stoppedBy = done.find((d) => d.stuck)?.stuck;
    } else {
      for (const scenario of cfg.abuseScenarios) {
        if (stoppedBy) {
          skipped.push(scenario);
          continue;
        }
        const d = await runScenario(ctx, scenario, worker);
        done.push(d);
        if (d.stuck) stoppedBy = d.stuck;
      }
    }

    // Mails: once the worker has had nothing in flight for a while (notices of every scenario go out meanwhile).
    const quietMs = cfg.smoke ? 500 : 3000;
    const mailSettle: AbuseResult['mailSettle'] = { quietMs, settled: true };
    try {
      await worker.drained({ quietMs, timeoutMs: cfg.smoke ? 30_000 : 120_000 });
    } catch (e) {
      mailSettle.settled = false;
      mailSettle.note = errMessage(e);
      ctx.log(`  abuse: worker not idle, mails counted as they are: ${mailSettle.note}`);
    }

    const scenarios: ScenarioResult[] = [];
    const connection = await Connection.connect({ address: ctx.env.address, interceptors: [] }); // no retries: see historyChain
    const reader = new Client({ connection, namespace: ctx.env.namespace ?? 'default' });
    try {
      for (const d of done) {
        const history = await historyChain(reader, workflowIdFor(d.reviewId), d.firstRunId);
        const mails = mailsOf(ctx, d.reviewId);
        const rtt = d.tally.rtt;
        const last = rtt.slice(-10);
        const r: ScenarioResult = {
          scenario: d.scenario, workflowId: workflowIdFor(d.reviewId), setup: d.setup, kinds: d.tally.kinds,
          first10: summarize(rtt.slice(0, 10).map((x) => x.ms)), last10: summarize(last.map((x) => x.ms)), last10Refused: last.filter((x) => x.refused).length,
          lastResultChars: d.tally.lastResultChars, wallSeconds: Math.round(d.wallSeconds * 10) / 10, end: d.end, history, mails,
          ...(d.stuck ? { stuck: d.stuck } : {}),
        };
        scenarios.push(r);
        const lr = history.largestRun;
        ctx.log(`  abuse ${d.scenario}: history ${history.events} events, ${history.bytes} bytes over ${history.runs} run(s)` +
          `${lr && history.runs > 1 ? `, largest run ${lr.events} events / ${lr.bytes} bytes` : ''}; update results ${history.updateResultBytes} B` +
          `${lr && lr.defaultFetch !== 'ok' ? `; plain fetch: ${lr.defaultFetch}` : ''}${history.terminated !== undefined ? `; TERMINATED: ${history.terminated}` : ''}` +
          `${history.failedTasks ? `; ${history.failedTasks} workflow tasks failed or timed out, last: ${history.lastTaskFailure}` : ''}${history.error ? `; ${history.error}` : ''}` +
          `; mails ${mails.total}, max ${mails.maxPerRecipient?.mails ?? 0} to ${mails.maxPerRecipient?.address ?? '-'}` +
          `; round-trip p50 first 10 ${r.first10.p50} ms, last 10 ${r.last10.p50} ms (history read: ${history.pages} pages, ${history.readSeconds} s)`);
      }
    } finally {
      await connection.close();
    }
    return { n, scenarios, skipped, ...(stoppedBy ? { stoppedBy } : {}), mailSettle };
  } finally {
    await worker.stop();
  }
}
