/**
 * A notice's delivery state in words, for the CLI and the dashboard. A notice still "sending" long after it was
 * queued means the mail server keeps failing (the activity retries with backoff for as long as it takes, and the
 * program manager is alerted by webhook after an hour): say so, with how long, instead of a bare "sending".
 */
import type { NoticeRecord } from '../workflows/types';

/** After this long a notice still sending is shown as delayed (the first retries are over by then). */
export const DELAYED_AFTER_MS = 10 * 60 * 1000;

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`;
}

export function describeDelivery(n: NoticeRecord, now: number = Date.now()): string {
  const parts: string[] = [n.state];
  const queued = Date.parse(n.at);
  if (n.state === 'sending' && Number.isFinite(queued) && now - queued >= DELAYED_AFTER_MS) {
    parts[0] = `delayed: not delivered after ${duration(now - queued)}, still retrying`;
  }
  if (n.error) parts.push(`(${n.error})`);
  if (n.reason) parts.push(`(${n.reason})`);
  if (n.webhook?.state === 'failed') parts.push(`[webhook copy failed${n.webhook.error ? `: ${n.webhook.error}` : ''}]`);
  return parts.join(' ');
}
