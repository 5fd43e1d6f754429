/** What the activities share: resolved options, one SMTP transport (pooled, see smtp-transport.ts) and one ledger, both opened on first use. */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { Ledger } from './ledger';
import { openLedger } from './ledger';
import type { ActivitiesOptions, ResolvedOptions } from './options';
import { resolveOptions } from './options';
import { smtpTransportOptions } from './smtp-transport';

export interface ActivityContext {
  o: ResolvedOptions;
  transport(): Transporter;
  ledger(): Ledger;
  /** The sender as a calendar ORGANIZER (name and address of MAIL_FROM). */
  organizer: { name: string; email: string };
  /**
   * Runs `fn` after every earlier call with the same key has settled. The ledger is checked before a send and
   * written after it, so two activities delivering the same thing at once (one alert about an address that
   * several notices found refused) must take turns, or both would send.
   */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createContext(options: ActivitiesOptions): ActivityContext {
  const o = resolveOptions(options);
  let transport: Transporter | undefined;
  let ledger: Ledger | undefined = options.ledger;
  const from = addressparser(o.mailFrom, { flatten: true })[0];
  const turns = new Map<string, Promise<unknown>>();
  return {
    o,
    // One transport for every activity of the worker: pooled by default, so they share kept connections.
    transport: () => (transport ??= nodemailer.createTransport(smtpTransportOptions(o))),
    ledger: () => (ledger ??= openLedger(o)),
    organizer: { name: from?.name || 'frontier-review', email: from?.address || 'noreply@frontier-review.local' },
    serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const run = (turns.get(key) ?? Promise.resolve()).then(fn, fn);
      const settled = run.then(() => undefined, () => undefined);
      turns.set(key, settled);
      void settled.then(() => { if (turns.get(key) === settled) turns.delete(key); });
      return run;
    },
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

/** What an SMTP send reports, whatever transport typing says (nodemailer types every field optional). */
export interface SentInfo { accepted: string[]; rejected: string[]; rejectedErrors: Error[]; response: string }
export function sentInfo(info: unknown): SentInfo {
  const i = (typeof info === 'object' && info !== null ? info : {}) as { accepted?: unknown; rejected?: unknown; rejectedErrors?: unknown; response?: unknown };
  const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
  return {
    accepted: list(i.accepted).map(addressOf), rejected: list(i.rejected).map(addressOf),
    rejectedErrors: list(i.rejectedErrors).filter((e): e is Error => e instanceof Error), response: typeof i.response === 'string' ? i.response : '',
  };
}
