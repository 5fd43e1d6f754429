/**
 * AES-256-GCM payload encryption, so the Temporal server (and its operators) never see findings, e-mail
 * addresses or names. Key rotation: the active key encrypts; every key in the ring still decrypts, chosen
 * by the key id stored in the payload's metadata.
 *
 * Keys: FRONTIER_REVIEW_KEYS="id2:<base64 32 bytes>,id1:<base64>" (first is active), or
 * FRONTIER_REVIEW_KEY_FILE=<json file {"active":"id2","keys":{"id2":"<base64>","id1":"<base64>"}}>.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface KeyRing {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

function key(id: string, b64: string, where: string): [string, Buffer] {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`${where}: key id "${id}" must be 1-64 letters, digits, dots, hyphens or underscores`);
  const k = Buffer.from(b64, 'base64');
  if (k.length !== 32) throw new Error(`${where}: key "${id}" must be 32 bytes, base64-encoded (got ${k.length} bytes)`);
  return [id, k];
}

/** The key ring from the environment, or null when encryption is not configured. */
export function loadKeyRing(env: NodeJS.ProcessEnv = process.env): KeyRing | null {
  if (env.FRONTIER_REVIEW_KEYS) {
    const entries = env.FRONTIER_REVIEW_KEYS.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const i = s.indexOf(':');
      if (i < 1) throw new Error('FRONTIER_REVIEW_KEYS: expected "id:base64key[,id:base64key...]"');
      return key(s.slice(0, i), s.slice(i + 1), 'FRONTIER_REVIEW_KEYS');
    });
    return { activeKeyId: entries[0][0], keys: new Map(entries) };
  }
  if (env.FRONTIER_REVIEW_KEY_FILE) {
    const where = `FRONTIER_REVIEW_KEY_FILE (${env.FRONTIER_REVIEW_KEY_FILE})`;
    let parsed: { active?: unknown; keys?: unknown };
    try {
      parsed = JSON.parse(readFileSync(env.FRONTIER_REVIEW_KEY_FILE, 'utf8')) as typeof parsed;
    } catch (e) {
      throw new Error(`${where}: cannot read: ${(e as Error).message}`);
    }
    if (typeof parsed.active !== 'string' || typeof parsed.keys !== 'object' || parsed.keys === null) {
      throw new Error(`${where}: expected {"active": "<id>", "keys": {"<id>": "<base64>"}}`);
    }
    const keys = new Map(Object.entries(parsed.keys as Record<string, unknown>).map(([id, v]) => key(id, String(v), where)));
    if (!keys.has(parsed.active)) throw new Error(`${where}: active key "${parsed.active}" is not in keys`);
    return { activeKeyId: parsed.active, keys };
  }
  return null;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const k = this.ring.keys.get(this.ring.activeKeyId) as Buffer;
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.ring.activeKeyId),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return p;
      const id = Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString();
      const k = this.ring.keys.get(id);
      if (!k) throw new Error(`payload encrypted with unknown key "${id}"; known keys: ${[...this.ring.keys.keys()].join(', ')}`);
      const data = Buffer.from(p.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', k, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

export interface EncryptingDataConverter {
  payloadCodecs: PayloadCodec[];
  failureConverterPath: string;
}

/** failure-converter.ts (`.ts` under tsx and jest, `.js` once compiled): resolved, not imported, as the SDK loads it by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter for a key ring, for worker and client alike: payloads encrypted, and failure messages and
 * stack traces encoded into a payload so that they are encrypted too (failure-converter.ts). A worker started
 * from a prebuilt workflow bundle encodes activity failures; its workflows' own failures only if the bundle was
 * built with `failureConverterPath: FAILURE_CONVERTER_PATH`.
 */
export function encryptingDataConverter(ring: KeyRing): EncryptingDataConverter {
  return { payloadCodecs: [new EncryptionCodec(ring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** Data converter options for worker and client: encryption when keys are configured, defaults otherwise. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptingDataConverter | undefined {
  const ring = loadKeyRing(env);
  return ring ? encryptingDataConverter(ring) : undefined;
}
