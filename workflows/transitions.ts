/**
 * What each action does to a review: the one place that says, for a state and an action (intake, grant,
 * assignment, submission, pause, close, each timeline action), what changes and which notices go out, with
 * their ids, audiences and instants. Pure: no Temporal API. The workflow drives it with an outbox that sends
 * mail (notice-dispatch.ts); `review plan` drives it with one that only lists the notices (client/plan.ts).
 */
import { describeCompletion, itemLabel, mergePackage, missingItems } from './access-package';
import type { CompletePackageInput } from './access-package';
import { modelMismatch } from './evaluation-record';
import { attend, cancelOpenEvents, dueEventKey, inviteOf, unattend, WINDOW_END_EVENT } from './calendar-events';
import { destroyedDetail, holdingLines } from './evidence';
import type { NoticeReason } from './notice-reasons';
import { currentWindowEnd, evaluationDueAt, evaluationStatus, toTimelineState } from './review-state';
import type { EvaluationState, ReviewState } from './review-state';
import { accessDeadline, daysRemaining, disposalDue, dueActions, pauseBudgetEndsAt, toIso } from './timeline';
import type { TimelineAction } from './timeline';
import type {
  ActorInput, AssignReviewerInput, Audience, CancelInput, ConfirmDisposalInput, InviteSpec, NoticeDates, NoticeFacts, NoticeKind, Outcome,
  SubmitEvaluationInput,
} from './types';

/** What a notice carries besides its text; computed only when the notice is really new. */
export interface NoticeExtra {
  invites?: InviteSpec[];
  reason?: NoticeReason;
  /** Held until the closure receipt is signed, then sent carrying it (the lab's review-closed mail). */
  receipt?: boolean;
}

export interface NoticeIntent {
  kind: NoticeKind;
  audience: Audience;
  /** With kind and audience, makes the notice's deterministic id. */
  key: string;
  dates: Partial<Record<keyof NoticeDates, number | null>>;
  facts?: NoticeFacts;
  track?: string;
  extra?: () => NoticeExtra;
}

/** Where notices go: the workflow sends them, the plan lists them. */
export interface Outbox {
  notify(intent: NoticeIntent): void;
}

/** Behaviour switched by patched() markers; reviews recorded before a change keep the old one. */
export interface ReviewFlags {
  /** notices-v2: calendar invites, webhooks, address-rejection alerts. */
  v2: boolean;
  /** review-core-v2: small messages (summary excerpts in notices), coalesced calendar updates, history budget. */
  coreV2: boolean;
  /** verifiable-record: package gaps in notices, model-mismatch notices, the closure receipt on the lab's closure mail. */
  record?: boolean;
}

export interface ReviewContext {
  s: ReviewState;
  now(): number;
  out: Outbox;
  flags: ReviewFlags;
  /** Timeline action ids done (or superseded). */
  handled: Set<string>;
  /** The search attributes follow the phase and window end (the workflow upserts them; the plan ignores it). */
  publish(): void;
  /**
   * Whether the review records evidence handling (patch evidence-record, asked at the branch: the workflow takes
   * the marker the first time this is called). Absent: no (the plan preview).
   */
  evidenceRecord?: () => boolean;
}

export const noticeId = (reviewId: string, kind: NoticeKind, key: string, audience: Audience): string => `${reviewId}/${kind}/${key}/${audience}`;

export function audit(c: ReviewContext, type: string, by: string, detail: string): void {
  c.s.events.push({ at: toIso(c.now(), c.s.request.timeZone), type, by, detail });
}

const iso = (c: ReviewContext, ms: number): string => toIso(ms, c.s.request.timeZone);
const reviewerAudience = (id: string): Audience => `reviewer:${id}`;
const pending = (e: EvaluationState) => (): NoticeExtra => ({ reason: { type: 'evaluation-pending', track: e.track, reviewerId: e.reviewer.id } });

// ---------- notices several actions send ----------

/** What the access package still lacks, worded, for the notices that ask for access (none without the patch or a package). */
function packageGaps(c: ReviewContext): { packageMissing?: string[] } {
  if (!c.flags.record || !c.s.package) return {};
  const missing = missingItems(c.s.package);
  return missing.length ? { packageMissing: missing.map(itemLabel) } : {};
}

export function intake(c: ReviewContext): void {
  const { s } = c;
  const deadline = accessDeadline(toTimelineState(s));
  for (const audience of ['lab', 'pm'] as Audience[]) {
    c.out.notify({
      kind: 'intake-ack', audience, key: 'intake', dates: { accessDeadlineAt: deadline, releaseAt: s.plannedReleaseAt }, facts: { windowDays: s.policy.windowDays, ...packageGaps(c) },
    });
  }
  c.publish();
}

