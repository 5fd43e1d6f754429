/**
 * sendNotices: the notices one workflow task created (reviews started with patch review-core-v3), each sent
 * exactly as sendNotice sends it — its own ledger entry, "still due?" check, Message-ID, alerts and webhook
 * copy — side by side over the SMTP pool, in one activity: a closure's five notices cost the history one
 * activity instead of five, and the review one workflow task to record them instead of up to five.
 *
 * A permanent rejection is that notice's outcome. Temporary trouble with any notice fails the whole batch once
 * every notice has settled; Temporal retries it, and the ledger answers for the notices that already went out,
 * so none goes twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { expandBatch } from '../workflows/notice-batch';
import type { NoticeBatch, NoticeOutcome, NoticePayload, NoticeResult } from '../workflows/types';
import { messageIdFor } from './message-id';
import { PERMANENT_REJECTION } from './send-notice';

/** What the workflow records of a sent notice (webhookTargets and the accepted list stay out of the history). */
function sent(r: NoticeResult, id: string, compact: boolean): Extract<NoticeOutcome, { sent: unknown }>['sent'] {
  return {
    // ~90 bytes a notice: a compact-history review derives the default Message-ID from the notice id itself.
    ...(compact && r.messageId === messageIdFor(id) ? {} : { messageId: r.messageId }),
    ...(r.rejected.length ? { rejected: r.rejected, response: r.response } : {}),
    ...(r.rejectedResponse !== undefined ? { rejectedResponse: r.rejectedResponse } : {}),
    ...(r.suppressed !== undefined ? { suppressed: r.suppressed } : {}),
    ...(r.webhook ? { webhook: r.webhook } : {}),
  };
}

function refusal(e: unknown): Extract<NoticeOutcome, { refused: unknown }>['refused'] | null {
  if (!(e instanceof ApplicationFailure) || e.type !== PERMANENT_REJECTION) return null;
  const d = (e.details?.[0] ?? {}) as { rejected?: string[]; response?: string };
  return { message: e.message, rejected: d.rejected ?? [], response: d.response ?? e.message };
}

export function createSendNotices(sendOne: (n: NoticePayload) => Promise<NoticeResult>) {
  return async (batch: NoticeBatch): Promise<NoticeOutcome[]> => {
    const payloads = expandBatch(batch);
    const settled = await Promise.allSettled(payloads.map(sendOne));
    const outcomes: NoticeOutcome[] = [];
    let temporary: unknown;
    for (const [i, r] of settled.entries()) {
      if (r.status === 'fulfilled') {
        outcomes.push({ sent: sent(r.value, payloads[i].id, batch.compact === true) });
        continue;
      }
      const refused = refusal(r.reason);
      if (refused) outcomes.push({ refused });
      else temporary ??= r.reason;
    }
    if (temporary !== undefined) throw temporary;
    return outcomes;
  };
}
