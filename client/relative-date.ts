/**
 * Relative release dates in request files: `"plannedReleaseAt": "+60d"` is 60 calendar days after the day the
 * request is read, at 09:00 in the lab's time zone. An example or a script with a fixed date stops working the day
 * that date passes (the client refuses a release in the past); a relative one never does.
 */
import { DateTime } from 'luxon';

const RELATIVE_DAYS = /^\+(\d{1,4})d$/;

/** The instant `+Nd` names from `now` in `zone` (ISO with offset), or null when `value` is not of that form. */
export function resolveRelativeDays(value: string, zone: string, now: number): string | null {
  const match = RELATIVE_DAYS.exec(value.trim());
  if (!match) return null;
  const day = DateTime.fromMillis(now, { zone }).plus({ days: Number(match[1]) });
  if (!day.isValid) return null; // an unknown zone: left as written, for validation to name the field
  return day.set({ hour: 9, minute: 0, second: 0, millisecond: 0 }).toISO({ suppressMilliseconds: true });
}

/** A request with a relative `plannedReleaseAt` made absolute; anything else is returned as it is. */
export function withAbsoluteReleaseDate(input: unknown, now: number): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const request = input as { plannedReleaseAt?: unknown; lab?: { timeZone?: unknown } };
  if (typeof request.plannedReleaseAt !== 'string' || typeof request.lab?.timeZone !== 'string') return input;
  const resolved = resolveRelativeDays(request.plannedReleaseAt, request.lab.timeZone, now);
  return resolved === null ? input : { ...request, plannedReleaseAt: resolved };
}