/** The lab (or the PM for it) completes the access package: audited; what is still missing shows in status and reminders. */
export function completePackage(c: ReviewContext, a: CompletePackageInput): void {
  const { s } = c;
  const before = s.package;
  const after = mergePackage(before, a);
  s.package = after;
  s.packageUpdates = (s.packageUpdates ?? 0) + 1;
  audit(c, 'package-completed', a.by ?? 'lab', describeCompletion(before, after, a));
}

function assignedNotice(c: ReviewContext, e: EvaluationState): void {
  const { s } = c;
  const audience = reviewerAudience(e.reviewer.id);
  const due = evaluationDueAt(s, e, c.now());
  c.out.notify({
    kind: 'reviewer-assigned', audience, key: `${e.track}:${e.reviewer.id}`, track: e.track,
    dates: { dueAt: due, windowEndsAt: currentWindowEnd(s, c.now()) },
    facts: { track: e.track, ...(e.dueBusinessDays !== null ? { dueBusinessDays: e.dueBusinessDays } : {}) },
    extra: () => ({
      reason: { type: 'assigned', track: e.track, reviewerId: e.reviewer.id },
      ...(c.flags.v2 && due !== null ? { invites: [inviteOf(attend(s, dueEventKey(e.track), due, audience, e.track), 'REQUEST', s.request.timeZone)] } : {}),
    }),
  });
}

/** The window end as a calendar event, to one audience (v2: the lab, the PM and every reviewer get it). */
function clockStartedNotice(c: ReviewContext, audience: Audience, by: string): void {
  const { s } = c;
  const end = currentWindowEnd(s, c.now());
  c.out.notify({
    kind: 'clock-started', audience, key: 'start', dates: { startedAt: s.accessGrantedAt, windowEndsAt: end }, facts: { by },
    extra: () => (c.flags.v2 && end !== null ? { invites: [inviteOf(attend(s, WINDOW_END_EVENT, end, audience), 'REQUEST', s.request.timeZone)] } : {}),
  });
}

function checkReady(c: ReviewContext): void {
  const { s } = c;
  if (s.evaluations.length > 0 && s.evaluations.every((e) => e.submittedAt !== null)) {
    c.out.notify({
      kind: 'ready-to-close', audience: 'pm', key: `tracks-${s.evaluations.length}`, dates: { windowEndsAt: currentWindowEnd(s, c.now()) },
      facts: { tracks: s.evaluations.length }, extra: () => ({ reason: { type: 'open' } }),
    });
  }
}

// ---------- updates ----------

export function grantAccess(c: ReviewContext, by: string): void {
  const { s } = c;
  const t = c.now();
  s.accessGrantedAt = t;
  s.phase = 'in-review';
  s.accessHolders = [...new Set(s.evaluations.map((e) => e.reviewer.id))];
  audit(c, 'access-granted', by, `clock started; window ends ${iso(c, currentWindowEnd(s, t) as number)}`);
  clockStartedNotice(c, 'lab', by);
  clockStartedNotice(c, 'pm', by);
  if (c.flags.v2) for (const id of s.accessHolders) clockStartedNotice(c, reviewerAudience(id), by);
  for (const e of s.evaluations) assignedNotice(c, e);
  c.publish();
}

