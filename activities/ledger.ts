/**
 * The delivery ledger: exactly-once notices over SMTP, which has no idempotency key.
 *
 * The scheme: before sending, look the notice id up; if the ledger records it (sent, refused or
 * suppressed), return that outcome and send nothing. Otherwise claim the notice (below), look again, send, and
 * only after the server's 250 reply write the entry. A retried activity (timeout, worker restart, a lost
 * completion) therefore never resends a notice the ledger knows about. Entries are scoped by the review's first
 * run id (`runKey`): a retry and a workflow reset keep it; a new review that reuses a review id does not inherit
 * the old one's entries.
 *
 * The claim: two attempts of one notice can run at once (a start-to-close timeout fires while the first attempt
 * still talks SMTP, and Temporal starts the next, possibly on another worker host). Both would find no entry and
 * both send. So an attempt takes a lease on the notice before talking SMTP; a second attempt finds it held and
 * backs off (a retryable failure), and on its retry finds the entry. The holder renews the lease while it works;
 * a holder that dies stops renewing, and the lease runs out (notice-claim.ts ties its length to the activity's
 * start-to-close timeout), so a crash never blocks a notice for good.
 *
 * The one crash window: the server has answered 250 but the process dies (or the write fails) before the
 * ledger entry commits. The retry then sends the notice a second time — with the same Message-ID, derived
 * from the notice id (message-id.ts), so mail clients and the recipient's server can recognise the copy.
 * Closing that window would need the mail server to take an idempotency key; SMTP has none.
 *
 * Storage: SQLite (ledger-sqlite.ts, the default: one host, several worker processes on one file) or PostgreSQL
 * (ledger-postgres.ts, NOTICE_LEDGER_URL: worker hosts sharing one ledger). Both pass one test suite.
 */
import type { ResolvedOptions } from './options';
import { SqliteLedger } from './ledger-sqlite';

export type LedgerState = 'sent' | 'rejected' | 'suppressed';

export interface LedgerEntry {
  noticeId: string;
  runKey: string;
  state: LedgerState;
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The server's reply (sent, rejected) or the reason (suppressed). */
  response: string;
  recordedAt: string;
}

/** What a claim attempt found: the lease is ours now, or another holder's for `remainingMs` more. */
export type ClaimResult = { granted: true } | { granted: false; holder: string; remainingMs: number };

/** What the activities need from a ledger; tests wrap a real one to inject a crash. */
export interface Ledger {
  lookup(noticeId: string, runKey: string): Promise<LedgerEntry | undefined>;
  /** Records an outcome; the first record of a notice wins. */
  record(entry: LedgerEntry): Promise<void>;
  /** Webhook and alert deliveries, one per (key, target). */
  delivered(key: string, runKey: string, target: string): Promise<boolean>;
  markDelivered(key: string, runKey: string, target: string): Promise<void>;
  /**
   * Takes the lease on a notice for `leaseMs`, or renews it when `holder` has it already. Refused while another
   * holder's lease runs; an expired lease is taken over.
   */
  claim(noticeId: string, runKey: string, holder: string, leaseMs: number): Promise<ClaimResult>;
  /** Gives the lease up (only the holder's own). */
  release(noticeId: string, runKey: string, holder: string): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_LEDGER_PATH = '.data/notice-ledger.sqlite';

/** The ledger the options name: PostgreSQL for a postgres:// URL, else the SQLite file. */
export function openLedger(o: Pick<ResolvedOptions, 'ledgerUrl' | 'ledgerPath'>): Ledger {
  if (o.ledgerUrl) {
    // Loaded only when configured: node-postgres took 0.4–0.6 s to load on the busy 2-core machine, which every
    // worker start on the SQLite default would otherwise pay.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresLedger } = require('./ledger-postgres') as typeof import('./ledger-postgres');
    return new PostgresLedger(o.ledgerUrl);
  }
  return new SqliteLedger(o.ledgerPath);
}

export { SqliteLedger };
