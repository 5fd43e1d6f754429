/**
 * The delivery ledger of a fault run: every e-mail the final statuses say was (or was not) sent — notices, and the
 * delivery alerts the program manager gets when an address is refused — matched by Message-ID against what the SMTP
 * sink accepted. Pure: no I/O.
 *
 * An extra copy of a message is explained only by what can cause one under the worker's delivery ledger
 * (activities/ledger.ts): the worker process that held the message when the sink accepted it was killed (or
 * its ledger write failed) before the ledger entry was written, and the history shows the send ran again
 * (copyVerdicts: an activity's next attempt, a workflow task that ran again, or a task the history does not keep).
 * Server outages, SMTP faults and kills of other processes cannot make the worker send a recorded notice again,
 * so they explain nothing; neither does a kill after the entry was written. Every other extra copy is a failure.
 *
 * Suppressed notices are re-checked against the review's final status (suppressions.ts): a retry that dropped a
 * notice under a reason that did not hold shows up as `wronglySuppressed`, not as a quiet "not sent".
 */
import type { StoredMail } from '../../shared/smtp-sink';
import type { ReviewStatus } from '../../workflows/types';
import type { ActivityAttempts } from './history-evidence';
import { suppressionProblem } from './suppressions';
import type { WorkerLife } from './worker-process';

export interface LedgerOptions {
  messageIdFor: (id: string) => string;
  /** Addresses the sink refuses with 550. */
  blocked: string[];
  /** Every worker process of the run, on the sink's clock (one at a time). */
  workers: WorkerLife[];
  /**
   * Several workers at once (the cluster run): the processes of the worker that sent a copy, by the name it gave the
   * sink in EHLO (StoredMail.clientName). Unset: `workers`, one at a time.
   */
  workersOf?: (clientName: string | undefined) => WorkerLife[];
  /** When the worker's delivery ledger recorded the mail with this id (notice or alert id), ms; undefined: never. */
  recordedAt: (id: string) => number | undefined;
  /** The attempts of the activity that carried the mail, from the history (history-evidence.ts). */
  attempts: (id: string) => ActivityAttempts | undefined;
  /**
   * When a workflow task of the mail's review timed out or failed at or after `accepted` (ms; null: none did): the
   * evidence that a local attempt (patch local-notices), whose input the history does not keep, ran again.
   */
  taskRetriedAfter?: (id: string, accepted: number) => number | null;
  /**
   * Whether a workflow task of the mail's review that the history records (from its start to its completion, failure
   * or timeout) was running at `at` (ms). A copy accepted while none was, and before any activity that carried the
   * mail was scheduled, was sent by a task the history does not keep: a speculative task (an update's) lost with its
   * worker or its server — the update, retried, ran the handler again. Unset: not consulted.
   */
  taskRunningAt?: (id: string, at: number) => boolean;
}

/** One e-mail a status accounts for. */
export interface ExpectedMail {
  reviewId: string;
  id: string;
  kind: string;
  to: string[];
  /** Notice state, or `alert` for a delivery alert (sent unless an `alert-failed` event says otherwise). */
  state: string;
  error?: string;
  messageId: string;
}

/** Whether one copy may be followed by another (or by a suppression): the crash window, or not. */
export interface CopyVerdict {
  explained: boolean;
  why: string;
}

export interface Duplicate {
  messageId: string;
  id: string;
  copies: number;
  receivedAt: string[];
  /** For each copy but the last (for a suppressed notice: its one copy), what allowed the next one. */
  verdicts: CopyVerdict[];
}

export interface LedgerEntry {
  reviewId: string;
  id: string;
  kind: string;
  to: string[];
  state: string;
  detail: string;
}

