/**
 * The engine's floor for the benchmark: workflows that do as little as Temporal allows. Bundled on its own
 * (bench/run.ts bundles this file separately from workflows/), so nothing of the review is loaded with it.
 */
import { condition, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { NoopActivities } from './noop-activities';
import { doneSignal, pingMailUpdate, pingUpdate } from './noop-messages';

const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '1 minute' });
const { mailOne } = proxyActivities<NoopActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/** Start-throughput floor: one no-op activity, then complete. */
export async function noopWorkflow(): Promise<void> {
  await noop();
}

/** Storm floor: waits until `at` (epoch ms), then one pooled mail: a timer firing and one activity, nothing else. */
export async function noopTimerMailWorkflow(o: { at: number; to: string }): Promise<void> {
  await sleep(Math.max(1, o.at - Date.now()));
  await mailOne({ subject: 'due', to: o.to, pooled: true });
}

/** Update floor: answers pings until told to stop. */
export async function noopUpdateWorkflow(): Promise<void> {
  let done = false;
  const pending: Promise<unknown>[] = [];
  setHandler(pingUpdate, (n) => n);
  setHandler(pingMailUpdate, ({ seq, to, pooled }) => {
    pending.push(mailOne({ subject: `ping ${seq}`, to, pooled }));
    return seq;
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done);
  await Promise.allSettled(pending);
}
