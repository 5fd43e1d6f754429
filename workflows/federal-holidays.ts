/**
 * US federal holidays (5 U.S.C. 6103(a)) with the observed-date rule for full-time federal employees
 * (5 U.S.C. 6103(b), Executive Order 11582): a holiday on a Saturday is observed the Friday before, one on
 * a Sunday the Monday after. New Year's Day on a Saturday is therefore observed on 31 December of the
 * previous year. Computed, not looked up, so it holds for any year; pure and deterministic (workflow-safe).
 *
 * Not included: Inauguration Day (a holiday only for employees in the Washington, DC area) and one-off
 * closures granted by executive order; neither can be computed.
 */
import { DateTime } from 'luxon';

export interface FederalHoliday {
  name: string;
  /** The legal holiday, yyyy-MM-dd. */
  date: string;
  /** The day off, yyyy-MM-dd: the legal date moved off a weekend. */
  observed: string;
}

const MON = 1;
const THU = 4;

/** The n-th given weekday (1 = Monday) of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, weekday: number, n: number): DateTime {
  if (n > 0) {
    const first = DateTime.utc(year, month, 1);
    return first.plus({ days: ((weekday - first.weekday + 7) % 7) + (n - 1) * 7 });
  }
  const last = DateTime.utc(year, month, 1).endOf('month').startOf('day');
  return last.minus({ days: (last.weekday - weekday + 7) % 7 });
}

function observed(d: DateTime): DateTime {
  if (d.weekday === 6) return d.minus({ days: 1 });
  if (d.weekday === 7) return d.plus({ days: 1 });
  return d;
}

const ymd = (d: DateTime): string => d.toFormat('yyyy-MM-dd');

/** The legal federal holidays of `year`, each with its observed day off (which may fall in year − 1). */
export function federalHolidays(year: number): FederalHoliday[] {
  const fixed = (month: number, day: number): DateTime => DateTime.utc(year, month, day);
  const list: [string, DateTime][] = [
    ["New Year's Day", fixed(1, 1)],
    ['Birthday of Martin Luther King, Jr.', nthWeekday(year, 1, MON, 3)],
    ["Washington's Birthday", nthWeekday(year, 2, MON, 3)],
    ['Memorial Day', nthWeekday(year, 5, MON, -1)],
    ...(year >= 2021 ? [['Juneteenth National Independence Day', fixed(6, 19)] as [string, DateTime]] : []),
    ['Independence Day', fixed(7, 4)],
    ['Labor Day', nthWeekday(year, 9, MON, 1)],
    ['Columbus Day', nthWeekday(year, 10, MON, 2)],
    ['Veterans Day', fixed(11, 11)],
    ['Thanksgiving Day', nthWeekday(year, 11, THU, 4)],
    ['Christmas Day', fixed(12, 25)],
  ];
  return list.map(([name, d]) => ({ name, date: ymd(d), observed: ymd(observed(d)) }));
}

const cache = new Map<number, ReadonlyMap<string, string>>();

/** Observed days off that fall within calendar year `year` (yyyy-MM-dd → holiday name). */
export function observedHolidays(year: number): ReadonlyMap<string, string> {
  let m = cache.get(year);
  if (!m) {
    const all = [...federalHolidays(year), ...federalHolidays(year + 1)].filter((h) => h.observed.startsWith(`${year}-`));
    m = new Map(all.map((h) => [h.observed, h.name]));
    cache.set(year, m);
  }
  return m;
}

/** A weekday that is not an observed federal holiday. `d` is read as a calendar date in its own zone. */
export function isBusinessDay(d: DateTime): boolean {
  return d.weekday <= 5 && !observedHolidays(d.year).has(d.toFormat('yyyy-MM-dd'));
}
