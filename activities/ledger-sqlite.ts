/**
 * The delivery ledger in SQLite (see ledger.ts for the scheme): the default, for one host. better-sqlite3
 * (version 12: 13 crashes on Node 20), WAL mode so several worker processes can share one file, synchronous=FULL
 * so an entry survives a power cut once written. Claims go through a second connection with synchronous=OFF: a
 * claim is a lease that ends when its holder dies, and a power cut kills the holder, so losing one loses nothing —
 * while an fsync per claim and per release cost two of every notice's three (~4 ms each here, the sending
 * activity's main cost on a simulated review). Calls are synchronous underneath; the interface is async for the
 * PostgreSQL ledger's sake.
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ClaimResult, Ledger, LedgerEntry, LedgerState } from './ledger';

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
  /** The same file, for claims only: commits without fsync (see above). */
  private readonly leases: SqliteDatabase;
  private readonly stmts: {
    lookup: Database.Statement<[string, string], Row>;
    record: Database.Statement<[string, string, string, string, string, string, string, string]>;
    delivered: Database.Statement<[string, string, string], { n: number }>;
    mark: Database.Statement<[string, string, string, string]>;
    claim: Database.Statement<[string, string, string, number, number]>;
    holder: Database.Statement<[string, string], { holder: string; expires_at: number }>;
    release: Database.Statement<[string, string, string]>;
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
      CREATE TABLE IF NOT EXISTS notice_claims (
        notice_id TEXT NOT NULL, run_key TEXT NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL,
        PRIMARY KEY (notice_id, run_key));
    `);
    // ':memory:' is a database per connection: there the claims share the main one.
    this.leases = file === ':memory:' ? this.db : new Database(file);
    if (this.leases !== this.db) {
      this.leases.pragma('synchronous = OFF');
      this.leases.pragma('busy_timeout = 5000');
    }
    this.stmts = {
      lookup: this.db.prepare('SELECT * FROM notices WHERE notice_id = ? AND run_key = ?'),
      record: this.db.prepare(`INSERT INTO notices (notice_id, run_key, state, message_id, accepted, rejected, response, recorded_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notice_id, run_key) DO NOTHING`),
      delivered: this.db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE key = ? AND run_key = ? AND target = ?'),
      mark: this.db.prepare('INSERT INTO deliveries (key, run_key, target, delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      // One statement, so two processes on the file cannot both take it; the host's clock (one host) times leases.
      claim: this.leases.prepare(`INSERT INTO notice_claims (notice_id, run_key, holder, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (notice_id, run_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE notice_claims.holder = excluded.holder OR notice_claims.expires_at <= ?`),
      holder: this.leases.prepare('SELECT holder, expires_at FROM notice_claims WHERE notice_id = ? AND run_key = ?'),
      release: this.leases.prepare('DELETE FROM notice_claims WHERE notice_id = ? AND run_key = ? AND holder = ?'),
    };
  }

  async lookup(noticeId: string, runKey: string): Promise<LedgerEntry | undefined> {
    const r = this.stmts.lookup.get(noticeId, runKey);
    if (!r) return undefined;
    return {
      noticeId: r.notice_id, runKey: r.run_key, state: r.state, messageId: r.message_id, accepted: JSON.parse(r.accepted) as string[],
      rejected: JSON.parse(r.rejected) as string[], response: r.response, recordedAt: r.recorded_at,
    };
  }

  async record(e: LedgerEntry): Promise<void> {
    this.stmts.record.run(e.noticeId, e.runKey, e.state, e.messageId, JSON.stringify(e.accepted), JSON.stringify(e.rejected), e.response, e.recordedAt);
  }

  async delivered(key: string, runKey: string, target: string): Promise<boolean> {
    return (this.stmts.delivered.get(key, runKey, target)?.n ?? 0) > 0;
  }

  async markDelivered(key: string, runKey: string, target: string): Promise<void> {
    this.stmts.mark.run(key, runKey, target, new Date().toISOString());
  }

  async claim(noticeId: string, runKey: string, holder: string, leaseMs: number): Promise<ClaimResult> {
    const now = Date.now();
    if (this.stmts.claim.run(noticeId, runKey, holder, now + leaseMs, now).changes > 0) return { granted: true };
    const current = this.stmts.holder.get(noticeId, runKey);
    // Released between the two statements: nobody holds it; the caller's retry will take it.
    return { granted: false, holder: current?.holder ?? '', remainingMs: Math.max(0, (current?.expires_at ?? now) - now) };
  }

  async release(noticeId: string, runKey: string, holder: string): Promise<void> {
    this.stmts.release.run(noticeId, runKey, holder);
  }

  async close(): Promise<void> {
    if (this.leases !== this.db && this.leases.open) this.leases.close();
    if (this.db.open) this.db.close();
  }
}
