/**
 * Just before a notice goes out, the activity asks the review whether the notice's reason still holds.
 *
 * Why a query rather than the workflow cancelling the notice: a notice can wait hours in retries through a
 * mail outage, and an attempt already talking SMTP cannot be recalled; asking at the last moment is the only
 * check that sees the state the mail will arrive into. A cancel from the workflow would add a command per
 * lapsed notice to the history and still leave the in-flight attempt. The query reads; it changes nothing.
 * It is addressed by workflow id, not run id: after continue-as-new the current run holds the state.
 * A batch's quick local attempt (patch local-notices) runs inside the workflow task, which could not answer the query:
 * there the workflow checks the reasons itself before the attempt (workflows/notice-dispatch.ts deliver()).
 */
import { activityInfo, cancelled, CancelledFailure, getClient, log } from '@temporalio/activity';
import { noticeCheckQuery } from '../workflows/messages';

/** The review's first run id scopes ledger entries (payload field; older payloads fall back to the run id). */
export function runKeyOf(n: { runKey?: string }): string {
  return n.runKey ?? activityInfo().workflowExecution?.runId ?? '';
}

/**
 * Null when the notice should go; otherwise why it should not. Fails open: when the review cannot answer
 * in time (no workflow worker, a standalone activity) the notice is sent — a late notice beats a lost one.
 */
export async function lapsedReason(noticeId: string, timeoutMs: number): Promise<string | null> {
  const wf = activityInfo().workflowExecution;
  if (!wf) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const handle = getClient().workflow.getHandle(wf.workflowId);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // Also give up when the activity is cancelled (the worker shutting down stops answering queries too).
    const answer = await Promise.race([handle.query(noticeCheckQuery, noticeId), timeout, cancelled()]);
    return answer.send ? null : (answer.reason ?? 'its reason no longer holds');
  } catch (e) {
    if (e instanceof CancelledFailure) throw e;
    log.warn('could not ask the review whether a notice is still due; sending it', { notice: noticeId, error: e instanceof Error ? e.message : String(e) });
    return null;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
