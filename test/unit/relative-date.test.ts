/** `"plannedReleaseAt": "+Nd"` in a request file: N calendar days after the day it is read, 09:00 in the lab's zone. */
import { resolveRelativeDays, withAbsoluteReleaseDate } from '../../client/relative-date';

const NOW = Date.parse('2026-11-30T05:00:00Z'); // 2026-11-29 21:00 in Los Angeles

test('calendar days in the lab\'s zone, at 09:00 local time, across a DST change', () => {
  expect(resolveRelativeDays('+1d', 'America/Los_Angeles', NOW)).toBe('2026-11-30T09:00:00-08:00');
  expect(resolveRelativeDays('+60d', 'America/Los_Angeles', NOW)).toBe('2027-01-28T09:00:00-08:00');
  expect(resolveRelativeDays('+120d', 'America/Los_Angeles', NOW)).toBe('2027-03-29T09:00:00-07:00'); // after the switch to PDT
  expect(resolveRelativeDays(' +7d ', 'Europe/Berlin', NOW)).toBe('2026-12-07T09:00:00+01:00');
});

test('anything else is left as written, for the validation to judge', () => {
  for (const value of ['2027-01-20T09:00:00-08:00', '+60', '60d', '-3d', '+d', '+12345d', '+60D']) {
    expect(resolveRelativeDays(value, 'America/Los_Angeles', NOW)).toBeNull();
  }
  expect(resolveRelativeDays('+60d', 'Mars/Olympus_Mons', NOW)).toBeNull();
  const request = { reviewId: 'x', lab: { timeZone: 'America/Los_Angeles' }, plannedReleaseAt: '2027-01-20T09:00:00-08:00' };
  expect(withAbsoluteReleaseDate(request, NOW)).toBe(request);
  expect(withAbsoluteReleaseDate({ ...request, plannedReleaseAt: '+60d' }, NOW)).toEqual({ ...request, plannedReleaseAt: '2027-01-28T09:00:00-08:00' });
  expect(withAbsoluteReleaseDate(null, NOW)).toBeNull();
});
