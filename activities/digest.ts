/**
 * The weekly digest's side effects: listing the open reviews (visibility query on the search attributes,
 * then each review's `status`) and e-mailing one digest per program manager, once (ledger).
 */
import { getClient, heartbeat, log } from '@temporalio/activity';
import type { DigestDeadline, DigestMail, DigestReview } from '../workflows/digest-types';
import { statusQuery, WORKFLOW_TYPE } from '../workflows/messages';
import type { NoticeResult, ReviewStatus } from '../workflows/types';
import type { ActivityContext } from './context';
import { sentInfo } from './context';
import { renderDigest } from './digest-template';
import { messageIdFor } from './message-id';

/** Running reviews that are not yet closed, found through the ReviewPhase search attribute. */
export const OPEN_REVIEWS_QUERY =
  `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ReviewPhase IN ('awaiting-access', 'in-review', 'paused', 'disposal')`;

/** Every deadline still ahead of a review, as its status shows them. */
export function deadlinesOf(s: ReviewStatus): DigestDeadline[] {
  const out: DigestDeadline[] = [];
  if (s.phase === 'awaiting-access' && s.clock.accessDeadlineAt) out.push({ label: 'access deadline (the review lapses without access)', at: s.clock.accessDeadlineAt });
  if (s.phase === 'in-review' || s.phase === 'paused') {
    for (const e of s.evaluations) {
      if ((e.status === 'pending' || e.status === 'overdue') && e.dueAt) out.push({ label: `${e.track} evaluation due (${e.reviewerName})${e.status === 'overdue' ? ' — overdue' : ''}`, at: e.dueAt });
    }
    if (s.clock.windowEndsAt) out.push({ label: `window ends${s.phase === 'paused' ? ' (clock paused: moves later)' : ''}`, at: s.clock.windowEndsAt });
  }
  if (s.phase === 'disposal' && s.disposalDueAt) {
    const missing = s.disposal.filter((d) => d.confirmedAt === null).map((d) => d.party);
    if (missing.length) out.push({ label: `disposal confirmations due (${missing.join(', ')})`, at: s.disposalDueAt });
  }
  return out;
}

export function createDigestActivities(ctx: ActivityContext) {
  return {
    async listOpenReviews(): Promise<DigestReview[]> {
      const client = getClient();
      const out: DigestReview[] = [];
      for await (const wf of client.workflow.list({ query: OPEN_REVIEWS_QUERY })) {
        heartbeat(out.length);
        try {
          const s = await client.workflow.getHandle(wf.workflowId, wf.runId).query(statusQuery);
          if (s.phase === 'closed') continue;
          out.push({ reviewId: s.reviewId, model: s.model, labName: s.lab.name, phase: s.phase, programManager: s.programManager, deadlines: deadlinesOf(s) });
        } catch (e) {
          log.warn('could not read a review for the digest; skipped', { workflowId: wf.workflowId, error: e instanceof Error ? e.message : String(e) });
        }
      }
      return out;
    },

    async sendDigest(d: DigestMail): Promise<NoticeResult> {
      const ledger = ctx.ledger();
      const messageId = messageIdFor(d.id, ctx.o.domain);
      const known = await ledger.lookup(d.id, '');
      if (known) return { messageId, accepted: known.accepted, rejected: known.rejected, response: known.response };
      const { subject, text, html } = renderDigest(d);
      const info = sentInfo(await ctx.transport().sendMail({
        from: ctx.o.mailFrom, to: { name: d.to.name, address: d.to.email }, subject, text, html, messageId, headers: { 'X-Frontier-Review-Digest': d.id },
      }));
      const result = { messageId, accepted: info.accepted, rejected: info.rejected, response: info.response };
      await ledger.record({ noticeId: d.id, runKey: '', state: 'sent', ...result, recordedAt: new Date().toISOString() });
      return result;
    },
  };
}
