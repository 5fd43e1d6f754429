/**
 * The ReviewLab pseudonym's key is derived with HKDF, not the AES key itself (issue 13, finding 6); values written
 * before the change stay findable, under every key of the ring.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { labSearchValue, labSearchValues, pseudonymKey } from '../../client/lab-search';
import type { KeyRing } from '../../shared/encryption';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring: KeyRing = { activeKeyId: 'k2', keys: new Map([['k2', k2], ['k1', k1]]) };
/** The value reviews started before the derivation carry: HMAC under the AES key itself. */
const legacy = (lab: string, key: Buffer): string => `lab-${createHmac('sha256', key).update(`ReviewLab\0${lab}`, 'utf8').digest('hex').slice(0, 24)}`;

test('the pseudonym is keyed with a key derived from the AES key, never the AES key itself', () => {
  const value = labSearchValue('acme', ring);
  expect(value).toMatch(/^lab-[0-9a-f]{24}$/);
  expect(value).not.toBe(legacy('acme', k2));
  expect(value).toBe(legacy('acme', pseudonymKey(k2)));
  expect(pseudonymKey(k2).equals(k2)).toBe(false);
  expect(labSearchValue(' acme ', ring)).toBe(value); // trimmed, deterministic
  expect(labSearchValue('acme', null)).toBe('acme');
});

test('list filters find reviews written under any key of the ring, derived or legacy', () => {
  const values = labSearchValues('acme', ring);
  expect(values).toEqual(expect.arrayContaining([labSearchValue('acme', ring), legacy('acme', k2), legacy('acme', k1), legacy('acme', pseudonymKey(k1))]));
  expect(values).toHaveLength(4);
  expect(labSearchValues('other', ring).some((v) => values.includes(v))).toBe(false);
});
