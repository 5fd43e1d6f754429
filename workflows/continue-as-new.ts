/**
 * The history budget. Temporal warns at 10 MB and terminates a workflow at 50 MB or 51,200 events; a review
 * lives 30 days and more, so past its budget it continues as new: same workflow id, the whole state carried
 * (status, notices, audit trail, calendar sequences; the ledger's run key is the chain's first run id, which
 * continue-as-new keeps), and the notices still sending are sent again by the next run — the ledger keeps a
 * notice that did go out from going twice.
 */
import { HISTORY_BUDGET } from './limits';
import type { NoticeReason } from './notice-reasons';
import type { ReviewState } from './review-state';
import type { NoticePayload, ReviewRequest } from './types';

/** What the next run starts from (the workflow's optional second argument). */
export interface CarriedState {
  state: ReviewState;
  handled: string[];
  reasons: [string, NoticeReason][];
  pending: NoticePayload[];
  /**
   * `batches` is absent in state carried by code before review-core-v3, `card` before review-card, `compact` before
   * compact-history, `localReceipt` before local-receipt, `localNotices` before local-notices.
   */
  flags: { v2: boolean; inline: boolean; batches?: boolean; card?: boolean; record?: boolean; compact?: boolean; localReceipt?: boolean; localNotices?: boolean };
}

export interface HistoryInfo {
  historyLength: number;
  historySize: number;
  continueAsNewSuggested: boolean;
}

export const budgetOf = (request: ReviewRequest): { events: number; bytes: number } => ({
  events: request.historyBudget?.events ?? HISTORY_BUDGET.events,
  bytes: HISTORY_BUDGET.bytes,
});

/**
 * 'quiet': continue as new once no notice is in flight (nothing to send again); 'now': twice over budget,
 * continue even with notices in flight. Measured from the run's first task, so a large carried state does
 * not make every new run continue at once.
 */
export function budgetState(info: HistoryInfo, atStart: HistoryInfo, budget: { events: number; bytes: number }): 'within' | 'quiet' | 'now' {
  const events = info.historyLength - atStart.historyLength;
  const bytes = info.historySize - atStart.historySize;
  if (events >= 2 * budget.events || bytes >= 2 * budget.bytes) return 'now';
  if (events >= budget.events || bytes >= budget.bytes || (info.continueAsNewSuggested && events >= HISTORY_BUDGET.minEvents)) return 'quiet';
  return 'within';
}
