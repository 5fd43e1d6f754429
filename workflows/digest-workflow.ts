/**
 * digestWorkflow: the weekly digest. A Temporal Schedule starts it every Monday 08:00 in the program
 * office's zone (client/digest-schedule.ts); it lists the open reviews (a visibility query on the
 * search attributes, in an activity), groups them by program manager and e-mails each PM theirs with what
 * falls due in the coming week.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { groupDigest } from './digest';
import { DEFAULT_PROGRAM_OFFICE_ZONE } from './digest-types';
import type { DigestInput, DigestResult } from './digest-types';
import { digestWeek, isValidTimeZone, toIso } from './timeline';

export { DEFAULT_PROGRAM_OFFICE_ZONE };

const { listOpenReviews, sendDigest } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

export async function digestWorkflow(input: DigestInput = {}): Promise<DigestResult> {
  const zone = input.timeZone && isValidTimeZone(input.timeZone) ? input.timeZone : DEFAULT_PROGRAM_OFFICE_ZONE;
  const days = Number.isInteger(input.days) && (input.days as number) > 0 && (input.days as number) <= 31 ? (input.days as number) : 7;
  const week = digestWeek(Date.now(), zone, days);
  const reviews = await listOpenReviews();
  const groups = groupDigest(reviews, week.from, week.to);
  await Promise.all(groups.map((g) => sendDigest({
    id: `digest/${week.key}/${g.pm.email.toLowerCase()}`, to: g.pm, timeZone: zone, from: toIso(week.from, zone), until: toIso(week.to, zone), reviews: g.entries,
  })));
  return { week: week.key, programManagers: groups.length, reviews: reviews.length };
}
