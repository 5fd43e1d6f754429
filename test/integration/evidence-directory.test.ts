/** The shared evidence store suite (test/support/evidence-suite.ts) on the directory store, in a fresh temporary directory. */
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evidenceStoreFromEnv } from '../../shared/evidence';
import { DirectoryEvidenceStore } from '../../shared/evidence/directory-store';
import { LOCAL_KEY_FILE } from '../../shared/evidence/keys';
import { evidenceStoreSuite } from '../support/evidence-suite';

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full, base)));
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

evidenceStoreSuite('directory', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'evidence-dir-'));
  return {
    open: (ring, config) => new DirectoryEvidenceStore(dir, ring, config),
    keys: () => walk(dir),
    read: (key) => readFile(path.join(dir, key)),
    write: (key, bytes) => writeFile(path.join(dir, key), bytes),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('directory store configuration', () => {
  test('without a key ring the directory gets a key of its own (0600), kept across restarts; S3 refuses to start without one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evidence-local-'));
    try {
      const first = evidenceStoreFromEnv({ EVIDENCE_STORE: `dir:${dir}` });
      expect(first.localKey).toBe(true);
      expect((await stat(path.join(dir, LOCAL_KEY_FILE))).mode & 0o777).toBe(0o600);
      const ref = await first.store.put({ reviewId: 'r', name: 'a.txt', mediaType: 'text/plain', body: Buffer.from('kept') });
      const again = evidenceStoreFromEnv({ EVIDENCE_STORE: `dir:${dir}` });
      const chunks: Buffer[] = [];
      for await (const c of await again.store.get(ref)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('kept');
      expect(() => evidenceStoreFromEnv({ EVIDENCE_STORE: 's3://bucket?endpoint=http://127.0.0.1:1' })).toThrow(/no key ring is configured/);
      const keyed = evidenceStoreFromEnv({ EVIDENCE_STORE: `dir:${dir}`, FRONTIER_REVIEW_KEYS: `k9:${Buffer.alloc(32, 7).toString('base64')}` });
      expect(keyed.localKey).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad settings are refused with the variable named', () => {
    expect(() => evidenceStoreFromEnv({ EVIDENCE_STORE: 's3://Bad_Bucket' })).toThrow(/bucket "bad_bucket"|not a valid S3 bucket/);
    expect(() => evidenceStoreFromEnv({ EVIDENCE_STORE: 's3://bucket?endpoint=ftp://x' })).toThrow(/endpoint "ftp:\/\/x" must be an http\(s\) URL/);
    expect(() => evidenceStoreFromEnv({ EVIDENCE_STORE: 's3://bucket?colour=blue' })).toThrow(/unknown parameter "colour"/);
    expect(() => evidenceStoreFromEnv({ EVIDENCE_MAX_BYTES: '12kB' })).toThrow(/EVIDENCE_MAX_BYTES must be a whole number/);
    expect(() => evidenceStoreFromEnv({ EVIDENCE_MEDIA_TYPES: 'pdf' })).toThrow(/EVIDENCE_MEDIA_TYPES: "pdf" is not a media type/);
  });
});
