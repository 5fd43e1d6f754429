/**
 * US federal holidays and business days. The expected dates are OPM's published federal holiday lists
 * (opm.gov, "Federal Holidays"), written out by hand for 2026–2028 — not computed — so a wrong rule fails.
 */
import { DateTime } from 'luxon';
import { federalHolidays, isBusinessDay, observedHolidays } from '../../workflows/federal-holidays';
import { addBusinessDays, DEFAULT_POLICY, evaluationDue, nextBusinessDay } from '../../workflows/timeline';
import type { TimelineState } from '../../workflows/timeline';

/** OPM: the day off for each holiday (the observed date where the legal date falls on a weekend). */
const OPM: Record<number, string[]> = {
  2026: [
    '2026-01-01', // Thu, New Year's Day
    '2026-01-19', // Mon, Birthday of Martin Luther King, Jr.
    '2026-02-16', // Mon, Washington's Birthday
    '2026-05-25', // Mon, Memorial Day
    '2026-06-19', // Fri, Juneteenth National Independence Day
    '2026-07-03', // Fri, Independence Day (observed; July 4 is a Saturday)
    '2026-09-07', // Mon, Labor Day
    '2026-10-12', // Mon, Columbus Day
    '2026-11-11', // Wed, Veterans Day
    '2026-11-26', // Thu, Thanksgiving Day
    '2026-12-25', // Fri, Christmas Day
  ],
  2027: [
    '2027-01-01', // Fri, New Year's Day
    '2027-01-18', // Mon, Birthday of Martin Luther King, Jr.
    '2027-02-15', // Mon, Washington's Birthday
    '2027-05-31', // Mon, Memorial Day
    '2027-06-18', // Fri, Juneteenth (observed; June 19 is a Saturday)
    '2027-07-05', // Mon, Independence Day (observed; July 4 is a Sunday)
    '2027-09-06', // Mon, Labor Day
    '2027-10-11', // Mon, Columbus Day
    '2027-11-11', // Thu, Veterans Day
    '2027-11-25', // Thu, Thanksgiving Day
    '2027-12-24', // Fri, Christmas Day (observed; December 25 is a Saturday)
    '2027-12-31', // Fri, New Year's Day 2028 (observed; January 1, 2028 is a Saturday)
  ],
  2028: [
    '2028-01-17', // Mon, Birthday of Martin Luther King, Jr.
    '2028-02-21', // Mon, Washington's Birthday
    '2028-05-29', // Mon, Memorial Day
    '2028-06-19', // Mon, Juneteenth National Independence Day
    '2028-07-04', // Tue, Independence Day
    '2028-09-04', // Mon, Labor Day
    '2028-10-09', // Mon, Columbus Day
    '2028-11-10', // Fri, Veterans Day (observed; November 11 is a Saturday)
    '2028-11-23', // Thu, Thanksgiving Day
    '2028-12-25', // Mon, Christmas Day
  ],
};

describe('federal holidays: the OPM days off, 2026–2028', () => {
  test.each([2026, 2027, 2028])('%i', (year) => {
    expect([...observedHolidays(year).keys()].sort()).toEqual(OPM[year]);
  });

  test('every day off is a weekday', () => {
    for (const year of [2026, 2027, 2028]) {
      for (const d of OPM[year]) expect(DateTime.fromISO(d).weekday).toBeLessThanOrEqual(5);
    }
  });

  test('New Year\'s Day 2028 on a Saturday is observed on Friday 31 December 2027', () => {
    expect(federalHolidays(2028).find((h) => h.name === "New Year's Day")).toEqual({ name: "New Year's Day", date: '2028-01-01', observed: '2027-12-31' });
  });

  test('eleven legal holidays a year, Juneteenth included', () => {
    expect(federalHolidays(2027)).toHaveLength(11);
    expect(federalHolidays(2027).map((h) => h.date)).toContain('2027-06-19');
  });
});

