/**
 * The value written to the ReviewLab search attribute: the lab's id (its name for requests without one).
 * Search attributes are never encrypted, so when payloads are (FRONTIER_REVIEW_KEYS), the value is a keyed
 * pseudonym instead: the same lab always maps to the same value, so `list --lab` still works, but the server
 * cannot read it.
 *
 * The pseudonym's key is derived from each AES key with HKDF-SHA256 (info "frontier-review ReviewLab pseudonym"):
 * one key for one purpose, so a pseudonym, which anyone may compute a guess against, is no oracle on the
 * encryption key itself. Reviews started before that (issue 13, finding 6) carry an HMAC under the AES key
 * directly; list filters look for both values under every key, so they stay listable until they finish.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { KeyRing } from '../shared/encryption';

const HKDF_SALT = Buffer.from('frontier-review', 'utf8');
const HKDF_INFO = Buffer.from('frontier-review ReviewLab pseudonym', 'utf8');

/** The pseudonym key of one AES key. */
export const pseudonymKey = (key: Buffer): Buffer => Buffer.from(hkdfSync('sha256', key, HKDF_SALT, HKDF_INFO, 32));

const pseudonym = (lab: string, key: Buffer): string =>
  `lab-${createHmac('sha256', key).update(`ReviewLab\0${lab.trim()}`, 'utf8').digest('hex').slice(0, 24)}`;

/** What start writes: the lab id or name itself, or its pseudonym under the active key's derived key. */
export function labSearchValue(lab: string, ring: KeyRing | null): string {
  return ring ? pseudonym(lab, pseudonymKey(ring.keys.get(ring.activeKeyId) as Buffer)) : lab.trim();
}

/**
 * Every value a review of this lab may carry: under each key still in the ring (reviews started before a
 * rotation), derived (now) and legacy (reviews started before the derivation).
 */
export function labSearchValues(lab: string, ring: KeyRing | null): string[] {
  if (!ring) return [lab.trim()];
  return [...new Set([...ring.keys.values()].flatMap((k) => [pseudonym(lab, pseudonymKey(k)), pseudonym(lab, k)]))];
}
