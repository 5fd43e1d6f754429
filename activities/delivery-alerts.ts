/**
 * Alerts to the program manager about delivery itself — not review notices, so they have no notice kind:
 * - mail outage: a notice has been failing for `outageAlertAfterMinutes` (default 60); the PM is told
 *   through the webhooks (mail is what is down) while the notice's retries go on;
 * - address rejected: a mail server refused an address for good (5xx); the PM gets an e-mail (unless it
 *   was their own address) and the webhooks a copy.
 * Each alert is delivered once per target, through the ledger.
 */
import { createHmac } from 'node:crypto';
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import type { DeliveryAlert, NoticePayload } from '../workflows/types';
import { renderHtml, renderText } from './blocks';
import type { ActivityContext } from './context';
import { isPermanent, sentInfo } from './context';
import { messageIdFor } from './message-id';
import { withoutAddresses } from './without-addresses';
import { claimNotice, leaseMsFor } from './notice-claim';
import { runKeyOf } from './notice-check';
import { modelLine } from './templates';
import { checkedAddresses, TargetRefused } from './webhook-targets';
import { endpointSecret, postSigned, redact, targetsFor, WebhookError } from './webhooks';

/**
 * POSTs `body` to every target not yet served for `key`; records each success. Throws when any target failed:
 * non-retryable when every failure is a client error (4xx other than 408/429), retryable otherwise.
 */
export async function deliverToWebhooks(ctx: ActivityContext, key: string, runKey: string, targets: string[], body: object): Promise<number> {
  const secret = ctx.o.webhooks.secret;
  if (targets.length === 0) return 0;
  if (!secret) {
    throw ApplicationFailure.nonRetryable(`${targets.length} webhook endpoint(s) configured but no signing secret (WEBHOOK_SECRET or webhooks.secret)`, 'WebhookSecretMissing');
  }
  const ledger = ctx.ledger();
  const failures: WebhookError[] = [];
  const cfg = ctx.o.webhooks;
  for (const url of targets) {
    if (await ledger.delivered(key, runKey, url)) continue;
    try {
      // The operator's endpoints are configuration; a review's own endpoint is checked, pinned, and has its own secret.
      const own = !cfg.urls.includes(url);
      const addresses = own ? await checkedAddresses(new URL(url), cfg.allowedHosts).catch((e: unknown) => {
        throw e instanceof TargetRefused ? new WebhookError(url, `not posted to ${redact(url)}: ${e.message}`, undefined, true) : e;
      }) : undefined;
      await postSigned(url, body, key, { secret: own ? endpointSecret(secret, url) : secret, timeoutMs: cfg.timeoutMs, ...(addresses ? { addresses } : {}) });
      await ledger.markDelivered(key, runKey, url);
    } catch (e) {
      failures.push(e instanceof WebhookError ? e : new WebhookError(url, String(e)));
    }
  }
  if (failures.length === 0) return targets.length;
  const message = failures.map((f) => f.message).join('; ');
  const permanent = failures.every((f) => f.refused || (f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429));
  if (permanent) throw ApplicationFailure.nonRetryable(message, 'WebhookRejected');
  throw new Error(message);
}

const minutes = (ms: number): string => `${Math.round(ms / 60_000)} minutes`;

/** Called on each failed attempt of sendNotice; alerts once the notice has been failing long enough. Never throws. */
export async function alertMailOutage(ctx: ActivityContext, n: NoticePayload, err: unknown): Promise<void> {
  try {
    const info = activityInfo();
    // Both instants come from the server, so this also holds under a time-skipping test server.
    const failingMs = info.currentAttemptScheduledTimestampMs - info.scheduledTimestampMs;
    if (failingMs < ctx.o.outageAlertAfterMs) return;
    const targets = targetsFor(ctx.o.webhooks, n.webhooks);
    if (targets.length === 0) {
      log.warn('mail outage and no webhook to alert the program manager', { notice: n.id, failingMs });
      return;
    }
    // Already stripped by sendNotice; stripped again here because this copy leaves for chat tools.
    const error = withoutAddresses(err instanceof Error ? err.message : String(err));
    const id = `${n.id}#mail-outage`;
    const text = `Mail outage, review ${n.reviewId} (${modelLine(n)}): the ${n.kind} notice to ${n.audience} has not been delivered for ${minutes(failingMs)} `
      + `(${info.attempt} attempts; last error: ${error}). Delivery is retried until the mail server accepts it; nothing is lost. For the program manager.`;
    await deliverToWebhooks(ctx, id, runKeyOf(n), targets, {
      type: 'alert', alert: 'mail-outage', id, reviewId: n.reviewId, noticeId: n.id, kind: n.kind, audience: n.audience,
      failingForMinutes: Math.round(failingMs / 60_000), attempts: info.attempt, error, text,
    });
  } catch (e) {
    log.warn('could not alert the program manager about the mail outage; will try again on the next attempt', { notice: n.id, error: String(e) });
  }
}

