/**
 * One test suite for every evidence store (directory, S3-compatible): the same encryption at rest, digest, bounds,
 * idempotence, integrity checks, key rotation and deletion. test/integration/evidence-*.test.ts run it against each
 * implementation, the S3 one against a real S3 server (Versity S3 Gateway).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { KeyRing } from '../../shared/encryption';
import type { EvidenceConfig } from '../../shared/evidence/config';
import { DEFAULT_MEDIA_TYPES } from '../../shared/evidence/config';
import { SEGMENT_BYTES } from '../../shared/evidence/crypto';
import { reviewKey } from '../../shared/evidence/seal';
import { EvidenceInputError, EvidenceIntegrityError, EvidenceNotFoundError, EvidenceTooLargeError } from '../../shared/evidence/types';
import type { EvidenceRef, EvidenceStore } from '../../shared/evidence/types';

export interface StoreUnderTest {
  /** A store over the same backend, with this key ring and these bounds. */
  open(ring: KeyRing, config: Pick<EvidenceConfig, 'maxBytes' | 'mediaTypes'>): EvidenceStore;
  /** Every stored key (the backend's own listing: files or objects), temporary files included. */
  keys(): Promise<string[]>;
  /** The stored (encrypted) bytes of a key, and a way to replace them: what someone with access to the backend sees and does. */
  read(key: string): Promise<Buffer>;
  write(key: string, bytes: Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

const ring = (...ids: string[]): KeyRing => ({ activeKeyId: ids[0], keys: new Map(ids.map((id) => [id, createHash('sha256').update(id).digest()])) });
const config = { maxBytes: 1024 * 1024, mediaTypes: DEFAULT_MEDIA_TYPES };

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A body that arrives in small pieces, as an HTTP request does. */
function trickle(bytes: Buffer, piece = 10_000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  })());
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function evidenceStoreSuite(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`evidence store: ${name}`, () => {
    let backend: StoreUnderTest;
    let store: EvidenceStore;
    beforeAll(async () => {
      backend = await make();
      store = backend.open(ring('k1'), config);
    });
    afterAll(async () => backend?.cleanup());

    const reviewId = (): string => `acme-atlas7-${randomBytes(4).toString('hex')}`;

    test('stores encrypted, computes the digest of the plaintext while streaming, and gives the bytes back', async () => {
      await store.ping();
      // Several segments and a partial one: the segment logic is exercised at and across its boundaries.
      for (const size of [0, 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES + 12_345]) {
        const bytes = randomBytes(size);
        const id = reviewId();
        const ref = await store.put({ reviewId: id, name: `log ${size}.json`, mediaType: 'application/json; charset=utf-8', body: trickle(bytes) });
        expect(ref).toEqual({ digest: sha(bytes), size, mediaType: 'application/json', name: `log ${size}.json`, ref: `reviews/${reviewKey(id)}/${sha(bytes).slice(7)}` });
        expect(ref.ref).not.toContain('acme');
        const stored = await backend.read(ref.ref);
        expect(stored.subarray(0, 5).toString('latin1')).toBe('FREV\x01');
        if (size >= 32) expect(stored.includes(bytes.subarray(0, 32))).toBe(false);
        expect((await readAll(await store.get(ref))).equals(bytes)).toBe(true);
      }
    });

    test('a file over the limit is refused while it streams, and nothing is kept', async () => {
      const small = backend.open(ring('k1'), { ...config, maxBytes: 100_000 });
      const before = await backend.keys();
      let produced = 0;
      // An endless body: the store must stop reading it, not buffer it.
      const endless = new Readable({ read() { produced += 16_384; this.push(produced > 50_000_000 ? null : randomBytes(16_384)); } });
      await expect(small.put({ reviewId: reviewId(), name: 'huge.bin', mediaType: 'application/zip', body: endless })).rejects.toThrow(EvidenceTooLargeError);
      expect(produced).toBeLessThan(2_000_000);
      expect(await backend.keys()).toEqual(before);
      // Exactly at the limit is accepted.
      const exact = randomBytes(100_000);
      expect((await small.put({ reviewId: reviewId(), name: 'exact.zip', mediaType: 'application/zip', body: exact })).size).toBe(100_000);
    });

    test('media types outside the allowed list and bad names are refused with the field named, nothing kept', async () => {
      const before = await backend.keys();
      await expect(store.put({ reviewId: reviewId(), name: 'x.html', mediaType: 'text/html', body: Buffer.from('<script>') })).rejects.toThrow(/mediaType: "text\/html" is not an allowed evidence type/);
      await expect(store.put({ reviewId: reviewId(), name: 'a\u0000b', mediaType: 'text/plain', body: Buffer.from('x') })).rejects.toThrow(EvidenceInputError);
      await expect(store.put({ reviewId: reviewId(), name: 'x'.repeat(201), mediaType: 'text/plain', body: Buffer.from('x') })).rejects.toThrow(/name: must be at most 200/);
      expect(await backend.keys()).toEqual(before);
    });

    test('the same bytes twice for a review are stored once', async () => {
      const id = reviewId();
      const bytes = randomBytes(5000);
      const a = await store.put({ reviewId: id, name: 'a.txt', mediaType: 'text/plain', body: bytes });
      const stored = await backend.read(a.ref);
      const b = await store.put({ reviewId: id, name: 'b.txt', mediaType: 'text/plain', body: Buffer.from(bytes) });
      expect(b.ref).toBe(a.ref);
      expect((await backend.read(a.ref)).equals(stored)).toBe(true);
      expect((await backend.keys()).filter((k) => k.endsWith(a.ref))).toHaveLength(1);
    });

    test('a changed, cut or moved file fails with an integrity error instead of handing out other bytes', async () => {
      const id = reviewId();
      const bytes = randomBytes(2 * SEGMENT_BYTES + 100);
      const ref = await store.put({ reviewId: id, name: 'report.pdf', mediaType: 'application/pdf', body: bytes });
      const original = await backend.read(ref.ref);

      const flipped = Buffer.from(original);
      flipped[flipped.length - 50] ^= 1;
      await backend.write(ref.ref, flipped);
      await expect(readAll(await store.get(ref))).rejects.toThrow(EvidenceIntegrityError);

      // Cut at a segment boundary: every remaining segment authenticates, but none was sealed as the last.
      const header = original.length - 2 * (SEGMENT_BYTES + 16) - (100 + 16);
      await backend.write(ref.ref, original.subarray(0, header + SEGMENT_BYTES + 16));
      await expect(readAll(await store.get(ref))).rejects.toThrow(EvidenceIntegrityError);

      // Another review's file under this review's key.
      const other = await store.put({ reviewId: reviewId(), name: 'other.pdf', mediaType: 'application/pdf', body: bytes });
      await backend.write(ref.ref, await backend.read(other.ref));
      await expect(readAll(await store.get(ref))).rejects.toThrow(EvidenceIntegrityError);

      // Another file of the same review under this file's key: authentic bytes, but not these.
      const sibling = await store.put({ reviewId: id, name: 'sibling.pdf', mediaType: 'application/pdf', body: randomBytes(bytes.length) });
      await backend.write(ref.ref, await backend.read(sibling.ref));
      await expect(readAll(await store.get(ref))).rejects.toThrow(EvidenceIntegrityError);

      await backend.write(ref.ref, original);
      expect((await readAll(await store.get(ref))).equals(bytes)).toBe(true);
    });

    test('a ref that does not name a file of this store is refused before the backend is asked', async () => {
      const ref: EvidenceRef = { digest: sha(Buffer.from('x')), size: 1, mediaType: 'text/plain', name: 'x', ref: `reviews/../../etc/${sha(Buffer.from('x')).slice(7)}` };
      await expect(store.get(ref)).rejects.toThrow(EvidenceInputError);
      await expect(store.delete(ref)).rejects.toThrow(EvidenceInputError);
      const mismatched = { ...ref, ref: `reviews/${reviewKey('r')}/${'0'.repeat(64)}` };
      await expect(store.get(mismatched)).rejects.toThrow(/matching the digest/);
    });

    test('key rotation: files written under the old key still read once a new key is active; without the old key they do not', async () => {
      const id = reviewId();
      const old = await store.put({ reviewId: id, name: 'old.txt', mediaType: 'text/plain', body: Buffer.from('written under k1') });
      const rotated = backend.open(ring('k2', 'k1'), config);
      const fresh = await rotated.put({ reviewId: id, name: 'new.txt', mediaType: 'text/plain', body: Buffer.from('written under k2') });
      expect((await readAll(await rotated.get(old))).toString()).toBe('written under k1');
      expect((await readAll(await rotated.get(fresh))).toString()).toBe('written under k2');
      // The key id is in the header: k2's file names k2.
      expect((await backend.read(fresh.ref)).subarray(6, 8).toString()).toBe('k2');
      const withoutK1 = backend.open(ring('k2'), config);
      await expect(readAll(await withoutK1.get(old))).rejects.toThrow(/unknown key "k1"/);
    });

    test('delete removes the file (true once, then false) and a later read says it is gone', async () => {
      const ref = await store.put({ reviewId: reviewId(), name: 'transcript.txt', mediaType: 'text/plain', body: randomBytes(1000) });
      expect(await store.delete(ref)).toBe(true);
      expect(await store.delete(ref)).toBe(false);
      await expect(store.get(ref)).rejects.toThrow(EvidenceNotFoundError);
      expect((await backend.keys()).some((k) => k.endsWith(ref.ref))).toBe(false);
    });
  });
}