export function assignReviewer(c: ReviewContext, { track, reviewer, dueDay, dueBusinessDays, by = 'pm' }: AssignReviewerInput): void {
  const { s } = c;
  const t = c.now();
  const existing = s.evaluations.find((e) => e.track === track);
  if (existing) {
    const previous = existing.reviewer;
    const rule = dueDay ? `, dueDay ${dueDay}` : dueBusinessDays ? `, dueBusinessDays ${dueBusinessDays}` : '';
    audit(c, 'reviewer-reassigned', by, `${track}: ${existing.reviewer.id} → ${reviewer.id}${rule}`);
    if (!s.formerReviewers.some((r) => r.id === previous.id)) s.formerReviewers.push(previous);
    existing.reviewer = reviewer;
    existing.reassignments = (existing.reassignments ?? 0) + 1;
    if (dueDay !== undefined) Object.assign(existing, { dueDay, dueBusinessDays: null });
    if (dueBusinessDays !== undefined) existing.dueBusinessDays = dueBusinessDays;
    existing.assignedAt = t;
    if (c.flags.v2 && previous.id !== reviewer.id) {
      // The replaced reviewer's due date comes off their calendar.
      const from = reviewerAudience(previous.id);
      const ev = unattend(s, dueEventKey(track), from);
      if (ev) {
        const cancel = inviteOf(ev, 'CANCEL', s.request.timeZone);
        c.out.notify({
          kind: 'reviewer-assigned', audience: from, key: `${track}:${previous.id}:unassigned:${ev.sequence}`, track,
          dates: { dueAt: ev.at }, facts: { track, unassigned: true }, extra: () => ({ invites: [cancel] }),
        });
      }
    }
  } else {
    s.evaluations.push({
      track, reviewer, dueDay: dueDay ?? s.policy.dueDay, dueBusinessDays: dueBusinessDays ?? null, assignedAt: t, submittedAt: null, severity: null, summary: null,
    });
    audit(c, 'reviewer-assigned', by, `${track}: ${reviewer.id}`);
  }
  if (s.accessGrantedAt !== null) {
    if (!s.accessHolders.includes(reviewer.id)) s.accessHolders.push(reviewer.id);
    if (c.flags.v2) clockStartedNotice(c, reviewerAudience(reviewer.id), 'pm');
    assignedNotice(c, s.evaluations.find((e) => e.track === track) as EvaluationState);
  }
}

/** The lab's and the PM's copies of a critical finding carry an excerpt; the whole text stays in status. */
export const SUMMARY_EXCERPT_CHARS = 1_500;
const excerpt = (text: string): string => (text.length <= SUMMARY_EXCERPT_CHARS ? text : `${text.slice(0, SUMMARY_EXCERPT_CHARS)}… (the full text is in the review's status)`);

export function submitEvaluation(c: ReviewContext, { track, reviewerId, severity, summary, record }: SubmitEvaluationInput): void {
  const { s } = c;
  const e = s.evaluations.find((x) => x.track === track) as EvaluationState;
  const late = evaluationStatus(s, e, c.now()) === 'overdue';
  e.submittedAt = c.now();
  e.severity = severity;
  e.summary = summary;
  if (record) e.record = record;
  if (late) e.late = true;
  audit(c, 'evaluation-submitted', reviewerId, `${track}: severity ${severity}${late ? ' (late)' : ''}`);
  // At once to the PM, once per track (a track is submitted once): results about another model do not count for this one.
  const mismatch = c.flags.record ? modelMismatch(s.package, record) : null;
  if (mismatch) {
    audit(c, 'evaluated-model-mismatch', reviewerId, `${track}: ${mismatch}`);
    c.out.notify({
      kind: 'evaluated-model-mismatch', audience: 'pm', key: track, track, dates: { submittedAt: e.submittedAt, windowEndsAt: currentWindowEnd(s, c.now()) },
      facts: { track, reviewerName: e.reviewer.name, mismatch },
    });
  }
  if (severity === 'critical') {
    audit(c, 'critical-finding', reviewerId, `${track}: escalated to the program manager and the director; lab notified`);
    for (const a of ['pm', 'director', 'lab'] as Audience[]) {
      c.out.notify({
        kind: 'critical-finding', audience: a, key: track, track, dates: { submittedAt: e.submittedAt, windowEndsAt: currentWindowEnd(s, c.now()) },
        facts: { track, severity, reviewerName: e.reviewer.name, ...(a === 'lab' ? {} : { summary: c.flags.coreV2 ? excerpt(summary) : summary }) },
      });
    }
  }
  checkReady(c);
}

/** `at`: the planned release instant (parsed by the caller). */
export function setReleaseDate(c: ReviewContext, at: number, by: string): void {
  const { s } = c;
  const before = currentWindowEnd(s, c.now());
  s.plannedReleaseAt = at;
  s.releaseDateMoves = (s.releaseDateMoves ?? 0) + 1;
  const after = currentWindowEnd(s, c.now());
  audit(c, 'release-date-set', by, `planned release ${iso(c, at)}${after !== before && after !== null ? `; window now ends ${iso(c, after)}` : ''}`);
  c.publish();
}

export function pauseClock(c: ReviewContext, { by, reason }: ActorInput): void {
  const { s } = c;
  s.pauses.push({ start: c.now(), end: null });
  s.phase = 'paused';
  const resumeAt = pauseBudgetEndsAt(toTimelineState(s));
  audit(c, 'clock-paused', by, `${reason ?? 'no reason given'}; resumes by itself at ${iso(c, resumeAt as number)} unless resumed earlier`);
  c.publish();
}

