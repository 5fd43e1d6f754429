/** The private PostgreSQL cluster: started (or reused) by the script, a fresh database per suite, dropped after. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { ensurePostgres, freshDatabase } from '../../shared/postgres';

const script = path.join(__dirname, '..', '..', 'scripts', 'provision-postgres.sh');

test('runs again without harm: the second call reuses the running cluster and prints the same URL', () => {
  const first = ensurePostgres();
  const again = execFileSync('bash', [script, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(again).toContain(`PG_URL=${first.url}`);
  expect(() => execFileSync('bash', [script, 'status'], { stdio: 'ignore' })).not.toThrow();
});

test('it listens on loopback only, and two fresh databases are separate and dropped after', async () => {
  const a = await freshDatabase('suite');
  const b = await freshDatabase('suite');
  expect(a.name).not.toBe(b.name);
  const ca = new Client({ connectionString: a.url });
  const cb = new Client({ connectionString: b.url });
  await ca.connect();
  await cb.connect();
  try {
    await ca.query('CREATE TABLE t (x int)');
    await ca.query('INSERT INTO t VALUES (1)');
    await expect(cb.query('SELECT * FROM t')).rejects.toThrow(/does not exist/);
    const listen = await ca.query<{ addr: string }>("SELECT current_setting('listen_addresses') AS addr");
    expect(listen.rows[0].addr).toBe('127.0.0.1');
  } finally {
    await ca.end();
    await cb.end();
  }
  await a.drop();
  await b.drop();
  const admin = new Client({ connectionString: ensurePostgres().url });
  await admin.connect();
  const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = ANY($1)', [[a.name, b.name]]);
  await admin.end();
  expect(left.rowCount).toBe(0);
});

test('the server process belongs to an unprivileged account (PostgreSQL refuses root)', () => {
  const pid = execFileSync('head', ['-1', path.join(ensurePostgres().dataDir, 'postmaster.pid')], { encoding: 'utf8' }).trim();
  const uid = execFileSync('ps', ['-o', 'uid=', '-p', pid], { encoding: 'utf8' }).trim();
  expect(Number(uid)).not.toBe(0);
});
