/**
 * Webhooks: a signed JSON copy of each notice (and of delivery alerts) for chat tools and ticketing.
 *
 * Body: JSON with a `text` field (what Slack, Mattermost, Teams workflows and most chat tools display) plus
 * structured fields. Headers:
 *   X-Frontier-Review-Timestamp: Unix seconds when the request was signed
 *   X-Frontier-Review-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   X-Frontier-Review-Delivery:  the notice or alert id (the same on every retry: receivers can dedupe)
 * A receiver recomputes the HMAC over the raw body, compares in constant time and rejects old timestamps
 * (verifySignature below does exactly that). The secret lives only in the worker's configuration.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-frontier-review-timestamp';
export const SIGNATURE_HEADER = 'x-frontier-review-signature';
export const DELIVERY_HEADER = 'x-frontier-review-delivery';

export interface WebhookConfig {
  /** Endpoints that receive every notice of every review. */
  urls: string[];
  /** HMAC-SHA256 key. Without it no webhook is sent (a configured but unsigned webhook is an error in status). */
  secret: string | undefined;
  timeoutMs: number;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): a valid signature over this body, made within `toleranceSeconds` of `nowSeconds`. */
export function verifySignature(secret: string, timestampHeader: string | undefined, signatureHeader: string | undefined, body: string,
  nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300): boolean {
  const ts = Number(timestampHeader);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !signatureHeader) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(signatureHeader);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export class WebhookError extends Error {
  constructor(readonly url: string, message: string, readonly status?: number) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** One signed POST; resolves on a 2xx answer, throws WebhookError otherwise. */
export async function postSigned(url: string, payload: object, deliveryId: string, cfg: { secret: string; timeoutMs: number }): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'frontier-review-webhooks/1',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: sign(cfg.secret, timestamp, body),
        [DELIVERY_HEADER]: deliveryId,
      },
      body,
      signal: AbortSignal.timeout(cfg.timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    throw new WebhookError(url, `POST ${redact(url)} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  await res.arrayBuffer().catch(() => undefined); // drain, so the connection is released
  if (!res.ok) throw new WebhookError(url, `POST ${redact(url)} answered ${res.status}`, res.status);
}

/** Chat webhook URLs often carry a token in the path: name only scheme, host and port in messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return 'an invalid URL';
  }
}

export function targetsFor(cfg: WebhookConfig, reviewUrls: string[] | undefined): string[] {
  return [...new Set([...cfg.urls, ...(reviewUrls ?? [])])];
}
