/**
 * sendNotice: one notice, one e-mail, exactly once (see ledger.ts for the scheme and its one crash window).
 * Order on every attempt: ledger → claim → ledger → "still due?" → SMTP → ledger → alerts and webhook copy
 * (inline-delivery.ts) → release.
 * Temporary SMTP trouble (no connection, 421, 451, timeouts) is thrown for Temporal to retry with backoff, and
 * after a long enough outage the program manager is alerted through the webhooks; a permanent rejection (5xx)
 * is recorded and not retried.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { SendMailOptions } from 'nodemailer';
import type { NoticePayload, NoticeResult } from '../workflows/types';
import { receiptFileName } from '../shared/record/receipt';
import { renderInvite } from './calendar';
import type { ActivityContext, SentInfo } from './context';
import { addressOf, isPermanent, sentInfo } from './context';
import { alertMailOutage } from './delivery-alerts';
import { withoutAddresses } from './without-addresses';
import { createInlineDelivery } from './inline-delivery';
import type { LedgerEntry } from './ledger';
import { messageIdFor } from './message-id';
import { claimNotice, leaseMsFor, NOTICE_CLAIMED } from './notice-claim';
import { countNotice, recordDeliveryDelay } from './notice-metrics';
import { lapsedReason, runKeyOf } from './notice-check';
import { renderNotice } from './templates';

export const PERMANENT_REJECTION = 'SmtpPermanentRejection';

/** The e-mail for a notice: text, HTML and its calendar events (the first as the invitation, the rest attached). */
export function composeNotice(ctx: ActivityContext, n: NoticePayload): SendMailOptions {
  const { subject, text, html } = renderNotice(n);
  const [first, ...rest] = (n.invites ?? []).map((i) => renderInvite(n, i, ctx.organizer, ctx.o.domain));
  const files = [
    ...rest.map((i) => ({ filename: i.filename, content: i.content, contentType: `text/calendar; charset=utf-8; method=${i.method}` })),
    // The closure receipt (the lab's review-closed mail): the DSSE envelope as JSON, as in-toto tooling stores it.
    ...(n.receipt ? [{ filename: receiptFileName(n.reviewId), content: `${JSON.stringify(n.receipt, null, 2)}\n`, contentType: 'application/json; charset=utf-8' }] : []),
  ];
  return {
    from: ctx.o.mailFrom,
    to: n.to.map((p) => ({ name: p.name, address: p.email })),
    subject,
    text,
    html,
    messageId: messageIdFor(n.id, ctx.o.domain),
    headers: { 'X-Frontier-Review-Notice': n.id, 'X-Frontier-Review-Kind': n.kind },
    ...(first ? { icalEvent: { method: first.method, filename: first.filename, content: first.content } } : {}),
    ...(files.length ? { attachments: files } : {}),
  };
}

export { withoutAddresses };

/**
 * A temporary SMTP error as it may travel: the server's reply (`450 <alice@…>: mailbox busy`) without the
 * addresses. A retried attempt's failure is stored with the activity, and failure messages are not payloads: the
 * codec does not encrypt them (the failure converter encodes them only where it is configured).
 */
export function withoutAddressesError(err: unknown): Error {
  const source = err instanceof Error ? err : new Error(String(err));
  const safe = new Error(withoutAddresses(source.message));
  safe.name = source.name;
  const code = (source as { code?: unknown; responseCode?: unknown });
  return Object.assign(safe, typeof code.code === 'string' ? { code: code.code } : {}, typeof code.responseCode === 'number' ? { responseCode: code.responseCode } : {});
}

/** Non-retryable; the addresses and the server's full reply travel in the details, which the payload codec encrypts. */
function permanentFailure(n: NoticePayload, message: string, rejected: string[], response: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: PERMANENT_REJECTION, nonRetryable: true, details: [{ rejected, response }],
    message: `SMTP rejected ${n.kind} notice ${n.id} permanently: ${withoutAddresses(message)}`,
  });
}

function fromLedger(e: LedgerEntry): NoticeResult {
  return {
    messageId: e.messageId, accepted: e.accepted, rejected: e.rejected, response: e.response,
    ...(e.state === 'suppressed' ? { suppressed: e.response } : {}),
  };
}

