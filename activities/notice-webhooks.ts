/** postNoticeWebhooks: the signed JSON copy of one notice, to the global and the review's endpoints. */
import type { NoticePayload, WebhookResult } from '../workflows/types';
import type { ActivityContext } from './context';
import { deliverToWebhooks } from './delivery-alerts';
import { lapsedReason, runKeyOf } from './notice-check';
import { renderChatText, renderNotice } from './templates';
import { targetsFor } from './webhooks';

export interface NoticeWebhookBody {
  type: 'notice';
  id: string;
  kind: NoticePayload['kind'];
  audience: NoticePayload['audience'];
  reviewId: string;
  model: NoticePayload['model'];
  lab: string;
  subject: string;
  /** What chat tools display. */
  text: string;
  dates: NoticePayload['dates'];
  invites: string[];
}

export function noticeWebhookBody(n: NoticePayload): NoticeWebhookBody {
  return {
    type: 'notice', id: n.id, kind: n.kind, audience: n.audience, reviewId: n.reviewId, model: n.model, lab: n.labName,
    subject: renderNotice(n).subject, text: renderChatText(n), dates: n.dates,
    invites: (n.invites ?? []).map((i) => `${i.method} ${i.key}#${i.sequence}`),
  };
}

export function createPostNoticeWebhooks(ctx: ActivityContext) {
  return async function postNoticeWebhooks(n: NoticePayload): Promise<WebhookResult> {
    const targets = targetsFor(ctx.o.webhooks, n.webhooks);
    if (targets.length === 0) return { targets: 0, delivered: 0 };
    if (n.checkBeforeSend) {
      const lapsed = await lapsedReason(n.id, ctx.o.checkTimeoutMs);
      if (lapsed !== null) return { targets: targets.length, delivered: 0, suppressed: lapsed };
    }
    const delivered = await deliverToWebhooks(ctx, `${n.id}#webhook`, runKeyOf(n), targets, noticeWebhookBody(n));
    return { targets: targets.length, delivered };
  };
}
