/** Which ledger the settings pick, and the settings refused at start rather than at the first notice. */
import { openLedger, SqliteLedger } from '../../activities/ledger';
import { PostgresLedger } from '../../activities/ledger-postgres';
import { resolveOptions } from '../../activities/options';

test('NOTICE_LEDGER_URL=postgres://… picks the PostgreSQL ledger; unset keeps the SQLite file', async () => {
  const pg = resolveOptions({}, { NOTICE_LEDGER_URL: 'postgres://frontier@db.internal:5432/reviews' });
  expect(pg.ledgerUrl).toBe('postgres://frontier@db.internal:5432/reviews');
  const ledger = openLedger(pg); // the pool connects on first use: nothing is contacted here
  expect(ledger).toBeInstanceOf(PostgresLedger);
  await ledger.close();
  const sqlite = resolveOptions({ ledgerPath: ':memory:' }, {});
  expect(sqlite.ledgerUrl).toBeUndefined();
  const file = openLedger(sqlite);
  expect(file).toBeInstanceOf(SqliteLedger);
  await file.close();
  expect(resolveOptions({}, { NOTICE_LEDGER_URL: '  ' }).ledgerUrl).toBeUndefined();
  // A caller naming its own file (review simulate) never writes into the shared ledger the environment names.
  expect(resolveOptions({ ledgerPath: '/tmp/sim.sqlite' }, { NOTICE_LEDGER_URL: 'postgres://db/reviews' }).ledgerUrl).toBeUndefined();
});

test('a ledger URL that is not PostgreSQL, or a lease that is not a positive number, is refused with the setting named', () => {
  expect(() => resolveOptions({}, { NOTICE_LEDGER_URL: 'mysql://db/reviews' })).toThrow(/NOTICE_LEDGER_URL must be a postgres/);
  expect(() => resolveOptions({}, { NOTICE_CLAIM_LEASE_SECONDS: 'soon' })).toThrow(/NOTICE_CLAIM_LEASE_SECONDS/);
  expect(() => resolveOptions({}, { NOTICE_CLAIM_LEASE_SECONDS: '0' })).toThrow(/NOTICE_CLAIM_LEASE_SECONDS/);
  expect(resolveOptions({}, { NOTICE_CLAIM_LEASE_SECONDS: '45' }).claimLeaseMs).toBe(45_000);
  expect(resolveOptions({ claimLeaseSeconds: 2 }, { NOTICE_CLAIM_LEASE_SECONDS: '45' }).claimLeaseMs).toBe(2_000);
  expect(resolveOptions({}, {}).claimLeaseMs).toBeUndefined(); // half the activity's start-to-close timeout
});
