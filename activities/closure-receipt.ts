/**
 * signClosureReceipt: at close, the review's receipt is signed here, where the key is (the workflow never sees
 * it). The audit trail does not travel through the history a second time: reviews since patch local-receipt hand
 * it to a local activity (whose input the history does not keep); older ones have it read with the `status` query —
 * the events up to the count the workflow gives, which the workflow never rewrites. The chain head over them goes
 * into the signed statement. A missing or unusable key is a permanent failure (the workflow records
 * it and sends the closure mail without a receipt); a failed query is retried.
 */
import { activityInfo, ApplicationFailure, getClient } from '@temporalio/activity';
import { chainHead } from '../shared/record/audit-chain';
import { KeyConfigError, loadSigningKey, signingKeyFromPem } from '../shared/record/keys';
import type { SigningKey } from '../shared/record/keys';
import { buildStatement, signReceipt } from '../shared/record/receipt';
import { statusQuery } from '../workflows/messages';
import type { ClosureFacts, ReceiptEnvelope } from '../workflows/record-types';
import type { AuditEvent } from '../workflows/types';

export const NO_SIGNING_KEY = 'NoReceiptSigningKey';

export interface ReceiptOptions {
  /** PEM (PKCS#8) of the Ed25519 signing key. Default: $RECEIPT_SIGNING_KEY, else the file $RECEIPT_SIGNING_KEY_FILE; none: receipts are not signed. */
  signingKeyPem?: string;
  /** Who signs, as the statement names it. Default: $RECEIPT_ISSUER, else "frontier-review clearinghouse". */
  issuer?: string;
}

export type SignedReceipt = { envelope: ReceiptEnvelope; keyid: string; head: string } | { unsigned: string };

async function queriedTrail(): Promise<readonly AuditEvent[]> {
  const workflowId = activityInfo().workflowExecution?.workflowId;
  if (!workflowId) throw ApplicationFailure.create({ message: 'not run by a review workflow', nonRetryable: true });
  return (await getClient().workflow.getHandle(workflowId).query(statusQuery)).events;
}

export function createSignClosureReceipt(options: ReceiptOptions = {}, env: Record<string, string | undefined> = process.env) {
  let key: SigningKey | null | undefined;
  const issuer = options.issuer ?? env.RECEIPT_ISSUER ?? 'frontier-review clearinghouse';
  const signingKey = (): SigningKey | null => {
    try {
      return (key ??= options.signingKeyPem ? signingKeyFromPem(options.signingKeyPem) : loadSigningKey(env));
    } catch (e) {
      if (e instanceof KeyConfigError) throw ApplicationFailure.create({ type: NO_SIGNING_KEY, message: e.message, nonRetryable: true });
      throw e;
    }
  };
  /**
   * `events`: the audit trail up to close, given by reviews started with patch local-receipt, which run this as a
   * local activity (its input is not written to the history, and the workflow task it runs in cannot answer a query).
   * Older reviews give only the facts, and the trail is read with the status query.
   */
  return async (facts: ClosureFacts, events?: readonly AuditEvent[]): Promise<SignedReceipt> => {
    const k = signingKey();
    // Not configured is a deployment's choice, not a failure: answered, not thrown (no failed activity, no retries).
    if (!k) return { unsigned: 'no receipt signing key is configured on the worker (RECEIPT_SIGNING_KEY_FILE or RECEIPT_SIGNING_KEY)' };
    const trail = events ?? (await queriedTrail());
    if (trail.length < facts.eventCount) throw new Error(`the review reports ${trail.length} audit events, fewer than the ${facts.eventCount} at close`);
    const head = chainHead(facts.reviewId, trail as unknown as Record<string, unknown>[], facts.eventCount);
    const envelope = signReceipt(buildStatement(facts, head, issuer, new Date().toISOString()), k);
    return { envelope, keyid: k.keyid, head };
  };
}
