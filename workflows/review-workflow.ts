/**
 * reviewWorkflow: one frontier-model review from intake to disposal. The workflow holds the state and
 * reacts; the timeline module says what is due when. Notices are sent by an activity that runs beside
 * the main loop, so a mail outage never delays deadline enforcement.
 *
 * Reviews started by this version (patch NOTICES_V2) also carry calendar invites and keep them current,
 * send every notice to the webhooks, and alert the program manager when an address is refused. Reviews
 * started before keep the commands they were recorded with (test/replay).
 */
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, patched, proxyActivities, setHandler, upsertSearchAttributes,
  workflowInfo, log,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { attend, cancelOpenEvents, describeInvite, dueEventKey, inviteOf, unattend, WINDOW_END_EVENT } from './calendar-events';
import * as m from './messages';
import { lapsedBecause } from './notice-reasons';
import type { NoticeReason } from './notice-reasons';
import {
  buildStatus, rejectedRequestStatus, currentWindowEnd, evaluationDueAt, evaluationStatus, initialState, isClosed, recipients, reviewerById, toTimelineState,
} from './review-state';
import type { EvaluationState, ReviewState } from './review-state';
// ReviewLab is set once by the client at start (a pseudonym when payloads are encrypted): the workflow never
// writes the lab's name where the server can read it.
import { OUTCOME_SA, PHASE_SA, WINDOW_ENDS_SA } from './search-attributes';
import {
  accessDeadline, daysRemaining, disposalDue, dueActions, nextActionAt, parseInstant, pauseBudgetEndsAt, pauseBudgetMs,
  pausedMs, sameOnCalendar, toIso,
} from './timeline';
import type { TimelineAction } from './timeline';
import type {
  Audience, DeliveryAlert, InviteSpec, NoticeDates, NoticeKind, NoticePayload, NoticeRecord, Outcome, Phase, ReviewRequest, ReviewStatus,
} from './types';
import * as v from './validation';

type Activities = ReturnType<typeof createActivities>;

const { sendNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // SMTP trouble is retried with backoff for as long as it lasts: a notice is never dropped. A permanent
  // rejection (5xx) is thrown as non-retryable by the activity and recorded in status.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

// Webhook copies and alerts: retried with backoff for about 40 minutes, then recorded as failed. They run
// beside the mail and never hold it up.
const { postNoticeWebhooks, sendDeliveryAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 12 },
});

/** Calendar invites, webhooks and address-rejection alerts: see the header. */
export const NOTICES_V2 = 'notices-v2';
/** Reviewers replaced on a track get the closure and disposal notices too (they held access). */
export const NOTIFY_FORMER_REVIEWERS = 'notify-former-reviewers';
/**
 * The notice activity posts the webhook copy (when the review has no webhooks of its own) and alerts the
 * program manager about a refused address itself. Before, the workflow decided both from activity results,
 * and a worker restarted between an activity's completion and an update could replay those results after
 * the update: the commands came out in another order (TMPRL1100) and the review was stuck.
 */
export const DELIVERY_IN_ACTIVITY = 'delivery-in-activity';
/** A date that moved by less than a minute (a pause of seconds) sends no calendar update. */
export const CALENDAR_MINUTE_MOVES = 'calendar-minute-moves';

export interface ReviewResult {
  reviewId: string;
  phase: 'closed';
  outcome: Outcome | null;
  closedAt: string | null;
  error?: string;
}

function reject(e: unknown): never {
  if (e instanceof v.ValidationError) throw ApplicationFailure.create({ type: 'ValidationError', message: e.message, nonRetryable: true, details: [e.issues] });
  throw e;
}
function fail(path: string, message: string): never {
  reject(new v.ValidationError([{ path, message }]));
}

