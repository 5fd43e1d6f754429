/** The shared ledger suite (test/support/ledger-suite.ts) on the default SQLite ledger: one file, several processes. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteLedger } from '../../activities';
import { ledgerSuite } from '../support/ledger-suite';

ledgerSuite('SQLite', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-suite-'));
  const file = path.join(dir, 'sub', 'ledger.sqlite'); // the directory is created on open
  return {
    open: () => new SqliteLedger(file),
    env: { NOTICE_LEDGER_PATH: file, NOTICE_LEDGER_URL: '' },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
