/**
 * When the worker's delivery ledger (activities/ledger.ts, a SQLite file the run owns) recorded each mail: the fault
 * ledger needs it to tell a kill before the entry (the crash window) from a kill after it (nothing to resend).
 * Read-only, after the run; it reads the table the worker writes, so a change of that schema shows up here.
 * The cluster run reads the same table from its shared PostgreSQL ledger through firstRecordTimes.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

/** A row of the ledger's `notices` table, as far as the record times need it (SQLite and PostgreSQL alike). */
export interface RecordRow {
  notice_id: string;
  recorded_at: string;
}

/** Mail id (notice or alert id) → when its first outcome was recorded, ms. */
export function firstRecordTimes(rows: RecordRow[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const ms = Date.parse(r.recorded_at);
    const known = out.get(r.notice_id);
    if (Number.isFinite(ms) && (known === undefined || ms < known)) out.set(r.notice_id, ms);
  }
  return out;
}

/** firstRecordTimes of the worker's SQLite ledger; empty when the file does not exist. */
export function ledgerRecordTimes(file: string): Map<string, number> {
  if (!existsSync(file)) return new Map();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return firstRecordTimes(db.prepare('SELECT notice_id, recorded_at FROM notices').all() as RecordRow[]);
  } finally {
    db.close();
  }
}
