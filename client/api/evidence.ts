/**
 * Evidence uploads and downloads on a person's behalf, for the API and the dashboard alike: the role and scope
 * checks of every other operation (access.ts), then the store (shared/evidence), then the review.
 *
 * An upload is checked against the review first (in scope, still open, within the limits: nothing is stored for
 * a review that would refuse it), streamed into the store (encrypted, bounded, hashed), and recorded with the
 * `attachEvidence` update, which holds only the reference. If the review refuses it after all, the file is removed
 * again unless an earlier attachment of the same bytes uses it.
 */
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { EvidenceInputError, EvidenceIntegrityError, EvidenceNotFoundError, EvidenceTooLargeError } from '../../shared/evidence/types';
import type { EvidenceRef, EvidenceStore } from '../../shared/evidence/types';
import type { EvidenceConfig } from '../../shared/evidence/config';
import { EVIDENCE_AUDIENCES, EVIDENCE_LIMITS } from '../../workflows/evidence';
import type { EvidenceAudience, EvidenceView } from '../../workflows/evidence';
import type { ReviewClient } from '../review-client';
import { argumentScope, roleAllowed, UPDATE_ROLES, viewFor } from './access';
import type { StatusView } from './access';
import type { Principal } from './auth';
import { ApiError } from './http-errors';
import type { ReviewService } from './service';
import { formatBytes } from './upload-limit';
import type { UploadLimiter, UploadSlot } from './upload-limit';

export interface EvidenceUploadInput {
  name: string;
  mediaType: string;
  body: Readable;
  /** Length the client announced, when it did: refused at once when over the limit. */
  declaredBytes?: number;
  /** `lab`, `clearinghouse` or a reviewer id; default: the principal's own party (a PM: the clearinghouse). */
  party?: string;
  visibleTo?: string;
  track?: string;
}

export interface UploadedEvidence {
  evidence: Pick<EvidenceView, 'digest' | 'size' | 'mediaType' | 'name' | 'party' | 'visibleTo'>;
  status: StatusView;
}

/** The evidence of a review the principal may see, and when the store deletes the files. */
export interface EvidenceList {
  reviewId: string;
  evidence: EvidenceView[];
  retention: StatusView['evidenceRetention'] | null;
  /** Largest file, and the media types, the store accepts (the upload form and `review evidence upload` show them). */
  maxBytes: number;
  mediaTypes: readonly string[];
}

export interface EvidenceDownload {
  entry: EvidenceView;
  body: Readable;
}

const validation = (path: string, message: string): ApiError => new ApiError(400, 'validation', `${path}: ${message}`, [{ path, message }]);

/** A store failure as the HTTP answer it means. */
export function evidenceError(e: unknown): unknown {
  if (e instanceof EvidenceTooLargeError) {
    const message = `the file is larger than the limit of ${formatBytes(e.limitBytes)} (${e.limitBytes} bytes) for one evidence file; nothing was stored`;
    return new ApiError(413, 'payload-too-large', message, [{ path: 'body', message }]);
  }
  if (e instanceof EvidenceInputError) {
    return e.path === 'mediaType'
      ? new ApiError(415, 'unsupported-media-type', e.message, [{ path: 'mediaType', message: e.message }])
      : new ApiError(400, 'validation', e.message, [{ path: e.path, message: e.message }]);
  }
  if (e instanceof EvidenceNotFoundError) return new ApiError(410, 'gone', 'this evidence file was deleted from the store (its retention period ended); its digest stays in the review');
  return e;
}

export class EvidenceService {
  constructor(
    private readonly service: ReviewService,
    private readonly reviews: ReviewClient,
    private readonly store: () => { store: EvidenceStore; config: EvidenceConfig },
    /** The uploads' own budget (upload-limit.ts); none for the operator's CLI, which holds the Temporal connection itself. */
    private readonly limiter: UploadLimiter | null = null,
    /** The store's configuration alone (no key ring, no directory made): what a page needs to show the bounds. */
    private readonly config: () => EvidenceConfig = () => this.store().config,
  ) {}

  /** The store's bounds, without opening the store. */
  bounds(): { maxBytes: number; mediaTypes: readonly string[] } {
    const config = this.config();
    return { maxBytes: config.maxBytes, mediaTypes: config.mediaTypes };
  }

  async list(p: Principal, reviewId: string): Promise<EvidenceList> {
    const view = await this.service.status(p, reviewId);
    return { reviewId: view.reviewId, evidence: view.evidence ?? [], retention: view.evidenceRetention ?? null, ...this.bounds() };
  }

  private partyOf(p: Principal, asked: string | undefined): string {
    if (p.role === 'reviewer') return asked ?? p.reviewerId ?? '';
    if (p.role === 'lab') return asked ?? 'lab';
    return asked ?? 'clearinghouse';
  }