describe('business days', () => {
  const day = (iso: string): DateTime => DateTime.fromISO(iso, { zone: 'America/New_York' });

  test('weekends and observed holidays are not business days; the legal date on a weekend is not the day off', () => {
    expect(isBusinessDay(day('2026-07-03'))).toBe(false); // observed Independence Day
    expect(isBusinessDay(day('2026-07-06'))).toBe(true);
    expect(isBusinessDay(day('2026-07-04'))).toBe(false); // Saturday anyway
    expect(isBusinessDay(day('2027-12-31'))).toBe(false);
    expect(isBusinessDay(day('2027-12-30'))).toBe(true);
  });

  const ny = (iso: string): number => DateTime.fromISO(iso, { zone: 'America/New_York' }).toMillis();
  const show = (ms: number): string => DateTime.fromMillis(ms, { zone: 'America/New_York' }).toFormat("yyyy-MM-dd'T'HH:mm ccc");

  test.each([
    // from, business days, expected (wall-clock time kept)
    ['2026-06-15T09:30', 5, '2026-06-23T09:30 Tue'], // skips the weekend and Juneteenth (Fri 19 June)
    ['2026-07-02T14:00', 1, '2026-07-06T14:00 Mon'], // Fri 3 July observed, then the weekend
    ['2027-12-23T10:00', 1, '2027-12-27T10:00 Mon'], // Fri 24 Dec observed Christmas, weekend
    ['2027-12-27T10:00', 4, '2028-01-03T10:00 Mon'], // Fri 31 Dec observed New Year's Day
    ['2026-11-25T16:00', 1, '2026-11-27T16:00 Fri'], // Thanksgiving skipped, the Friday after is a working day
    ['2026-03-06T09:00', 1, '2026-03-09T09:00 Mon'], // across the DST change, 09:00 stays 09:00
    ['2026-10-10T09:00', 1, '2026-10-13T09:00 Tue'], // from a Saturday: Monday is Columbus Day
  ])('%s + %i business days = %s', (from, n, expected) => {
    expect(show(addBusinessDays(ny(from), n, 'America/New_York'))).toBe(expected);
  });

  test('20 business days over Veterans Day and Thanksgiving span 30 calendar days', () => {
    // Tue 10 Nov is day 1; Wed 11 (Veterans Day) and Thu 26 (Thanksgiving) and six weekend days are skipped.
    expect(show(addBusinessDays(ny('2026-11-09T09:00'), 20, 'America/New_York'))).toBe('2026-12-09T09:00 Wed');
  });

  test('nextBusinessDay keeps a business day and moves a weekend or holiday forward', () => {
    expect(show(nextBusinessDay(ny('2026-06-17T11:00'), 'America/New_York'))).toBe('2026-06-17T11:00 Wed');
    expect(show(nextBusinessDay(ny('2026-06-19T11:00'), 'America/New_York'))).toBe('2026-06-22T11:00 Mon');
  });

  test('the holiday is a holiday in the review zone, not UTC: Friday 3 July 21:00 in Los Angeles is already 4 July in UTC', () => {
    const la = DateTime.fromISO('2026-07-02T21:00', { zone: 'America/Los_Angeles' }).toMillis();
    expect(DateTime.fromMillis(addBusinessDays(la, 1, 'America/Los_Angeles'), { zone: 'America/Los_Angeles' }).toFormat('yyyy-MM-dd HH:mm')).toBe('2026-07-06 21:00');
  });
});

describe('evaluation due in business days', () => {
  const zone = 'America/New_York';
  const t0 = DateTime.fromISO('2026-06-15T09:00', { zone }).toMillis();
  const base = (over: Partial<TimelineState> = {}): TimelineState => ({
    timeZone: zone, policy: DEFAULT_POLICY, createdAt: t0, plannedReleaseAt: null, accessGrantedAt: t0, pauses: [], phase: 'in-review', closedAt: null,
    evaluations: [], disposalPending: [], ...over,
  });
  const show = (ms: number | null): string => DateTime.fromMillis(ms as number, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

  test('T0 + 10 business days, Juneteenth and two weekends skipped', () => {
    expect(show(evaluationDue(base(), 21, t0, 10))).toBe('2026-06-30T09:00');
  });

  test('without business days the calendar rule applies unchanged', () => {
    expect(show(evaluationDue(base(), 21, t0))).toBe('2026-07-06T09:00');
    expect(show(evaluationDue(base(), 21, t0, null))).toBe('2026-07-06T09:00');
  });

  test('a pause moves it by the paused time, then on to the next business day', () => {
    const day = 24 * 3600 * 1000;
    // 10 business days = Tue 30 June; a 3-day pause → Fri 3 July, the observed Independence Day → Mon 6 July.
    const paused = base({ pauses: [{ start: t0 + day, end: t0 + 4 * day }] });
    expect(show(evaluationDue(paused, 21, t0 + 5 * day, 10))).toBe('2026-07-06T09:00');
  });

  test('never later than the window end − 2 days', () => {
    const release = DateTime.fromISO('2026-06-25T09:00', { zone }).toMillis();
    expect(show(evaluationDue(base({ plannedReleaseAt: release }), 21, t0, 10))).toBe('2026-06-23T09:00');
  });
});
