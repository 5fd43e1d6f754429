/**
 * createActivities' options and their defaults. Only `smtpUrl` and `mailFrom` matter for a worker that
 * just sends mail; everything else has a sensible default and an environment variable.
 */
import type { ReceiptOptions } from './closure-receipt';
import type { EvidenceStore } from '../shared/evidence/types';
import type { Ledger } from './ledger';
import { DEFAULT_LEDGER_PATH } from './ledger';
import { DEFAULT_MESSAGE_ID_DOMAIN } from './message-id';
import { parseAllowedHosts } from './webhook-targets';
import type { WebhookConfig } from './webhooks';

export interface ActivitiesOptions {
  /** Where evidence files are deleted when a review's retention ends. Default: the store EVIDENCE_STORE configures (shared/evidence). */
  evidenceStore?: EvidenceStore;
  /** nodemailer connection URL, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example:465. Default: $SMTP_URL, else smtp://127.0.0.1:2525. */
  smtpUrl?: string;
  /** From address. Default: $MAIL_FROM, else "frontier-review <noreply@frontier-review.local>". */
  mailFrom?: string;
  /** Domain part of Message-IDs and calendar UIDs. */
  messageIdDomain?: string;
  /**
   * Seconds before a silent SMTP server counts as failed (then the activity retries): nodemailer's connection,
   * greeting and socket timeouts. Default: $SMTP_TIMEOUT_SECONDS, else 30.
   */
  smtpTimeoutSeconds?: number;
  /**
   * Keep SMTP connections open and send the next mails over them (nodemailer's pool); false opens a connection
   * per mail. Default: $SMTP_POOL, else true. A `pool` query in the SMTP URL wins over this (see smtp-transport.ts).
   */
  smtpPool?: boolean;
  /** Pooled connections open at once, per worker. Default: $SMTP_MAX_CONNECTIONS, else 5. The URL's `maxConnections` wins. */
  smtpMaxConnections?: number;
  /** Messages over one pooled connection before it is replaced. Default: $SMTP_MAX_MESSAGES, else 100. The URL's `maxMessages` wins. */
  smtpMaxMessages?: number;
  /**
   * Refuse to send unless the connection is encrypted (STARTTLS required on smtp://; smtps:// is TLS anyway).
   * Default: $SMTP_REQUIRE_TLS, else on for every host but a loopback one (a local relay or test sink). The URL's
   * `requireTLS` wins.
   */
  smtpRequireTls?: boolean;
  /** SQLite file of the delivery ledger. Default: $NOTICE_LEDGER_PATH, else .data/notice-ledger.sqlite under the working directory. */
  ledgerPath?: string;
  /**
   * PostgreSQL delivery ledger shared by every worker host, e.g. postgres://frontier:secret@db.internal/frontier_review.
   * Default: $NOTICE_LEDGER_URL; unset means the SQLite file (`ledgerPath`), which only one host can share.
   */
  ledgerUrl?: string;
  /** A ledger object instead of the file (tests wrap the SQLite ledger to inject a crash). */
  ledger?: Ledger;
  /**
   * How long a notice's claim outlives an attempt that stopped renewing it (a killed worker). Default:
   * $NOTICE_CLAIM_LEASE_SECONDS, else half the activity's start-to-close timeout (see notice-claim.ts).
   */
  claimLeaseSeconds?: number;
  /**
   * Webhooks for every review (reviews can add their own). Off unless configured. Defaults: $WEBHOOK_URLS
   * (comma-separated), $WEBHOOK_SECRET, 10 s timeout; `allowedHosts`: where reviews' own webhooks may go,
   * $WEBHOOK_ALLOWED_HOSTS (webhook-targets.ts; none by default); `dashboardUrl`: the link webhook copies of
   * critical findings carry instead of the finding, $DASHBOARD_URL.
   */
  webhooks?: { urls?: string[]; secret?: string; timeoutSeconds?: number; allowedHosts?: string[]; dashboardUrl?: string };
  /** Minutes of failing mail delivery before the program manager is alerted through the webhooks. Default: $MAIL_OUTAGE_ALERT_MINUTES, else 60. */
  outageAlertAfterMinutes?: number;
  /** Seconds to wait for the workflow's "still due?" answer before sending anyway. Default 5. */
  checkTimeoutSeconds?: number;
  /** The closure receipt's signing key and issuer (closure-receipt.ts). Default: $RECEIPT_SIGNING_KEY(_FILE); none: receipts are not signed. */
  receipts?: ReceiptOptions;
}

