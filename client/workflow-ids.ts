/**
 * Which workflow id a review has. By default the contract's `review-<reviewId>`: readable, and the review id
 * (which often names lab and model) is then in plain text in every list, history and log of the Temporal server.
 *
 * With OPAQUE_WORKFLOW_IDS=1 and payload encryption (FRONTIER_REVIEW_KEYS), a new review's workflow id is
 * `review-opaque-<32 hex>`: an HMAC-SHA256 of the review id under a key derived with HKDF from the active AES
 * key (one key for one purpose, as the lab pseudonym's in lab-search.ts). Anyone with the key ring still finds a
 * review by its id without listing anything; the server sees no review id, which then lives only in encrypted
 * payloads (the request, the status, the memo `reviewId` that lists read).
 *
 * A review keeps the id it was started with. So lookups try, in order: the id under the active key, under each
 * older key of the ring (reviews started before a rotation), and the plain id (reviews started before the option
 * was turned on) — `candidates()`. A start refuses a review id that exists under any of them.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { KeyRing } from '../shared/encryption';
import { workflowIdFor } from '../workflows/messages';

const HKDF_SALT = Buffer.from('frontier-review', 'utf8');
const HKDF_INFO = Buffer.from('frontier-review workflow id', 'utf8');
export const OPAQUE_PREFIX = 'review-opaque-';

/** The workflow-id key of one AES key. */
export const workflowIdKey = (key: Buffer): Buffer => Buffer.from(hkdfSync('sha256', key, HKDF_SALT, HKDF_INFO, 32));

export const opaqueWorkflowId = (reviewId: string, key: Buffer): string =>
  `${OPAQUE_PREFIX}${createHmac('sha256', workflowIdKey(key)).update(`WorkflowId\0${reviewId}`, 'utf8').digest('hex').slice(0, 32)}`;

/** OPAQUE_WORKFLOW_IDS: "1" on, "0" or unset off; on without a key ring is an error (the id would be the only secret). */
export function opaqueIdsFromEnv(env: Record<string, string | undefined>, ring: KeyRing | null): boolean {
  const raw = env.OPAQUE_WORKFLOW_IDS?.trim();
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw !== '1') throw new Error(`OPAQUE_WORKFLOW_IDS: "${raw.slice(0, 20)}" must be 1 or 0`);
  if (!ring) throw new Error('OPAQUE_WORKFLOW_IDS=1 needs payload encryption (FRONTIER_REVIEW_KEYS or FRONTIER_REVIEW_KEY_FILE): without it the review id is in the clear in every payload anyway');
  return true;
}

export class WorkflowIds {
  constructor(private readonly ring: KeyRing | null, readonly opaque: boolean) {
    if (opaque && !ring) throw new Error('opaque workflow ids need a key ring');
  }

  /** The id a review started now gets. */
  idFor(reviewId: string): string {
    if (!this.opaque || !this.ring) return workflowIdFor(reviewId);
    return opaqueWorkflowId(reviewId, this.ring.keys.get(this.ring.activeKeyId) as Buffer);
  }

  /** Every id a review of this id may have, the likeliest first (see the header). */
  candidates(reviewId: string): string[] {
    if (!this.opaque || !this.ring) return [workflowIdFor(reviewId)];
    const ring = this.ring;
    const keys = [ring.activeKeyId, ...[...ring.keys.keys()].filter((k) => k !== ring.activeKeyId)];
    return [...new Set([...keys.map((k) => opaqueWorkflowId(reviewId, ring.keys.get(k) as Buffer)), workflowIdFor(reviewId)])];
  }

  static isOpaque(workflowId: string): boolean {
    return /^review-opaque-[0-9a-f]{32}$/.test(workflowId);
  }

  /** The review id a workflow id shows, when it shows one (plain ids); null for opaque ones. */
  static reviewIdOf(workflowId: string): string | null {
    const prefix = workflowIdFor('');
    if (WorkflowIds.isOpaque(workflowId)) return null;
    return workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : null;
  }
}
