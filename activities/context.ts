/** What the activities share: resolved options, one SMTP transport and one ledger, both opened on first use. */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { Ledger } from './ledger';
import { SqliteLedger } from './ledger';
import type { ActivitiesOptions, ResolvedOptions } from './options';
import { resolveOptions } from './options';

export interface ActivityContext {
  o: ResolvedOptions;
  transport(): Transporter;
  ledger(): Ledger;
  /** The sender as a calendar ORGANIZER (name and address of MAIL_FROM). */
  organizer: { name: string; email: string };
}

export function createContext(options: ActivitiesOptions): ActivityContext {
  const o = resolveOptions(options);
  let transport: Transporter | undefined;
  let ledger: Ledger | undefined = options.ledger;
  const from = addressparser(o.mailFrom, { flatten: true })[0];
  return {
    o,
    transport: () =>
      (transport ??= nodemailer.createTransport(o.smtpUrl, { connectionTimeout: o.smtpTimeoutMs, greetingTimeout: o.smtpTimeoutMs, socketTimeout: o.smtpTimeoutMs })),
    ledger: () => (ledger ??= new SqliteLedger(o.ledgerPath)),
    organizer: { name: from?.name || 'frontier-review', email: from?.address || 'noreply@frontier-review.local' },
  };
}

/** Permanent SMTP failure: a 5xx reply (bad mailbox, policy). 4xx and connection trouble are temporary. */
export function isPermanent(err: unknown): err is Error & { responseCode: number; response?: string; rejected?: unknown[] } {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  // 530/534/535/538: our own login or TLS settings are wrong. That is fixable, so keep retrying
  // (the outage alert tells the PM) instead of marking the notice lost for good.
  if (code === 530 || code === 534 || code === 535 || code === 538) return false;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export const addressOf = (a: unknown): string => (typeof a === 'string' ? a : (a as { address: string }).address);
