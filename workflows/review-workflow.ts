/**
 * reviewWorkflow: one frontier-model review from intake to disposal. The workflow holds the state and
 * reacts; the timeline module says what is due when. Notices are sent by an activity that runs beside
 * the main loop, so a mail outage never delays deadline enforcement.
 */
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes,
  workflowInfo, log,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import * as m from './messages';
import {
  buildStatus, currentWindowEnd, evaluationDueAt, evaluationStatus, initialState, isClosed, recipients, reviewerById, toTimelineState,
} from './review-state';
import type { EvaluationState, ReviewState } from './review-state';
// ReviewLab is set once by the client at start (a pseudonym when payloads are encrypted): the workflow never
// writes the lab's name where the server can read it.
import { OUTCOME_SA, PHASE_SA, WINDOW_ENDS_SA } from './search-attributes';
import {
  accessDeadline, daysRemaining, disposalDue, dueActions, nextActionAt, parseInstant, pauseBudgetEndsAt, pauseBudgetMs,
  pausedMs, toIso,
} from './timeline';
import type { TimelineAction } from './timeline';
import type { Audience, NoticeKind, NoticePayload, Outcome, Phase, ReviewRequest, ReviewStatus } from './types';
import * as v from './validation';

const { sendNotice } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  // SMTP trouble is retried with backoff for as long as it lasts: a notice is never dropped. A permanent
  // rejection (5xx) is thrown as non-retryable by the activity and recorded in status.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

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
    setHandler(m.statusQuery, () => ({ reviewId, phase: 'closed', outcome: 'cancelled', error }) as unknown as ReviewStatus);
    log.warn('review request rejected', { error });
    return { reviewId, phase: 'closed', outcome: 'cancelled', closedAt: null, error };
  }

  const s: ReviewState = initialState(request, startedAt, request.plannedReleaseAt ? parseInstant(request.plannedReleaseAt) : null);
  const zone = request.timeZone;
  const handled = new Set<string>();
  const inflight = new Set<Promise<void>>();
  let changed = false;

  // ---------- helpers ----------
  const now = (): number => Date.now();
  const audit = (type: string, by: string, detail: string): void => {
    s.events.push({ at: toIso(now(), zone), type, by, detail });
  };
  const iso = (ms: number, z = zone): string => toIso(ms, z);
  const findings = (): NoticePayload['findings'] =>
    s.evaluations.map((e) => ({ track: e.track, severity: e.severity, status: evaluationStatus(s, e, now()) }));

  function notify(kind: NoticeKind, audience: Audience, key: string, dates: Record<string, number | null>, facts: NoticePayload['facts'] = {}, track?: string): void {
    const id = `${request.reviewId}/${kind}/${key}/${audience}`;
    if (s.notices.some((n) => n.id === id)) return; // deterministic ids: never the same notice twice
    const { to, timeZone } = recipients(s, audience);
    if (to.length === 0) return;
    const isoDates: Record<string, string> = {};
    for (const [k, ms] of Object.entries(dates)) if (ms !== null) isoDates[k] = iso(ms);
    const record = { id, kind, audience, to: to.map((p) => p.email), at: iso(now()), state: 'sending' as const, ...(track ? { track } : {}) };
    s.notices.push(record);
    const payload: NoticePayload = {
      id, kind, audience, to, reviewId: request.reviewId, model: request.model, labName: request.lab.name,
      recipientTimeZone: timeZone, reviewTimeZone: zone, dates: isoDates, facts: { ...facts, now: iso(now()) },
      ...(kind === 'review-closed' ? { findings: findings() } : {}),
    };
    const p = sendNotice(payload).then(
      (r) => {
        const n = s.notices.find((x) => x.id === id);
        if (n) Object.assign(n, { state: 'sent', messageId: r.messageId, ...(r.rejected.length ? { error: `rejected: ${r.rejected.join(', ')}` } : {}) });
      },
      (err: unknown) => {
        const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
        const n = s.notices.find((x) => x.id === id);
        if (n) Object.assign(n, { state: 'failed', error: cause });
        audit('notice-failed', 'system', `${kind} to ${audience}: ${cause}`);
      },
    ).finally(() => inflight.delete(p));
    inflight.add(p);
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
    notify('reviewer-assigned', `reviewer:${e.reviewer.id}`, `${e.track}:${e.reviewer.id}`, {
      dueAt: evaluationDueAt(s, e, now()), windowEndsAt: currentWindowEnd(s, now()),
    }, { track: e.track }, e.track);
  };

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
    for (const a of audiences) notify('review-closed', a, 'close', { closedAt: t, releaseAt: s.plannedReleaseAt }, facts);
    if (hadAccess) {
      s.phase = 'disposal';
      s.disposal = ['lab', ...s.accessHolders].map((party) => ({ party, confirmedAt: null, by: null, note: null }));
      const due = disposalDue(toTimelineState(s));
      for (const d of s.disposal) notify('disposal-request', d.party === 'lab' ? 'lab' : `reviewer:${d.party}`, 'close', { disposalDueAt: due }, {});
    } else {
      s.phase = 'closed';
    }
    publish();
  }

  function checkReady(): void {
    if (s.evaluations.length > 0 && s.evaluations.every((e) => e.submittedAt !== null)) {
      notify('ready-to-close', 'pm', `tracks-${s.evaluations.length}`, { windowEndsAt: currentWindowEnd(s, now()) }, { tracks: s.evaluations.length });
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
  function handleAction(a: TimelineAction): void {
    const t = now();
    const evaluation = a.track ? s.evaluations.find((e) => e.track === a.track && e.reviewer.id === a.reviewerId) : undefined;
    const days = a.deadline !== undefined ? daysRemaining(t, a.deadline, zone) : 0;
    switch (a.kind) {
      case 'access-reminder':
        notify('access-reminder', 'lab', a.id, { accessDeadlineAt: a.deadline ?? null }, { daysRemaining: days });
        notify('access-reminder', 'pm', a.id, { accessDeadlineAt: a.deadline ?? null }, { daysRemaining: days });
        return;
      case 'lapse':
        audit('review-lapsed', 'system', `access was not granted by ${iso(t)}`);
        notify('review-lapsed', 'pm', 'lapse', { accessDeadlineAt: t }, {});
        notify('review-lapsed', 'lab', 'lapse', { accessDeadlineAt: t }, {});
        closeReview('lapsed', 'system', 'access was never granted');
        return;
      case 'close-reminder':
        notify('close-reminder', 'lab', a.id, { windowEndsAt: a.deadline ?? null }, { daysRemaining: days });
        return;
      case 'window-end': {
        const allIn = s.evaluations.every((e) => e.submittedAt !== null);
        audit('deadline-enforced', 'system', allIn ? 'window ended' : 'window ended with evaluations pending');
        closeReview(allIn ? 'completed' : 'expired', 'system', 'the review window ended');
        return;
      }
      case 'reviewer-reminder':
        if (evaluation) notify('reviewer-reminder', `reviewer:${evaluation.reviewer.id}`, a.id, { dueAt: a.deadline ?? null }, { track: evaluation.track, daysRemaining: days }, evaluation.track);
        return;
      case 'evaluation-overdue':
        if (!evaluation) return;
        audit('evaluation-overdue', 'system', `${evaluation.track} (${evaluation.reviewer.id}) was due ${iso(a.at)}`);
        for (const who of ['pm', `reviewer:${evaluation.reviewer.id}`] as Audience[]) {
          notify('evaluation-overdue', who, `${evaluation.track}:${evaluation.reviewer.id}`, { dueAt: a.at, windowEndsAt: currentWindowEnd(s, t) }, { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 1 }, evaluation.track);
        }
        return;
      case 'director-escalation':
        if (!evaluation) return;
        audit('director-escalation', 'system', `${evaluation.track} (${evaluation.reviewer.id}) still missing`);
        notify('director-escalation', 'director', `${evaluation.track}:${evaluation.reviewer.id}`, { dueAt: a.deadline ?? null, windowEndsAt: currentWindowEnd(s, t) }, { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 2 }, evaluation.track);
        return;
      case 'auto-resume':
        resume('system', `pause budget of ${s.policy.maxPauseDays} days used up`, a.at);
        return;
      case 'disposal-overdue': {
        const party = a.party as string;
        audit('disposal-overdue', 'system', `no disposal confirmation from ${party}`);
        notify('disposal-overdue', party === 'lab' ? 'lab' : `reviewer:${party}`, party, { disposalDueAt: a.at }, { party });
        notify('disposal-overdue', 'director', party, { disposalDueAt: a.at }, { party });
        notify('disposal-overdue', 'pm', party, { disposalDueAt: a.at }, { party });
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

  // ---------- handlers (registered before the first await) ----------
  setHandler(m.statusQuery, status);

  setHandler(m.grantAccessUpdate, ({ by }) => {
    const t = now();
    s.accessGrantedAt = t;
    s.phase = 'in-review';
    s.accessHolders = [...new Set(s.evaluations.map((e) => e.reviewer.id))];
    audit('access-granted', by, `clock started; window ends ${iso(currentWindowEnd(s, t) as number)}`);
    const end = currentWindowEnd(s, t);
    notify('clock-started', 'lab', 'start', { startedAt: t, windowEndsAt: end }, { by });
    notify('clock-started', 'pm', 'start', { startedAt: t, windowEndsAt: end }, { by });
    for (const e of s.evaluations) assignedNotice(e);
    publish();
    return touched();
  }, { validator: guard(v.parseGrantAccess, () => requirePhase(['awaiting-access'], 'grant access')) });

  setHandler(m.assignReviewerUpdate, ({ track, reviewer, dueDay }) => {
    const t = now();
    const existing = s.evaluations.find((e) => e.track === track);
    if (existing) {
      audit('reviewer-reassigned', 'pm', `${track}: ${existing.reviewer.id} → ${reviewer.id}${dueDay ? `, dueDay ${dueDay}` : ''}`);
      existing.reviewer = reviewer;
      if (dueDay !== undefined) existing.dueDay = dueDay;
      existing.assignedAt = t;
    } else {
      s.evaluations.push({ track, reviewer, dueDay: dueDay ?? s.policy.dueDay, assignedAt: t, submittedAt: null, severity: null, summary: null });
      audit('reviewer-assigned', 'pm', `${track}: ${reviewer.id}`);
    }
    if (s.accessGrantedAt !== null) {
      if (!s.accessHolders.includes(reviewer.id)) s.accessHolders.push(reviewer.id);
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
      if (dueDay > s.policy.windowDays) fail('dueDay', `must be at most policy.windowDays (${s.policy.windowDays})`);
      if (s.accessGrantedAt !== null && (!existing || a.dueDay !== undefined)) {
        const due = evaluationDueAt(s, { track: a.track, reviewer: a.reviewer, dueDay, assignedAt: now(), submittedAt: null, severity: null, summary: null }, now());
        if (due !== null && due <= now()) fail('dueDay', `day ${dueDay} (${iso(due)}) has already passed; give a later dueDay`);
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

  setHandler(m.setReleaseDateUpdate, ({ plannedReleaseAt }) => {
    const before = currentWindowEnd(s, now());
    s.plannedReleaseAt = parseInstant(plannedReleaseAt);
    const after = currentWindowEnd(s, now());
    audit('release-date-set', 'lab', `planned release ${iso(s.plannedReleaseAt as number)}${after !== before && after !== null ? `; window now ends ${iso(after)}` : ''}`);
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
  audit('review-started', 'pm', `${request.model.name} ${request.model.version} from ${request.lab.name}; access deadline ${iso(accessDeadline(toTimelineState(s)))}`);
  const deadline = accessDeadline(toTimelineState(s));
  notify('intake-ack', 'lab', 'intake', { accessDeadlineAt: deadline, releaseAt: s.plannedReleaseAt }, { windowDays: s.policy.windowDays });
  notify('intake-ack', 'pm', 'intake', { accessDeadlineAt: deadline, releaseAt: s.plannedReleaseAt }, { windowDays: s.policy.windowDays });
  publish();

  while (s.phase !== 'closed') {
    processDue();
    if ((s.phase as Phase) === 'closed') break;
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

