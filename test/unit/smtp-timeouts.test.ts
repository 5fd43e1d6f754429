/**
 * The SMTP timeouts (smtpTimeoutSeconds / SMTP_TIMEOUT_SECONDS) reach nodemailer, pooled (the default) or not: a
 * server that accepts the connection and then says nothing, or that never answers DATA, fails the attempt after the
 * timeout, so Temporal retries, instead of holding the activity until its 2-minute start-to-close timeout.
 */
import net from 'node:net';
import { createContext } from '../../activities/context';
import { SmtpSink } from '../../shared/smtp-sink';

let silent: net.Server;
const sockets: net.Socket[] = [];
let port: number;
beforeAll(async () => {
  silent = net.createServer((s) => { sockets.push(s); }); // accepts, never greets
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

const mail = { from: 'a@example.org', to: 'b@example.org', subject: 's', text: 't' };
const transporterName = (ctx: ReturnType<typeof createContext>): string => (ctx.transport() as unknown as { transporter: { name: string } }).transporter.name;

test.each([
  ['pooled (the default)', '', 'SMTP (pool)'],
  ['a connection per mail (?pool=false)', '?pool=false', 'SMTP'],
])('a server that never greets fails the send after the configured timeout: %s', async (_name, query, transport) => {
  const ctx = createContext({ smtpUrl: `smtp://127.0.0.1:${port}${query}`, smtpTimeoutSeconds: 1, ledger: undefined });
  expect(transporterName(ctx)).toBe(transport);
  const started = Date.now();
  const err = await ctx.transport().sendMail(mail).then(() => null, (e: unknown) => e as Error & { code?: string });
  const took = Date.now() - started;
  ctx.transport().close();
  expect(err?.code).toBe('ETIMEDOUT');
  expect(took).toBeGreaterThanOrEqual(900);
  expect(took).toBeLessThan(10_000); // nodemailer's own greeting default is 30 s
});

test('a pooled connection whose server stops answering during DATA fails after the socket timeout', async () => {
  const sink = new SmtpSink();
  await sink.listen();
  const ctx = createContext({ smtpUrl: sink.url, smtpTimeoutSeconds: 1 });
  try {
    await ctx.transport().sendMail(mail); // opens the kept connection
    sink.faults.stallMs = 4000;
    const started = Date.now();
    const err = await ctx.transport().sendMail(mail).then(() => null, (e: unknown) => e as Error & { code?: string });
    const took = Date.now() - started;
    expect(err?.code).toBe('ETIMEDOUT');
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3500); // well before the held reply
    // The held reply finds its client gone: nothing accepted (and no timer of the sink outlives the test).
    while (sink.stats.abandoned === 0) await new Promise((r) => setTimeout(r, 50));
    expect(sink.messages).toHaveLength(1);
  } finally {
    ctx.transport().close();
    await sink.close();
  }
});

test('the URL\'s own settings still apply (secure, auth, query options)', () => {
  const ctx = createContext({ smtpUrl: 'smtps://user:p%40ss@mail.example.org:2465/?name=relay.example.org', smtpTimeoutSeconds: 7 });
  const o = (ctx.transport() as unknown as { options: Record<string, unknown> }).options;
  expect(o).toMatchObject({
    host: 'mail.example.org', port: 2465, secure: true, auth: { user: 'user', pass: 'p@ss' }, name: 'relay.example.org',
    connectionTimeout: 7000, greetingTimeout: 7000, socketTimeout: 7000, pool: true,
  });
  ctx.transport().close();
});

test('timeouts in the URL win over smtpTimeoutSeconds', () => {
  const ctx = createContext({ smtpUrl: 'smtp://127.0.0.1:2525/?socketTimeout=60000', smtpTimeoutSeconds: 7 });
  expect((ctx.transport() as unknown as { options: Record<string, unknown> }).options).toMatchObject({ socketTimeout: 60_000, greetingTimeout: 7000 });
  ctx.transport().close();
});
