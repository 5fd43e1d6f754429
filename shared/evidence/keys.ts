/**
 * The key ring evidence is encrypted with: the payload key ring (FRONTIER_REVIEW_KEYS / FRONTIER_REVIEW_KEY_FILE)
 * when one is configured — every data key is derived from it (crypto.ts), rotation works as for payloads.
 *
 * Without one: a directory store makes a local key of its own (`<dir>/.evidence-key.json`, mode 0600, the key file
 * format of shared/encryption.ts) so that a copy of the files alone — a backup, a stray sync — reads nothing; a
 * key on the same disk does not protect against whoever holds the disk, which is why production sets a key ring
 * (docs/SECURITY.md). An S3 store refuses to start without a key ring: the files would leave the machine that
 * holds their key.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadKeyRing } from '../encryption';
import type { KeyRing } from '../encryption';
import { EvidenceConfigError } from './config';
import type { EvidenceLocation } from './config';

export const LOCAL_KEY_FILE = '.evidence-key.json';

function localKeyRing(dir: string): KeyRing {
  const file = path.join(dir, LOCAL_KEY_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, JSON.stringify({ active: 'local-1', keys: { 'local-1': randomBytes(32).toString('base64') } }), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const ring = loadKeyRing({ FRONTIER_REVIEW_KEY_FILE: file });
  if (!ring) throw new EvidenceConfigError(`${file}: cannot read the local evidence key`);
  return ring;
}

/** `local`: the ring is the directory's own key (no key ring configured). */
export function evidenceKeyRing(location: EvidenceLocation, env: NodeJS.ProcessEnv = process.env): { ring: KeyRing; local: boolean } {
  const ring = loadKeyRing(env);
  if (ring) return { ring, local: false };
  if (location.kind === 's3') {
    throw new EvidenceConfigError('EVIDENCE_STORE is an S3 bucket but no key ring is configured: set FRONTIER_REVIEW_KEYS or FRONTIER_REVIEW_KEY_FILE (evidence is never stored unencrypted off this machine)');
  }
  return { ring: localKeyRing(location.dir), local: true };
}

/** For tests and diagnostics: the raw key file of a directory store. */
export const readLocalKeyFile = (dir: string): string => readFileSync(path.join(dir, LOCAL_KEY_FILE), 'utf8');
