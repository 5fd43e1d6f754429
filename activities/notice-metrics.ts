/**
 * The worker's own metrics about notices, through the SDK's metric meter (activity context): exported with the
 * SDK's metrics wherever the worker's runtime sends them (Prometheus with WORKER_METRICS_ADDRESS, see
 * worker/telemetry.ts), tagged by the SDK with namespace, task queue and activity type, and here with the kind.
 * Without an activity context (a direct call in a unit test) nothing is counted.
 */
import { activityInfo, metricMeter } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import type { NoticeKind } from '../workflows/types';

function meter(): MetricMeter | undefined {
  try {
    return metricMeter;
  } catch {
    return undefined;
  }
}

type Outcome = 'sent' | 'refused' | 'suppressed' | 'retried';

const DESCRIPTIONS: Record<Outcome, string> = {
  sent: 'Notices accepted by the SMTP server (not counting copies found in the ledger)',
  refused: 'Notices refused for good by the SMTP server (5xx)',
  suppressed: 'Notices not sent because their reason no longer held',
  retried: 'Attempts of a notice that failed for now and will be retried (reason: smtp, claimed)',
};

/** Counts one notice outcome; `reason` tells the retried ones apart. */
export function countNotice(outcome: Outcome, kind: NoticeKind | 'alert' | 'digest', reason?: string): void {
  const m = meter();
  if (!m) return;
  try {
    m.createCounter(`frontier_review_notices_${outcome}`, '', DESCRIPTIONS[outcome]).add(1, { kind, ...(reason ? { reason } : {}) });
  } catch {
    // metrics never fail a notice
  }
}

/** From the first attempt's schedule to the server's 250: how late a notice arrives, outages and retries included. */
export function recordDeliveryDelay(kind: NoticeKind): void {
  const m = meter();
  if (!m) return;
  try {
    const delayMs = Math.max(0, Date.now() - activityInfo().scheduledTimestampMs);
    m.createHistogram('frontier_review_notice_delivery_delay', 'int', 'ms', 'From the notice falling due (its first attempt scheduled) to the SMTP server accepting it')
      .record(delayMs, { kind });
  } catch {
    // metrics never fail a notice
  }
}
