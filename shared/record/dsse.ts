/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse, protocol v1): the signature covers
 * PAE(payloadType, payload) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN the byte length in ASCII
 * decimal. The envelope is JSON with the payload base64-encoded; in-toto attestations travel in it, which is why a
 * lab's release pipeline can store and check our receipts with its build-attestation tooling.
 */
import type { KeyObject } from 'node:crypto';
import { sign, verify } from 'node:crypto';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 (standard alphabet) of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/** Ed25519 over the PAE (node:crypto: `sign(null, …)` for Ed25519). */
export function signEnvelope(payloadType: string, payload: Buffer, key: { keyid: string; privateKey: KeyObject }): DsseEnvelope {
  const sig = sign(null, pae(payloadType, payload), key.privateKey);
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: key.keyid, sig: sig.toString('base64') }] };
}

/** Whether one of the envelope's signatures verifies with one of `keys` (by key id); which key, if so. */
export function verifyEnvelope(envelope: DsseEnvelope, keys: ReadonlyMap<string, KeyObject>): { ok: true; keyid: string } | { ok: false; reason: string } {
  const payload = Buffer.from(envelope.payload, 'base64');
  const message = pae(envelope.payloadType, payload);
  const known = envelope.signatures.filter((s) => keys.has(s.keyid));
  if (known.length === 0) {
    const ids = envelope.signatures.map((s) => s.keyid).join(', ') || 'none';
    return { ok: false, reason: `signed by key ${ids}, which is not in the key set (${[...keys.keys()].join(', ') || 'empty'})` };
  }
  for (const s of known) {
    if (verify(null, message, keys.get(s.keyid) as KeyObject, Buffer.from(s.sig, 'base64'))) return { ok: true, keyid: s.keyid };
  }
  return { ok: false, reason: `the signature by key ${known.map((s) => s.keyid).join(', ')} does not match the content (changed after signing, or signed by another key)` };
}
