/**
 * What the notice activity delivers besides the e-mail, for reviews started with patch
 * `delivery-in-activity` (payload field `inline`): the webhook copy to the global webhooks when the review
 * has none of its own, and the alert to the program manager when a mail server refuses an address.
 *
 * Why here and not as workflow commands: the workflow used to decide both from activity results, and a
 * worker restarted between an activity's completion and an update could replay those results after the
 * update, so the commands came out in another order (nondeterminism) and the review was stuck.
 *
 * Both run after the mail is settled and are retried through the notice's own retries (the ledger keeps
 * the mail and every delivered copy from going twice), for a bounded number of attempts: a broken webhook
 * or a failing alert never holds a notice for long; what failed is reported in the result and the log.
 */
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import type { DeliveryAlert, NoticePayload, NoticeResult } from '../workflows/types';
import type { ActivityContext } from './context';
import { createSendDeliveryAlert, deliverToWebhooks } from './delivery-alerts';
import { noticeWebhookBody } from './notice-webhooks';
import { runKeyOf } from './notice-check';

/**
 * Attempts of the notice activity during which a failed copy or alert is retried (5 s, 10 s, … ≈ 2.5 min). A batch's
 * quick local attempt (patch local-notices) is attempt 1 of its own and fails on a failed copy, so the copy gets one
 * try more: the activity that takes the batch over counts from 1 again.
 */
export const INLINE_ATTEMPTS = 6;

const retryable = (e: unknown): boolean => !(e instanceof ApplicationFailure && e.nonRetryable);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Rethrow while retries are worth it; afterwards give up, logged and reported. */
function retryOrGiveUp(e: unknown, what: string, noticeId: string): string {
  const attempt = activityInfo().attempt;
  if (retryable(e) && attempt < INLINE_ATTEMPTS) throw e;
  log.warn(`${what} failed; not retried further (the e-mail is settled)`, { notice: noticeId, attempt, error: message(e) });
  return message(e);
}

export function createInlineDelivery(ctx: ActivityContext) {
  const sendDeliveryAlert = createSendDeliveryAlert(ctx);

  /** The signed copy of a sent notice, to the worker's global webhooks. */
  async function webhookCopy(n: NoticePayload): Promise<NoticeResult['webhook']> {
    if (!n.inline?.webhookCopy) return undefined;
    const targets = ctx.o.webhooks.urls;
    if (targets.length === 0) return undefined;
    try {
      const delivered = await deliverToWebhooks(ctx, `${n.id}#webhook`, runKeyOf(n), targets, noticeWebhookBody(n, ctx.o.webhooks.dashboardUrl));
      return { targets: targets.length, delivered };
    } catch (e) {
      return { targets: targets.length, delivered: 0, error: retryOrGiveUp(e, 'webhook copy', n.id) };
    }
  }

  /** One alert per refused address and review: the ledger keys it by review and address, not by notice. */
  async function alertRefused(n: NoticePayload, addresses: string[], error: string): Promise<void> {
    if (!n.inline) return;
    for (const address of addresses) {
      const alert: DeliveryAlert = {
        id: `${n.reviewId}/alert/address-rejected:${address}`, kind: 'address-rejected', reviewId: n.reviewId, model: n.model,
        programManager: n.inline.programManager, noticeId: n.id, noticeKind: n.kind, audience: n.audience, address, error,
        ...(n.runKey ? { runKey: n.runKey } : {}), ...(n.webhooks ? { webhooks: n.webhooks } : {}),
      };
      try {
        await sendDeliveryAlert(alert);
      } catch (e) {
        retryOrGiveUp(e, `alert about ${address}`, n.id);
      }
    }
  }

  /** After the e-mail went (now or on an earlier attempt): alerts for refused recipients, then the copy. */
  async function afterSent(n: NoticePayload, r: NoticeResult): Promise<NoticeResult> {
    if (r.suppressed) return r;
    if (r.rejected.length) await alertRefused(n, r.rejected, r.rejectedResponse ?? r.response);
    const webhook = await webhookCopy(n);
    return webhook ? { ...r, webhook } : r;
  }

  return { afterSent, alertRefused };
}
