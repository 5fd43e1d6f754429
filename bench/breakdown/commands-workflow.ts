/**
 * Memory breakdown: the engine floor plus the engine work of a review's first workflow task, without the review's
 * code — an input of a review request's size, two local activities (two markers), search attributes upserted twice,
 * a memo of a card's size, a timer. What this costs above the floor is the engine's per-run state for that work.
 */
import { condition, proxyLocalActivities, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { NoopActivities } from '../noop-activities';
import { doneSignal } from '../noop-messages';
import { PHASE_SA, UPDATED_AT_SA } from '../../workflows/search-attributes';

const { noop } = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '5 s' });

export async function breakdownWorkflow(request?: unknown): Promise<number> {
  let done = false;
  setHandler(doneSignal, () => {
    done = true;
  });
  await noop();
  upsertSearchAttributes([{ key: PHASE_SA, value: 'awaiting-access' }]);
  upsertMemo({ card: 'c'.repeat(800) });
  upsertSearchAttributes([{ key: UPDATED_AT_SA, value: new Date() }]);
  await noop();
  await condition(() => done, '30 days');
  return request === undefined ? 0 : 1;
}