/** `at`: when the pause ended; an auto-resume ends it exactly at the budget's end, not when the timer was seen. */
export function resumeClock(c: ReviewContext, by: string, reason: string, at = c.now()): void {
  const { s } = c;
  const open = s.pauses.find((p) => p.end === null);
  if (open) open.end = Math.min(at, c.now());
  s.phase = 'in-review';
  audit(c, 'clock-resumed', by, reason);
  c.publish();
}

export function withdraw(c: ReviewContext, { by, reason }: ActorInput): void {
  audit(c, 'withdrawn', by, reason ?? '');
  close(c, 'withdrawn', by, reason ?? 'the lab withdrew the model from review');
}

export function closeEarly(c: ReviewContext, { by, reason }: ActorInput): void {
  close(c, allSubmitted(c) ? 'completed' : 'expired', by, reason ?? 'closed by the program manager');
}

export function cancel(c: ReviewContext, { by, reason }: CancelInput): void {
  close(c, 'cancelled', by, reason);
}

export function confirmDisposal(c: ReviewContext, { party, by, note, destroyed }: ConfirmDisposalInput): void {
  const { s } = c;
  const d = s.disposal.find((x) => x.party === party);
  // The attestation is worded against what the party held, so it is computed before the confirmation is recorded.
  const attested = destroyed !== undefined ? `; ${destroyedDetail(s, party, destroyed)}` : '';
  if (d) Object.assign(d, { confirmedAt: c.now(), by, note: note ?? null, ...(destroyed !== undefined ? { destroyed: [...destroyed] } : {}) });
  audit(c, 'disposal-confirmed', by, `${party}${note ? `: ${note}` : ''}${attested}`);
  if (s.disposal.every((x) => x.confirmedAt !== null)) {
    s.phase = 'closed';
    audit(c, 'disposal-complete', 'system', 'every party confirmed disposal');
    c.publish();
  }
}

// ---------- close ----------

const allSubmitted = (c: ReviewContext): boolean => c.s.evaluations.every((e) => e.submittedAt !== null);

export function close(c: ReviewContext, outcome: Outcome, by: string, detail: string): void {
  const { s } = c;
  const t = c.now();
  const open = s.pauses.find((p) => p.end === null);
  if (open) open.end = t;
  s.outcome = outcome;
  s.closedAt = t;
  audit(c, 'review-closed', by, `outcome ${outcome}${detail ? `: ${detail}` : ''}`);
  for (const e of s.evaluations) if (e.submittedAt === null && s.accessGrantedAt !== null) audit(c, 'evaluation-not-completed', 'system', `${e.track} (${e.reviewer.id})`);
  const hadAccess = s.accessGrantedAt !== null;
  const facts = { outcome, by, reason: detail };
  const audiences: Audience[] = ['lab', 'pm', ...(hadAccess ? s.accessHolders.map(reviewerAudience) : [])];
  // Deadlines still ahead on people's calendars are cancelled with the closure notice.
  const cancels = c.flags.v2 ? cancelOpenEvents(s, t, s.request.timeZone) : new Map<Audience, InviteSpec[]>();
  for (const a of audiences) {
    c.out.notify({
      kind: 'review-closed', audience: a, key: 'close', dates: { closedAt: t, releaseAt: s.plannedReleaseAt }, facts,
      extra: () => ({ invites: cancels.get(a) ?? [], ...(c.flags.record && a === 'lab' ? { receipt: true } : {}) }),
    });
  }
  if (hadAccess) {
    s.phase = 'disposal';
    s.disposal = ['lab', ...s.accessHolders].map((party) => ({ party, confirmedAt: null, by: null, note: null }));
    const due = disposalDue(toTimelineState(s));
    const listHoldings = c.evidenceRecord?.() ?? false;
    for (const d of s.disposal) {
      c.out.notify({
        kind: 'disposal-request', audience: d.party === 'lab' ? 'lab' : reviewerAudience(d.party), key: 'close', dates: { disposalDueAt: due },
        ...(listHoldings ? { facts: { holdings: holdingLines(s, d.party) } } : {}),
        extra: () => ({ reason: { type: 'disposal-pending', party: d.party } }),
      });
    }
  } else {
    s.phase = 'closed';
  }
  c.publish();
}

// ---------- timeline actions ----------