export async function reviewWorkflow(input: ReviewRequest): Promise<ReviewResult> {
  const startedAt = Date.now();
  let request: ReviewRequest;
  try {
    request = v.parseReviewRequest(input, startedAt);
  } catch (e) {
    // Someone started the workflow around the client's validation. Never fail or hang on bad input:
    // answer status with the reason and end at once.
    const error = e instanceof Error ? e.message : String(e);
    const reviewId = typeof input === 'object' && input !== null && typeof input.reviewId === 'string' ? input.reviewId : workflowInfo().workflowId;
    const rejectedAt = Date.now();
    setHandler(m.statusQuery, () => rejectedRequestStatus(reviewId, error, rejectedAt));
    log.warn('review request rejected', { error });
    return { reviewId, phase: 'closed', outcome: 'cancelled', closedAt: null, error };
  }

  const s: ReviewState = initialState(request, startedAt, request.plannedReleaseAt ? parseInstant(request.plannedReleaseAt) : null);
  const zone = request.timeZone;
  const handled = new Set<string>();
  const inflight = new Set<Promise<void>>();
  /** Why each notice is sent; the notice activity asks just before sending whether it still holds. */
  const reasons = new Map<string, NoticeReason>();
  const v2 = patched(NOTICES_V2);
  s.notifyFormerReviewers = patched(NOTIFY_FORMER_REVIEWERS);
  // Commands depend only on the request and on handled events, never on an activity's result.
  const inline = v2 && patched(DELIVERY_IN_ACTIVITY);
  const runKey = workflowInfo().firstExecutionRunId;
  const reviewWebhooks = (request.webhooks ?? []).map((w) => w.url);
  /** Global webhooks on the workers, as the last notice result reported (null: not known yet). */
  let globalWebhooks: number | null = null;
  let changed = false;

  // ---------- helpers ----------
  const now = (): number => Date.now();
  const audit = (type: string, by: string, detail: string): void => {
    s.events.push({ at: toIso(now(), zone), type, by, detail });
  };
  const iso = (ms: number, z = zone): string => toIso(ms, z);
  const findings = (): NoticePayload['findings'] =>
    s.evaluations.map((e) => ({ track: e.track, severity: e.severity, status: evaluationStatus(s, e, now()) }));

  const inFlight = (p: Promise<void>): void => {
    const tracked = p.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  /** What a notice carries besides its text; computed only when the notice is really new. */
  type Extra = { invites?: InviteSpec[]; reason?: NoticeReason };

  function notify(
    kind: NoticeKind, audience: Audience, key: string, dates: Partial<Record<keyof NoticeDates, number | null>>, facts: NoticePayload['facts'] = {},
    trackName?: string, extra?: () => Extra,
  ): void {
    const id = `${request.reviewId}/${kind}/${key}/${audience}`;
    if (s.notices.some((n) => n.id === id)) return; // deterministic ids: never the same notice twice
    const { to, timeZone } = recipients(s, audience);
    if (to.length === 0) return;
    const isoDates: NoticeDates = {};
    for (const [k, ms] of Object.entries(dates) as [keyof NoticeDates, number | null][]) if (ms !== null) isoDates[k] = iso(ms);
    const { invites, reason } = extra?.() ?? {};
    const record: NoticeRecord = {
      id, kind, audience, to: to.map((p) => p.email), at: iso(now()), state: 'sending', ...(trackName ? { track: trackName } : {}),
      ...(invites?.length ? { invites: invites.map(describeInvite) } : {}),
    };
    s.notices.push(record);
    if (reason) reasons.set(id, reason);
    const payload: NoticePayload = {
      id, kind, audience, to, reviewId: request.reviewId, model: request.model, labName: request.lab.name,
      recipientTimeZone: timeZone, reviewTimeZone: zone, dates: isoDates, facts: { ...facts, now: iso(now()) },
      ...(kind === 'review-closed' ? { findings: findings() } : {}),
      runKey,
      ...(reason ? { checkBeforeSend: true } : {}),
      ...(invites?.length ? { invites } : {}),
      ...(reviewWebhooks.length ? { webhooks: reviewWebhooks } : {}),
      ...(inline ? { inline: { webhookCopy: reviewWebhooks.length === 0, programManager: request.programManager } } : {}),
    };
    inFlight(sendNotice(payload).then(
      (r) => {
        if (!inline && typeof r.webhookTargets === 'number') globalWebhooks = r.webhookTargets;
        if (r.webhook?.error) {
          record.webhook = { state: 'failed', targets: r.webhook.targets, error: r.webhook.error };
          audit('webhook-failed', 'system', `${kind} to ${audience}: ${r.webhook.error}`);
        } else if (r.webhook) record.webhook = { state: 'sent', targets: r.webhook.delivered };
        const n = s.notices.find((x) => x.id === id);
        if (!n) return;
        if (r.suppressed) {
          Object.assign(n, { state: 'suppressed', reason: r.suppressed });
          audit('notice-suppressed', 'system', `${kind} to ${audience}: ${r.suppressed}`);
          return;
        }
        Object.assign(n, { state: 'sent', messageId: r.messageId, ...(r.rejected.length ? { error: `rejected: ${r.rejected.join(', ')}`, rejected: r.rejected } : {}) });
        if (r.rejected.length) addressesRejected(n, r.rejected, r.rejectedResponse ?? r.response);
      },
      (err: unknown) => {
        const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
        const { rejected, response } = rejectedOf(err);
        const n = s.notices.find((x) => x.id === id);
        if (n) Object.assign(n, { state: 'failed', error: cause, ...(rejected.length ? { rejected } : {}) });
        audit('notice-failed', 'system', `${kind} to ${audience}: ${cause}`);
        if (n && rejected.length) addressesRejected(n, rejected, response ?? cause);
      },
    ));
    // The review's webhook copy runs beside the mail (with the global webhooks). Without webhooks of its own,
    // the notice activity posts the copy to the global ones (patch DELIVERY_IN_ACTIVITY). Before that patch:
    // skipped when the workers last reported no global webhooks — a result-dependent decision kept for replay.
    if (inline ? reviewWebhooks.length > 0 : v2 && (reviewWebhooks.length > 0 || globalWebhooks !== 0)) {
      inFlight(postNoticeWebhooks(payload).then(
        (r) => {
          if (r.delivered > 0) record.webhook = { state: 'sent', targets: r.delivered };
        },
        (err: unknown) => {
          const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
          record.webhook = { state: 'failed', targets: reviewWebhooks.length, error: cause };
          audit('webhook-failed', 'system', `${kind} to ${audience}: ${cause}`);
        },
      ));
    }
  }

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

  /**
   * A mail server refused addresses for good (5xx): recorded, later notices go to the audience's other
   * addresses (a lab's other contacts), and the program manager is alerted once per address.
   */
  function addressesRejected(n: NoticeRecord, addresses: string[], error: string): void {
    if (!v2) return;
    for (const address of addresses) {
      if (s.bounced.some((b) => b.address.toLowerCase() === address.toLowerCase())) continue;
      s.bounced.push({ address, at: now(), error });
      audit('address-rejected', 'system', `${address} refused the ${n.kind} notice to ${n.audience} (${error}); program manager alerted`);
      if (inline) continue; // the notice activity has alerted the program manager
      const alert: DeliveryAlert = {
        id: `${request.reviewId}/alert/address-rejected:${address}`, kind: 'address-rejected', reviewId: request.reviewId, model: request.model,
        programManager: request.programManager, noticeId: n.id, noticeKind: n.kind, audience: n.audience, address, error, runKey,
        ...(reviewWebhooks.length ? { webhooks: reviewWebhooks } : {}),
      };
      inFlight(sendDeliveryAlert(alert).then(
        () => undefined,
        (err: unknown) => audit('alert-failed', 'system', `alert about ${address}: ${err instanceof ActivityFailure && err.cause ? err.cause.message : String(err)}`),
      ));
    }
  }

  function publish(): void {
    const end = currentWindowEnd(s, now());
    upsertSearchAttributes([
      { key: PHASE_SA, value: s.phase },
      { key: WINDOW_ENDS_SA, value: end === null ? null : new Date(end) },
      { key: OUTCOME_SA, value: s.outcome },
    ]);
  }

  const assignedNotice = (e: EvaluationState): void => {
    const audience: Audience = `reviewer:${e.reviewer.id}`;
    const due = evaluationDueAt(s, e, now());
    notify('reviewer-assigned', audience, `${e.track}:${e.reviewer.id}`, {
      dueAt: due, windowEndsAt: currentWindowEnd(s, now()),
    }, { track: e.track, ...(e.dueBusinessDays !== null ? { dueBusinessDays: e.dueBusinessDays } : {}) }, e.track, () => ({
      reason: { type: 'assigned', track: e.track, reviewerId: e.reviewer.id },
      ...(v2 && due !== null ? { invites: [inviteOf(attend(s, dueEventKey(e.track), due, audience, e.track), 'REQUEST', zone)] } : {}),
    }));
  };

  /** The window end as a calendar event, to one audience (v2: the lab, the PM and every reviewer get it). */
  const clockStartedNotice = (audience: Audience, by: string): void => {
    const t = now();
    const end = currentWindowEnd(s, t);
    notify('clock-started', audience, 'start', { startedAt: s.accessGrantedAt, windowEndsAt: end }, { by }, undefined, () => (
      v2 && end !== null ? { invites: [inviteOf(attend(s, WINDOW_END_EVENT, end, audience), 'REQUEST', zone)] } : {}
    ));
  };

  /**
   * Dates on calendars follow the review: when the window end or a pending evaluation's due date has
   * moved (release date, pause and resume, a new due day), everyone holding the event gets the update,
   * same UID, higher SEQUENCE. Not while paused: dates slide until the clock resumes.
   */
  function syncCalendar(): void {
    const t = now();
    for (const ev of s.calendar) {
      if (ev.cancelled || ev.audiences.length === 0) continue;
      const e = ev.key === WINDOW_END_EVENT ? undefined : s.evaluations.find((x) => x.track === ev.track);
      if (ev.key !== WINDOW_END_EVENT && (!e || e.submittedAt !== null)) continue;
      const current = e ? evaluationDueAt(s, e, t) : currentWindowEnd(s, t);
      if (current === null || current === ev.at) continue;
      // Same minute on the calendar: no update e-mail. The event keeps its date and later moves are measured
      // from it. patched() here, at the branch, so reviews recorded before it replay unchanged.
      if (sameOnCalendar(current, ev.at) && patched(CALENDAR_MINUTE_MOVES)) continue;
      const previous = ev.at;
      ev.at = current;
      ev.sequence++;
      const invite = inviteOf(ev, 'REQUEST', zone);
      const reason: NoticeReason = { type: 'calendar', key: ev.key, sequence: ev.sequence };
      for (const a of ev.audiences) {
        if (e) {
          notify('reviewer-assigned', a, `${e.track}:${e.reviewer.id}:seq${ev.sequence}`, { dueAt: current, previousAt: previous, windowEndsAt: currentWindowEnd(s, t) },
            { track: e.track, update: true }, e.track, () => ({ invites: [invite], reason }));
        } else {
          notify('clock-started', a, `window-end:seq${ev.sequence}`, { startedAt: s.accessGrantedAt, windowEndsAt: current, previousAt: previous },
            { update: true }, undefined, () => ({ invites: [invite], reason }));
        }
      }
    }
  }

  function closeReview(outcome: Outcome, by: string, detail: string): void {
    const t = now();
    const open = s.pauses.find((p) => p.end === null);
    if (open) open.end = t;
    s.outcome = outcome;
    s.closedAt = t;
    audit('review-closed', by, `outcome ${outcome}${detail ? `: ${detail}` : ''}`);
    for (const e of s.evaluations) if (e.submittedAt === null && s.accessGrantedAt !== null) audit('evaluation-not-completed', 'system', `${e.track} (${e.reviewer.id})`);
    const hadAccess = s.accessGrantedAt !== null;
    const facts = { outcome, by, reason: detail };
    const audiences: Audience[] = ['lab', 'pm', ...(hadAccess ? s.accessHolders.map((id) => `reviewer:${id}` as Audience) : [])];
    // Deadlines still ahead on people's calendars are cancelled with the closure notice.
    const cancels = v2 ? cancelOpenEvents(s, t, zone) : new Map<Audience, InviteSpec[]>();
    for (const a of audiences) {
      notify('review-closed', a, 'close', { closedAt: t, releaseAt: s.plannedReleaseAt }, facts, undefined, () => ({ invites: cancels.get(a) ?? [] }));
    }
    if (hadAccess) {
      s.phase = 'disposal';
      s.disposal = ['lab', ...s.accessHolders].map((party) => ({ party, confirmedAt: null, by: null, note: null }));
      const due = disposalDue(toTimelineState(s));
      for (const d of s.disposal) {
        notify('disposal-request', d.party === 'lab' ? 'lab' : `reviewer:${d.party}`, 'close', { disposalDueAt: due }, {}, undefined,
          () => ({ reason: { type: 'disposal-pending', party: d.party } }));
      }
    } else {
      s.phase = 'closed';
    }
    publish();
  }

  function checkReady(): void {
    if (s.evaluations.length > 0 && s.evaluations.every((e) => e.submittedAt !== null)) {
      notify('ready-to-close', 'pm', `tracks-${s.evaluations.length}`, { windowEndsAt: currentWindowEnd(s, now()) }, { tracks: s.evaluations.length }, undefined,
        () => ({ reason: { type: 'open' } }));
    }
  }

  /** `at`: when the pause ended; an auto-resume ends it exactly at the budget's end, not when the timer was seen. */
  function resume(by: string, reason: string, at = now()): void {
    const open = s.pauses.find((p) => p.end === null);
    if (open) open.end = Math.min(at, now());
    s.phase = 'in-review';
    audit('clock-resumed', by, reason);
    publish();
  }

  // ---------- timeline actions ----------
  const pending = (e: EvaluationState) => (): Extra => ({ reason: { type: 'evaluation-pending', track: e.track, reviewerId: e.reviewer.id } });

  function handleAction(a: TimelineAction): void {
    const t = now();
    const evaluation = a.track ? s.evaluations.find((e) => e.track === a.track && e.reviewer.id === a.reviewerId) : undefined;
    const days = a.deadline !== undefined ? daysRemaining(t, a.deadline, zone) : 0;
    switch (a.kind) {
      case 'access-reminder': {
        const reason = (): Extra => ({ reason: { type: 'awaiting-access' } });
        notify('access-reminder', 'lab', a.id, { accessDeadlineAt: a.deadline ?? null }, { daysRemaining: days }, undefined, reason);
        notify('access-reminder', 'pm', a.id, { accessDeadlineAt: a.deadline ?? null }, { daysRemaining: days }, undefined, reason);
        return;
      }
      case 'lapse':
        audit('review-lapsed', 'system', `access was not granted by ${iso(t)}`);
        notify('review-lapsed', 'pm', 'lapse', { accessDeadlineAt: t }, {});
        notify('review-lapsed', 'lab', 'lapse', { accessDeadlineAt: t }, {});
        closeReview('lapsed', 'system', 'access was never granted');
        return;
      case 'close-reminder':
        notify('close-reminder', 'lab', a.id, { windowEndsAt: a.deadline ?? null }, { daysRemaining: days }, undefined,
          () => ({ ...(a.deadline !== undefined ? { reason: { type: 'window-end', at: a.deadline } } : {}) }));
        return;
      case 'window-end': {
        const allIn = s.evaluations.every((e) => e.submittedAt !== null);
        audit('deadline-enforced', 'system', allIn ? 'window ended' : 'window ended with evaluations pending');
        closeReview(allIn ? 'completed' : 'expired', 'system', 'the review window ended');
        return;
      }
      case 'reviewer-reminder':
        if (evaluation) {
          notify('reviewer-reminder', `reviewer:${evaluation.reviewer.id}`, a.id, { dueAt: a.deadline ?? null }, { track: evaluation.track, daysRemaining: days },
            evaluation.track, pending(evaluation));
        }
        return;
      case 'evaluation-overdue':
        if (!evaluation) return;
        audit('evaluation-overdue', 'system', `${evaluation.track} (${evaluation.reviewer.id}) was due ${iso(a.at)}`);
        for (const who of ['pm', `reviewer:${evaluation.reviewer.id}`] as Audience[]) {
          notify('evaluation-overdue', who, `${evaluation.track}:${evaluation.reviewer.id}`, { dueAt: a.at, windowEndsAt: currentWindowEnd(s, t) },
            { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 1 }, evaluation.track, pending(evaluation));
        }
        return;
      case 'director-escalation':
        if (!evaluation) return;
        audit('director-escalation', 'system', `${evaluation.track} (${evaluation.reviewer.id}) still missing`);
        notify('director-escalation', 'director', `${evaluation.track}:${evaluation.reviewer.id}`, { dueAt: a.deadline ?? null, windowEndsAt: currentWindowEnd(s, t) },
          { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 2 }, evaluation.track, pending(evaluation));
        return;
      case 'auto-resume':
        resume('system', `pause budget of ${s.policy.maxPauseDays} days used up`, a.at);
        return;
      case 'disposal-overdue': {
        const party = a.party as string;
        audit('disposal-overdue', 'system', `no disposal confirmation from ${party}`);
        const reason = (): Extra => ({ reason: { type: 'disposal-pending', party } });
        notify('disposal-overdue', party === 'lab' ? 'lab' : `reviewer:${party}`, party, { disposalDueAt: a.at }, { party }, undefined, reason);
        notify('disposal-overdue', 'director', party, { disposalDueAt: a.at }, { party }, undefined, reason);
        notify('disposal-overdue', 'pm', party, { disposalDueAt: a.at }, { party }, undefined, reason);
        return;
      }
    }
  }

  function processDue(): void {
    // Bounded: every iteration marks one action handled.
    for (let guard = 0; guard < 10_000; guard++) {
      const { due, superseded } = dueActions(toTimelineState(s), now(), handled);
      for (const a of superseded) {
        handled.add(a.id);
        audit('notice-superseded', 'system', `${a.kind} (${a.id}) skipped: a later reminder of the same series is due`);
      }
      const next = due[0];
      if (!next) return;
      handled.add(next.id);
      handleAction(next);
    }
  }

  // ---------- validators (synchronous; reject without changing anything) ----------
  const requireOpen = (): void => {
    if (isClosed(s)) fail('', `review ${request.reviewId} is closed (outcome ${s.outcome}); no further changes are accepted`);
  };
  const requirePhase = (allowed: string[], action: string): void => {
    if (!allowed.includes(s.phase)) fail('', `cannot ${action}: review ${request.reviewId} is ${s.phase}${s.outcome ? ` (outcome ${s.outcome})` : ''}; allowed only when ${allowed.join(' or ')}`);
  };
  const guard = <T>(parse: (i: unknown) => T, extra?: (a: T) => void) => (arg: unknown): void => {
    try {
      const a = parse(arg);
      extra?.(a);
    } catch (e) {
      reject(e);
    }
  };
  const status = (): ReviewStatus => buildStatus(s, now());
  const touched = (): ReviewStatus => {
    changed = true;
    return status();
  };

  // First in the audit trail even when an update came with the start: registering its handler below runs it at once.
  audit('review-started', 'pm', `${request.model.name} ${request.model.version} from ${request.lab.name}; access deadline ${iso(accessDeadline(toTimelineState(s)))}`);

  // ---------- handlers (registered before the first await) ----------
  setHandler(m.statusQuery, status);
  setHandler(m.noticeCheckQuery, (id: string): m.NoticeCheck => {
    const reason = reasons.get(id);
    const lapsed = reason ? lapsedBecause(s, reason, now()) : null;
    return lapsed === null ? { send: true } : { send: false, reason: lapsed };
  });

  setHandler(m.grantAccessUpdate, ({ by }) => {
    const t = now();
    s.accessGrantedAt = t;
    s.phase = 'in-review';
    s.accessHolders = [...new Set(s.evaluations.map((e) => e.reviewer.id))];
    audit('access-granted', by, `clock started; window ends ${iso(currentWindowEnd(s, t) as number)}`);
    clockStartedNotice('lab', by);
    clockStartedNotice('pm', by);
    if (v2) for (const id of s.accessHolders) clockStartedNotice(`reviewer:${id}`, by);
    for (const e of s.evaluations) assignedNotice(e);
    publish();
    return touched();
  }, { validator: guard(v.parseGrantAccess, () => requirePhase(['awaiting-access'], 'grant access')) });

  setHandler(m.assignReviewerUpdate, ({ track, reviewer, dueDay, dueBusinessDays, by = 'pm' }) => {
    const t = now();
    const existing = s.evaluations.find((e) => e.track === track);
    if (existing) {
      const previous = existing.reviewer;
      const rule = dueDay ? `, dueDay ${dueDay}` : dueBusinessDays ? `, dueBusinessDays ${dueBusinessDays}` : '';
      audit('reviewer-reassigned', by, `${track}: ${existing.reviewer.id} → ${reviewer.id}${rule}`);
      if (!s.formerReviewers.some((r) => r.id === previous.id)) s.formerReviewers.push(previous);
      existing.reviewer = reviewer;
      if (dueDay !== undefined) Object.assign(existing, { dueDay, dueBusinessDays: null });
      if (dueBusinessDays !== undefined) existing.dueBusinessDays = dueBusinessDays;
      existing.assignedAt = t;
      if (v2 && previous.id !== reviewer.id) {
        // The replaced reviewer's due date comes off their calendar.
        const from: Audience = `reviewer:${previous.id}`;
        const ev = unattend(s, dueEventKey(track), from);
        if (ev) {
          const cancel = inviteOf(ev, 'CANCEL', zone);
          notify('reviewer-assigned', from, `${track}:${previous.id}:unassigned:${ev.sequence}`, { dueAt: ev.at }, { track, unassigned: true }, track,
            () => ({ invites: [cancel] }));
        }
      }
    } else {
      s.evaluations.push({
        track, reviewer, dueDay: dueDay ?? s.policy.dueDay, dueBusinessDays: dueBusinessDays ?? null, assignedAt: t, submittedAt: null, severity: null, summary: null,
      });
      audit('reviewer-assigned', by, `${track}: ${reviewer.id}`);
    }
    if (s.accessGrantedAt !== null) {
      if (!s.accessHolders.includes(reviewer.id)) s.accessHolders.push(reviewer.id);
      if (v2) clockStartedNotice(`reviewer:${reviewer.id}`, 'pm');
      assignedNotice(s.evaluations.find((e) => e.track === track) as EvaluationState);
    }
    return touched();
  }, {
    validator: guard(v.parseAssignReviewer, (a) => {
      requireOpen();
      const existing = s.evaluations.find((e) => e.track === a.track);
      if (existing?.submittedAt != null) fail('track', `"${a.track}" already has a submitted evaluation; it cannot be reassigned`);
      const other = reviewerById(s, a.reviewer.id);
      if (other && other.email !== a.reviewer.email) fail('reviewer.email', `reviewer "${a.reviewer.id}" is already known with another e-mail address`);
      const dueDay = a.dueDay ?? existing?.dueDay ?? s.policy.dueDay;
      const dueBusinessDays = a.dueBusinessDays ?? (a.dueDay !== undefined ? null : existing?.dueBusinessDays ?? null);
      if (dueBusinessDays === null && dueDay > s.policy.windowDays) fail('dueDay', `must be at most policy.windowDays (${s.policy.windowDays})`);
      if (s.accessGrantedAt !== null && (!existing || a.dueDay !== undefined || a.dueBusinessDays !== undefined)) {
        const candidate = { track: a.track, reviewer: a.reviewer, dueDay, dueBusinessDays, assignedAt: now(), submittedAt: null, severity: null, summary: null };
        const due = evaluationDueAt(s, candidate, now());
        const field = dueBusinessDays !== null ? 'dueBusinessDays' : 'dueDay';
        const rule = dueBusinessDays !== null ? `${dueBusinessDays} business days` : `day ${dueDay}`;
        if (due !== null && due <= now()) fail(field, `${rule} (${iso(due)}) has already passed; give a later ${field}`);
      }
    }),
  });

  setHandler(m.submitEvaluationUpdate, ({ track, reviewerId, severity, summary }) => {
    const e = s.evaluations.find((x) => x.track === track) as EvaluationState;
    const late = evaluationStatus(s, e, now()) === 'overdue';
    e.submittedAt = now();
    e.severity = severity;
    e.summary = summary;
    audit('evaluation-submitted', reviewerId, `${track}: severity ${severity}${late ? ' (late)' : ''}`);
    if (severity === 'critical') {
      audit('critical-finding', reviewerId, `${track}: escalated to the program manager and the director; lab notified`);
      for (const a of ['pm', 'director', 'lab'] as Audience[]) {
        notify('critical-finding', a, track, { submittedAt: e.submittedAt, windowEndsAt: currentWindowEnd(s, now()) },
          { track, severity, reviewerName: e.reviewer.name, ...(a === 'lab' ? {} : { summary }) }, track);
      }
    }
    checkReady();
    return touched();
  }, {
    validator: guard(v.parseSubmitEvaluation, (a) => {
      requirePhase(['in-review', 'paused'], 'submit an evaluation');
      const e = s.evaluations.find((x) => x.track === a.track);
      if (!e) fail('track', `unknown track "${a.track}"; tracks of this review: ${s.evaluations.map((x) => x.track).join(', ') || 'none'}`);
      if (e.reviewer.id !== a.reviewerId) {
        fail('reviewerId', reviewerById(s, a.reviewerId) ? `reviewer "${a.reviewerId}" is not assigned to track "${a.track}"` : `unknown reviewer "${a.reviewerId}"`);
      }
      if (e.submittedAt !== null) fail('track', `an evaluation for "${a.track}" was already submitted at ${iso(e.submittedAt)}`);
    }),
  });

  setHandler(m.setReleaseDateUpdate, ({ plannedReleaseAt, by = 'lab' }) => {
    const before = currentWindowEnd(s, now());
    s.plannedReleaseAt = parseInstant(plannedReleaseAt);
    const after = currentWindowEnd(s, now());
    audit('release-date-set', by, `planned release ${iso(s.plannedReleaseAt as number)}${after !== before && after !== null ? `; window now ends ${iso(after)}` : ''}`);
    publish();
    return touched();
  }, {
    validator: guard(v.parseSetReleaseDate, (a) => {
      requireOpen();
      if ((parseInstant(a.plannedReleaseAt) as number) <= now()) fail('plannedReleaseAt', `must be in the future (now is ${iso(now())})`);
    }),
  });

  setHandler(m.pauseClockUpdate, ({ by, reason }) => {
    s.pauses.push({ start: now(), end: null });
    s.phase = 'paused';
    const resumeAt = pauseBudgetEndsAt(toTimelineState(s));
    audit('clock-paused', by, `${reason ?? 'no reason given'}; resumes by itself at ${iso(resumeAt as number)} unless resumed earlier`);
    publish();
    return touched();
  }, {
    validator: guard(v.parseActor, () => {
      requirePhase(['in-review'], 'pause the clock');
      if (pausedMs(toTimelineState(s), now()) >= pauseBudgetMs(toTimelineState(s))) {
        fail('', `the pause budget of ${s.policy.maxPauseDays} days (policy.maxPauseDays) is used up`);
      }
    }),
  });

  setHandler(m.resumeClockUpdate, ({ by, reason }) => {
    resume(by, reason ?? '');
    return touched();
  }, { validator: guard(v.parseActor, () => requirePhase(['paused'], 'resume the clock')) });

  setHandler(m.withdrawUpdate, ({ by, reason }) => {
    audit('withdrawn', by, reason ?? '');
    closeReview('withdrawn', by, reason ?? 'the lab withdrew the model from review');
    return touched();
  }, { validator: guard(v.parseActor, () => requireOpen()) });

  setHandler(m.closeReviewUpdate, ({ by, reason }) => {
    const allIn = s.evaluations.every((e) => e.submittedAt !== null);
    closeReview(allIn ? 'completed' : 'expired', by, reason ?? 'closed by the program manager');
    return touched();
  }, { validator: guard(v.parseActor, () => requirePhase(['in-review', 'paused'], 'close the review')) });

  setHandler(m.cancelReviewUpdate, ({ by, reason }) => {
    closeReview('cancelled', by, reason);
    return touched();
  }, { validator: guard(v.parseCancel, () => requirePhase(['awaiting-access'], 'cancel the review')) });

  setHandler(m.confirmDisposalUpdate, ({ party, by, note }) => {
    const d = s.disposal.find((x) => x.party === party);
    if (d) Object.assign(d, { confirmedAt: now(), by, note: note ?? null });
    audit('disposal-confirmed', by, `${party}${note ? `: ${note}` : ''}`);
    if (s.disposal.every((x) => x.confirmedAt !== null)) {
      s.phase = 'closed';
      audit('disposal-complete', 'system', 'every party confirmed disposal');
      publish();
    }
    return touched();
  }, {
    validator: guard(v.parseConfirmDisposal, (a) => {
      requirePhase(['disposal'], 'confirm disposal');
      const d = s.disposal.find((x) => x.party === a.party);
      if (!d) fail('party', `unknown party "${a.party}"; expected one of: ${s.disposal.map((x) => x.party).join(', ')}`);
      if (d.confirmedAt !== null) fail('party', `"${a.party}" already confirmed disposal at ${iso(d.confirmedAt)}`);
    }),
  });

  // ---------- main loop ----------
  const deadline = accessDeadline(toTimelineState(s));
  notify('intake-ack', 'lab', 'intake', { accessDeadlineAt: deadline, releaseAt: s.plannedReleaseAt }, { windowDays: s.policy.windowDays });
  notify('intake-ack', 'pm', 'intake', { accessDeadlineAt: deadline, releaseAt: s.plannedReleaseAt }, { windowDays: s.policy.windowDays });
  publish();

  while (s.phase !== 'closed') {
    processDue();
    if ((s.phase as Phase) === 'closed') break;
    if (v2 && s.phase === 'in-review') syncCalendar();
    const next = nextActionAt(toTimelineState(s), now(), handled);
    changed = false;
    if (next === null) await condition(() => changed);
    else await condition(() => changed, Math.max(1, next - now()));
  }

  // Let updates finish and every notice settle before completing: nothing is lost at the end.
  await condition(allHandlersFinished);
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
  return { reviewId: request.reviewId, phase: 'closed', outcome: s.outcome, closedAt: s.closedAt === null ? null : iso(s.closedAt) };
}

