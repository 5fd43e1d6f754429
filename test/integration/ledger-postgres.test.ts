/** The shared ledger suite (test/support/ledger-suite.ts) on the PostgreSQL ledger, in a fresh database of the private cluster. */
import { PostgresLedger } from '../../activities/ledger-postgres';
import { freshDatabase } from '../../shared/postgres';
import { ledgerSuite } from '../support/ledger-suite';

ledgerSuite('PostgreSQL', async () => {
  const db = await freshDatabase('ledger');
  return {
    open: () => new PostgresLedger(db.url),
    env: { NOTICE_LEDGER_URL: db.url },
    cleanup: () => db.drop(),
  };
});
