/** postNoticeWebhooks: the signed JSON copy of one notice, to the global and the review's endpoints. */
import type { NoticePayload, WebhookResult } from '../workflows/types';
import type { ActivityContext } from './context';
import { deliverToWebhooks } from './delivery-alerts';
import { lapsedReason, runKeyOf } from './notice-check';
import { renderChatText, renderNotice } from './templates';
import { targetsFor } from './webhooks';
import { withoutAddresses } from './without-addresses';

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
  /** The review on the dashboard (DASHBOARD_URL), when configured. */
  link?: string;
}

const ASSIGNED = 'the assigned reviewer';

/**
 * The copy of a notice for chat tools and ticketing, which keep what they receive and show it to a channel: no
 * finding's text ever goes there (a critical finding's summary went out in plain text — issue 13, finding 4),
 * only that there is one, and a link to the review for those who may read it. Nor does anything personal: no
 * recipient, no reviewer's name (the track says which evaluation), no free-text reason a person wrote (it may
 * name people), and any address that slipped into a text is masked.
 */
export function noticeWebhookBody(n: NoticePayload, dashboardUrl?: string): NoticeWebhookBody {
  const { summary: _summary, reviewerName, reason, by: _by, ...facts } = n.facts;
  const impersonal: NoticePayload = {
    ...n,
    to: [],
    facts: {
      ...facts,
      ...(reviewerName !== undefined ? { reviewerName: ASSIGNED } : {}),
      ...(reason !== undefined ? { reason: 'reason on the review\'s page' } : {}),
    },
  };
  const link = dashboardUrl ? `${dashboardUrl}/reviews/${encodeURIComponent(n.reviewId)}` : undefined;
  const text = withoutAddresses(renderChatText(impersonal)).replace(new RegExp(`^${ASSIGNED}`, 'gm'), 'The assigned reviewer');
  return {
    type: 'notice', id: n.id, kind: n.kind, audience: n.audience, reviewId: n.reviewId, model: n.model, lab: n.labName,
    subject: withoutAddresses(renderNotice(impersonal).subject), text: link ? `${text}\n${link}` : text, dates: n.dates,
    invites: (n.invites ?? []).map((i) => `${i.method} ${i.key}#${i.sequence}`),
    ...(link ? { link } : {}),
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
    const delivered = await deliverToWebhooks(ctx, `${n.id}#webhook`, runKeyOf(n), targets, noticeWebhookBody(n, ctx.o.webhooks.dashboardUrl));
    return { targets: targets.length, delivered };
  };
}
