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
 * previous run may have another), in the order given, each with the items its notices came from.
 */
export function batchesOf<T>(items: T[], payloadOf: (item: T) => NoticePayload): { batch: NoticeBatch; items: T[] }[] {
  const groups = new Map<string, { shared: NoticeShared; entries: { item: T; notice: NoticeBatch['notices'][number] }[] }>();
  for (const item of items) {
    const { shared, notice } = splitNotice(payloadOf(item));
    const key = JSON.stringify(shared);
    const g = groups.get(key) ?? { shared, entries: [] };
    g.entries.push({ item, notice });
    groups.set(key, g);
  }
  const out: { batch: NoticeBatch; items: T[] }[] = [];
  for (const { shared, entries } of groups.values()) {
    for (let i = 0; i < entries.length; i += BATCH_SIZE) {
      const chunk = entries.slice(i, i + BATCH_SIZE);
      out.push({ batch: { shared, notices: chunk.map((e) => e.notice) }, items: chunk.map((e) => e.item) });
    }
  }
  return out;
}
