/**
 * Recording of workflow histories for the replay suite. Off by default; `npm run record-histories`
 * turns it on to re-record every lifecycle path on purpose (after an intended, patched() change).
 *
 * Histories of earlier code generations are kept, never overwritten: reviews recorded by them may still be
 * running. Recording writes `<path>@<HISTORY_GENERATION>.json`; bump the generation with each new patch id
 * (files without a suffix are the generations before `delivery-in-activity`).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
/** The newest patch id of the workflow code (workflows/review-workflow.ts). */
export const HISTORY_GENERATION = 'local-notices';

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES_DIR, `${name}@${HISTORY_GENERATION}.json`), historyToJSON(history));
}
