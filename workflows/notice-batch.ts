/**
 * Batches of notices (patch review-core-v3): the notices one workflow task creates go out in one sendNotices
 * activity, their review fields and the task's moment written once. activities/send-notices.ts expands them back.
 */
import type { NoticeBatch, NoticePayload, NoticeShared } from './types';

/** At most this many notices per sendNotices activity: a 50-track grant of access stays a few bounded activities. */
export const BATCH_SIZE = 10;

/** A payload's review fields and moment, sent once per batch, and the notice's own. */
export function splitNotice(p: NoticePayload): { shared: NoticeShared; notice: NoticeBatch['notices'][number] } {
  const { reviewId, model, labName, reviewTimeZone, runKey, webhooks, inline, facts: { now, ...facts }, ...notice } = p;
  const shared: NoticeShared = {
    reviewId, model, labName, reviewTimeZone, ...(runKey !== undefined ? { runKey } : {}), ...(webhooks ? { webhooks } : {}), ...(inline ? { inline } : {}),
    ...(now !== undefined ? { now } : {}),
  };
  return { shared, notice: { ...notice, facts } };
}

/** The notices as they go back to sendNotice: each with the shared fields and its moment. */
export function expandBatch({ shared: { now, ...shared }, notices }: NoticeBatch): NoticePayload[] {
  return notices.map((n) => ({ ...n, ...shared, facts: { ...n.facts, ...(now !== undefined ? { now } : {}) } }));
}

/**
 * Batches of at most BATCH_SIZE notices sharing the same review fields and moment (notices carried over from a
 * previous run may have another), in the order given, with the ids of their notices.
 */
export function batchesOf(payloads: NoticePayload[]): { batch: NoticeBatch; ids: string[] }[] {
  const groups = new Map<string, { shared: NoticeShared; items: NoticePayload[] }>();
  for (const p of payloads) {
    const { shared } = splitNotice(p);
    const key = JSON.stringify(shared);
    const g = groups.get(key) ?? { shared, items: [] };
    g.items.push(p);
    groups.set(key, g);
  }
  const out: { batch: NoticeBatch; ids: string[] }[] = [];
  for (const { shared, items } of groups.values()) {
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      const chunk = items.slice(i, i + BATCH_SIZE);
      out.push({ batch: { shared, notices: chunk.map((p) => splitNotice(p).notice) }, ids: chunk.map((p) => p.id) });
    }
  }
  return out;
}
