/**
 * Webhooks: a signed JSON copy of each notice (and of delivery alerts) for chat tools and ticketing.
 *
 * Body: JSON with a `text` field (what Slack, Mattermost, Teams workflows and most chat tools display) plus
 * structured fields. Headers:
 *   X-Frontier-Review-Timestamp: Unix seconds when the request was signed
 *   X-Frontier-Review-Delivery:  the notice or alert id (the same on every retry: receivers dedupe on it)
 *   X-Frontier-Review-Signature: v2=<hex HMAC-SHA256(secret, "<timestamp>.<delivery id>.<target URL>.<raw body>")>
 *
 * The signature covers the delivery id and the URL it was sent to, so a receiver cannot replay a request to
 * another endpoint, or as another delivery. Replay window: a receiver accepts a timestamp within 300 s of its
 * clock and remembers the delivery ids it has seen for at least that long (verifySignature does the first).
 *
 * Secrets: the operator's endpoints (WEBHOOK_URLS) are signed with WEBHOOK_SECRET; each review's own endpoint with
 * a secret of its own, derived from WEBHOOK_SECRET and its URL (`review webhook-secret <url>` prints it for the
 * receiver), so no review's receiver can forge or verify another's. Secrets live only in the worker's
 * configuration, never in a review's history. Review endpoints go only where webhook-targets.ts allows.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import { pinnedLookup } from './webhook-targets';

export const TIMESTAMP_HEADER = 'x-frontier-review-timestamp';
export const SIGNATURE_HEADER = 'x-frontier-review-signature';
export const DELIVERY_HEADER = 'x-frontier-review-delivery';
/** Seconds a receiver should accept a signed request for. */
export const REPLAY_WINDOW_SECONDS = 300;

export interface WebhookConfig {
  /** Endpoints that receive every notice of every review. */
  urls: string[];
  /** HMAC-SHA256 key. Without it no webhook is sent (a configured but unsigned webhook is an error in status). */
  secret: string | undefined;
  timeoutMs: number;
  /** WEBHOOK_ALLOWED_HOSTS: where review webhooks may go (webhook-targets.ts). Empty: nowhere. */
  allowedHosts: string[];
  /** The dashboard's address: webhook copies link to the review there (DASHBOARD_URL). */
  dashboardUrl?: string;
}

/** The secret of one review endpoint: derived, so each receiver holds only its own. */
export function endpointSecret(masterSecret: string, url: string): string {
  return createHmac('sha256', masterSecret).update(`frontier-review webhook endpoint\0${url}`, 'utf8').digest('hex');
}

export function sign(secret: string, timestamp: number, deliveryId: string, url: string, body: string): string {
  return `v2=${createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.${url}.${body}`).digest('hex')}`;
}

/**
 * For receivers (and tests): a valid signature over this body, delivery id and the receiver's own URL, made within
 * `toleranceSeconds` of `nowSeconds`.
 */
export function verifySignature(secret: string, headers: { timestamp?: string; signature?: string; delivery?: string }, url: string, body: string,
  nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = REPLAY_WINDOW_SECONDS): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !headers.signature || !headers.delivery) return false;
  const expected = Buffer.from(sign(secret, ts, headers.delivery, url, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export class WebhookError extends Error {
  /** `refused`: the target is not allowed; never retried. */
  constructor(readonly url: string, message: string, readonly status?: number, readonly refused = false) {
    super(message);
    this.name = 'WebhookError';
  }
}

/**
 * One signed POST; resolves on a 2xx answer, throws WebhookError otherwise (a redirect too: it is not followed).
 * `addresses`: connect only there (a checked review target); otherwise the system resolver.
 */
export async function postSigned(url: string, payload: object, deliveryId: string, cfg: { secret: string; timeoutMs: number; addresses?: LookupAddress[] }): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const status = await new Promise<number>((resolve, reject) => {
    const req = client.request(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'frontier-review-webhooks/2',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: sign(cfg.secret, timestamp, deliveryId, url, body),
        [DELIVERY_HEADER]: deliveryId,
      },
      timeout: cfg.timeoutMs,
      ...(cfg.addresses ? { lookup: pinnedLookup(cfg.addresses) } : {}),
    }, (res) => {
      res.resume(); // drain, so the connection is released
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${cfg.timeoutMs} ms`)), cfg.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`timeout after ${cfg.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  }).catch((e: unknown) => {
    throw new WebhookError(url, `POST ${redact(url)} failed: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (status < 200 || status >= 300) throw new WebhookError(url, `POST ${redact(url)} answered ${status}`, status);
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
