/**
 * What both stores do the same way: check an upload, meter it (size bound, SHA-256 of the plaintext) while it is
 * encrypted on its way to the backend, and check on the way out that the plaintext still hashes to its digest.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KeyRing } from '../encryption';
import type { EvidenceConfig } from './config';
import { DecryptStream, EncryptStream, EvidenceDecryptError } from './crypto';
import { EvidenceInputError, EvidenceIntegrityError, EvidenceTooLargeError } from './types';
import type { EvidenceRef, EvidenceUpload } from './types';

export const NAME_MAX_CHARS = 200;
const REF_PATTERN = /^reviews\/([0-9a-f]{32})\/([0-9a-f]{64})$/;
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** The review's part of every store key: a hash, so no review id (which names lab and model) appears in the store. */
export const reviewKey = (reviewId: string): string => createHash('sha256').update(`frontier-review evidence\0${reviewId}`).digest('hex').slice(0, 32);
export const refFor = (reviewId: string, digest: string): string => `reviews/${reviewKey(reviewId)}/${digest.slice('sha256:'.length)}`;

/** `application/pdf; charset=…` → `application/pdf`; refused unless allowed. */
export function normalizeMediaType(mediaType: string, allowed: readonly string[]): string {
  const t = mediaType.split(';')[0].trim().toLowerCase();
  if (!allowed.includes(t)) throw new EvidenceInputError('mediaType', `"${t.slice(0, 100)}" is not an allowed evidence type; allowed: ${allowed.join(', ')}`);
  return t;
}

export function checkName(name: string): string {
  const n = name.normalize('NFC').trim();
  if (n.length === 0) throw new EvidenceInputError('name', 'must not be empty');
  if ([...n].length > NAME_MAX_CHARS) throw new EvidenceInputError('name', `must be at most ${NAME_MAX_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new EvidenceInputError('name', 'must not contain control characters');
  return n;
}

export function checkUpload(u: EvidenceUpload, config: Pick<EvidenceConfig, 'mediaTypes'>): { name: string; mediaType: string } {
  if (typeof u.reviewId !== 'string' || u.reviewId.length === 0 || u.reviewId.length > 200) throw new EvidenceInputError('reviewId', 'must be 1-200 characters');
  return { name: checkName(u.name), mediaType: normalizeMediaType(u.mediaType, config.mediaTypes) };
}

/** The store key of a ref, checked: a ref changed in transit can name no other path, and must agree with its digest. */
export function keyOf(ref: EvidenceRef): { key: string; scope: string; hex: string } {
  const m = REF_PATTERN.exec(ref.ref);
  if (!m || !DIGEST_PATTERN.test(ref.digest) || ref.digest.slice(7) !== m[2]) {
    throw new EvidenceInputError('ref', `"${String(ref.ref).slice(0, 120)}" is not an evidence reference of this store (reviews/<32 hex>/<64 hex> matching the digest)`);
  }
  return { key: ref.ref, scope: m[1], hex: m[2] };
}

/** Counts and hashes the plaintext; fails with EvidenceTooLargeError the moment it passes `limit`. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) return done(new EvidenceTooLargeError(this.limit));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** Streams the body through the meter and the encryption into `sink`; the digest and size of the plaintext. */
export async function seal(body: Readable | Buffer, ring: KeyRing, scope: string, limit: number, sink: Writable): Promise<{ digest: string; size: number }> {
  const meter = new Meter(limit);
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  try {
    await pipeline(source, meter, new EncryptStream(ring, scope), sink);
  } catch (e) {
    // The body may still be flowing (an HTTP request): drain it so the client gets our answer, not a reset.
    if (!Buffer.isBuffer(body) && !body.destroyed) body.resume();
    throw e;
  }
  return { digest: `sha256:${meter.hash.digest('hex')}`, size: meter.size };
}

/** Decrypts `source` and checks the plaintext against the ref: a mismatch fails the stream with EvidenceIntegrityError. */
export function unseal(source: Readable, ring: KeyRing, ref: EvidenceRef, scope: string): Readable {
  const hash = createHash('sha256');
  let size = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const digest = `sha256:${hash.digest('hex')}`;
      done(digest === ref.digest && size === ref.size ? null : new EvidenceIntegrityError(ref.ref));
    },
  });
  const out = new PassThrough();
  // Not pipeline(): it would destroy `out` with the first error as it is; the reader gets the integrity error instead.
  const fail = (e: Error): void => {
    if (!out.destroyed) out.destroy(e instanceof EvidenceDecryptError ? Object.assign(new EvidenceIntegrityError(ref.ref), { cause: e }) : e);
    for (const s of [source, decrypt, check]) if (!s.destroyed) s.destroy();
  };
  const decrypt = new DecryptStream(ring, scope);
  for (const s of [source, decrypt, check]) s.on('error', fail);
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(decrypt).pipe(check).pipe(out);
  return out;
}