export interface Ledger {
  /** Mails the final statuses account for: notices (any state) and delivery alerts. */
  expected: number;
  /** Recorded sent (notices) or due (alerts). */
  sent: number;
  alerts: number;
  /** Of those, with at least one copy at the sink. */
  delivered: number;
  /** Recorded suppressed (the reason no longer held when it was due to go out) or superseded: no mail expected. */
  notSent: number;
  /** Extra copies (beyond the first) of delivered Message-IDs. */
  duplicateCopies: number;
  explainedDuplicateCopies: number;
  unexplainedDuplicateCopies: number;
  duplicates: Duplicate[];
  /** A notice recorded suppressed that did go out once (the crash window hid the send from the retry's check). */
  sentThoughSuppressed: Duplicate[];
  /** Recorded suppressed, but the reason does not hold up against the review's final status (suppressions.ts). */
  wronglySuppressed: LedgerEntry[];
  /** Recorded sent but absent at the sink, or never settled (still `sending`). */
  lost: LedgerEntry[];
  /** Recorded failed: expected only for notices whose every recipient is refused with 550. */
  failedAsRecorded: LedgerEntry[];
  /** Failed for any other reason, or a refused recipient's notice not recorded as such. */
  failedUnexpectedly: LedgerEntry[];
  /** Sent notices that reached only part of their recipients (the rest refused with 550), as recorded. */
  partiallyRejected: LedgerEntry[];
  /** Message-IDs at the sink that no status accounts for, or that a status records as failed or not sent. */
  unexpected: { messageId: string; envelopeTo: string[]; why: string }[];
  /** Mail that reached a refused address (must never happen). */
  deliveredToBlocked: string[];
}

/** Every mail the statuses account for: each notice, and one alert per `address-rejected` event. */
export function expectedMails(statuses: ReviewStatus[], messageIdFor: (id: string) => string): ExpectedMail[] {
  const out: ExpectedMail[] = [];
  for (const s of statuses) {
    for (const n of s.notices) {
      out.push({ reviewId: s.reviewId, id: n.id, kind: n.kind, to: n.to, state: n.state, error: n.error, messageId: n.messageId ?? messageIdFor(n.id) });
    }
    for (const e of s.events.filter((x) => x.type === 'address-rejected')) {
      const address = e.detail.split(' ')[0];
      const pm = s.programManager?.email;
      if (!address || address.toLowerCase() === pm?.toLowerCase()) continue; // no e-mail to the refused address itself
      const failed = s.events.find((x) => x.type === 'alert-failed' && x.detail.startsWith(`alert about ${address}:`));
      const id = `${s.reviewId}/alert/address-rejected:${address}`;
      out.push({ reviewId: s.reviewId, id, kind: 'alert', to: pm ? [pm] : [], state: failed ? 'failed' : 'alert', error: failed?.detail, messageId: messageIdFor(id) });
    }
  }
  return out;
}

/** One copy at the sink: when it was accepted (ms) and the name its sender gave in EHLO. */
interface Copy {
  accepted: number;
  clientName?: string;
}

const copyOf = (m: StoredMail): Copy => ({ accepted: m.receivedAt.getTime(), clientName: m.clientName });
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A failed write to the delivery ledger, as the activity's failure names it (SQLite, or a ledger that says so). */
const LEDGER_WRITE_FAILURE = /SqliteError|SQLITE_|ledger write/i;

/**
 * Why each copy of mail `id` (accepted at `accepted`, in order) could be followed by the next (for the last: by
 * `lastNext`, null when none followed — the retry recorded it suppressed instead), or why it could not.
 *
 * Something must have run the send again after a copy, and each piece of evidence explains one copy: a workflow task
 * of the review that timed out, failed or ran again between this copy and the next (a local attempt, patch
 * local-notices, lost with its worker); a copy sent by a task the history does not keep (see `taskRunningAt`); or a
 * further attempt of the activity that carried it (each attempt after the first explains one copy, in order).
 */
