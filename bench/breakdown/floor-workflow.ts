/** Memory breakdown: the engine floor: a workflow that waits for a signal and imports nothing else. */
import { condition, setHandler } from '@temporalio/workflow';
import { doneSignal } from '../noop-messages';

export async function breakdownWorkflow(): Promise<number> {
  let done = false;
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done);
  return 0;
}
