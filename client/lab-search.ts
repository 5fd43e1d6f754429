/**
 * The value written to the ReviewLab search attribute. Search attributes are never encrypted, so when
 * payloads are (FRONTIER_REVIEW_KEYS), the lab's name is replaced by a keyed pseudonym: the same lab always
 * maps to the same value, so `list --lab` still works, but the server cannot read the name.
 */
import { createHmac } from 'node:crypto';
import type { KeyRing } from '../shared/encryption';

const pseudonym = (lab: string, key: Buffer): string =>
  `lab-${createHmac('sha256', key).update(`ReviewLab\0${lab.trim()}`, 'utf8').digest('hex').slice(0, 24)}`;

/** What start writes: the name itself, or its pseudonym under the active key. */
export function labSearchValue(lab: string, ring: KeyRing | null): string {
  return ring ? pseudonym(lab, ring.keys.get(ring.activeKeyId) as Buffer) : lab.trim();
}

/** Every value a review of this lab may carry (one per key still in the ring, for reviews started before a rotation). */
export function labSearchValues(lab: string, ring: KeyRing | null): string[] {
  return ring ? [...new Set([...ring.keys.values()].map((k) => pseudonym(lab, k)))] : [lab.trim()];
}
