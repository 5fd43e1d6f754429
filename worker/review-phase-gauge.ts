/**
 * Gauge `frontier_review_reviews{phase}`: running reviews by phase, counted through the visibility store (the
 * ReviewPhase search attribute) every interval. The workflow is not asked: a count works whatever the number of
 * reviews, and the workflow code stays untouched. Each worker reports it; alert on one series (max by phase).
 */
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';

export const PHASES = ['awaiting-access', 'in-review', 'paused', 'disposal'] as const;

/** Counts once and sets the gauge; returns the counts (tests). A failed count leaves the last value. */
export async function countReviewsByPhase(client: Client, set: (phase: string, n: number) => void): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const phase of PHASES) {
    const { count } = await client.workflow.count(`WorkflowType = 'reviewWorkflow' AND ExecutionStatus = 'Running' AND ReviewPhase = '${phase}'`);
    out[phase] = count;
    set(phase, count);
  }
  return out;
}

/** Starts the periodic count; the returned function stops it. */
export function startReviewPhaseGauge(client: Client, intervalMs = 60_000): () => void {
  const gauge = Runtime.instance().metricMeter.createGauge('frontier_review_reviews', 'int', '', 'Running reviews by phase (visibility count)');
  const set = (phase: string, n: number): void => gauge.set(n, { phase });
  let stopped = false;
  const tick = (): void => {
    countReviewsByPhase(client, set).catch((e: unknown) => {
      if (!stopped) console.warn(`worker: could not count reviews by phase for the metrics: ${e instanceof Error ? e.message : String(e)}`);
    });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
