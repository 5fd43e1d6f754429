/**
 * Side effects of a review: notices over SMTP (with calendar invites, exactly once through the ledger),
 * their webhook copies, delivery alerts, and the weekly digest. `createActivities` is the contract's
 * factory: `Worker.create({ workflowsPath, activities: createActivities({ smtpUrl, mailFrom }), taskQueue })`.
 */
import { createSignClosureReceipt } from './closure-receipt';
import { createContext } from './context';
import { createSendDeliveryAlert } from './delivery-alerts';
import { createDigestActivities } from './digest';
import { createDeleteEvidence, deletingStoreFromEnv } from './evidence';
import type { EvidenceStore } from '../shared/evidence/types';
import { createPostNoticeWebhooks } from './notice-webhooks';
import type { ActivitiesOptions } from './options';
import { createSendNotice } from './send-notice';
import { createSendNotices } from './send-notices';

export type { ActivitiesOptions } from './options';
export type { ClaimResult, Ledger, LedgerEntry } from './ledger';
export { DEFAULT_LEDGER_PATH, openLedger, SqliteLedger } from './ledger';
// PostgresLedger: import it from './ledger-postgres' (kept out of this module so node-postgres loads only when used).
export { NOTICE_CLAIMED } from './notice-claim';
export { PERMANENT_REJECTION } from './send-notice';
export { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './webhooks';

export function createActivities(options: ActivitiesOptions = {}) {
  const ctx = createContext(options);
  const sendNotice = createSendNotice(ctx);
  let evidenceStore: EvidenceStore | undefined = options.evidenceStore;
  return {
    sendNotice,
    sendNotices: createSendNotices(sendNotice),
    postNoticeWebhooks: createPostNoticeWebhooks(ctx),
    sendDeliveryAlert: createSendDeliveryAlert(ctx),
    signClosureReceipt: createSignClosureReceipt(options.receipts),
    ...createDigestActivities(ctx),
    deleteEvidence: createDeleteEvidence(() => (evidenceStore ??= deletingStoreFromEnv())),
  };
}

export type Activities = ReturnType<typeof createActivities>;
