/**
 * A real SeaweedFS (master, volume, filer and S3 gateway in one `weed server`) on loopback, on free ports, with one
 * S3 identity so requests are signed and checked (SigV4) as against AWS. The binary comes from
 * scripts/provision-seaweedfs.sh (found, or built from the Go module proxy and cached).
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runProvisionScript } from '../../shared/provision';

export interface SeaweedFs {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  stop(): Promise<void>;
}

/** A free loopback port below 55536 (SeaweedFS's gRPC ports default to port + 10000; they are given explicitly too). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (port < 55_536) return port;
  }
}

export async function startSeaweedFs(): Promise<SeaweedFs> {
  const vars = runProvisionScript('provision-seaweedfs.sh', 'SeaweedFS');
  const weed = vars.SEAWEEDFS_PATH;
  if (!weed) throw new Error('provision-seaweedfs.sh printed no SEAWEEDFS_PATH');
  const dir = mkdtempSync(path.join(tmpdir(), 'seaweedfs-'));
  const credentials = { accessKeyId: `AK${randomBytes(8).toString('hex')}`, secretAccessKey: randomBytes(24).toString('hex') };
  const config = path.join(dir, 's3.json');
  writeFileSync(config, JSON.stringify({
    identities: [{ name: 'tests', credentials: [{ accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }],
  }));
  const ports: number[] = [];
  while (ports.length < 8) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = ports;
  const args = [
    'server', `-dir=${dir}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.volumeSizeLimitMB=64',
    `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=8',
    '-filer', `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
    '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, `-s3.config=${config}`,
  ];
  const child: ChildProcess = spawn(weed, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => { output = (output + b.toString()).slice(-8000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`weed server exited with ${child.exitCode} before its S3 gateway answered:\n${output}`);
    }
    try {
      await client.send(new ListBucketsCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`SeaweedFS's S3 gateway did not answer on ${endpoint} within 90 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const bucket = `evidence-${randomBytes(4).toString('hex')}`;
  // The filer and volume servers may still be registering: retry the first write.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      break;
    } catch (e) {
      if (attempt >= 40) {
        await stop();
        throw new Error(`could not create bucket ${bucket} on SeaweedFS: ${(e as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { endpoint, bucket, credentials, client, stop };
}
