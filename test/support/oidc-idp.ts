/** The local OpenID provider of test/support/oidc-provider.mjs, as a child process of the test. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
}

export interface Idp {
  issuer: string;
  /** Registers the client and the accounts (login name → claims); resolves once the provider serves. */
  configure(client: IdpClient, accounts: Record<string, Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

export async function startIdp(): Promise<Idp> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--no-warnings', path.join(__dirname, 'oidc-provider.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<string> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the test OpenID provider exited (${code}): ${stderr.slice(0, 2000)}`));
    child.once('exit', onExit);
    lines.once('line', (l) => { child.off('exit', onExit); resolve(l); });
  });
  const first = await next();
  const issuer = /^ISSUER=(.+)$/.exec(first)?.[1];
  if (!issuer) throw new Error(`the test OpenID provider said "${first}" instead of its issuer: ${stderr.slice(0, 2000)}`);
  return {
    issuer,
    async configure(client, accounts) {
      child.stdin.write(`${JSON.stringify({ client, accounts })}\n`);
      const ready = await next();
      if (ready !== 'READY') throw new Error(`the test OpenID provider said "${ready}": ${stderr.slice(0, 2000)}`);
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
