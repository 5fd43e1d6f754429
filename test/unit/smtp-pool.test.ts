/**
 * The worker's SMTP transport is pooled by default, the URL's query still wins, and what the pool does on its
 * own holds: TCP_NODELAY on its sockets, no reuse of a connection the server closed or that answered 421, a
 * fresh connection after maxMessages. Observed at a real loopback SMTP server (the repo's sink), not mocked.
 */
import type net from 'node:net';
import { createContext } from '../../activities/context';
import type { ActivitiesOptions } from '../../activities/options';
import { resolveOptions } from '../../activities/options';
import { requireTls } from '../../activities/smtp-transport';
import { SmtpSink } from '../../shared/smtp-sink';

let sink: SmtpSink;
const opened: ReturnType<typeof createContext>[] = [];
beforeEach(async () => {
  sink = new SmtpSink();
  await sink.listen();
});
afterEach(async () => {
  for (const ctx of opened.splice(0)) ctx.transport().close();
  await sink.close();
});

function context(o: ActivitiesOptions = {}): ReturnType<typeof createContext> {
  const ctx = createContext({ smtpUrl: sink.url, smtpTimeoutSeconds: 5, ...o });
  opened.push(ctx);
  return ctx;
}
const send = (ctx: ReturnType<typeof createContext>, i: number) =>
  ctx.transport().sendMail({ from: 'a@example.org', to: `b${i}@example.org`, subject: `mail ${i}`, text: 't' });
/** How many client connections the sink's stored mails came over. */
const connectionsUsed = (): number => new Set(sink.messages.map((m) => m.connectionId)).size;

/** nodemailer keeps a pooled connection's socket inside the pool: the one place to see the socket's own settings. */
type PoolInternals = { transporter: { name: string; options: Record<string, unknown>; _connections: { connection: { _socket: net.Socket } }[] } };
const internals = (ctx: ReturnType<typeof createContext>): PoolInternals['transporter'] => (ctx.transport() as unknown as PoolInternals).transporter;

test('pooled by default: consecutive mails share one kept connection', async () => {
  const ctx = context();
  expect(internals(ctx).name).toBe('SMTP (pool)');
  expect(internals(ctx).options).toMatchObject({ maxConnections: 5, maxMessages: 100 });
  for (let i = 0; i < 4; i++) await send(ctx, i);
  expect(sink.messages).toHaveLength(4);
  expect(sink.stats.connections).toBe(1);
  expect(connectionsUsed()).toBe(1);
});

test('?pool=false in the URL wins over the default and the option: a connection per mail', async () => {
  const ctx = context({ smtpUrl: `${sink.url}?pool=false`, smtpPool: true });
  expect(internals(ctx).name).toBe('SMTP');
  for (let i = 0; i < 3; i++) await send(ctx, i);
  expect(sink.stats.connections).toBe(3);
});

test('?maxConnections in the URL wins over the option and the environment', async () => {
  process.env.SMTP_MAX_CONNECTIONS = '4';
  try {
    const ctx = context({ smtpUrl: `${sink.url}?maxConnections=2`, smtpMaxConnections: 3 });
    expect(internals(ctx).options.maxConnections).toBe(2);
    await Promise.all(Array.from({ length: 8 }, (_, i) => send(ctx, i)));
    expect(sink.messages).toHaveLength(8);
    expect(sink.stats.connections).toBe(2);
  } finally {
    delete process.env.SMTP_MAX_CONNECTIONS;
  }
});

test('settings: option > environment > default', () => {
  expect(resolveOptions({}, {})).toMatchObject({ smtpPool: true, smtpMaxConnections: 5, smtpMaxMessages: 100, smtpTimeoutMs: 30_000 });
  const env = { SMTP_POOL: 'false', SMTP_MAX_CONNECTIONS: '8', SMTP_MAX_MESSAGES: '50', SMTP_TIMEOUT_SECONDS: '12' };
  expect(resolveOptions({}, env)).toMatchObject({ smtpPool: false, smtpMaxConnections: 8, smtpMaxMessages: 50, smtpTimeoutMs: 12_000 });
  expect(resolveOptions({ smtpPool: true, smtpMaxConnections: 2, smtpMaxMessages: 10, smtpTimeoutSeconds: 3 }, env))
    .toMatchObject({ smtpPool: true, smtpMaxConnections: 2, smtpMaxMessages: 10, smtpTimeoutMs: 3000 });
  // Nonsense in the environment is ignored rather than handed to nodemailer (which reads 0 as its own default).
  expect(resolveOptions({}, { SMTP_POOL: 'maybe', SMTP_MAX_CONNECTIONS: '0', SMTP_MAX_MESSAGES: '2.5' })).toMatchObject({ smtpPool: true, smtpMaxConnections: 5, smtpMaxMessages: 100 });
});

