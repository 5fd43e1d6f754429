/**
 * When the worker's delivery ledger (activities/ledger.ts, a SQLite file the run owns) recorded each mail: the fault
 * ledger needs it to tell a kill before the entry (the crash window) from a kill after it (nothing to resend).
 * Read-only, after the run; it reads the table the worker writes, so a change of that schema shows up here.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

/** Mail id (notice or alert id) → when its first outcome was recorded, ms. Empty when the file does not exist. */
export function ledgerRecordTimes(file: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT notice_id, recorded_at FROM notices').all() as { notice_id: string; recorded_at: string }[];
    for (const r of rows) {
      const ms = Date.parse(r.recorded_at);
      const known = out.get(r.notice_id);
      if (Number.isFinite(ms) && (known === undefined || ms < known)) out.set(r.notice_id, ms);
    }
  } finally {
    db.close();
  }
  return out;
}
