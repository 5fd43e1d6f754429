/**
 * The clearinghouse's receipt signing keys (Ed25519). The worker signs with one private key
 * (RECEIPT_SIGNING_KEY_FILE, or the PEM itself in RECEIPT_SIGNING_KEY); the public keys — the current one and
 * every earlier one, so receipts signed before a rotation still verify — are published as a key set
 * (`/.well-known/frontier-review/keys.json` on the API; the same JSON as a file for offline checks,
 * RECEIPT_KEYS_FILE). A key id is derived from the public key, so it cannot name another key.
 */
import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface SigningKey {
  keyid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface PublishedKey {
  keyid: string;
  algorithm: 'ed25519';
  /** SubjectPublicKeyInfo, DER, base64. */
  publicKey: string;
  /** When the key was added to the set (informational). */
  addedAt?: string;
  /** Set once a newer key signs: the key stays listed so that what it signed still verifies. */
  retiredAt?: string;
}

export interface KeySet {
  issuer: string;
  keys: PublishedKey[];
}

export const KEY_SET_ISSUER = 'frontier-review clearinghouse';
export const KEY_SET_PATH = '/.well-known/frontier-review/keys.json';
const MAX_KEYS = 100;

export class KeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

export const keyIdOf = (publicKey: KeyObject): string =>
  `ed25519:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32)}`;

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyConfigError(`${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; receipts are signed with Ed25519`);
  return key;
}

export function signingKeyFromPem(pem: string, what = 'the signing key'): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new KeyConfigError(`${what} is not a PEM private key: ${(e as Error).message}`);
  }
  ed25519(privateKey, what);
  const publicKey = createPublicKey(privateKey);
  return { keyid: keyIdOf(publicKey), privateKey, publicKey };
}

/** The signing key from the environment, or null when none is configured (receipts are then not signed). */
export function loadSigningKey(env: Record<string, string | undefined> = process.env): SigningKey | null {
  const inline = env.RECEIPT_SIGNING_KEY?.trim();
  const file = env.RECEIPT_SIGNING_KEY_FILE?.trim();
  if (inline) return signingKeyFromPem(inline, 'RECEIPT_SIGNING_KEY');
  if (!file) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyConfigError(`RECEIPT_SIGNING_KEY_FILE ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return signingKeyFromPem(pem, `RECEIPT_SIGNING_KEY_FILE ${file}`);
}

export function generateSigningKey(): { key: SigningKey; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key: { keyid: keyIdOf(publicKey), privateKey, publicKey }, pem };
}

export function publish(publicKey: KeyObject, addedAt?: string): PublishedKey {
  return { keyid: keyIdOf(publicKey), algorithm: 'ed25519', publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), ...(addedAt ? { addedAt } : {}) };
}

/** A key set from JSON, checked: every key Ed25519 and its id the one its public key gives. */
export function parseKeySet(input: unknown, source: string): KeySet {
  const fail = (why: string): never => { throw new KeyConfigError(`${source}: ${why}`); };
  if (typeof input !== 'object' || input === null || !Array.isArray((input as { keys?: unknown }).keys)) return fail('not a key set ({"keys": [...]})');
  const raw = (input as { keys: unknown[]; issuer?: unknown });
  if (raw.keys.length > MAX_KEYS) fail(`lists ${raw.keys.length} keys; at most ${MAX_KEYS}`);
  const keys = raw.keys.map((k, i) => {
    const entry = (typeof k === 'object' && k !== null ? k : {}) as Partial<PublishedKey>;
    if (typeof entry.keyid !== 'string' || typeof entry.publicKey !== 'string') return fail(`keys[${i}] needs keyid and publicKey`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(entry.publicKey, 'base64'), format: 'der', type: 'spki' });
    } catch {
      return fail(`keys[${i}].publicKey is not a base64 DER public key`);
    }
    ed25519(key, `${source} keys[${i}]`);
    if (keyIdOf(key) !== entry.keyid) fail(`keys[${i}].keyid ${entry.keyid} does not match its public key (${keyIdOf(key)})`);
    return { ...entry, algorithm: 'ed25519' as const, keyid: entry.keyid, publicKey: entry.publicKey };
  });
  return { issuer: typeof raw.issuer === 'string' ? raw.issuer : KEY_SET_ISSUER, keys };
}

export function keyMap(set: KeySet): Map<string, KeyObject> {
  return new Map(set.keys.map((k) => [k.keyid, createPublicKey({ key: Buffer.from(k.publicKey, 'base64'), format: 'der', type: 'spki' })]));
}

/** Adds a key (the new current one) and marks the others retired; a key already listed is left as it is. */
export function withKey(set: KeySet, key: PublishedKey, at: string): KeySet {
  if (set.keys.some((k) => k.keyid === key.keyid)) return set;
  return { issuer: set.issuer, keys: [...set.keys.map((k) => (k.retiredAt ? k : { ...k, retiredAt: at })), { ...key, addedAt: key.addedAt ?? at }] };
}

/**
 * The key set the API publishes: RECEIPT_KEYS_FILE (current and earlier keys), plus the public half of a signing
 * key configured on the same host when the file does not list it yet.
 */
export function loadPublishedKeySet(env: Record<string, string | undefined> = process.env): KeySet {
  const file = env.RECEIPT_KEYS_FILE?.trim();
  let set: KeySet = { issuer: KEY_SET_ISSUER, keys: [] };
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new KeyConfigError(`RECEIPT_KEYS_FILE ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new KeyConfigError(`RECEIPT_KEYS_FILE ${file} is not valid JSON: ${(e as Error).message}`);
    }
    set = parseKeySet(json, `RECEIPT_KEYS_FILE ${file}`);
  }
  const signing = loadSigningKey(env);
  if (signing && !set.keys.some((k) => k.keyid === signing.keyid)) set = { ...set, keys: [...set.keys, publish(signing.publicKey)] };
  return set;
}
