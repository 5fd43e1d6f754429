import { defaultPayloadConverter } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EncryptionCodec, loadKeyRing } from '../../shared/encryption';

const k = (): string => randomBytes(32).toString('base64');
const secret = { summary: 'Exploit chain for CVE-2026-0001', email: 'security@acme.example' };

test('round trip; ciphertext holds no plaintext; key id in metadata', async () => {
  const ring = loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${k()}` });
  const codec = new EncryptionCodec(ring!);
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
  expect(Buffer.from(enc.data!).toString('latin1')).not.toContain('CVE-2026-0001');
  expect(Buffer.from(enc.metadata!['encryption-key-id']).toString()).toBe('k1');
  const [dec] = await codec.decode([enc]);
  expect(defaultPayloadConverter.fromPayload(dec)).toEqual(secret);
});

test('rotation: the new key encrypts, the old key still decrypts, an unknown key is a clear error', async () => {
  const k1 = k();
  const old = new EncryptionCodec(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${k1}` })!);
  const rotated = new EncryptionCodec(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k2:${k()},k1:${k1}` })!);
  const [byOld] = await old.encode([defaultPayloadConverter.toPayload(secret)]);
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([byOld]))[0])).toEqual(secret);
  const [byNew] = await rotated.encode([defaultPayloadConverter.toPayload(secret)]);
  expect(Buffer.from(byNew.metadata!['encryption-key-id']).toString()).toBe('k2');
  await expect(old.decode([byNew])).rejects.toThrow(/unknown key "k2"; known keys: k1/);
});

test('tampered ciphertext is refused (GCM authentication)', async () => {
  const codec = new EncryptionCodec(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${k()}` })!);
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
  const data = Buffer.from(enc.data!);
  data[20] ^= 1;
  await expect(codec.decode([{ ...enc, data }])).rejects.toThrow();
});

test('unencrypted payloads pass through decode (history written before encryption was turned on)', async () => {
  const codec = new EncryptionCodec(loadKeyRing({ FRONTIER_REVIEW_KEYS: `k1:${k()}` })!);
  const plain = defaultPayloadConverter.toPayload(secret);
  expect(defaultPayloadConverter.fromPayload((await codec.decode([plain]))[0])).toEqual(secret);
});

test('key configuration errors say what is wrong', () => {
  expect(loadKeyRing({})).toBeNull();
  expect(() => loadKeyRing({ FRONTIER_REVIEW_KEYS: 'k1:c2hvcnQ=' })).toThrow(/key "k1" must be 32 bytes/);
  expect(() => loadKeyRing({ FRONTIER_REVIEW_KEYS: 'nokey' })).toThrow(/expected "id:base64key/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keys-'));
  const file = path.join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify({ active: 'k9', keys: { k1: k() } }));
  expect(() => loadKeyRing({ FRONTIER_REVIEW_KEY_FILE: file })).toThrow(/active key "k9" is not in keys/);
  writeFileSync(file, JSON.stringify({ active: 'k1', keys: { k1: k(), k0: k() } }));
  expect(loadKeyRing({ FRONTIER_REVIEW_KEY_FILE: file })?.activeKeyId).toBe('k1');
});
