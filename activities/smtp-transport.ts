/**
 * The options of the worker's one SMTP transport. Pooled by default: a new connection per mail cost 130–220 ms
 * p50 from a review update to its first mail (the server's greeting delay and EHLO on every mail) against 22–75 ms
 * over kept connections (BENCHMARKS.md).
 *
 * Precedence, most specific first: the SMTP URL's query (`?pool=false`, `?maxConnections=3`, `?socketTimeout=…`,
 * nodemailer's own option names) > createActivities options > SMTP_* environment > defaults. The URL is where an
 * operator puts what one relay needs, so it wins over the worker's general settings.
 *
 * What nodemailer 10's pool does by itself (pinned by test/unit/smtp-pool.test.ts):
 * - a connection the server closed, or one that answered 421, is dropped and never reused; a message that had not
 *   started on a reused connection goes out over a fresh one;
 * - TCP_NODELAY on every SMTP socket (smtp-connection sets it on connect), so a mail over a kept connection does
 *   not wait ~40 ms for a delayed ACK; no `getSocket` of our own is needed;
 * - connectionTimeout, greetingTimeout and socketTimeout apply to every pooled connection.
 */
import { isIP } from 'node:net';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import type { ResolvedOptions } from './options';

/** A host on this machine: 127.0.0.0/8, ::1 (bracketed or not), localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Whether mail must go over TLS: the setting when given, else on for any relay that is not on this machine.
 * Mail carries names, addresses and findings notices; a relay on the network must not receive them in clear.
 */
export function requireTls(o: Pick<ResolvedOptions, 'smtpRequireTls' | 'smtpUrl'>): boolean {
  if (o.smtpRequireTls !== undefined) return o.smtpRequireTls;
  const host = parseConnectionUrl(o.smtpUrl).host ?? '';
  return !isLoopbackHost(host);
}

export function smtpTransportOptions(o: ResolvedOptions): SMTPPoolOptions {
  const timeout = o.smtpTimeoutMs;
  return {
    requireTLS: requireTls(o),
    pool: o.smtpPool,
    maxConnections: o.smtpMaxConnections,
    maxMessages: o.smtpMaxMessages,
    // An idle connection is closed by us (QUIT) just before our own socket timeout would cut it.
    idleTimeout: Math.max(timeout - 1000, timeout / 2),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // Last, so the URL wins. A second argument to createTransport would be message defaults, not transport options.
    ...parseConnectionUrl(o.smtpUrl),
  };
}
