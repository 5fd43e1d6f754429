/**
 * The workflow's outbox: turns a notice intent (transitions.ts) into a status record and a `sendNotice`
 * activity, and records the outcome when it settles. Activities run beside the main loop, so a mail outage
 * never delays deadline enforcement; the workflow completes (or continues as new) only after they settle,
 * or carries the unsettled ones into the next run (continue-as-new.ts).
 *
 * Commands depend only on the request and on handled events, never on an activity's result (patch
 * delivery-in-activity): reviews recorded before it keep the old result-dependent webhook decision. Since
 * local-notices a batch's local attempt that fails is followed by its sendNotices activity; the attempt's outcome is
 * in its marker, and the review's local activities run one at a time (runLocal), so a replay takes the same turn.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { messageIdFor } from './message-id';
import type { createActivities } from '../activities';
import { describeInvite } from './calendar-events';
import type { NoticeReason } from './notice-reasons';
import { lapsedBecause } from './notice-reasons';
import { evaluationStatus, recipients } from './review-state';
import type { ReviewState } from './review-state';
import { toIso } from './timeline';
import { audit, noticeId } from './transitions';
import type { NoticeIntent, Outbox, ReviewContext } from './transitions';
import { batchesOf } from './notice-batch';
import type { ReceiptState } from './record-types';
import type { DeliveryAlert, NoticeBatch, NoticeDates, NoticeOutcome, NoticePayload, NoticeRecord } from './types';

type Activities = ReturnType<typeof createActivities>;

const { sendNotice, sendNotices } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // SMTP trouble is retried with backoff for as long as it lasts: a notice is never dropped. A permanent
  // rejection (5xx) is thrown as non-retryable by the activity and recorded in status.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

// local-notices: one quick attempt in the workflow task that created the batch. Pooled SMTP answers in milliseconds;
// the task stays open while the attempt runs, so it is short and never retried here — any failure hands the batch to
// sendNotices above, whose retries wait out the trouble without holding a workflow task.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

// Webhook copies and alerts: retried with backoff for about 40 minutes, then recorded as failed. They run
// beside the mail and never hold it up.
const { postNoticeWebhooks, sendDeliveryAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 12 },
});

/** How long batches go straight to the sendNotices activity after a local attempt failed. */
const LOCAL_RETRY_AFTER_MS = 10 * 60_000;

export interface DispatchFlags {
  v2: boolean;
  /** delivery-in-activity: the notice activity posts the webhook copy and alerts the PM about refused addresses. */
  inline: boolean;
  /** review-core-v3: the notices of one workflow task go out in one sendNotices activity. */
  batches: boolean;
  /** compact-history: a batch's results leave out Message-IDs the notice id gives (workflows/message-id.ts). */
  compact?: boolean;
  /** local-notices: a batch is first attempted by a local activity (deliver()). */
  localNotices?: boolean;
  /**
   * compact-history, in a review's first run: payloads leave out the run key, which the activity then takes from its
   * own workflow run (activities/notice-check.ts runKeyOf) — the same id. Never carried: a later run has another id.
   */
  omitRunKey?: boolean;
}

const causeOf = (err: unknown): string =>
  err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);

/** Addresses a permanent rejection names, and the server's reply (details of the activity's non-retryable failure). */
function rejectedOf(err: unknown): { rejected: string[]; response?: string } {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  const d = typeof details === 'object' && details !== null ? (details as { rejected?: unknown; response?: unknown }) : {};
  return {
    rejected: Array.isArray(d.rejected) ? d.rejected.filter((x): x is string => typeof x === 'string') : [],
    ...(typeof d.response === 'string' ? { response: d.response } : {}),
  };
}

interface Queued {
  record: NoticeRecord;
  payload: NoticePayload;
}

/** What a notice's outcome tells the workflow (a sendNotice result or a batch's slimmer one). */
type SentResult = Extract<NoticeOutcome, { sent: unknown }>['sent'] & { webhookTargets?: number };

