/** Memory breakdown: the engine floor plus the review's date module (workflows/timeline.ts, luxon) and nothing else. */
import { condition, setHandler } from '@temporalio/workflow';
import * as timeline from '../../workflows/timeline';
import { doneSignal } from '../noop-messages';

export async function breakdownWorkflow(): Promise<number> {
  let done = false;
  setHandler(doneSignal, () => {
    done = true;
  });
  const loaded = Object.keys(timeline).length; // the module (and luxon) is evaluated for this workflow
  await condition(() => done);
  return loaded;
}