export function handleAction(c: ReviewContext, a: TimelineAction): void {
  const { s } = c;
  const t = c.now();
  const zone = s.request.timeZone;
  const evaluation = a.track ? s.evaluations.find((e) => e.track === a.track && e.reviewer.id === a.reviewerId) : undefined;
  const days = a.deadline !== undefined ? daysRemaining(t, a.deadline, zone) : 0;
  switch (a.kind) {
    case 'access-reminder': {
      for (const audience of ['lab', 'pm'] as Audience[]) {
        c.out.notify({
          kind: 'access-reminder', audience, key: a.id, dates: { accessDeadlineAt: a.deadline ?? null }, facts: { daysRemaining: days, ...packageGaps(c) },
          extra: () => ({ reason: { type: 'awaiting-access' } }),
        });
      }
      return;
    }
    case 'lapse':
      audit(c, 'review-lapsed', 'system', `access was not granted by ${iso(c, t)}`);
      for (const audience of ['pm', 'lab'] as Audience[]) c.out.notify({ kind: 'review-lapsed', audience, key: 'lapse', dates: { accessDeadlineAt: t } });
      close(c, 'lapsed', 'system', 'access was never granted');
      return;
    case 'close-reminder':
      c.out.notify({
        kind: 'close-reminder', audience: 'lab', key: a.id, dates: { windowEndsAt: a.deadline ?? null }, facts: { daysRemaining: days },
        extra: () => ({ ...(a.deadline !== undefined ? { reason: { type: 'window-end', at: a.deadline } } : {}) }),
      });
      return;
    case 'window-end': {
      const allIn = allSubmitted(c);
      audit(c, 'deadline-enforced', 'system', allIn ? 'window ended' : 'window ended with evaluations pending');
      close(c, allIn ? 'completed' : 'expired', 'system', 'the review window ended');
      return;
    }
    case 'reviewer-reminder':
      if (evaluation) {
        c.out.notify({
          kind: 'reviewer-reminder', audience: reviewerAudience(evaluation.reviewer.id), key: a.id, track: evaluation.track,
          dates: { dueAt: a.deadline ?? null }, facts: { track: evaluation.track, daysRemaining: days }, extra: pending(evaluation),
        });
      }
      return;
    case 'evaluation-overdue':
      if (!evaluation) return;
      audit(c, 'evaluation-overdue', 'system', `${evaluation.track} (${evaluation.reviewer.id}) was due ${iso(c, a.at)}`);
      for (const who of ['pm', reviewerAudience(evaluation.reviewer.id)] as Audience[]) {
        c.out.notify({
          kind: 'evaluation-overdue', audience: who, key: `${evaluation.track}:${evaluation.reviewer.id}`, track: evaluation.track,
          dates: { dueAt: a.at, windowEndsAt: currentWindowEnd(s, t) }, facts: { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 1 },
          extra: pending(evaluation),
        });
      }
      return;
    case 'director-escalation':
      if (!evaluation) return;
      audit(c, 'director-escalation', 'system', `${evaluation.track} (${evaluation.reviewer.id}) still missing`);
      c.out.notify({
        kind: 'director-escalation', audience: 'director', key: `${evaluation.track}:${evaluation.reviewer.id}`, track: evaluation.track,
        dates: { dueAt: a.deadline ?? null, windowEndsAt: currentWindowEnd(s, t) }, facts: { track: evaluation.track, reviewerName: evaluation.reviewer.name, level: 2 },
        extra: pending(evaluation),
      });
      return;
    case 'auto-resume':
      resumeClock(c, 'system', `pause budget of ${s.policy.maxPauseDays} days used up`, a.at);
      return;
    case 'disposal-overdue': {
      const party = a.party as string;
      audit(c, 'disposal-overdue', 'system', `no disposal confirmation from ${party}`);
      const reason = (): NoticeExtra => ({ reason: { type: 'disposal-pending', party } });
      for (const audience of [party === 'lab' ? 'lab' : reviewerAudience(party), 'director', 'pm'] as Audience[]) {
        c.out.notify({ kind: 'disposal-overdue', audience, key: party, dates: { disposalDueAt: a.at }, facts: { party }, extra: reason });
      }
      return;
    }
  }
}

/** Every timeline action due now, oldest first; superseded reminders are recorded and skipped. */
export function processDue(c: ReviewContext, onAction?: (a: TimelineAction) => void): void {
  // Bounded: every iteration marks one action handled.
  for (let guard = 0; guard < 10_000; guard++) {
    const { due, superseded } = dueActions(toTimelineState(c.s), c.now(), c.handled);
    for (const a of superseded) {
      c.handled.add(a.id);
      audit(c, 'notice-superseded', 'system', `${a.kind} (${a.id}) skipped: a later reminder of the same series is due`);
    }
    const next = due[0];
    if (!next) return;
    c.handled.add(next.id);
    onAction?.(next);
    handleAction(c, next);
  }
}
