/**
 * A real S3-compatible server for the S3 evidence-store tests: Versity S3 Gateway (versitygw) with its `posix`
 * backend over a fresh temporary directory, on a free loopback port, with a root access/secret key generated per run
 * so every request is signed and checked (SigV4) as against AWS. The binary comes from scripts/provision-s3.sh
 * (found, or built from the Go module proxy and cached).
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runProvisionScript } from '../../shared/provision';

export interface S3Server {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  /** Where the gateway keeps object metadata: the files' extended attributes, or a sidecar directory when the filesystem refuses user xattrs. */
  metadata: 'xattr' | 'sidecar';
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Running {
  child: ChildProcess;
  endpoint: string;
  client: S3Client;
  exited: Promise<number | null>;
  output: () => string;
}

async function kill(run: Running): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 5000);
  await run.exited;
  clearTimeout(timer);
}

/**
 * Starts the gateway and waits until it answers a signed request. Resolves with its output if the process exits first, so
 * the caller can tell a port taken in the meantime or a filesystem without xattrs (both reported in the output) from
 * a gateway that hangs (an error).
 */
async function launch(bin: string, root: string, sidecar: string | undefined, credentials: S3Server['credentials']): Promise<Running | { failed: string }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const args = ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', ...(sidecar ? ['--sidecar', sidecar] : []), root];
  // Keys through the environment, not argv: other users of the machine can read a process's arguments.
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ROOT_ACCESS_KEY_ID: credentials.accessKeyId, ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey },
  });
  let output = '';
  const keep = (b: Buffer): void => { output = (output + b.toString()).slice(-8000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // 'close', not 'exit': the output is complete then, and it is what tells a taken port from a missing xattr.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  const run: Running = { child, endpoint, client, exited, output: () => output };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const code = await exited;
      client.destroy();
      return { failed: `exit ${code ?? child.signalCode}: ${output}` };
    }
    try {
      await client.send(new ListBucketsCommand({}));
      return run;
    } catch (e) {
      // An answer that is an S3 error (bad signature, denied) is a real failure, not "not listening yet".
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode) {
        await kill(run);
        client.destroy();
        throw new Error(`versitygw on ${endpoint} refused a signed ListBuckets: ${(e as Error).message}\n${output}`);
      }
      if (Date.now() > deadline) {
        await kill(run);
        client.destroy();
        throw new Error(`versitygw did not answer on ${endpoint} within 30 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startS3Server(): Promise<S3Server> {
  const vars = runProvisionScript('provision-s3.sh', 'the S3-compatible server (versitygw)');
  const bin = vars.VERSITYGW_PATH;
  if (!bin) throw new Error('provision-s3.sh printed no VERSITYGW_PATH');
  const dir = mkdtempSync(path.join(tmpdir(), 'versitygw-'));
  const root = path.join(dir, 'root');
  mkdirSync(root);
  const credentials = { accessKeyId: `AK${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url') };

  let run: Running | undefined;
  // VERSITYGW_METADATA=sidecar skips the xattr attempt (and lets the sidecar path be tested where xattrs work).
  let metadata: S3Server['metadata'] = process.env.VERSITYGW_METADATA === 'sidecar' ? 'sidecar' : 'xattr';
  if (metadata === 'sidecar') mkdirSync(path.join(dir, 'meta'));
  const failures: string[] = [];
  // A few attempts: the free port can be taken between probing and binding by a parallel run.
  while (!run && failures.length < 5) {
    let result: Running | { failed: string };
    try {
      result = await launch(bin, root, metadata === 'sidecar' ? path.join(dir, 'meta') : undefined, credentials);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    if (!('failed' in result)) {
      run = result;
      break;
    }
    failures.push(`[${metadata}] ${result.failed}`);
    if (/xattr check failed/.test(result.failed) && metadata === 'xattr') {
      // The posix backend refuses to start where user xattrs are unsupported (tmpfs on older kernels, some overlay
      // setups): its sidecar directory keeps the same metadata in files instead.
      metadata = 'sidecar';
      mkdirSync(path.join(dir, 'meta'));
    } else if (!/address already in use/i.test(result.failed)) {
      break;
    }
  }
  if (!run) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`versitygw exited before answering:\n${failures.join('\n')}`);
  }
  const started = run;
  const stop = async (): Promise<void> => {
    await kill(started);
    started.client.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  const bucket = `evidence-${randomBytes(4).toString('hex')}`;
  try {
    await started.client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const output = started.output();
    await stop();
    throw new Error(`could not create bucket ${bucket} on versitygw: ${(e as Error).message}\n${output}`);
  }
  return { endpoint: started.endpoint, bucket, credentials, client: started.client, metadata, stop };
}
