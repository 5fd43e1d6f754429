/**
 * The workflow's side of the closure receipt (patch verifiable-record): once the review has closed, one activity
 * signs the receipt (the key never enters the workflow, and node:crypto is not available here) — a local activity
 * given the audit trail since patch local-receipt, an activity that queries it before — the review keeps
 * the small envelope, and the lab's review-closed mail, held until then, goes out carrying it. Signing is retried
 * for a few minutes and then given up, recorded in the audit trail: a missing key or a broken signer never holds
 * up the closure notices or the disposal that follows.
 */
import { ActivityFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { NoticeDispatch } from './notice-dispatch';
import type { ClosureFacts } from './record-types';
import type { ReviewState } from './review-state';
import { currentWindowEnd } from './review-state';
import { toIso } from './timeline';
import { audit } from './transitions';
import type { ReviewContext } from './transitions';

type Activities = ReturnType<typeof createActivities>;

const { signClosureReceipt } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});
// local-receipt: given the trail, signing is a few milliseconds of computation with nothing to wait for, so it runs
// in the workflow task that closes the review — one marker in the history instead of an activity's three events and
// the workflow task its completion wakes. Few, quick retries: the task stays open while they run.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

export function closureFacts(s: ReviewState, now: number): ClosureFacts {
  const z = s.request.timeZone;
  const p = s.package;
  const end = currentWindowEnd(s, now);
  return {
    reviewId: s.request.reviewId,
    model: {
      name: s.request.model.name, version: s.request.model.version, identifier: p?.modelIdentifier ?? `${s.request.model.name} ${s.request.model.version}`,
      ...(p?.artifactDigest ? { digest: p.artifactDigest } : {}), ...(p?.apiVersion ? { apiVersion: p.apiVersion } : {}),
    },
    lab: { ...(s.request.lab.id !== undefined ? { id: s.request.lab.id } : {}), name: s.request.lab.name },
    clockStartedAt: s.accessGrantedAt === null ? null : toIso(s.accessGrantedAt, z),
    windowEndsAt: end === null ? null : toIso(end, z),
    closedAt: toIso(s.closedAt as number, z),
    outcome: s.outcome as ClosureFacts['outcome'],
    eventCount: s.events.length,
  };
}

const causeOf = (err: unknown): string => (err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err));

/**
 * After close, once: sign the receipt (or record why not), then release the notices held for it. A worker without a
 * signing key answers so: the status says why, and the audit trail stays as it was without receipts. A key that
 * failed to sign is recorded in the audit trail.
 */
export async function ensureReceipt(c: ReviewContext, dispatch: NoticeDispatch, localSigning: boolean): Promise<void> {
  const { s } = c;
  if (s.closedAt === null || s.receipt !== undefined) return;
  const facts = closureFacts(s, c.now());
  s.receipt = { error: 'signing' }; // claimed: a second caller while the activity runs does nothing
  try {
    const signed = localSigning ? await dispatch.runLocal(() => local.signClosureReceipt(facts, s.events.slice(0, facts.eventCount))) : await signClosureReceipt(facts);
    if ('unsigned' in signed) s.receipt = { error: signed.unsigned };
    else {
      s.receipt = { envelope: signed.envelope, keyid: signed.keyid, head: signed.head, eventCount: facts.eventCount };
      audit(c, 'receipt-signed', 'system', `closure receipt signed with key ${signed.keyid}; audit chain head ${signed.head} after ${facts.eventCount} events`);
    }
  } catch (err) {
    const cause = causeOf(err);
    s.receipt = { error: cause };
    audit(c, 'receipt-not-signed', 'system', `the closure receipt could not be signed: ${cause}`);
  }
  dispatch.releaseHeld(s.receipt);
  dispatch.flush();
}