export class NoticeDispatch implements Outbox {
  private readonly inflight = new Set<Promise<void>>();
  /** Notices of the current workflow task not yet handed to an activity (batches only). */
  private readonly queue: Queued[] = [];
  /** Why each notice still sending is sent; the notice activity asks (query noticeCheck) just before sending. */
  readonly reasons = new Map<string, NoticeReason>();
  /** Payloads of notices still sending: carried into the next run if the review continues as new. */
  readonly pending = new Map<string, NoticePayload>();
  /** Global webhooks on the workers, as the last notice result reported (null: not known yet; before delivery-in-activity only). */
  private globalWebhooks: number | null = null;
  private context: ReviewContext | null = null;
  /** Notices waiting for the closure receipt (the lab's review-closed mail): sent by releaseHeld(). */
  private readonly held: Queued[] = [];
  /** local-notices: when a local attempt last failed (workflow time; null: none has). */
  private localFailedAt: number | null = null;
  /** Settles when the last local activity started by runLocal has settled. */
  private localChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly s: ReviewState,
    private readonly flags: DispatchFlags,
    private readonly runKey: string,
    private readonly now: () => number,
  ) {}

  /** The context audits go to (set once the workflow has built it). */
  attach(c: ReviewContext): void {
    this.context = c;
  }

  get settled(): boolean {
    return this.inflight.size === 0 && this.queue.length === 0;
  }

  async drain(): Promise<void> {
    this.flush();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private get reviewWebhooks(): string[] {
    return (this.s.request.webhooks ?? []).map((w) => w.url);
  }

  private audit(type: string, detail: string): void {
    if (this.context) audit(this.context, type, 'system', detail);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  notify(n: NoticeIntent): void {
    const { s } = this;
    const zone = s.request.timeZone;
    const id = noticeId(s.request.reviewId, n.kind, n.key, n.audience);
    if (s.notices.some((x) => x.id === id)) return; // deterministic ids: never the same notice twice
    const { to, timeZone } = recipients(s, n.audience);
    if (to.length === 0) return;
    const t = this.now();
    const dates: NoticeDates = {};
    for (const [k, ms] of Object.entries(n.dates) as [keyof NoticeDates, number | null][]) if (ms !== null) dates[k] = toIso(ms, zone);
    const { invites, reason, receipt } = n.extra?.() ?? {};
    const record: NoticeRecord = {
      id, kind: n.kind, audience: n.audience, to: to.map((p) => p.email), at: toIso(t, zone), state: 'sending', ...(n.track ? { track: n.track } : {}),
      ...(invites?.length ? { invites: invites.map(describeInvite) } : {}),
    };
    s.notices.push(record);
    if (reason) this.reasons.set(id, reason);
    const webhooks = this.reviewWebhooks;
    const payload: NoticePayload = {
      id, kind: n.kind, audience: n.audience, to, reviewId: s.request.reviewId, model: s.request.model, labName: s.request.lab.name,
      recipientTimeZone: timeZone, reviewTimeZone: zone, dates, facts: { ...(n.facts ?? {}), now: toIso(t, zone) },
      ...(n.kind === 'review-closed' ? { findings: s.evaluations.map((e) => ({ track: e.track, severity: e.severity, status: evaluationStatus(s, e, t) })) } : {}),
      ...(this.flags.omitRunKey ? {} : { runKey: this.runKey }),
      ...(reason ? { checkBeforeSend: true } : {}),
      ...(invites?.length ? { invites } : {}),
      ...(webhooks.length ? { webhooks } : {}),
      ...(this.flags.inline ? { inline: { webhookCopy: webhooks.length === 0, programManager: s.request.programManager } } : {}),
    };
    if (receipt) this.held.push({ record, payload });
    else this.send(record, payload);
  }

  /** Sends the notices held for the closure receipt, carrying it when it was signed (without it otherwise). */
  releaseHeld(receipt: ReceiptState | undefined): void {
    for (const { record, payload } of this.held.splice(0)) this.send(record, receipt && 'envelope' in receipt ? { ...payload, receipt: receipt.envelope } : payload);
  }

  /**
   * Schedules the activities of one notice (also for a notice carried over from the previous run). With
   * batches (review-core-v3) the mail waits in the queue for flush(), which the workflow calls once the
   * task's changes are made, so the notices one task creates share one activity.
   */
  send(record: NoticeRecord, payload: NoticePayload): void {
    const { id } = payload;
    this.pending.set(id, payload);
    if (this.flags.batches) this.queue.push({ record, payload });
    else {
      this.track(sendNotice(payload).then(
        (r) => {
          if (!this.flags.inline && typeof r.webhookTargets === 'number') this.globalWebhooks = r.webhookTargets;
          this.sent(record, r);
        },
        (err: unknown) => this.failed(record, causeOf(err), rejectedOf(err)),
      ).finally(() => this.done(id)));
    }
    this.webhookCopy(record, payload);
  }

  /** Sends the queued notices: one sendNotices activity per batch (notice-batch.ts). */
  flush(): void {
    for (const { batch, items } of batchesOf(this.queue.splice(0), (q) => q.payload)) {
      this.track(this.deliver(this.flags.compact ? { ...batch, compact: true } : batch).then(
        (outcomes) => items.forEach(({ record }, i) => {
          const o = outcomes[i];
          if (o === undefined) this.failed(record, 'the notice activity returned no outcome for it', { rejected: [] });
          else if ('sent' in o) this.sent(record, o.sent);
          else this.failed(record, o.refused.message, { rejected: o.refused.rejected, response: o.refused.response });
        }),
        (err: unknown) => {
          for (const { record } of items) this.failed(record, causeOf(err), rejectedOf(err));
        },
      ).finally(() => {
        for (const { payload } of items) this.done(payload.id);
      }));
    }
  }

  /**
   * One batch's outcomes. With local-notices, first one local attempt — when every notice's reason still holds now:
   * the attempt runs within this workflow task, so the workflow's own check replaces the activity's "still due?"
   * query (which could not be answered while this task is open). Any failure of that attempt, and a batch with a
   * lapsed reason, goes to the sendNotices activity (its retries, its query); the ledger keeps a notice the local
   * attempt did send from going twice.
   */
  private async deliver(batch: NoticeBatch): Promise<NoticeOutcome[]> {
    if (this.flags.localNotices) {
      const outcomes = await this.runLocal(async () => {
        if (!this.localLikely() || !this.stillDue(batch)) return null;
        try {
          return await local.sendNotices({ ...batch, notices: batch.notices.map(({ checkBeforeSend: _, ...n }) => n) });
        } catch {
          this.localFailedAt = this.now();
          return null;
        }
      });
      if (outcomes) return outcomes;
    }
    return sendNotices(batch);
  }

  /**
   * The review's local activities (notice batches and the closure receipt) one at a time. Two in flight at once can
   * settle in either order live, but replay hands their markers back in the order they were scheduled: when the one
   * settling second issues a command (a failed batch's activity), live and replay would order it differently against
   * the loop's timer (TMPRL1100; test/workflow/local-race.test.ts, found by the cluster run). One at a time, each settles alone in its activation, live and on replay.
   */
  runLocal<T>(start: () => Promise<T>): Promise<T> {
    const run = this.localChain.then(start);
    this.localChain = run.then(() => undefined, () => undefined);
    return run;
  }

  /**
   * After a failed local attempt, batches skip it for LOCAL_RETRY_AFTER_MS: a stalled mail server costs a workflow
   * task its 5 s once, not once per batch. Workflow time, never an activity's result, decides (replay sees the same).
   */
  private localLikely(): boolean {
    return this.localFailedAt === null || this.now() >= this.localFailedAt + LOCAL_RETRY_AFTER_MS;
  }

  private stillDue(batch: NoticeBatch): boolean {
    return batch.notices.every((n) => {
      const reason = this.reasons.get(n.id);
      return reason === undefined || lapsedBecause(this.s, reason, this.now()) === null;
    });
  }

  /** Queued notices are carried into the next run as pending payloads, not sent by this one. */
  dropQueue(): void {
    this.queue.length = 0;
  }

  /** The notices still sending, for the next run: each with its run key (the next run's own id is another). */
  carriedPending(): NoticePayload[] {
    return [...this.pending.values()].map((p) => (p.runKey === undefined ? { ...p, runKey: this.runKey } : p));
  }

  private sent(record: NoticeRecord, r: SentResult): void {
    const { kind, audience } = record;
    if (r.webhook?.error) {
      record.webhook = { state: 'failed', targets: r.webhook.targets, error: r.webhook.error };
      this.audit('webhook-failed', `${kind} to ${audience}: ${r.webhook.error}`);
    } else if (r.webhook) record.webhook = { state: 'sent', targets: r.webhook.delivered };
    if (r.suppressed) {
      Object.assign(record, { state: 'suppressed', reason: r.suppressed });
      this.audit('notice-suppressed', `${kind} to ${audience}: ${r.suppressed}`);
      return;
    }
    const rejected = r.rejected ?? [];
    Object.assign(record, { state: 'sent', messageId: r.messageId ?? messageIdFor(record.id), ...(rejected.length ? { error: `rejected: ${rejected.join(', ')}`, rejected } : {}) });
    if (rejected.length) this.addressesRejected(record, rejected, r.rejectedResponse ?? r.response ?? '');
  }

  private failed(record: NoticeRecord, cause: string, { rejected, response }: { rejected: string[]; response?: string }): void {
    Object.assign(record, { state: 'failed', error: cause, ...(rejected.length ? { rejected } : {}) });
    this.audit('notice-failed', `${record.kind} to ${record.audience}: ${cause}`);
    if (rejected.length) this.addressesRejected(record, rejected, response ?? cause);
  }

  private done(id: string): void {
    this.pending.delete(id);
    this.reasons.delete(id);
  }

  /**
   * The review's webhook copy runs beside the mail (with the global webhooks). Without webhooks of its own,
   * the notice activity posts the copy to the global ones (patch delivery-in-activity). Before that patch:
   * skipped when the workers last reported no global webhooks — a result-dependent decision kept for replay.
   */
  private webhookCopy(record: NoticeRecord, payload: NoticePayload): void {
    const { kind, audience } = payload;
    const own = (payload.webhooks ?? []).length;
    if (this.flags.inline ? own > 0 : this.flags.v2 && (own > 0 || this.globalWebhooks !== 0)) {
      this.track(postNoticeWebhooks(payload).then(
        (r) => {
          if (r.delivered > 0) record.webhook = { state: 'sent', targets: r.delivered };
        },
        (err: unknown) => {
          const cause = causeOf(err);
          record.webhook = { state: 'failed', targets: own, error: cause };
          this.audit('webhook-failed', `${kind} to ${audience}: ${cause}`);
        },
      ));
    }
  }

  /**
   * A mail server refused addresses for good (5xx): recorded, later notices go to the audience's other
   * addresses (a lab's other contacts), and the program manager is alerted once per address.
   */
  private addressesRejected(n: NoticeRecord, addresses: string[], error: string): void {
    const { s } = this;
    if (!this.flags.v2) return;
    for (const address of addresses) {
      if (s.bounced.some((b) => b.address.toLowerCase() === address.toLowerCase())) continue;
      s.bounced.push({ address, at: this.now(), error });
      this.audit('address-rejected', `${address} refused the ${n.kind} notice to ${n.audience} (${error}); program manager alerted`);
      if (this.flags.inline) continue; // the notice activity has alerted the program manager
      const webhooks = this.reviewWebhooks;
      const alert: DeliveryAlert = {
        id: `${s.request.reviewId}/alert/address-rejected:${address}`, kind: 'address-rejected', reviewId: s.request.reviewId, model: s.request.model,
        programManager: s.request.programManager, noticeId: n.id, noticeKind: n.kind, audience: n.audience, address, error, runKey: this.runKey,
        ...(webhooks.length ? { webhooks } : {}),
      };
      this.track(sendDeliveryAlert(alert).then(
        () => undefined,
        (err: unknown) => this.audit('alert-failed', `alert about ${address}: ${causeOf(err)}`),
      ));
    }
  }
}
