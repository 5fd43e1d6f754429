/**
 * The delivery ledger in PostgreSQL (see ledger.ts for the scheme), for worker hosts that share one ledger:
 * NOTICE_LEDGER_URL=postgres://user:pass@host/db. node-postgres with a pool per worker process. Leases are timed
 * by the database's clock, so worker hosts whose clocks disagree still agree on when a lease ran out.
 *
 * Errors are thrown to the activity, which Temporal retries: an unreachable ledger before the send means no send;
 * after the 250 reply it is the documented crash window, and the failure says "ledger write" so that the fault
 * suite can tell it apart.
 */
import { Pool } from 'pg';
import type { ClaimResult, Ledger, LedgerEntry, LedgerState } from './ledger';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS notices (
    notice_id TEXT NOT NULL, run_key TEXT NOT NULL, state TEXT NOT NULL, message_id TEXT NOT NULL,
    accepted JSONB NOT NULL, rejected JSONB NOT NULL, response TEXT NOT NULL, recorded_at TEXT NOT NULL,
    PRIMARY KEY (notice_id, run_key));
  CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT NOT NULL, run_key TEXT NOT NULL, target TEXT NOT NULL, delivered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (key, run_key, target));
  CREATE TABLE IF NOT EXISTS notice_claims (
    notice_id TEXT NOT NULL, run_key TEXT NOT NULL, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (notice_id, run_key));`;

/** Any constant: serialises the schema set-up of workers that start together (CREATE … IF NOT EXISTS races otherwise). */
const SCHEMA_LOCK = 7_152_026;

interface Row {
  notice_id: string;
  run_key: string;
  state: LedgerState;
  message_id: string;
  accepted: string[];
  rejected: string[];
  response: string;
  recorded_at: string;
}

export class PostgresLedger implements Ledger {
  private readonly pool: Pool;
  private schema: Promise<void> | undefined;
  private closed = false;

  constructor(readonly url: string, poolSize = 10) {
    // allowExitOnIdle: a worker that has shut down exits without waiting for idle connections to time out.
    this.pool = new Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000, allowExitOnIdle: true });
    // An idle connection the server dropped (a PostgreSQL restart) must not crash the worker: the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  /** Creates the tables once per process; a failure is retried by the next call. */
  private ready(): Promise<void> {
    this.schema ??= (async () => {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await c.query(SCHEMA);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    })().catch((e: unknown) => {
      this.schema = undefined;
      throw e;
    });
    return this.schema;
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    await this.ready();
    return (await this.pool.query<R>(sql, params)).rows;
  }

  async lookup(noticeId: string, runKey: string): Promise<LedgerEntry | undefined> {
    const [r] = await this.query<Row>('SELECT * FROM notices WHERE notice_id = $1 AND run_key = $2', [noticeId, runKey]);
    if (!r) return undefined;
    return {
      noticeId: r.notice_id, runKey: r.run_key, state: r.state, messageId: r.message_id, accepted: r.accepted, rejected: r.rejected,
      response: r.response, recordedAt: r.recorded_at,
    };
  }

  async record(e: LedgerEntry): Promise<void> {
    try {
      await this.query(`INSERT INTO notices (notice_id, run_key, state, message_id, accepted, rejected, response, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notice_id, run_key) DO NOTHING`,
      [e.noticeId, e.runKey, e.state, e.messageId, JSON.stringify(e.accepted), JSON.stringify(e.rejected), e.response, e.recordedAt]);
    } catch (err) {
      throw new Error(`ledger write failed (PostgreSQL): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async delivered(key: string, runKey: string, target: string): Promise<boolean> {
    const rows = await this.query('SELECT 1 FROM deliveries WHERE key = $1 AND run_key = $2 AND target = $3', [key, runKey, target]);
    return rows.length > 0;
  }

  async markDelivered(key: string, runKey: string, target: string): Promise<void> {
    await this.query('INSERT INTO deliveries (key, run_key, target) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [key, runKey, target]);
  }

  async claim(noticeId: string, runKey: string, holder: string, leaseMs: number): Promise<ClaimResult> {
    // ON CONFLICT … DO UPDATE locks the existing row and re-checks the WHERE on its latest version: of two
    // attempts racing for a free or expired lease, exactly one gets a row back.
    const taken = await this.query(`INSERT INTO notice_claims (notice_id, run_key, holder, expires_at)
      VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
      ON CONFLICT (notice_id, run_key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE notice_claims.holder = EXCLUDED.holder OR notice_claims.expires_at <= clock_timestamp()
      RETURNING holder`, [noticeId, runKey, holder, leaseMs]);
    if (taken.length > 0) return { granted: true };
    const [current] = await this.query<{ holder: string; remaining_ms: number }>(`SELECT holder,
      GREATEST(0, EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms
      FROM notice_claims WHERE notice_id = $1 AND run_key = $2`, [noticeId, runKey]);
    return { granted: false, holder: current?.holder ?? '', remainingMs: current?.remaining_ms ?? 0 };
  }

  async release(noticeId: string, runKey: string, holder: string): Promise<void> {
    await this.query('DELETE FROM notice_claims WHERE notice_id = $1 AND run_key = $2 AND holder = $3', [noticeId, runKey, holder]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
