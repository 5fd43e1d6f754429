/**
 * The delivery ledger: exactly-once notices over SMTP, which has no idempotency key.
 *
 * The scheme: before sending, look the notice id up; if the ledger records it (sent, refused or
 * suppressed), return that outcome and send nothing. Otherwise send, and only after the server's 250 reply
 * write the entry. A retried activity (timeout, worker restart, a lost completion) therefore never resends
 * a notice the ledger knows about. Entries are scoped by the review's first run id (`runKey`): a retry and a
 * workflow reset keep it; a new review that reuses a review id does not inherit the old one's entries.
 *
 * The one crash window: the server has answered 250 but the process dies (or the write fails) before the
 * ledger entry commits. The retry then sends the notice a second time — with the same Message-ID, derived
 * from the notice id (message-id.ts), so mail clients and the recipient's server can recognise the copy.
 * Closing that window would need the mail server to take an idempotency key; SMTP has none.
 *
 * Storage: SQLite through better-sqlite3 (version 12: 13 crashes on Node 20), WAL mode so several worker
 * processes can share one file, synchronous=FULL so an entry survives a power cut once written.
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

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

/** What the activities need from a ledger; tests wrap the SQLite one to inject a crash. */
export interface Ledger {
  lookup(noticeId: string, runKey: string): LedgerEntry | undefined;
  /** Records an outcome; the first record of a notice wins. */
  record(entry: LedgerEntry): void;
  /** Webhook and alert deliveries, one per (key, target). */
  delivered(key: string, runKey: string, target: string): boolean;
  markDelivered(key: string, runKey: string, target: string): void;
  close(): void;
}

export const DEFAULT_LEDGER_PATH = path.join('.data', 'notice-ledger.sqlite');

interface Row {
  notice_id: string;
  run_key: string;
  state: LedgerState;
  message_id: string;
  accepted: string;
  rejected: string;
  response: string;
  recorded_at: string;
}

export class SqliteLedger implements Ledger {
  private readonly db: SqliteDatabase;
  private readonly stmts: {
    lookup: Database.Statement<[string, string], Row>;
    record: Database.Statement<[string, string, string, string, string, string, string, string]>;
    delivered: Database.Statement<[string, string, string], { n: number }>;
    mark: Database.Statement<[string, string, string, string]>;
  };

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS notices (
        notice_id TEXT NOT NULL, run_key TEXT NOT NULL, state TEXT NOT NULL, message_id TEXT NOT NULL,
        accepted TEXT NOT NULL, rejected TEXT NOT NULL, response TEXT NOT NULL, recorded_at TEXT NOT NULL,
        PRIMARY KEY (notice_id, run_key));
      CREATE TABLE IF NOT EXISTS deliveries (
        key TEXT NOT NULL, run_key TEXT NOT NULL, target TEXT NOT NULL, delivered_at TEXT NOT NULL,
        PRIMARY KEY (key, run_key, target));
    `);
    this.stmts = {
      lookup: this.db.prepare('SELECT * FROM notices WHERE notice_id = ? AND run_key = ?'),
      record: this.db.prepare(`INSERT INTO notices (notice_id, run_key, state, message_id, accepted, rejected, response, recorded_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notice_id, run_key) DO NOTHING`),
      delivered: this.db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE key = ? AND run_key = ? AND target = ?'),
      mark: this.db.prepare('INSERT INTO deliveries (key, run_key, target, delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    };
  }

  lookup(noticeId: string, runKey: string): LedgerEntry | undefined {
    const r = this.stmts.lookup.get(noticeId, runKey);
    if (!r) return undefined;
    return {
      noticeId: r.notice_id, runKey: r.run_key, state: r.state, messageId: r.message_id, accepted: JSON.parse(r.accepted) as string[],
      rejected: JSON.parse(r.rejected) as string[], response: r.response, recordedAt: r.recorded_at,
    };
  }

  record(e: LedgerEntry): void {
    this.stmts.record.run(e.noticeId, e.runKey, e.state, e.messageId, JSON.stringify(e.accepted), JSON.stringify(e.rejected), e.response, e.recordedAt);
  }

  delivered(key: string, runKey: string, target: string): boolean {
    return (this.stmts.delivered.get(key, runKey, target)?.n ?? 0) > 0;
  }

  markDelivered(key: string, runKey: string, target: string): void {
    this.stmts.mark.run(key, runKey, target, new Date().toISOString());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
