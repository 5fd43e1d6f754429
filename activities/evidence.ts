/**
 * The evidence store's side of data handling: when a review's retention ends, its files are deleted from the store
 * (the review keeps their digests). Idempotent: a file already gone counts as missing, so a retried or repeated
 * deletion (after a continue-as-new) changes nothing.
 */
import { log } from '@temporalio/activity';
import { loadKeyRing } from '../shared/encryption';
import { createEvidenceStore, loadEvidenceConfig } from '../shared/evidence';
import type { EvidenceRef, EvidenceStore } from '../shared/evidence';

export interface DeleteEvidenceInput {
  reviewId: string;
  refs: EvidenceRef[];
}

export interface DeleteEvidenceResult {
  deleted: number;
  missing: number;
}

/** Deleting needs no key: without a key ring the store is opened with an empty one (it never decrypts here). */
export function deletingStoreFromEnv(env: NodeJS.ProcessEnv = process.env): EvidenceStore {
  return createEvidenceStore(loadEvidenceConfig(env), loadKeyRing(env) ?? { activeKeyId: 'none', keys: new Map() });
}

export function createDeleteEvidence(store: () => EvidenceStore) {
  return async function deleteEvidence(input: DeleteEvidenceInput): Promise<DeleteEvidenceResult> {
    let deleted = 0;
    let missing = 0;
    for (const ref of input.refs) {
      if (await store().delete(ref)) deleted++;
      else missing++;
    }
    log.info('evidence deleted at the end of its retention', { reviewId: input.reviewId, deleted, missing });
    return { deleted, missing };
  };
}
