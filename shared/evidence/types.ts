/**
 * Evidence files (reports, logs, transcripts) live outside Temporal's history — claim check: a review
 * holds only an EvidenceRef (digest, size, media type, where it is stored), never the bytes. The store is
 * encrypted at rest and is shared by the API (upload, download) and the worker (retention, disposal).
 *
 * This file is the contract between the store's implementations (directory by default, S3-compatible
 * when configured) and the code that uses them; implementations live beside it.
 */
import type { Readable } from 'node:stream';
import type { EvidenceRef } from '../../workflows/evidence';

/** What a review records of one evidence file (digest, size, media type, name, store key); defined with the
 * workflow's evidence rules, since workflow code imports nothing from shared/. */
export type { EvidenceRef } from '../../workflows/evidence';

export interface EvidenceUpload {
  reviewId: string;
  name: string;
  mediaType: string;
  body: Readable | Buffer;
}

export interface EvidenceStore {
  /** Which backend, for logs and readiness: `directory` or `s3`. */
  readonly kind: 'directory' | 's3';
  /**
   * Streams the body in, hashing and encrypting as it goes; refuses (EvidenceTooLargeError) past the
   * configured maximum without keeping anything. Storing the same bytes twice for a review is idempotent.
   */
  put(upload: EvidenceUpload): Promise<EvidenceRef>;
  /** The decrypted bytes; fails (EvidenceIntegrityError) if they no longer match the digest. */
  get(ref: EvidenceRef): Promise<Readable>;
  /** Removes the file; true if it existed. Digests stay in the review as proof of what existed. */
  delete(ref: EvidenceRef): Promise<boolean>;
  /** Whether the backend answers (for /readyz). */
  ping(): Promise<void>;
}

export class EvidenceTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`evidence file is larger than the limit of ${limitBytes} bytes`);
    this.name = 'EvidenceTooLargeError';
  }
}

export class EvidenceIntegrityError extends Error {
  constructor(readonly ref: string) {
    super(`evidence ${ref} does not match its digest (changed or damaged in the store)`);
    this.name = 'EvidenceIntegrityError';
  }
}

/** The upload itself is refused (media type not allowed, bad name): nothing was stored. `path` names the field. */
export class EvidenceInputError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'EvidenceInputError';
  }
}

/** The file is not (or no longer) in the store: deleted at the end of its retention, or never stored here. */
export class EvidenceNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`evidence ${ref} is not in the store (deleted when its retention ended, or never stored here)`);
    this.name = 'EvidenceNotFoundError';
  }
}
