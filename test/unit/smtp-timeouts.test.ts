/**
 * The SMTP timeouts (smtpTimeoutSeconds / SMTP_TIMEOUT_SECONDS) reach nodemailer: a server that accepts the
 * connection and then says nothing fails the attempt after the timeout, so Temporal retries, instead of
 * holding the activity until its 2-minute start-to-close timeout.
 */
import net from 'node:net';
import { createContext } from '../../activities/context';

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

test('a server that never greets fails the send after the configured timeout', async () => {
  const ctx = createContext({ smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutSeconds: 1, ledger: undefined });
  const started = Date.now();
  const err = await ctx.transport().sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 's', text: 't' }).then(() => null, (e: unknown) => e as Error & { code?: string });
  const took = Date.now() - started;
  expect(err?.code).toBe('ETIMEDOUT');
  expect(took).toBeGreaterThanOrEqual(900);
  expect(took).toBeLessThan(10_000); // nodemailer's own greeting default is 30 s
});

test('the URL\'s own settings still apply (secure, auth, query options)', () => {
  const ctx = createContext({ smtpUrl: 'smtps://user:p%40ss@mail.example.org:2465/?name=relay.example.org', smtpTimeoutSeconds: 7 });
  const o = (ctx.transport() as unknown as { options: Record<string, unknown> }).options;
  expect(o).toMatchObject({ host: 'mail.example.org', port: 2465, secure: true, auth: { user: 'user', pass: 'p@ss' }, name: 'relay.example.org', connectionTimeout: 7000, greetingTimeout: 7000, socketTimeout: 7000 });
});
