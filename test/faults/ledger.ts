/**
 * The delivery ledger of a fault run: every e-mail the final statuses say was (or was not) sent — notices, and the
 * delivery alerts the program manager gets when an address is refused — matched by Message-ID against what the SMTP
 * sink accepted, with every extra copy checked against the faults that could explain it. Pure: no I/O.
 */
import type { StoredMail } from '../../shared/smtp-sink';
import type { ReviewStatus } from '../../workflows/types';

/** A fault the ledger can blame a duplicate on: the worker killed at `at`, or the server down from `at` to `until`. */
export interface CrashFault {
  kind: 'worker-kill' | 'server-outage';
  at: number;
  until?: number;
  detail?: string;
}

export interface LedgerOptions {
  messageIdFor: (id: string) => string;
  /** Addresses the sink refuses with 550. */
  blocked: string[];
  /**
   * The crash window: a copy accepted at `t` may be sent again when a fault strikes between `t - windowBeforeMs`
   * (the sink may record a message an instant before it notices the client is gone) and `t + windowAfterMs`
   * (before the worker recorded the send in its delivery ledger and reported the activity's completion).
   */
  windowBeforeMs: number;
  windowAfterMs: number;
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

export interface Duplicate {
  messageId: string;
  id: string;
  copies: number;
  receivedAt: string[];
  /** The fault blamed for each extra copy, or null when none fits the crash window. */
  explainedBy: (string | null)[];
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

function explain(copies: StoredMail[], faults: CrashFault[], o: LedgerOptions): (string | null)[] {
  const out: (string | null)[] = [];
  for (let k = 0; k + 1 < copies.length; k++) {
    const accepted = copies[k].receivedAt.getTime();
    const next = copies[k + 1].receivedAt.getTime();
    const from = accepted - o.windowBeforeMs;
    const to = accepted + o.windowAfterMs;
    const f = faults.find((x) => x.at < next && (x.kind === 'worker-kill'
      ? x.at >= from && x.at <= to
      : x.at <= to && (x.until ?? Number.POSITIVE_INFINITY) >= from));
    const dt = (f ? f.at - accepted : 0) / 1000;
    const when = `${Math.abs(dt).toFixed(2)} s ${dt < 0 ? 'before' : 'after'}`;
    out.push(f ? `${f.kind}${f.detail ? ` (${f.detail})` : ''} ${when} the copy was accepted; sent again ${((next - accepted) / 1000).toFixed(0)} s later` : null);
  }
  return out;
}

export function buildLedger(statuses: ReviewStatus[], mails: StoredMail[], faults: CrashFault[], o: LedgerOptions): Ledger {
  const blocked = new Set(o.blocked.map((a) => a.toLowerCase()));
  const byMessageId = new Map<string, StoredMail[]>();
  for (const m of mails) byMessageId.set(m.messageId, [...(byMessageId.get(m.messageId) ?? []), m]);
  for (const copies of byMessageId.values()) copies.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());

  const ledger: Ledger = {
    expected: 0, sent: 0, alerts: 0, delivered: 0, notSent: 0, duplicateCopies: 0, explainedDuplicateCopies: 0, unexplainedDuplicateCopies: 0,
    duplicates: [], sentThoughSuppressed: [], lost: [], failedAsRecorded: [], failedUnexpectedly: [], partiallyRejected: [], unexpected: [],
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
      case 'superseded':
        ledger.notSent++;
        if (copies.length > 0) {
          // Sent, then the worker died before its ledger entry; the retry found the reason gone and suppressed it.
          const explainedBy = explain([...copies, { ...copies[copies.length - 1], receivedAt: new Date(8.64e15) }], faults, o);
          const d = { messageId: m.messageId, id: m.id, copies: copies.length, receivedAt: copies.map((c) => c.receivedAt.toISOString()), explainedBy };
          if (copies.length === 1 && explainedBy[0] !== null) ledger.sentThoughSuppressed.push(d);
          else ledger.unexpected.push({ messageId: m.messageId, envelopeTo: copies[0].envelopeTo, why: `${m.id} is recorded ${m.state} but arrived ${copies.length}x (${explainedBy.map((e) => e ?? 'no fault in the crash window').join('; ')})` });
        }
        break;
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
    const explainedBy = explain(copies, faults, o);
    const extra = copies.length - 1;
    const unexplained = explainedBy.filter((e) => e === null).length;
    ledger.duplicateCopies += extra;
    ledger.unexplainedDuplicateCopies += unexplained;
    ledger.explainedDuplicateCopies += extra - unexplained;
    ledger.duplicates.push({ messageId, id: owner.id, copies: copies.length, receivedAt: copies.map((c) => c.receivedAt.toISOString()), explainedBy });
  }
  return ledger;
}