test('TCP_NODELAY is on for the pooled SMTP socket', async () => {
  const ctx = context();
  await send(ctx, 1);
  const [resource] = internals(ctx)._connections;
  const socket = resource?.connection._socket;
  expect(socket?.remotePort).toBe(sink.port);
  // Node keeps what setNoDelay applied to the kernel socket under this symbol (lib/net.js); there is no getter.
  const applied = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  expect(applied).toBeDefined();
  expect((socket as unknown as Record<symbol, unknown>)[applied as symbol]).toBe(true);
});

test('a connection the server closed is not reused: the next mail goes out over a new one', async () => {
  const ctx = context();
  await send(ctx, 1);
  expect(sink.dropConnections()).toBe(1);
  await new Promise((r) => setTimeout(r, 100));
  await send(ctx, 2);
  expect(sink.messages).toHaveLength(2);
  expect(sink.stats.connections).toBe(2);
  expect(connectionsUsed()).toBe(2);
});

test('a connection that answered 421 is not reused: the mail fails (Temporal retries), the next one gets a new connection', async () => {
  const ctx = context();
  await send(ctx, 1);
  sink.faults.temporaryFailure = 421;
  const err = await send(ctx, 2).then(() => null, (e: unknown) => e as { responseCode?: number });
  expect(err?.responseCode).toBe(421);
  const afterRefusal = sink.stats.connections;
  sink.faults = {};
  await send(ctx, 3);
  expect(sink.messages.map((m) => m.envelopeTo[0])).toEqual(['b1@example.org', 'b3@example.org']);
  expect(sink.stats.connections).toBe(afterRefusal + 1);
  expect(sink.messages[1].connectionId).not.toBe(sink.messages[0].connectionId);
});

test('after maxMessages a connection is replaced', async () => {
  const ctx = context({ smtpMaxMessages: 2 });
  for (let i = 0; i < 5; i++) await send(ctx, i);
  expect(sink.messages).toHaveLength(5);
  expect(connectionsUsed()).toBe(3);
});

test('SMTP_REQUIRE_TLS: on by default for a relay elsewhere, off for loopback; the setting wins (issue 13 #11)', () => {
  const decide = (smtpUrl: string, smtpRequireTls?: boolean): boolean => requireTls({ smtpUrl, smtpRequireTls });
  expect(decide('smtp://mail.example:587')).toBe(true);
  expect(decide('smtp://10.0.0.5:25')).toBe(true);
  expect(decide('smtp://127.0.0.1:2525')).toBe(false);
  expect(decide('smtp://localhost:2525')).toBe(false);
  expect(decide('smtp://[::1]:2525')).toBe(false);
  expect(decide('smtp://mail.example:587', false)).toBe(false);
  expect(decide('smtp://127.0.0.1:2525', true)).toBe(true);
  expect(resolveOptions({}, { SMTP_REQUIRE_TLS: '1' }).smtpRequireTls).toBe(true);
  expect(resolveOptions({}, { SMTP_REQUIRE_TLS: 'off' }).smtpRequireTls).toBe(false);
  expect(resolveOptions({}, {}).smtpRequireTls).toBeUndefined();
});

test('with TLS required, a server without STARTTLS gets no mail: the send fails saying why', async () => {
  const ctx = context({ smtpRequireTls: true });
  await expect(send(ctx, 1)).rejects.toThrow(/STARTTLS/);
  expect(sink.messages).toHaveLength(0);
  await send(context(), 2); // the loopback default: plain, delivered
  expect(sink.messages).toHaveLength(1);
});