export interface ResolvedOptions {
  smtpUrl: string;
  mailFrom: string;
  domain: string;
  smtpTimeoutMs: number;
  smtpPool: boolean;
  smtpMaxConnections: number;
  smtpMaxMessages: number;
  /** Undefined: decided by the host (smtp-transport.ts). */
  smtpRequireTls: boolean | undefined;
  ledgerPath: string;
  ledgerUrl: string | undefined;
  claimLeaseMs: number | undefined;
  webhooks: WebhookConfig;
  outageAlertAfterMs: number;
  checkTimeoutMs: number;
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return v !== undefined && v.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : undefined;
};
/** A count or a timeout: a whole number of at least 1 (nodemailer reads 0 as "use my default"). */
const atLeastOne = (v: string | undefined): number | undefined => {
  const n = positive(v);
  return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
};
const yesNo = (v: string | undefined): boolean | undefined =>
  /^(1|true|yes|on)$/i.test(v?.trim() ?? '') ? true : /^(0|false|no|off)$/i.test(v?.trim() ?? '') ? false : undefined;

/** nodemailer's own pool defaults: five connections, a hundred messages each (many servers cap a session near that). */
export const DEFAULT_SMTP_MAX_CONNECTIONS = 5;
export const DEFAULT_SMTP_MAX_MESSAGES = 100;

/** Only PostgreSQL URLs: anything else is a mistake worth stopping the worker for, not a silent fall-back to SQLite. */
function ledgerUrlOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new Error('NOTICE_LEDGER_URL must be a postgres:// or postgresql:// URL (unset it for the SQLite ledger)');
  return url;
}

function claimLeaseOf(seconds: number | undefined, env: string | undefined): number | undefined {
  if (seconds !== undefined) return seconds * 1000;
  if (env === undefined || env.trim() === '') return undefined;
  const n = positive(env);
  if (n === undefined || n <= 0) throw new Error(`NOTICE_CLAIM_LEASE_SECONDS must be a positive number of seconds, not "${env}"`);
  return n * 1000;
}

export function resolveOptions(o: ActivitiesOptions, env: Record<string, string | undefined> = process.env): ResolvedOptions {
  return {
    smtpUrl: o.smtpUrl ?? env.SMTP_URL ?? 'smtp://127.0.0.1:2525',
    mailFrom: o.mailFrom ?? env.MAIL_FROM ?? 'frontier-review <noreply@frontier-review.local>',
    domain: o.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN,
    smtpTimeoutMs: (o.smtpTimeoutSeconds ?? atLeastOne(env.SMTP_TIMEOUT_SECONDS) ?? 30) * 1000,
    smtpPool: o.smtpPool ?? yesNo(env.SMTP_POOL) ?? true,
    smtpMaxConnections: o.smtpMaxConnections ?? atLeastOne(env.SMTP_MAX_CONNECTIONS) ?? DEFAULT_SMTP_MAX_CONNECTIONS,
    smtpMaxMessages: o.smtpMaxMessages ?? atLeastOne(env.SMTP_MAX_MESSAGES) ?? DEFAULT_SMTP_MAX_MESSAGES,
    smtpRequireTls: o.smtpRequireTls ?? yesNo(env.SMTP_REQUIRE_TLS),
    ledgerPath: o.ledgerPath ?? env.NOTICE_LEDGER_PATH ?? DEFAULT_LEDGER_PATH,
    // A caller that names a file (simulate, the bench) keeps it even where the environment names a shared ledger.
    ledgerUrl: ledgerUrlOf(o.ledgerUrl ?? (o.ledgerPath !== undefined ? undefined : env.NOTICE_LEDGER_URL?.trim() || undefined)),
    claimLeaseMs: claimLeaseOf(o.claimLeaseSeconds, env.NOTICE_CLAIM_LEASE_SECONDS),
    webhooks: {
      urls: o.webhooks?.urls ?? list(env.WEBHOOK_URLS),
      secret: o.webhooks?.secret ?? (env.WEBHOOK_SECRET || undefined),
      timeoutMs: (o.webhooks?.timeoutSeconds ?? 10) * 1000,
      allowedHosts: o.webhooks?.allowedHosts?.map((h) => h.toLowerCase()) ?? parseAllowedHosts(env.WEBHOOK_ALLOWED_HOSTS),
      dashboardUrl: (o.webhooks?.dashboardUrl ?? env.DASHBOARD_URL ?? '').replace(/\/+$/, '') || undefined,
    },
    outageAlertAfterMs: (o.outageAlertAfterMinutes ?? positive(env.MAIL_OUTAGE_ALERT_MINUTES) ?? 60) * 60_000,
    checkTimeoutMs: (o.checkTimeoutSeconds ?? 5) * 1000,
  };
}
