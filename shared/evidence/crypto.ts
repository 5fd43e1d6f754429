/**
 * Encryption of evidence files at rest: a streaming AEAD in the manner of Tink's and age's (the "STREAM"
 * construction), because a file is up to tens of MB and must never be held whole, and because a single
 * AES-GCM stream hands out plaintext before its one tag has been checked — a download would then deliver
 * changed bytes before anyone noticed. Here the plaintext is cut into 64 KiB segments, each sealed with its
 * own tag; a reader releases a segment only once its tag verified, and the last segment is sealed as last, so
 * a file cut short at a segment boundary fails too.
 *
 * Keys: each file gets its own data key, HKDF-SHA256 of a key-ring key (shared/encryption.ts) with a random
 * 32-byte salt, so the payload key itself never encrypts a file and nonces never repeat across files. The
 * header records the key id: after a rotation the old key (still in the ring) decrypts old files.
 *
 * Layout: header | segment* where header = "FREV" 0x01 | keyIdLength(1) | keyId | salt(32) | noncePrefix(7) |
 * scope(32), and each segment = AES-256-GCM(dataKey, noncePrefix | counter(4, BE) | last(1), plaintext ≤ 64 KiB,
 * aad = header) || tag(16). `scope` is a hash of the review's part of the store key: a file copied under another
 * review's key fails.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { KeyRing } from '../encryption';

const MAGIC = Buffer.from('FREV\x01', 'latin1');
const SALT_BYTES = 32;
const PREFIX_BYTES = 7;
const SCOPE_BYTES = 32;
const TAG_BYTES = 16;
export const SEGMENT_BYTES = 64 * 1024;
const HKDF_INFO = Buffer.from('frontier-review evidence data key v1');
/** Header bytes before the variable key id; the key id is at most 64 bytes (encryption.ts). */
const MAX_HEADER_BYTES = MAGIC.length + 1 + 64 + SALT_BYTES + PREFIX_BYTES + SCOPE_BYTES;

export class EvidenceDecryptError extends Error {
  override name = 'EvidenceDecryptError';
}

/** The file names a key the ring no longer has: a configuration problem, not a damaged file. */
export class EvidenceKeyError extends Error {
  override name = 'EvidenceKeyError';
}

export const scopeOf = (scope: string): Buffer => createHash('sha256').update(`frontier-review evidence scope\0${scope}`).digest();

function dataKey(ring: KeyRing, keyId: string, salt: Buffer): Buffer {
  const key = ring.keys.get(keyId);
  if (!key) throw new EvidenceKeyError(`evidence encrypted with unknown key "${keyId}"; known keys: ${[...ring.keys.keys()].join(', ')}`);
  return Buffer.from(hkdfSync('sha256', key, salt, HKDF_INFO, 32));
}

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, PREFIX_BYTES);
  n[11] = last ? 1 : 0;
  return n;
}

/** Plaintext in, header and sealed segments out. The last segment is held back until the end is known. */
export class EncryptStream extends Transform {
  private readonly key: Buffer;
  private readonly header: Buffer;
  private readonly prefix: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private counter = 0;

  constructor(ring: KeyRing, scope: string) {
    super();
    const keyId = Buffer.from(ring.activeKeyId, 'utf8');
    const salt = randomBytes(SALT_BYTES);
    this.prefix = randomBytes(PREFIX_BYTES);
    this.header = Buffer.concat([MAGIC, Buffer.from([keyId.length]), keyId, salt, this.prefix, scopeOf(scope)]);
    this.key = dataKey(ring, ring.activeKeyId, salt);
    this.push(this.header);
  }

  private seal(plain: Buffer, last: boolean): Buffer {
    if (this.counter === 0xffffffff) throw new Error('evidence file has too many segments');
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.counter++, last));
    cipher.setAAD(this.header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Seal whole segments while more than one segment is buffered: the one left may turn out to be the last.
    if (this.pendingBytes > SEGMENT_BYTES) {
      let all = Buffer.concat(this.pending);
      while (all.length > SEGMENT_BYTES) {
        this.push(this.seal(all.subarray(0, SEGMENT_BYTES), false));
        all = all.subarray(SEGMENT_BYTES);
      }
      this.pending = [all];
      this.pendingBytes = all.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(this.seal(Buffer.concat(this.pending), true));
    this.pending = [];
    done();
  }
}

/**
 * Sealed bytes in, verified plaintext out. Fails (EvidenceDecryptError) on a changed, cut or foreign file; every
 * byte it emits belongs to a segment whose tag verified.
 */
export class DecryptStream extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private header: Buffer | null = null;
  private key: Buffer | null = null;
  private prefix: Buffer | null = null;
  private counter = 0;

  constructor(private readonly ring: KeyRing, private readonly scope: string) {
    super();
  }

  private readHeader(): boolean {
    const b = this.buffered;
    if (b.length < MAGIC.length + 1) return false;
    if (!b.subarray(0, MAGIC.length).equals(MAGIC)) throw new EvidenceDecryptError('not an encrypted evidence file (bad header)');
    const idLength = b[MAGIC.length];
    const end = MAGIC.length + 1 + idLength + SALT_BYTES + PREFIX_BYTES + SCOPE_BYTES;
    if (end > MAX_HEADER_BYTES) throw new EvidenceDecryptError('not an encrypted evidence file (bad key id length)');
    if (b.length < end) return false;
    let at = MAGIC.length + 1;
    const keyId = b.subarray(at, (at += idLength)).toString('utf8');
    const salt = b.subarray(at, (at += SALT_BYTES));
    this.prefix = Buffer.from(b.subarray(at, (at += PREFIX_BYTES)));
    const scope = b.subarray(at, (at += SCOPE_BYTES));
    if (!scope.equals(scopeOf(this.scope))) throw new EvidenceDecryptError('evidence file belongs to another review');
    this.key = dataKey(this.ring, keyId, salt);
    this.header = Buffer.from(b.subarray(0, end));
    this.buffered = b.subarray(end);
    return true;
  }

  private open(sealed: Buffer, last: boolean): Buffer {
    if (sealed.length < TAG_BYTES) throw new EvidenceDecryptError('evidence file is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key as Buffer, nonce(this.prefix as Buffer, this.counter++, last));
    decipher.setAAD(this.header as Buffer);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new EvidenceDecryptError(`evidence file segment ${this.counter - 1} failed authentication (changed, cut short or encrypted with another key)`);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      if (this.header === null && !this.readHeader()) return done();
      const sealedBytes = SEGMENT_BYTES + TAG_BYTES;
      // Strictly more than one segment buffered: the segment is not the last one.
      while (this.buffered.length > sealedBytes) {
        this.push(this.open(this.buffered.subarray(0, sealedBytes), false));
        this.buffered = this.buffered.subarray(sealedBytes);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.header === null) throw new EvidenceDecryptError('evidence file is truncated (no header)');
      this.push(this.open(this.buffered, true));
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}
