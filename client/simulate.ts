/**
 * `review simulate <file.json> --script what-if.json`: a PM's "what if". Runs the real workflow and the real
 * activities on the Temporal time-skipping test server (in this process: server, worker, an SMTP sink that
 * keeps the mail in memory), applies the scripted events at their days, lets the clock run, and returns the
 * notices in the order the review sent them. Nothing leaves this machine: the request's webhooks are dropped
 * and the global ones are off.
 */
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { createActivities } from '../activities';
import { SmtpSink } from '../shared/smtp-sink';
import { serverPaths } from '../shared/temporal-servers';
import { startTimeSkippingServer } from '../shared/time-skipping-server';
import { workflowIdFor } from '../workflows/messages';
import { array, lengthMessage, maxLength, number, strictObject, wrongType } from '../workflows/schema';
import { addCalendarDays, toIso } from '../workflows/timeline';
import type { NoticeRecord, ReviewRequest, ReviewStatus } from '../workflows/types';
import { ReviewError } from './errors';
import { ReviewClient, UPDATES } from './review-client';
import type { UpdateName } from './review-client';
import { clearTimersBeforeUpdate, eventTimeMs, pendingTimers } from './timer-guard';
import { PRELOAD_MODULES, WORKFLOWS_PATH } from '../shared/workflow-bundle';

const UPDATE_NAMES = Object.keys(UPDATES) as [UpdateName, ...UpdateName[]];
export const MAX_SIMULATION_DAYS = 120;

/** Unknown fields, in zod's default words (this file kept zod's wording where it gave none of its own). */
const unrecognized = (keys: string[]): string => `Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((k) => `"${k}"`).join(', ')}`;
const dayNumber = () => v.pipe(number(wrongType('number')), v.minValue(0, 'must be at least 0'), v.maxValue(MAX_SIMULATION_DAYS, `must be at most ${MAX_SIMULATION_DAYS}`));
/** A plain object (JSON's kind, not an array, a Date or a class instance), copied without an own "__proto__" key. */
function isPlainObject(input: unknown): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const ctor = (input as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return true;
  const prototype: unknown = ctor.prototype;
  return typeof prototype === 'object' && prototype !== null && !Array.isArray(prototype) && Object.prototype.hasOwnProperty.call(prototype, 'isPrototypeOf');
}
const record = () => v.pipe(
  v.custom<Record<string, unknown>>(isPlainObject, wrongType('record')),
  v.transform((input) => Object.fromEntries(Object.keys(input).filter((k) => k !== '__proto__').map((k) => [k, input[k]]))),
);
const scriptSchema = strictObject({
  description: v.optional(v.pipe(v.string(wrongType('string')), maxLength(2000, lengthMessage('max', 2000)))),
  steps: array(strictObject({
    day: dayNumber(),
    action: v.picklist(UPDATE_NAMES, `must be one of ${UPDATE_NAMES.join(', ')}`),
    args: record(),
  }, { type: wrongType('object'), unknown: unrecognized }), { max: 200 }, { type: wrongType('array'), tooMany: 'must list at most 200 steps' }),
  untilDay: v.optional(dayNumber()),
}, { type: wrongType('object'), unknown: unrecognized });

export type WhatIfScript = v.InferOutput<typeof scriptSchema>;