export function copyVerdicts(id: string, copies: Copy[], lastNext: number | null, o: LedgerOptions): CopyVerdict[] {
  const tries = o.attempts(id);
  let activityRetriesUsed = 0;
  return copies.map((copy, k) => {
    const next = k + 1 < copies.length ? copies[k + 1].accepted : lastNext;
    const retryAt = o.taskRetriedAfter?.(id, copy.accepted) ?? null;
    const taskRetry = retryAt !== null && (next === null || retryAt <= next) ? retryAt : null;
    const unrecordedTask = taskRetry === null && o.taskRunningAt !== undefined && !o.taskRunningAt(id, copy.accepted)
      && (tries === undefined || copy.accepted < tries.firstScheduledAt);
    const viaActivity = taskRetry === null && !unrecordedTask && tries !== undefined && tries.lastFailure !== null && tries.attempts - 1 > activityRetriesUsed;
    if (viaActivity) activityRetriesUsed++;
    if (taskRetry === null && !unrecordedTask && !viaActivity) {
      return no(`the history shows no retried attempt after it (${tries ? `last attempt ${tries.attempts}` : 'no activity carried it, no workflow task ran again'})`);
    }
    const retried = taskRetry !== null ? `its workflow task ran again ${secs(taskRetry - copy.accepted)} later (a local attempt)`
      : unrecordedTask ? 'sent by a workflow task the history does not keep (an update\'s, lost), run again'
        : `retried (attempt ${tries?.attempts} in the history)`;
    return crashWindow(id, copy, next, retried, viaActivity ? tries?.lastFailure ?? null : null, o);
  });
}

const no = (why: string): CopyVerdict => ({ explained: false, why });

/** Given that the send ran again (`retried`), whether this copy fell in the crash window: no ledger entry yet, and its sender killed or its write failed. */
function crashWindow(id: string, copy: Copy, next: number | null, retried: string, lastFailure: string | null, o: LedgerOptions): CopyVerdict {
  const { accepted } = copy;
  const recorded = o.recordedAt(id);
  if (recorded === undefined) return no('the delivery ledger has no entry for it');
  if (next !== null && next > recorded) return no(`a copy came ${secs(next - recorded)} after the ledger entry was written`);
  // The attempt that retried it failed writing the ledger (the sender lived on, or was killed only later).
  if (lastFailure && LEDGER_WRITE_FAILURE.test(lastFailure)) return { explained: true, why: `the ledger write failed (${lastFailure.slice(0, 80)}); ${retried}` };
  const sender = (o.workersOf?.(copy.clientName) ?? o.workers).find((w) => w.spawnedAt <= accepted && (w.endedAt === null || accepted <= w.endedAt));
  if (!sender) return no('no worker process was running when it was accepted');
  if (sender.killedAt === null) return no(`worker pid ${sender.pid}, which sent it, was not killed and no ledger write failed (last failure: ${(lastFailure ?? 'none').slice(0, 80)})`);
  if (sender.killedAt >= recorded) return no(`worker pid ${sender.pid} was killed ${secs(sender.killedAt - recorded)} after the ledger entry was written`);
  if (next !== null && sender.killedAt >= next) return no(`worker pid ${sender.pid} was killed only after the next copy was accepted`);
  const dt = sender.killedAt - accepted;
  const when = dt >= 0 ? `${secs(dt)} after` : `${secs(-dt)} before (its data was already on the wire)`;
  return { explained: true, why: `worker pid ${sender.pid} killed ${when} the copy was accepted, before the ledger entry; ${retried}` };
}