export function renderAddressAlert(a: DeliveryAlert): { subject: string; text: string; html: string } {
  const own = a.address.toLowerCase() === a.programManager.email.toLowerCase();
  const blocks = [
    `The mail server permanently refused ${a.address} for the ${a.noticeKind} notice to ${a.audience} of ${modelLine(a)}: ${a.error}`,
    a.audience === 'lab'
      ? 'Later notices to the lab go to its other contacts when it has any; this address is skipped while another one works. What to do: ask the lab for a working contact.'
      : own ? 'This was your own address.' : 'What to do: check the address and reassign or correct it.',
    'The failure is recorded in the review\'s status.',
  ];
  const subject = `[${a.reviewId}] Delivery problem: ${a.address} refused a notice`;
  const message = { greeting: `Hello ${a.programManager.name},`, blocks, footer: `— frontier-review delivery alert ${a.id}.` };
  return { subject, text: renderText(message), html: renderHtml(message, subject) };
}

/**
 * The webhook copy of an address alert. Chat tools and ticketing keep what they receive and show it to a channel,
 * so the copy names no address and no person (it used to carry the refused address three times: in a field, in
 * the text and in the delivery id): only which audience was affected, and where to read the rest — the e-mail to
 * the PM, the review's status. `ref` tells two alerts of one review apart without the address: an HMAC of the
 * alert id under the webhook secret (a plain hash of an address can be reversed by guessing).
 */
export function addressAlertWebhookBody(a: DeliveryAlert, secret: string, dashboardUrl?: string): { key: string; body: Record<string, unknown> } {
  const ref = createHmac('sha256', secret).update(`address-alert\0${a.id}`, 'utf8').digest('hex').slice(0, 16);
  const key = `${a.reviewId}/alert/address-rejected/${ref}#webhook`;
  const link = dashboardUrl ? `${dashboardUrl}/reviews/${encodeURIComponent(a.reviewId)}` : undefined;
  const text = [
    `[${a.reviewId}] Delivery problem: a mail server refused an address for good`,
    `The ${a.noticeKind} notice to ${a.audience} of ${modelLine(a)} could not be delivered to one of its addresses (${withoutAddresses(a.error)}).`,
    'The program manager has been e-mailed which address it was; the failure is recorded in the review\'s status.',
    ...(link ? [link] : []),
  ].join('\n');
  return {
    key,
    body: {
      type: 'alert', alert: a.kind, id: key.replace(/#webhook$/, ''), reviewId: a.reviewId, noticeId: a.noticeId, kind: a.noticeKind, audience: a.audience,
      error: withoutAddresses(a.error), text, ...(link ? { link } : {}),
    },
  };
}

export function createSendDeliveryAlert(ctx: ActivityContext) {
  // One alert at a time per id: several notices can find the same address refused at once.
  return (a: DeliveryAlert): Promise<{ emailed: boolean; webhooks: number }> => ctx.serial(a.id, () => deliver(a));

  async function deliver(a: DeliveryAlert): Promise<{ emailed: boolean; webhooks: number }> {
    const runKey = runKeyOf(a);
    const ledger = ctx.ledger();
    const rendered = renderAddressAlert(a);
    let emailed = false;
    // No e-mail to an address just refused: that alert goes by webhook only.
    if (a.address.toLowerCase() !== a.programManager.email.toLowerCase()) {
      const messageId = messageIdFor(a.id, ctx.o.domain);
      const known = await ledger.lookup(a.id, runKey);
      emailed = known?.state === 'sent';
      // Several notices can find one address refused at once, on several workers: the claim lets one mail go.
      const claim = known ? undefined : await claimNotice(ledger, a.id, runKey, leaseMsFor(ctx.o.claimLeaseMs));
      const settled = claim ? await ledger.lookup(a.id, runKey) : undefined;
      if (settled) emailed = settled.state === 'sent';
      if (claim && !settled) {
        try {
          const info = sentInfo(await ctx.transport().sendMail({
            from: ctx.o.mailFrom, to: { name: a.programManager.name, address: a.programManager.email }, subject: rendered.subject,
            text: rendered.text, html: rendered.html, messageId, headers: { 'X-Frontier-Review-Alert': a.kind },
          }));
          await ledger.record({ noticeId: a.id, runKey, state: 'sent', messageId, accepted: [a.programManager.email], rejected: [], response: info.response, recordedAt: new Date().toISOString() });
          emailed = true;
        } catch (e) {
          if (!isPermanent(e)) throw e;
          await ledger.record({ noticeId: a.id, runKey, state: 'rejected', messageId, accepted: [], rejected: [a.programManager.email], response: e.message, recordedAt: new Date().toISOString() });
        } finally {
          await claim.release();
        }
      } else {
        await claim?.release();
      }
    }
    const targets = targetsFor(ctx.o.webhooks, a.webhooks);
    // No secret: deliverToWebhooks refuses with the reason; the copy's key needs one only when there are targets.
    const copy = addressAlertWebhookBody(a, ctx.o.webhooks.secret ?? '', ctx.o.webhooks.dashboardUrl);
    const webhooks = await deliverToWebhooks(ctx, copy.key, runKey, targets, copy.body);
    if (!emailed && webhooks === 0) log.warn('delivery alert reached nobody', { alert: a.id, targets: targets.map(redact) });
    return { emailed, webhooks };
  }
}
