/** Helpers for asserting which notices went to whom and when, in the review's zone. */
import { DateTime } from 'luxon';
import type { NoticeKind, NoticeRecord, ReviewStatus } from '../../workflows/types';
import type { ReviewEnv } from './review-env';

/** Minute-precision wall-clock time of an instant in a zone: what a person would read. */
export function wall(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** `from` + n calendar days in `zone`, at minute precision. */
export function plusDays(iso: string, days: number, zone: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).plus({ days }).toFormat("yyyy-MM-dd'T'HH:mm");
}

export function noticesOf(s: ReviewStatus, kind: NoticeKind): NoticeRecord[] {
  return s.notices.filter((n) => n.kind === kind);
}

/** A compact "kind → audience @ wall time" view of the notices, for whole-run assertions. */
export function noticeLog(s: ReviewStatus): string[] {
  return s.notices.map((n) => `${n.kind} -> ${n.audience} @ ${wall(n.at, s.timeZone)}`);
}

/** Advance the time-skipping server in steps so every timer fires in order. */
export async function advanceDays(t: ReviewEnv, days: number, stepHours = 12): Promise<void> {
  const steps = Math.ceil((days * 24) / stepHours);
  for (let i = 0; i < steps; i++) await t.env.sleep(`${stepHours} hours`);
}

/** Wait until every notice the workflow started has been delivered or failed. */
export async function settled(t: ReviewEnv, reviewId: string, timeoutMs = 20_000): Promise<ReviewStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await t.status(reviewId);
    if (s.notices.every((n) => n.state !== 'sending')) return s;
    if (Date.now() > deadline) throw new Error(`notices still sending: ${s.notices.filter((n) => n.state === 'sending').map((n) => n.id).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `condition` holds; throws naming `what` at the deadline. For waiting on a condition, never on a clock. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Audit entries written when a delivery settles: they arrive in the background, whatever else happens. */
const DELIVERY_EVENTS = new Set(['notice-suppressed', 'notice-failed', 'webhook-failed', 'address-rejected', 'alert-failed']);

/**
 * A status with everything that background delivery may change stripped out (delivery state of each
 * notice, delivery audit entries, bounced addresses), so "nothing changed" can be compared exactly.
 */
export function withoutDelivery(s: ReviewStatus): ReviewStatus {
  return {
    ...s,
    notices: s.notices.map((n) => ({ ...n, state: 'sending', messageId: undefined, error: undefined, rejected: undefined, reason: undefined, webhook: undefined })),
    events: s.events.filter((e) => !DELIVERY_EVENTS.has(e.type)),
  };
}
