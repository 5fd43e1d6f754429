/** The cached Intl path writes exactly what Luxon's toFormat wrote, across zones, DST changes and odd offsets. */
import { DateTime } from 'luxon';
import { inZone, msInZone } from '../../shared/zone-time';
import { when } from '../../client/dashboard/html';
import { formatTime } from '../../client/format';

const ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'UTC'];
const LUXON = { minute: 'yyyy-MM-dd HH:mm ZZZZ', words: 'cccc d LLLL yyyy, HH:mm ZZZZ', 'words-seconds': 'cccc d LLLL yyyy, HH:mm:ss ZZZZ', 'short-words': 'ccc d LLL yyyy, HH:mm ZZZZ', month: 'yyyy-MM' } as const;

/** Instants every 23 h 19 min 17 s through 2026–2027 (every minute-of-day drifts through, both DST changes of each zone), plus midnights and the changes' own minutes. */
function instants(): string[] {
  const out: string[] = [];
  for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2028-01-01T00:00:00Z'); t += (23 * 60 + 19) * 60_000 + 17_000) out.push(new Date(t).toISOString());
  out.push('2026-03-08T06:59:59.999Z', '2026-03-08T07:00:00Z', '2026-11-01T05:59:00Z', '2026-11-01T06:00:00Z', '2026-03-29T01:00:00Z', '2026-10-25T00:59:59Z');
  out.push('2026-12-29T10:15:00-05:00', '2026-12-29T10:15:00+05:45', '2026-12-29T23:59:59+14:00', '2026-12-31T23:59:59.5Z');
  return out;
}

test.each(Object.keys(LUXON) as (keyof typeof LUXON)[])('style %s matches Luxon ', (style) => {
  const isos = instants();
  let compared = 0;
  for (const zone of ZONES) {
    for (const iso of isos) {
      const expected = DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale('en-US').toFormat(LUXON[style]);
      expect(`${iso} ${zone}: ${inZone(iso, zone, style)}`).toBe(`${iso} ${zone}: ${expected}`);
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(8_000);
});

test('what the cached path cannot take goes through Luxon: a date without an offset, an unknown zone, not a date', () => {
  expect(inZone('2026-12-29T10:15', 'UTC', 'minute')).toBe(DateTime.fromISO('2026-12-29T10:15', { setZone: true }).setZone('UTC').toFormat(LUXON.minute));
  expect(inZone('2026-12-29T10:15:00Z', 'Mars/Olympus', 'minute')).toBe('Invalid DateTime');
  expect(inZone('soon', 'UTC', 'minute')).toBeNull();
  expect(when('soon', 'UTC')).toBe('soon');
  expect(when(null, 'UTC')).toBe('—');
  expect(formatTime('2026-12-29T10:15:00Z', 'America/New_York')).toBe('2026-12-29 05:15 EST');
  expect(formatTime('2026-12-29T10:15:00-05:00')).toBe('2026-12-29 10:15 UTC-5');
});

test('months of instants in milliseconds, as the metrics count them, match Luxon', () => {
  for (const zone of ZONES) {
    for (const iso of instants()) {
      const ms = Date.parse(iso);
      expect(`${iso} ${zone}: ${msInZone(ms, zone, 'month')}`).toBe(`${iso} ${zone}: ${DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM')}`);
    }
  }
});
