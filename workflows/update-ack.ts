/** The small acknowledgement an accepted update answers with (see UpdateAck in types.ts). */
import { currentWindowEnd } from './review-state';
import type { ReviewState } from './review-state';
import { toIso } from './timeline';
import type { UpdateAck, UpdateName } from './types';

const DETAIL_CHARS = 300;

/** `eventsBefore`: the audit trail's length before the update ran; what it added is the update's detail. */
export function buildAck(s: ReviewState, update: UpdateName, now: number, eventsBefore: number, remaining?: number): UpdateAck {
  const end = currentWindowEnd(s, now);
  const detail = s.events.slice(eventsBefore).map((e) => `${e.type}: ${e.detail}`).join('; ');
  return {
    reviewId: s.request.reviewId,
    update,
    phase: s.phase,
    outcome: s.outcome,
    windowEndsAt: end === null ? null : toIso(end, s.request.timeZone),
    detail: detail.length > DETAIL_CHARS ? `${detail.slice(0, DETAIL_CHARS - 1)}…` : detail,
    ...(remaining !== undefined ? { remaining } : {}),
  };
}
