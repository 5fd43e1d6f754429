/**
 * The evidence store in an S3-compatible bucket (AWS S3, Versity S3 Gateway, Ceph RGW, …), selected by
 * `EVIDENCE_STORE=s3://bucket[/prefix]?endpoint=…`. Objects are the same encrypted files as the directory store
 * writes, at `<prefix>/reviews/<review hash>/<digest hex>`.
 *
 * An upload is spooled, already encrypted, to a local temporary file and sent with its length once it is complete:
 * its key names its digest, known only at the end, and a file over the limit must leave nothing in the bucket (a
 * multipart upload aborted half-way can leave parts behind on some servers).
 */
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { KeyRing } from '../encryption';
import type { EvidenceConfig } from './config';
import { checkUpload, keyOf, refFor, reviewKey, seal, unseal } from './seal';
import { EvidenceNotFoundError } from './types';
import type { EvidenceRef, EvidenceStore, EvidenceUpload } from './types';

export interface S3Location {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

const missing = (e: unknown): boolean =>
  e instanceof NoSuchKey || e instanceof NotFound || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

export class S3EvidenceStore implements EvidenceStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;

  constructor(
    private readonly location: S3Location,
    private readonly ring: KeyRing,
    private readonly config: Pick<EvidenceConfig, 'maxBytes' | 'mediaTypes'>,
    client?: S3Client,
  ) {
    // Credentials from the SDK's default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles.
    this.client = client ?? new S3Client({
      region: location.region, forcePathStyle: location.forcePathStyle, ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      maxAttempts: 3,
    });
  }

  private objectKey(key: string): string {
    return this.location.prefix ? `${this.location.prefix}/${key}` : key;
  }

  async put(upload: EvidenceUpload): Promise<EvidenceRef> {
    const { name, mediaType } = checkUpload(upload, this.config);
    const dir = await mkdtemp(path.join(tmpdir(), 'frontier-evidence-'));
    const spool = path.join(dir, `${randomBytes(8).toString('hex')}.part`);
    try {
      const sealed = await seal(upload.body, this.ring, reviewKey(upload.reviewId), this.config.maxBytes, createWriteStream(spool, { mode: 0o600 }));
      const ref = refFor(upload.reviewId, sealed.digest);
      const Key = this.objectKey(ref);
      if (!(await this.exists(Key))) {
        const { size } = await stat(spool);
        await this.client.send(new PutObjectCommand({
          Bucket: this.location.bucket, Key, Body: createReadStream(spool), ContentLength: size, ContentType: 'application/octet-stream',
        }));
      }
      return { digest: sealed.digest, size: sealed.size, mediaType, name, ref };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async exists(Key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key }));
      return true;
    } catch (e) {
      if (missing(e)) return false;
      throw e;
    }
  }

  async get(ref: EvidenceRef): Promise<Readable> {
    const { key, scope } = keyOf(ref);
    let body: unknown;
    try {
      body = (await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }))).Body;
    } catch (e) {
      if (missing(e)) throw new EvidenceNotFoundError(ref.ref);
      throw e;
    }
    if (!(body instanceof Readable)) throw new Error('S3 GetObject returned no stream body');
    return unseal(body, this.ring, ref, scope);
  }

  async delete(ref: EvidenceRef): Promise<boolean> {
    const { key } = keyOf(ref);
    const Key = this.objectKey(key);
    // S3's DeleteObject answers the same whether or not the object existed: ask first.
    if (!(await this.exists(Key))) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key }));
    return true;
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
  }
}
