/** Memory breakdown: the engine floor plus the review's input validation (workflows/validation.ts: valibot schemas, timeline, luxon). */
import { condition, setHandler } from '@temporalio/workflow';
import * as validation from '../../workflows/validation';
import { doneSignal } from '../noop-messages';

export async function breakdownWorkflow(): Promise<number> {
  let done = false;
  setHandler(doneSignal, () => {
    done = true;
  });
  const loaded = Object.keys(validation).length; // the module (and valibot) is evaluated for this workflow
  await condition(() => done);
  return loaded;
}