export function buildLedger(statuses: ReviewStatus[], mails: StoredMail[], o: LedgerOptions): Ledger {
  const blocked = new Set(o.blocked.map((a) => a.toLowerCase()));
  const byMessageId = new Map<string, StoredMail[]>();
  for (const m of mails) byMessageId.set(m.messageId, [...(byMessageId.get(m.messageId) ?? []), m]);
  for (const copies of byMessageId.values()) copies.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());

  const ledger: Ledger = {
    expected: 0, sent: 0, alerts: 0, delivered: 0, notSent: 0, duplicateCopies: 0, explainedDuplicateCopies: 0, unexplainedDuplicateCopies: 0,
    duplicates: [], sentThoughSuppressed: [], wronglySuppressed: [], lost: [], failedAsRecorded: [], failedUnexpectedly: [], partiallyRejected: [], unexpected: [],
    deliveredToBlocked: [],
  };
  const known = new Map<string, ExpectedMail>();
  const entry = (m: ExpectedMail, detail: string): LedgerEntry => ({ reviewId: m.reviewId, id: m.id, kind: m.kind, to: m.to, state: m.state, detail });

  for (const m of expectedMails(statuses, o.messageIdFor)) {
    ledger.expected++;
    known.set(m.messageId, m);
    const allBlocked = m.to.length > 0 && m.to.every((a) => blocked.has(a.toLowerCase()));
    const someBlocked = m.to.some((a) => blocked.has(a.toLowerCase()));
    const copies = byMessageId.get(m.messageId) ?? [];
    if (m.messageId !== o.messageIdFor(m.id)) {
      ledger.unexpected.push({ messageId: m.messageId, envelopeTo: [], why: `${m.id} recorded Message-ID ${m.messageId}, expected ${o.messageIdFor(m.id)}` });
    }
    switch (m.state) {
      case 'sent':
      case 'alert':
        ledger.sent++;
        if (m.state === 'alert') ledger.alerts++;
        if (copies.length === 0) ledger.lost.push(entry(m, m.state === 'alert' ? 'delivery alert due, never arrived at the sink' : 'recorded sent, never arrived at the sink'));
        else ledger.delivered++;
        if (allBlocked) ledger.failedUnexpectedly.push(entry(m, 'every recipient is refused with 550, yet recorded sent'));
        else if (someBlocked) {
          if (!/rejected: /.test(m.error ?? '')) ledger.failedUnexpectedly.push(entry(m, `a refused recipient is not recorded as rejected (error: ${m.error ?? 'none'})`));
          else ledger.partiallyRejected.push(entry(m, m.error ?? ''));
        }
        break;
      case 'failed':
        if (allBlocked && /550/.test(m.error ?? '')) ledger.failedAsRecorded.push(entry(m, m.error ?? ''));
        else ledger.failedUnexpectedly.push(entry(m, `failed: ${m.error ?? 'no error recorded'}`));
        if (copies.length > 0) ledger.unexpected.push({ messageId: m.messageId, envelopeTo: copies[0].envelopeTo, why: `${m.id} is recorded failed but arrived ${copies.length}x` });
        break;
      case 'suppressed':
      case 'superseded': {
        ledger.notSent++;
        if (m.state === 'suppressed') {
          const status = statuses.find((x) => x.reviewId === m.reviewId);
          const notice = status?.notices.find((x) => x.id === m.id);
          const problem = status && notice ? suppressionProblem(status, notice) : 'the notice is missing from its status';
          if (problem) ledger.wronglySuppressed.push(entry(m, problem));
        }
        if (copies.length === 0) break;
        // Sent, then the worker died before its ledger entry; the retry found the reason gone and suppressed it.
        const verdicts = copyVerdicts(m.id, copies.map(copyOf), null, o);
        const d = { messageId: m.messageId, id: m.id, copies: copies.length, receivedAt: copies.map((c) => c.receivedAt.toISOString()), verdicts };
        if (copies.length === 1 && verdicts[0].explained) ledger.sentThoughSuppressed.push(d);
        else ledger.unexpected.push({ messageId: m.messageId, envelopeTo: copies[0].envelopeTo, why: `${m.id} is recorded ${m.state} but arrived ${copies.length}x (${verdicts.map((v) => v.why).join('; ')})` });
        break;
      }
      default:
        ledger.lost.push(entry(m, `still ${m.state} when the run ended (never settled)`));
    }
  }

  for (const [messageId, copies] of byMessageId) {
    for (const c of copies) for (const a of c.envelopeTo) if (blocked.has(a.toLowerCase())) ledger.deliveredToBlocked.push(`${messageId} -> ${a}`);
    const owner = known.get(messageId);
    if (!owner) {
      ledger.unexpected.push({ messageId, envelopeTo: copies[0].envelopeTo, why: 'no status accounts for this Message-ID' });
      continue;
    }
    if (copies.length < 2 || (owner.state !== 'sent' && owner.state !== 'alert')) continue;
    const verdicts = copyVerdicts(owner.id, copies.slice(0, -1).map(copyOf), copies[copies.length - 1].receivedAt.getTime(), o);
    const extra = copies.length - 1;
    const unexplained = verdicts.filter((v) => !v.explained).length;
    ledger.duplicateCopies += extra;
    ledger.unexplainedDuplicateCopies += unexplained;
    ledger.explainedDuplicateCopies += extra - unexplained;
    ledger.duplicates.push({ messageId, id: owner.id, copies: copies.length, receivedAt: copies.map((c) => c.receivedAt.toISOString()), verdicts });
  }
  return ledger;
}
