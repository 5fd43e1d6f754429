/**
 * The default evidence store: encrypted files under a directory (`.data/evidence` unless EVIDENCE_STORE names
 * another), at `reviews/<review hash>/<digest hex>`. An upload is written to `tmp/` and renamed into place only
 * once it is complete and within bounds, so a refused or interrupted upload leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { KeyRing } from '../encryption';
import type { EvidenceConfig } from './config';
import { checkUpload, keyOf, refFor, reviewKey, seal, unseal } from './seal';
import { EvidenceNotFoundError } from './types';
import type { EvidenceRef, EvidenceStore, EvidenceUpload } from './types';

export class DirectoryEvidenceStore implements EvidenceStore {
  readonly kind = 'directory' as const;

  constructor(readonly dir: string, private readonly ring: KeyRing, private readonly config: Pick<EvidenceConfig, 'maxBytes' | 'mediaTypes'>) {}

  private file(key: string): string {
    return path.join(this.dir, ...key.split('/'));
  }

  async put(upload: EvidenceUpload): Promise<EvidenceRef> {
    const { name, mediaType } = checkUpload(upload, this.config);
    const tmpDir = path.join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const scope = reviewKey(upload.reviewId);
    let sealed: { digest: string; size: number };
    try {
      sealed = await seal(upload.body, this.ring, scope, this.config.maxBytes, createWriteStream(tmp, { mode: 0o600 }));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const ref = refFor(upload.reviewId, sealed.digest);
    const target = this.file(ref);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    if (await exists(target)) await unlink(tmp); // the same bytes again: the first copy stays
    else await rename(tmp, target);
    return { digest: sealed.digest, size: sealed.size, mediaType, name, ref };
  }

  async get(ref: EvidenceRef): Promise<Readable> {
    const { key, scope } = keyOf(ref);
    const file = this.file(key);
    // Not found here, not as a stream error later.
    if (!(await exists(file))) throw new EvidenceNotFoundError(ref.ref);
    return unseal(createReadStream(file), this.ring, ref, scope);
  }

  async delete(ref: EvidenceRef): Promise<boolean> {
    const { key } = keyOf(ref);
    try {
      await unlink(this.file(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await access(this.dir);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
