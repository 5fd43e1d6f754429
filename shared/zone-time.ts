/**
 * Instants written in a viewer's zone, fast: one cached `Intl.DateTimeFormat` per zone and style. Luxon's
 * `toFormat(… ZZZZ)` builds a new Intl formatter for every zone abbreviation (about 0.25 ms a call), which made a
 * 1,000-review portfolio page spend most of its time writing dates, and was a quarter of a notice's sending. The output is Luxon's, character for character
 * (`test/unit/zone-time.test.ts` compares them across zones and DST); anything the cached path cannot take (an
 * unknown zone, an instant without an offset) goes through Luxon as before.
 */
import { DateTime } from 'luxon';

type Style = 'minute' | 'words' | 'words-seconds' | 'short-words' | 'month';

const OPTIONS: Record<Style, Intl.DateTimeFormatOptions> = {
  minute: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  words: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  'words-seconds': { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  'short-words': { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  month: { year: 'numeric', month: '2-digit' },
};

const LUXON_FORMAT: Record<Style, string> = {
  minute: 'yyyy-MM-dd HH:mm ZZZZ',
  words: 'cccc d LLLL yyyy, HH:mm ZZZZ',
  'words-seconds': 'cccc d LLLL yyyy, HH:mm:ss ZZZZ',
  'short-words': 'ccc d LLL yyyy, HH:mm ZZZZ',
  month: 'yyyy-MM',
};

/** Formatters by style and zone; a zone Intl refuses is remembered as null (Luxon handles it). */
const formatters = new Map<string, Intl.DateTimeFormat | null>();
/** Zones are few (people's zones); the bound only guards against a caller passing arbitrary strings. */
const FORMATTERS_MAX = 500;

function formatter(style: Style, zone: string): Intl.DateTimeFormat | null {
  const key = `${style} ${zone}`;
  let f = formatters.get(key);
  if (f !== undefined) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', { ...OPTIONS[style], timeZone: zone });
  } catch {
    f = null;
  }
  if (formatters.size >= FORMATTERS_MAX) formatters.clear();
  formatters.set(key, f);
  return f;
}

/** A full ISO instant with its offset or Z: Date.parse and Luxon agree on these. */
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/**
 * `iso` in `zone` as "2026-12-29 10:15 EST" (style minute), "Tuesday 29 December 2026, 10:15 EST" (words) or the same
 * with seconds, "Tue 29 Dec 2026, 10:15 EST" (short-words, the notices'), or "2026-12" (month); null when `iso` is not a valid instant (callers show it as given).
 */
export function inZone(iso: string, zone: string, style: Style): string | null {
  const ms = INSTANT.test(iso) ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms) || formatter(style, zone) === null) {
    const dt = DateTime.fromISO(iso, { setZone: true });
    return dt.isValid ? dt.setZone(zone).setLocale('en-US').toFormat(LUXON_FORMAT[style]) : null;
  }
  return msInZone(ms, zone, style);
}

/** The same for an instant in milliseconds (metrics put thousands of them in months). */
export function msInZone(ms: number, zone: string, style: Style): string {
  const f = formatter(style, zone);
  if (f === null) return DateTime.fromMillis(ms, { zone }).setLocale('en-US').toFormat(LUXON_FORMAT[style]);
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of f.formatToParts(ms)) p[part.type] = part.value;
  if (style === 'month') return `${p.year}-${p.month}`;
  const hm = `${p.hour}:${p.minute}${style === 'words-seconds' ? `:${p.second}` : ''}`;
  if (style === 'short-words') return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${hm} ${p.timeZoneName}`;
  return style === 'minute'
    ? `${p.year}-${p.month}-${p.day} ${hm} ${p.timeZoneName}`
    : `${p.weekday} ${p.day} ${p.month} ${p.year}, ${hm} ${p.timeZoneName}`;
}