  async upload(p: Principal, reviewId: string, input: EvidenceUploadInput): Promise<UploadedEvidence> {
    roleAllowed(p, UPDATE_ROLES.attachEvidence, 'upload evidence');
    const party = this.partyOf(p, input.party);
    if (input.visibleTo !== undefined && !(EVIDENCE_AUDIENCES as readonly string[]).includes(input.visibleTo)) {
      throw validation('visibleTo', `must be one of ${EVIDENCE_AUDIENCES.join(', ')}`);
    }
    // Before a byte is stored: in scope (404 otherwise), acting as itself (403), and the review would take it.
    const current = await this.service.rawStatus(p, reviewId);
    const scopeError = argumentScope(p, 'attachEvidence', { party });
    if (scopeError) throw scopeError;
    if (!['awaiting-access', 'in-review', 'paused'].includes(current.phase)) {
      throw new ApiError(409, 'conflict', `cannot attach evidence: review ${reviewId} is ${current.phase}; allowed only before close`);
    }
    const list = current.evidence ?? [];
    if (list.length >= EVIDENCE_LIMITS.perReview) throw new ApiError(409, 'conflict', `a review records at most ${EVIDENCE_LIMITS.perReview} evidence files; this one has ${list.length}`);
    const own = list.filter((e) => e.party === party).length;
    if (own >= EVIDENCE_LIMITS.perParty) throw new ApiError(409, 'conflict', `"${party}" has attached ${own} evidence files, the most one party may (${EVIDENCE_LIMITS.perParty})`);
    const { store, config } = this.store();
    if (input.declaredBytes !== undefined && input.declaredBytes > config.maxBytes) {
      input.body.resume(); // let the client finish sending, so it reads the answer rather than a reset
      throw evidenceError(new EvidenceTooLargeError(config.maxBytes));
    }

    let ref: EvidenceRef;
    try {
      const slot = this.limiter?.acquire(p.tokenHash, reviewId, input.declaredBytes ?? 0);
      ref = await store.put({ reviewId, name: input.name, mediaType: input.mediaType, body: slot ? counted(input.body, slot) : input.body });
    } catch (e) {
      if (!input.body.destroyed) input.body.resume(); // let the client finish sending, so it reads the answer
      throw evidenceError(e);
    }
    const arg = {
      evidence: ref, party, by: p.name,
      ...(input.visibleTo !== undefined ? { visibleTo: input.visibleTo as EvidenceAudience } : {}), ...(input.track ? { track: input.track } : {}),
    };
    try {
      const { status } = await this.reviews.updateThenStatus('attachEvidence', reviewId, arg);
      const entry = (status.evidence ?? []).find((e) => e.digest === ref.digest && e.party === party);
      return {
        evidence: { digest: ref.digest, size: ref.size, mediaType: ref.mediaType, name: ref.name, party, visibleTo: entry?.visibleTo ?? 'clearinghouse' },
        status: viewFor(p, status),
      };
    } catch (e) {
      // Refused after all (a race with close, or a rule only the review knows): keep nothing no entry uses.
      const after = await this.reviews.status(reviewId).catch(() => null);
      if (after && !(after.evidence ?? []).some((x) => x.ref === ref.ref)) await store.delete(ref).catch(() => undefined);
      throw e;
    }
  }

  /** The file with this digest, if the principal may see it (404 otherwise, as for a file that was never there). */
  async download(p: Principal, reviewId: string, digest: string): Promise<EvidenceDownload> {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw validation('digest', 'must be sha256:<64 lowercase hex>');
    const raw = await this.service.rawStatus(p, reviewId);
    const view = viewFor(p, raw);
    const seen = (view.evidence ?? []).find((e) => e.digest === digest);
    // The ref is the clearinghouse's field: take it from the unfiltered status, for a file the viewer may see.
    const entry = seen ? (raw.evidence ?? []).find((e) => e.digest === digest && e.party === seen.party) : undefined;
    if (!seen || !entry) throw new ApiError(404, 'not-found', `no evidence ${digest.slice(0, 19)}… in review ${reviewId}`);
    if (entry.deletedAt !== null) throw evidenceError(new EvidenceNotFoundError(entry.ref));
    try {
      return { entry: seen, body: await this.store().store.get(entry) };
    } catch (e) {
      if (e instanceof EvidenceIntegrityError) throw new ApiError(500, 'internal', e.message);
      throw evidenceError(e);
    }
  }
}

/** The body, counted against the upload budget as it arrives: the slot's refusal fails the stream (nothing is kept). */
function counted(body: Readable, slot: UploadSlot): Readable {
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        slot.add(chunk.length);
      } catch (e) {
        return done(e as Error);
      }
      done(null, chunk);
    },
  });
  body.on('error', (e) => meter.destroy(e));
  // The body flows into the meter before the store's pipeline takes it (the store opens its file first): a refusal
  // then is kept as the meter's error, which that pipeline reports, rather than thrown unhandled.
  meter.on('error', () => undefined);
  return body.pipe(meter);
}

/** `attachment; filename="ascii"; filename*=UTF-8''…` — the name as uploaded, never interpreted by the browser as a path or markup. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