export function createSendNotice(ctx: ActivityContext) {
  // Every result tells the workflow how many global webhooks this worker has, so that a review without
  // webhooks of its own schedules no webhook activity while none are configured.
  const withTargets = (r: NoticeResult): NoticeResult => ({ ...r, webhookTargets: ctx.o.webhooks.urls.length });
  const inline = createInlineDelivery(ctx);
  return async (n: NoticePayload): Promise<NoticeResult> => withTargets(await send(n));

  /** Refused for good: the program manager is alerted (inline payloads), then the notice fails without retry. */
  async function refused(n: NoticePayload, message: string, rejected: string[], response: string): Promise<never> {
    await inline.alertRefused(n, rejected, response);
    throw permanentFailure(n, message, rejected, response);
  }

  async function send(n: NoticePayload): Promise<NoticeResult> {
    const runKey = runKeyOf(n);
    const ledger = ctx.ledger();
    const messageId = messageIdFor(n.id, ctx.o.domain);
    const settledBefore = (known: LedgerEntry): Promise<NoticeResult> => {
      log.info('notice already in the ledger; not sending again', { notice: n.id, state: known.state });
      if (known.state === 'rejected') return refused(n, known.response, known.rejected, known.response);
      return inline.afterSent(n, fromLedger(known));
    };
    const known = await ledger.lookup(n.id, runKey);
    if (known) return settledBefore(known);
    // Nobody recorded it yet: take the claim (NoticeClaimed, retryable, while another attempt holds it), then look
    // again — the previous holder may have written its entry between our lookup and our claim.
    let claim;
    try {
      claim = await claimNotice(ledger, n.id, runKey, leaseMsFor(ctx.o.claimLeaseMs));
    } catch (e) {
      if (e instanceof ApplicationFailure && e.type === NOTICE_CLAIMED) countNotice('retried', n.kind, 'claimed');
      throw e;
    }
    try {
      const settled = await ledger.lookup(n.id, runKey);
      if (settled) return await settledBefore(settled);
      return await sendClaimed(n, runKey, messageId);
    } finally {
      await claim.release();
    }
  }

  /** The send itself, under the notice's claim. */
  async function sendClaimed(n: NoticePayload, runKey: string, messageId: string): Promise<NoticeResult> {
    const ledger = ctx.ledger();
    const entry = (state: LedgerEntry['state'], accepted: string[], rejected: string[], response: string): LedgerEntry => ({
      noticeId: n.id, runKey, state, messageId, accepted, rejected, response, recordedAt: new Date().toISOString(),
    });
    if (n.checkBeforeSend) {
      const lapsed = await lapsedReason(n.id, ctx.o.checkTimeoutMs);
      if (lapsed !== null) {
        await ledger.record(entry('suppressed', [], [], lapsed));
        countNotice('suppressed', n.kind);
        log.info('notice suppressed: its reason no longer holds', { notice: n.id, reason: lapsed });
        return { messageId, accepted: [], rejected: [], response: '', suppressed: lapsed };
      }
    }
    let info: SentInfo;
    try {
      info = sentInfo(await ctx.transport().sendMail(composeNotice(ctx, n)));
    } catch (err) {
      if (isPermanent(err)) {
        const rejected = Array.isArray(err.rejected) && err.rejected.length ? err.rejected.map(addressOf) : n.to.map((p) => p.email);
        const response = err.response ?? err.message;
        await ledger.record(entry('rejected', [], rejected, response));
        countNotice('refused', n.kind);
        log.warn('notice rejected permanently', { notice: n.id, code: err.responseCode });
        return refused(n, err.message, rejected, response);
      }
      countNotice('retried', n.kind, 'smtp');
      const safe = withoutAddressesError(err);
      await alertMailOutage(ctx, n, safe);
      throw safe; // temporary (connection refused, 4xx, timeout): Temporal retries with backoff
    }
    // --- crash window: the server has accepted the message (250); until the next line commits, a crash or a
    // failed write means the retry sends it again, with the same Message-ID. ---
    const result: NoticeResult = { messageId, accepted: info.accepted, rejected: info.rejected, response: info.response };
    await ledger.record(entry('sent', result.accepted, result.rejected, result.response));
    countNotice('sent', n.kind);
    recordDeliveryDelay(n.kind);
    const refusals = info.rejectedErrors.map((e) => (e as Error & { response?: string }).response ?? e.message);
    return inline.afterSent(n, refusals.length ? { ...result, rejectedResponse: refusals.join('; ') } : result);
  }
}