/** Validates a what-if script; field paths in the error, as everywhere else. */
export function parseScript(input: unknown): WhatIfScript {
  const r = v.safeParse(scriptSchema, input);
  if (r.success) return r.output;
  const issues = r.issues.map((i) => ({
    path: (i.path ?? []).map((item) => item.key).reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), ''),
    message: i.message,
  }));
  throw new ReviewError('validation', `invalid what-if script: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

export interface SimulatedStep {
  day: number;
  action: UpdateName;
  at: string;
  ok: boolean;
  error?: string;
}

export interface SimulationResult {
  reviewId: string;
  timeZone: string;
  startAt: string;
  endAt: string;
  steps: SimulatedStep[];
  /** Every notice, in the order the review issued them. */
  notices: NoticeRecord[];
  /** Mails the sink received. */
  mails: number;
  final: ReviewStatus;
}

export interface SimulateOptions {
  /** Progress lines (server start, days reached) for a person watching. */
  onProgress?: (line: string) => void;
  /** A prebuilt workflow bundle (bundleWorkflowCode output); default $FRONTIER_REVIEW_WORKFLOW_BUNDLE, else bundled now. */
  workflowBundlePath?: string;
}

const DAY_TOKEN = /^day (\d+(?:\.\d+)?)$/;

/** `"day 25"` anywhere in a step's arguments becomes the ISO instant 25 days after the start (review zone). */
function resolveDays(value: unknown, startAt: number, zone: string): unknown {
  if (typeof value === 'string') {
    const m = DAY_TOKEN.exec(value);
    return m ? toIso(instantOfDay(Number(m[1]), startAt, zone), zone) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveDays(v, startAt, zone));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDays(v, startAt, zone)]));
  return value;
}

/** Whole days are calendar days in the review's zone (wall-clock time kept across DST); a fraction adds hours. */
function instantOfDay(day: number, startAt: number, zone: string): number {
  const whole = Math.floor(day);
  return addCalendarDays(startAt, whole, zone) + Math.round((day - whole) * 24 * 3_600_000);
}

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Errors only, and on stderr: stdout carries the result (--json).
    Runtime.install({ logger: new DefaultLogger('ERROR', (e) => process.stderr.write(`${e.level} ${e.message}\n`)) });
  } catch {
    // a runtime is already installed in this process (tests): keep it
  }
}

const STEP_MS = 12 * 3_600_000;

export async function simulate(requestInput: ReviewRequest, scriptInput: unknown, options: SimulateOptions = {}): Promise<SimulationResult> {
  const script = parseScript(scriptInput);
  // Webhooks would post to real endpoints: a what-if stays on this machine.
  const request: ReviewRequest = { ...requestInput };
  delete request.webhooks;
  const progress = options.onProgress ?? (() => undefined);
  quietRuntime();
  progress('starting the time-skipping test server ...');
  const server = await startTimeSkippingServer(serverPaths().testServer);
  const { env } = server;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-simulate-'));
  const sink = new SmtpSink();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    const namespace = env.namespace ?? 'default';
    await sink.listen(0, '127.0.0.1');
    const taskQueue = 'frontier-review-simulation';
    const bundle = options.workflowBundlePath ?? process.env.FRONTIER_REVIEW_WORKFLOW_BUNDLE?.trim();
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      // A what-if must end: activities still running at the end are cancelled, and the worker is forced down.
      shutdownGraceTime: '2 seconds',
      shutdownForceTime: '20 seconds',
      ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOAD_MODULES } }),
      activities: createActivities({
        smtpUrl: sink.url, mailFrom: 'frontier-review simulation <noreply@simulation.invalid>', smtpTimeoutSeconds: 10,
        ledgerPath: path.join(tmp, 'ledger.sqlite'), webhooks: { urls: [] },
      }),
    });
    running = worker.run();
    const reviews = new ReviewClient(new Client({ connection: env.connection, namespace }), { taskQueue, callTimeoutMs: 60_000 });
    await reviews.start(request);
    const first = await reviews.status(request.reviewId);
    const zone = first.timeZone;
    const startAt = Date.parse(first.createdAt);
    progress(`review ${request.reviewId} started ${first.createdAt}`);

    const advanceTo = async (target: number): Promise<void> => {
      for (let now = await env.currentTimeMs(); now < target; now = await env.currentTimeMs()) {
        await env.sleep(Math.min(STEP_MS, target - now));
      }
    };
    const steps: SimulatedStep[] = [];
    const ordered = script.steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.day - b.s.day || a.i - b.i).map(({ s }) => s);
    for (const step of ordered) {
      await advanceTo(instantOfDay(step.day, startAt, zone));
      // Timers due in the next minute fire before the step: one firing while the update's workflow task runs
      // would wedge the review on the test server (client/timer-guard.ts).
      await clearTimersBeforeUpdate(env, env.client, workflowIdFor(request.reviewId));
      const at = toIso(await env.currentTimeMs(), zone);
      try {
        const arg = resolveDays(step.args, startAt, zone);
        await reviews.update(step.action, request.reviewId, arg as never);
        steps.push({ day: step.day, action: step.action, at, ok: true });
        progress(`day ${step.day}: ${step.action} accepted`);
      } catch (e) {
        if (!(e instanceof ReviewError)) throw e;
        steps.push({ day: step.day, action: step.action, at, ok: false, error: e.message });
        progress(`day ${step.day}: ${step.action} rejected: ${e.message}`);
        if (e.kind === 'unavailable') progress(`workflow tasks that did not complete: ${await stalledTasks(env.client, request.reviewId)}`);
      }
    }
    // Then let the clock run: to untilDay, or until the review is over (closed, or in disposal with every reminder past).
    const lastDay = script.untilDay ?? Math.min(MAX_SIMULATION_DAYS, Math.max(0, ...ordered.map((s) => s.day)) + first.policy.windowDays + first.policy.disposalDays + 2);
    const until = instantOfDay(lastDay, startAt, zone);
    for (let now = await env.currentTimeMs(); now < until; now = await env.currentTimeMs()) {
      await env.sleep(Math.min(STEP_MS, until - now));
      if (script.untilDay !== undefined) continue;
      // Without an explicit end: stop once nothing more can happen by the clock alone.
      const s = await reviews.status(request.reviewId);
      const disposalOver = s.phase === 'disposal' && s.disposalDueAt !== null && (await env.currentTimeMs()) > Date.parse(s.disposalDueAt) + STEP_MS;
      if (s.phase === 'closed' || disposalOver) break;
    }
    progress('letting the last notices settle ...');
    const final = await settle(reviews, request.reviewId);
    return {
      reviewId: request.reviewId, timeZone: zone, startAt: first.createdAt, endAt: toIso(await env.currentTimeMs(), zone), steps,
      notices: final.notices, mails: sink.messages.length, final,
    };
  } finally {
    progress('stopping the worker and the server ...');
    worker?.shutdown();
    await running?.catch(() => undefined);
    await sink.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The review's failed or timed-out workflow tasks, for a simulation whose review stopped answering; also a
 * workflow task that was started and never closed (a completion the test server refused leaves no event in
 * history) and the timers still pending, with the instants they fire.
 */
async function stalledTasks(client: Client, reviewId: string): Promise<string> {
  try {
    const history = await client.workflow.getHandle(workflowIdFor(reviewId)).fetchHistory();
    const events = history.events ?? [];
    const bad = events.flatMap((ev) => {
      if (ev.workflowTaskFailedEventAttributes) return [`event ${String(ev.eventId)} failed: ${ev.workflowTaskFailedEventAttributes.failure?.message ?? ''}`];
      if (ev.workflowTaskTimedOutEventAttributes) return [`event ${String(ev.eventId)} timed out`];
      return [];
    });
    const last = events[events.length - 1];
    const open = last?.workflowTaskStartedEventAttributes ? [`workflow task started at event ${String(last.eventId)} (${new Date(eventTimeMs(last)).toISOString()}) and never closed`] : [];
    const timers = pendingTimers(events).map((t) => `timer ${t.timerId} fires ${new Date(t.firesAt).toISOString()}`);
    const found = [...bad.slice(-5), ...open];
    return `${found.length ? found.join('; ') : `none among ${events.length} events`}${timers.length ? `; pending: ${timers.join(', ')}` : ''}`;
  } catch (e) {
    return `history unavailable (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Waits (real time) until no notice is still being sent. */
async function settle(reviews: ReviewClient, reviewId: string, timeoutMs = 60_000): Promise<ReviewStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await reviews.status(reviewId);
    if (s.notices.every((n) => n.state !== 'sending') || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}
