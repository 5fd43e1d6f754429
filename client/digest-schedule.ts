/**
 * The weekly digest's Temporal Schedule: every Monday 08:00 in the program office's zone, start
 * digestWorkflow. `ensureDigestSchedule` is idempotent — it creates the schedule, or brings an existing one
 * to the wanted spec — so `npm start` or the CLI can call it on every start. Client code: it needs a Client,
 * not a worker.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import { DIGEST_SCHEDULE_ID, DIGEST_WORKFLOW_TYPE, TASK_QUEUE_DEFAULT } from '../workflows/messages';
import { DEFAULT_PROGRAM_OFFICE_ZONE } from '../workflows/digest-types';
import type { DigestInput } from '../workflows/digest-types';
import { isValidTimeZone } from '../workflows/timeline';

export interface DigestScheduleOptions {
  /** Task queue of the review worker (default $TASK_QUEUE, else frontier-review). */
  taskQueue?: string;
  /** The program office's IANA zone (default $PROGRAM_OFFICE_TIME_ZONE, else America/New_York). */
  timeZone?: string;
  scheduleId?: string;
  /** Default 08:00. */
  hour?: number;
  minute?: number;
}

export type EnsureResult = 'created' | 'updated' | 'unchanged';

/** The zone the digest schedule uses unless told otherwise: $PROGRAM_OFFICE_TIME_ZONE, else America/New_York. */
export function programOfficeZone(env: Record<string, string | undefined> = process.env): string {
  return env.PROGRAM_OFFICE_TIME_ZONE ?? DEFAULT_PROGRAM_OFFICE_ZONE;
}

export function digestScheduleOptions(o: DigestScheduleOptions = {}, env: Record<string, string | undefined> = process.env): ScheduleOptions {
  const timeZone = o.timeZone ?? programOfficeZone(env);
  if (!isValidTimeZone(timeZone)) throw new Error(`digest schedule: "${timeZone}" is not an IANA time zone`);
  const spec: ScheduleSpec = { calendars: [{ dayOfWeek: 'MONDAY', hour: o.hour ?? 8, minute: o.minute ?? 0, comment: 'weekly review digest' }], timezone: timeZone };
  const args: [DigestInput] = [{ timeZone }];
  const scheduleId = o.scheduleId ?? DIGEST_SCHEDULE_ID;
  return {
    scheduleId,
    spec,
    action: { type: 'startWorkflow', workflowType: DIGEST_WORKFLOW_TYPE, taskQueue: o.taskQueue ?? env.TASK_QUEUE ?? TASK_QUEUE_DEFAULT, workflowId: `${scheduleId}-run`, args },
    // A digest missed by less than a day (server down on Monday morning) still goes out; never two at once.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/** Creates the digest schedule, or updates it when its spec, zone or task queue differ. Safe to call on every start. */
export async function ensureDigestSchedule(client: Client, o: DigestScheduleOptions = {}): Promise<EnsureResult> {
  const wanted = digestScheduleOptions(o);
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
  }
  const handle = client.schedule.getHandle(wanted.scheduleId);
  const current = await handle.describe();
  const action = current.action;
  const cal = current.spec.calendars?.[0];
  const want = wanted.spec.calendars?.[0];
  const same = current.spec.timezone === wanted.spec.timezone && current.spec.calendars?.length === 1 && cal !== undefined && want !== undefined
    && JSON.stringify(cal.dayOfWeek) === JSON.stringify([{ start: 'MONDAY', end: 'MONDAY', step: 1 }])
    && JSON.stringify(cal.hour) === JSON.stringify([{ start: want.hour, end: want.hour, step: 1 }])
    && JSON.stringify(cal.minute) === JSON.stringify([{ start: want.minute, end: want.minute, step: 1 }])
    && action.type === 'startWorkflow' && action.workflowType === DIGEST_WORKFLOW_TYPE && action.taskQueue === wanted.action.taskQueue
    && JSON.stringify(action.args) === JSON.stringify(wanted.action.args);
  if (same) return 'unchanged';
  await handle.update((prev) => ({ ...prev, spec: wanted.spec, action: wanted.action, policies: { ...prev.policies, ...wanted.policies } }));
  return 'updated';
}
