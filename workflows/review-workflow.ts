/**
 * reviewWorkflow: one frontier-model review from intake to disposal. This file only wires: handlers and the
 * main loop. What each action changes and which notices it sends is in transitions.ts, when each update is
 * allowed in update-rules.ts, the outbox in notice-dispatch.ts, calendar updates in calendar-sync.ts, the
 * history budget in continue-as-new.ts; the timeline module says what is due when.
 *
 * Updates rather than signals: a person gets an answer (accepted, or refused with the reason) and a refused
 * update leaves no trace in the history. Each answers a small acknowledgement (update-ack.ts): Temporal stores
 * every update result, so the status, which grows, is read with the query.
 */
import {
  allHandlersFinished, ApplicationFailure, condition, log, makeContinueAsNewFunc, patched, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair, UpdateDefinition } from '@temporalio/common';
import { syncCalendar } from './calendar-sync';
import { ensureReceipt } from './closure-receipt';
import { budgetOf, budgetState } from './continue-as-new';
import { checkAttachEvidence, parseAttachEvidence } from './evidence';
import { EvidenceRetention, recordAttachment } from './evidence-workflow';
import type { CarriedState } from './continue-as-new';
import { LIMITS } from './limits';
import * as m from './messages';
import { NoticeDispatch } from './notice-dispatch';
import { CALENDAR_MINUTE_MOVES, COMPACT_HISTORY, DELIVERY_IN_ACTIVITY, EVIDENCE_RECORD, LOCAL_NOTICES, LOCAL_RECEIPT, NOTICES_V2, NOTIFY_FORMER_REVIEWERS, REVIEW_CARD, REVIEW_CORE_V2, REVIEW_CORE_V3, VERIFIABLE_RECORD } from './patches';
import { lapsedBecause } from './notice-reasons';
import { buildStatus, currentWindowEnd, initialState, rejectedRequestStatus, toTimelineState } from './review-state';
import type { ReviewState } from './review-state';
// ReviewLab is set once by the client at start (a pseudonym when payloads are encrypted): the workflow never writes it.
import { CARD_MEMO_FIELDS, cardMemoFields, cardOf, REVIEW_CARD_MEMO, reviewerIdsOf } from './review-card';
import { OUTCOME_SA, PHASE_SA, REVIEWERS_SA, UPDATED_AT_SA, WINDOW_ENDS_SA } from './search-attributes';
import { accessDeadline, nextActionAt, parseInstant, toIso } from './timeline';
import * as t from './transitions';
import type { ReviewContext } from './transitions';
import type { Phase, ReviewRequest, ReviewResult, UpdateAck, UpdateName } from './types';

export type { ReviewResult } from './types';
import { buildAck } from './update-ack';
import * as rules from './update-rules';
import * as v from './validation';
import { WakeTimer } from './wake-timer';

function reject(e: unknown): never {
  if (e instanceof v.ValidationError) throw ApplicationFailure.create({ type: 'ValidationError', message: e.message, nonRetryable: true, details: [e.issues] });
  throw e;
}

/** `carried`: the state of the previous run when the review continued as new (never given by a client). */
export async function reviewWorkflow(input: ReviewRequest, carried?: CarriedState): Promise<ReviewResult> {
  // The review's clock never runs behind the instant a fired timer waited for. SDK 1.24's core, rebuilding a review on a fresh
  // worker to answer a query while the old worker's task is pending, applies a fired timer with the previous task's time and
  // sends the commands that follow with the next task, where a replay sees the later time: without the floor the two chose
  // differently and the history no longer replayed (test/faults/query-during-outage.faults.ts). In any other history the
  // workflow's time is already past that instant, so the floor changes nothing there.
  let reached = 0;
  const now = (): number => Math.max(Date.now(), reached);
  let request: ReviewRequest;
  try {
    request = carried ? carried.state.request : v.parseReviewRequest(input, now());
  } catch (e) {
    // Someone started the workflow around the client's validation. Never fail or hang on bad input: answer status with the reason and end.
    const error = e instanceof Error ? e.message : String(e);
    const reviewId = typeof input === 'object' && input !== null && typeof input.reviewId === 'string' ? input.reviewId : workflowInfo().workflowId;
    const rejectedAt = now();
    setHandler(m.statusQuery, () => rejectedRequestStatus(reviewId, error, rejectedAt));
    log.warn('review request rejected', { error });
    return { reviewId, phase: 'closed', outcome: 'cancelled', closedAt: null, error };
  }

  const s: ReviewState = carried?.state ?? initialState(request, now(), request.plannedReleaseAt ? parseInstant(request.plannedReleaseAt) : null);
  // local-notices implies local-receipt, which implies compact-history, which implies review-card, verifiable-record
  // and evidence-record; review-card implies review-core-v3, which implies every earlier patch: a new review records
  // one marker (each marker also costs an upsert of TemporalChangeVersion); older reviews find theirs below.
  const localNotices = carried ? carried.flags.localNotices === true : patched(LOCAL_NOTICES);
  const localReceipt = carried ? carried.flags.localReceipt === true : localNotices || patched(LOCAL_RECEIPT);
  const compact = carried ? carried.flags.compact === true : localReceipt || patched(COMPACT_HISTORY);
  const card = carried ? carried.flags.card === true : compact || patched(REVIEW_CARD);
  const v3 = carried ? carried.flags.batches === true : card || patched(REVIEW_CORE_V3);
  const v2 = carried ? carried.flags.v2 : v3 || patched(NOTICES_V2);
  if (!carried) s.notifyFormerReviewers = v3 || patched(NOTIFY_FORMER_REVIEWERS);
  const inline = carried ? carried.flags.inline : v2 && (v3 || patched(DELIVERY_IN_ACTIVITY));
  const coreV2 = carried !== undefined || (inline && (v3 || patched(REVIEW_CORE_V2)));
  // verifiable-record: the closure receipt, package gaps in notices, model-mismatch notices (closure-receipt.ts).
  const record = carried ? carried.flags.record === true : compact || (v3 && patched(VERIFIABLE_RECORD));
  const flags = { v2, inline, batches: v3, card, ...(record ? { record } : {}), ...(compact ? { compact } : {}), ...(localReceipt ? { localReceipt } : {}), ...(localNotices ? { localNotices } : {}) };
  // A first run's notices leave the run key out (the activity's own run is the same id): ~50 bytes per batch.
  const omitRunKey = compact && workflowInfo().runId === workflowInfo().firstExecutionRunId;
  const dispatch = new NoticeDispatch(s, { ...flags, ...(omitRunKey ? { omitRunKey } : {}) }, workflowInfo().firstExecutionRunId, now);
  // Since review-core-v3 an upsert that would change nothing is left out: the client starts a review with its phase
  // already set (STARTING_SEARCH_ATTRIBUTES), which saves the first one.
  const sa = workflowInfo().typedSearchAttributes;
  let published = v3 ? JSON.stringify([sa.get(PHASE_SA) ?? null, sa.get(WINDOW_ENDS_SA)?.getTime() ?? null, sa.get(OUTCOME_SA) ?? null]) : null;
  // Since compact-history the phase's attributes wait for the card's write at the end of the task (publishCard), and
  // go in the same command as ReviewUpdatedAt: a transition costs one upsert, not two.
  let phasePairs: SearchAttributeUpdatePair[] = [];
  const publish = (): void => {
    const end = currentWindowEnd(s, now());
    if (v3) {
      const values = JSON.stringify([s.phase, end, s.outcome]);
      if (values === published) return;
      published = values;
    }
    const pairs: SearchAttributeUpdatePair[] = [{ key: PHASE_SA, value: s.phase }, { key: WINDOW_ENDS_SA, value: end === null ? null : new Date(end) }, { key: OUTCOME_SA, value: s.outcome }];
    if (compact) phasePairs = pairs;
    else upsertSearchAttributes(pairs);
  };
  // The card and the reviewer ids are written only when they changed (the client sets the first reviewer ids at start);
  // since compact-history field by field (review-card.ts cardMemoFields).
  const memo = workflowInfo().memo;
  const cardWritten = new Map<string, string>();
  if (card) for (const key of compact ? Object.values(CARD_MEMO_FIELDS) : [REVIEW_CARD_MEMO]) cardWritten.set(key, JSON.stringify(memo?.[key] ?? null));
  let reviewersWritten = card ? JSON.stringify(sa.get(REVIEWERS_SA) ?? []) : null;
  const publishCard = (): void => {
    if (!card) return;
    const value = cardOf(s);
    const fields = compact ? cardMemoFields(value) : { [REVIEW_CARD_MEMO]: value };
    const upsert: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(fields)) {
      const json = JSON.stringify(field);
      if (cardWritten.get(key) === json) continue;
      cardWritten.set(key, json);
      upsert[key] = field;
    }
    const pairs = phasePairs.splice(0);
    if (Object.keys(upsert).length === 0) {
      if (pairs.length > 0) upsertSearchAttributes(pairs);
      return;
    }
    upsertMemo(upsert);
    const ids = reviewerIdsOf(value);
    if (JSON.stringify(ids) !== reviewersWritten) {
      reviewersWritten = JSON.stringify(ids);
      pairs.push({ key: REVIEWERS_SA, value: ids });
    }
    // compact-history: when the card last changed, so a reader keeping the cards (client/read-model/card-cache.ts)
    // lists only the reviews changed since its last look.
    if (compact) pairs.push({ key: UPDATED_AT_SA, value: new Date(now()) });
    if (pairs.length > 0) upsertSearchAttributes(pairs); // before compact-history only the reviewer ids, as always
  };
  // Evidence handling (evidence-workflow.ts) is taken at the branch: the first attachment or the close asks, once per review.
  const evidenceRecord = (): boolean => (s.evidenceRecord ??= compact || patched(EVIDENCE_RECORD));
  const c: ReviewContext = { s, now, out: dispatch, flags: { v2, coreV2, record }, handled: new Set(carried?.handled ?? []), publish, evidenceRecord };
  dispatch.attach(c);
  let changed = false;

  // First in the audit trail even when an update came with the start: registering its handler below runs it at once.
  if (!carried) t.audit(c, 'review-started', 'pm', `${request.model.name} ${request.model.version} from ${request.lab.name}; access deadline ${toIso(accessDeadline(toTimelineState(s)), request.timeZone)}`);

  // ---------- handlers (registered before the first await) ----------
  setHandler(m.statusQuery, () => buildStatus(s, now()));
  for (const [id, reason] of carried?.reasons ?? []) dispatch.reasons.set(id, reason);
  setHandler(m.noticeCheckQuery, (id: string): m.NoticeCheck => {
    const reason = dispatch.reasons.get(id);
    const lapsed = reason ? lapsedBecause(s, reason, now()) : null;
    return lapsed === null ? { send: true } : { send: false, reason: lapsed };
  });

  /** An update: parse and check in the (synchronous) validator, apply in the handler, answer an acknowledgement. */
  function update<A>(def: UpdateDefinition<UpdateAck, [A]>, parse: (i: unknown) => A, check: (a: A) => void, apply: (a: A) => number | void): void {
    setHandler(def, (arg: A) => {
      const before = s.events.length;
      const left = apply(arg);
      dispatch.flush();
      s.lastUpdateAt = now();
      changed = true;
      return buildAck(s, def.name as UpdateName, now(), before, left ?? undefined);
    }, { validator: (arg: A) => { try { check(parse(arg)); } catch (e) { reject(e); } } });
  }
  update(m.grantAccessUpdate, v.parseGrantAccess, () => rules.requirePhase(s, ['awaiting-access'], 'grant access'), (a) => t.grantAccess(c, a.by));
  update(m.assignReviewerUpdate, v.parseAssignReviewer, (a) => rules.checkAssignReviewer(s, a, now()), (a) => {
    t.assignReviewer(c, a);
    return LIMITS.reassignmentsPerTrack - (s.evaluations.find((e) => e.track === a.track)?.reassignments ?? 0);
  });
  update(m.submitEvaluationUpdate, v.parseSubmitEvaluation, (a) => rules.checkSubmitEvaluation(s, a), (a) => t.submitEvaluation(c, a));
  update(m.setReleaseDateUpdate, v.parseSetReleaseDate, (a) => rules.checkSetReleaseDate(s, a, now()), (a) => {
    t.setReleaseDate(c, parseInstant(a.plannedReleaseAt) as number, a.by ?? 'lab');
    return LIMITS.releaseDateMoves - (s.releaseDateMoves ?? 0);
  });
  update(m.pauseClockUpdate, v.parseActor, () => rules.checkPause(s, now()), (a) => {
    t.pauseClock(c, a);
    return LIMITS.pauses - s.pauses.length;
  });
  update(m.resumeClockUpdate, v.parseActor, () => rules.requirePhase(s, ['paused'], 'resume the clock'), (a) => t.resumeClock(c, a.by, a.reason ?? ''));
  update(m.withdrawUpdate, v.parseActor, () => rules.requireOpen(s), (a) => t.withdraw(c, a));
  update(m.closeReviewUpdate, v.parseActor, () => rules.requirePhase(s, ['in-review', 'paused'], 'close the review'), (a) => t.closeEarly(c, a));
  update(m.cancelReviewUpdate, v.parseCancel, () => rules.requirePhase(s, ['awaiting-access'], 'cancel the review'), (a) => t.cancel(c, a));
  update(m.confirmDisposalUpdate, v.parseConfirmDisposal, (a) => rules.checkConfirmDisposal(s, a), (a) => t.confirmDisposal(c, a));
  update(m.completePackageUpdate, v.parseCompletePackage, (a) => rules.checkCompletePackage(s, a), (a) => {
    t.completePackage(c, a);
    return LIMITS.packageUpdates - (s.packageUpdates ?? 0);
  });
  update(m.attachEvidenceUpdate, parseAttachEvidence, (a) => checkAttachEvidence(s, a), (a) => recordAttachment(c, a));
  const retention = new EvidenceRetention(c, () => { changed = true; });
  retention.start();

  // ---------- main loop ----------
  if (carried) {
    publish();
    for (const p of carried.pending) {
      const record = s.notices.find((n) => n.id === p.id);
      if (record) dispatch.send(record, p);
    }
  } else {
    t.intake(c);
  }
  const atStart = { ...workflowInfo() };
  const timer = new WakeTimer((at) => { reached = Math.max(reached, at); });
  const budget = budgetOf(request);
  while (s.phase !== 'closed') {
    t.processDue(c);
    // compact-history: a close shows in lists at once, not after the receipt's signing (an activity).
    if (compact) publishCard();
    if (record) await ensureReceipt(c, dispatch, localReceipt);
    if ((s.phase as Phase) === 'closed') break;
    const calendarAt = v2 && s.phase === 'in-review' ? syncCalendar(c, { coalesce: coreV2, minuteMoves: () => v3 || patched(CALENDAR_MINUTE_MOVES) }) : null;
    const over = coreV2 ? budgetState(workflowInfo(), atStart, budget) : 'within';
    if (over === 'now' || (over === 'quiet' && dispatch.settled)) {
      await condition(allHandlersFinished);
      s.handled = [...c.handled];
      s.continuedRuns = (s.continuedRuns ?? 0) + 1;
      dispatch.dropQueue(); // queued notices are among the pending ones the next run sends
      const next: CarriedState = { state: s, handled: s.handled, reasons: [...dispatch.reasons], pending: dispatch.carriedPending(), flags: v3 ? flags : { v2, inline } };
      // Search attributes go along explicitly (ReviewLab was set by the client at the first start), and so does the card.
      return makeContinueAsNewFunc<typeof reviewWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes, ...(card ? { memo: workflowInfo().memo } : {}) })(request, next);
    }
    const timelineAt = nextActionAt(toTimelineState(s), now(), c.handled);
    const nextAt = timelineAt === null ? calendarAt : calendarAt === null ? timelineAt : Math.min(timelineAt, calendarAt);
    dispatch.flush();
    publishCard();
    changed = false;
    const wake = (): boolean => changed || (over === 'quiet' && dispatch.settled);
    if (v3) {
      timer.aim(nextAt, now());
      await condition(() => wake() || timer.fired);
    } else if (nextAt === null) await condition(wake);
    else if (!(await condition(wake, Math.max(1, nextAt - now())))) reached = Math.max(reached, nextAt);
  }

  // Let updates finish and every notice settle before completing: nothing is lost at the end.
  if (compact) publishCard();
  if (record) await ensureReceipt(c, dispatch, localReceipt);
  dispatch.flush();
  publishCard();
  await condition(allHandlersFinished);
  await dispatch.drain();
  // Files in the evidence store: the review stays open (and queryable), phase closed, until its retention ends.
  await retention.finish();
  return { reviewId: request.reviewId, phase: 'closed', outcome: s.outcome, closedAt: s.closedAt === null ? null : toIso(s.closedAt, request.timeZone) };
}
