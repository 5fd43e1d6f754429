/**
 * Calendar invites as files: written with ical-generator (activities/calendar.ts), read back with an
 * independent parser (ical.js, Mozilla's), and the pure event bookkeeping of the workflow
 * (workflows/calendar-events.ts): stable UIDs, rising SEQUENCE, CANCEL at close.
 */
import ICAL from 'ical.js';
import { eventUid, renderInvite } from '../../activities/calendar';
import { attend, cancelOpenEvents, dueEventKey, inviteOf, unattend, WINDOW_END_EVENT } from '../../workflows/calendar-events';
import { initialState } from '../../workflows/review-state';
import type { InviteSpec, NoticePayload } from '../../workflows/types';
import { request } from '../support/fixtures';

const ORGANIZER = { name: 'frontier-review', email: 'noreply@clearinghouse.example' };
const DOMAIN = 'clearinghouse.example';

function payload(over: Partial<NoticePayload> = {}): NoticePayload {
  return {
    id: 'acme-atlas7-2026-12/clock-started/start/lab', kind: 'clock-started', audience: 'lab',
    to: [{ name: 'Sec Team', email: 'security@acme.example' }, { name: 'Legal, "Acme"', email: 'legal@acme.example' }],
    reviewId: 'acme-atlas7-2026-12', model: { name: 'Atlas-7', version: 'rc1' }, labName: 'Acme AI',
    recipientTimeZone: 'America/Los_Angeles', reviewTimeZone: 'America/New_York', dates: {}, facts: { now: '2027-01-04T09:00:00.000-05:00' },
    ...over,
  };
}

function parse(content: string): { method: string; event: ICAL.Event; vevent: ICAL.Component } {
  const cal = new ICAL.Component(ICAL.parse(content));
  const vevent = cal.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('no VEVENT');
  return { method: String(cal.getFirstPropertyValue('method')), event: new ICAL.Event(vevent), vevent };
}

const WINDOW: InviteSpec = { key: 'window-end', sequence: 0, method: 'REQUEST', at: '2027-02-03T09:00:00.000-05:00' };

describe('an invite file, read back by ical.js', () => {
  test('window end: REQUEST, UID per review and deadline, the exact instant, organizer and every attendee', () => {
    const { method, event, vevent } = parse(renderInvite(payload(), WINDOW, ORGANIZER, DOMAIN).content);
    expect(method).toBe('REQUEST');
    expect(event.uid).toBe('acme-atlas7-2026-12/calendar/window-end@clearinghouse.example');
    expect(event.sequence).toBe(0);
    expect(event.startDate.toJSDate().toISOString()).toBe('2027-02-03T14:00:00.000Z'); // 09:00 EST
    expect(event.summary).toContain('Review window ends');
    expect(event.description).toMatch(/no preclearance or approval is needed/i);
    expect(String(vevent.getFirstPropertyValue('status'))).toBe('CONFIRMED');
    expect(String(vevent.getFirstPropertyValue('transp'))).toBe('TRANSPARENT');
    expect(String(vevent.getFirstPropertyValue('organizer'))).toBe('mailto:noreply@clearinghouse.example');
    expect(event.attendees.map((a) => String(a.getFirstValue()).toLowerCase())).toEqual(['mailto:security@acme.example', 'mailto:legal@acme.example']);
    // A double quote cannot stand in a CN parameter (ical-generator would write \" and break parsers): it becomes '.
    expect(event.attendees[1].getParameter('cn')).toBe("Legal, 'Acme'");
  });

  test('a moved date: same UID, higher SEQUENCE, the new instant', () => {
    const first = parse(renderInvite(payload(), WINDOW, ORGANIZER, DOMAIN).content).event;
    const moved = parse(renderInvite(payload(), { ...WINDOW, sequence: 3, at: '2027-01-28T09:00:00.000-05:00' }, ORGANIZER, DOMAIN).content).event;
    expect(moved.uid).toBe(first.uid);
    expect(moved.sequence).toBe(3);
    expect(moved.startDate.toJSDate().toISOString()).toBe('2027-01-28T14:00:00.000Z');
  });

  test('CANCEL: method and status cancelled, same UID', () => {
    const r = renderInvite(payload(), { ...WINDOW, method: 'CANCEL', sequence: 1 }, ORGANIZER, DOMAIN);
    const { method, event, vevent } = parse(r.content);
    expect(method).toBe('CANCEL');
    expect(String(vevent.getFirstPropertyValue('status'))).toBe('CANCELLED');
    expect(event.uid).toBe('acme-atlas7-2026-12/calendar/window-end@clearinghouse.example');
    expect(event.sequence).toBe(1);
    expect(r.filename).toBe('cancel-window-end.ics');
  });

  test('a due date: its own UID per track', () => {
    const due = renderInvite(payload({ audience: 'reviewer:r1' }), { key: 'due:cyber-offense', track: 'cyber-offense', sequence: 0, method: 'REQUEST', at: '2027-01-25T09:00:00.000-05:00' }, ORGANIZER, DOMAIN);
    const { event } = parse(due.content);
    expect(event.uid).toBe(eventUid('acme-atlas7-2026-12', 'due:cyber-offense', DOMAIN));
    expect(event.uid).not.toBe(eventUid('acme-atlas7-2026-12', 'window-end', DOMAIN));
    expect(event.summary).toBe('Evaluation due: cyber-offense — Atlas-7 rc1');
  });

  test('DTSTAMP is the notice time, so a resent notice carries a byte-identical file', () => {
    const a = renderInvite(payload(), WINDOW, ORGANIZER, DOMAIN).content;
    const b = renderInvite(payload(), WINDOW, ORGANIZER, DOMAIN).content;
    expect(a).toBe(b);
    expect(parse(a).vevent.getFirstPropertyValue('dtstamp')?.toString()).toBe('2027-01-04T14:00:00Z');
  });

  test('UIDs stay distinct for ids that differ only in escaped characters', () => {
    expect(eventUid('a', 'due:x.y', DOMAIN)).not.toBe(eventUid('a', 'due:x:y', DOMAIN));
  });
});

describe('the workflow\'s event bookkeeping', () => {
  const t0 = Date.parse('2027-01-04T14:00:00Z');
  const day = 24 * 3600 * 1000;
  const zone = 'America/New_York';

  test('attendees share one event; a date change for a held event waits for the sync', () => {
    const s = initialState(request(), t0, null);
    const ev = attend(s, WINDOW_END_EVENT, t0 + 30 * day, 'lab');
    attend(s, WINDOW_END_EVENT, t0 + 30 * day, 'pm');
    expect(s.calendar).toHaveLength(1);
    expect(ev).toMatchObject({ sequence: 0, audiences: ['lab', 'pm'] });
    attend(s, WINDOW_END_EVENT, t0 + 31 * day, 'reviewer:r1');
    expect(ev).toMatchObject({ sequence: 0, at: t0 + 30 * day }); // others hold the old date: unchanged here
  });

  test('reassignment: CANCEL for the one leaving (sequence up), the next takes it with the new date', () => {
    const s = initialState(request(), t0, null);
    attend(s, dueEventKey('cyber-offense'), t0 + 21 * day, 'reviewer:r1', 'cyber-offense');
    const left = unattend(s, dueEventKey('cyber-offense'), 'reviewer:r1');
    expect(left && inviteOf(left, 'CANCEL', zone)).toMatchObject({ method: 'CANCEL', sequence: 1, key: 'due:cyber-offense' });
    const next = attend(s, dueEventKey('cyber-offense'), t0 + 25 * day, 'reviewer:r3', 'cyber-offense');
    expect(next).toMatchObject({ sequence: 2, at: t0 + 25 * day, audiences: ['reviewer:r3'] });
    expect(unattend(s, dueEventKey('cyber-offense'), 'reviewer:r1')).toBeNull();
  });

  test('close: events still ahead are cancelled for everyone holding them; past ones are left alone', () => {
    const s = initialState(request(), t0, null);
    attend(s, WINDOW_END_EVENT, t0 + 30 * day, 'lab');
    attend(s, WINDOW_END_EVENT, t0 + 30 * day, 'reviewer:r1');
    attend(s, dueEventKey('cyber-offense'), t0 + 3 * day, 'reviewer:r1', 'cyber-offense');
    const cancels = cancelOpenEvents(s, t0 + 10 * day, zone);
    expect([...cancels.entries()]).toEqual([
      ['lab', [expect.objectContaining({ method: 'CANCEL', key: 'window-end', sequence: 1 })]],
      ['reviewer:r1', [expect.objectContaining({ method: 'CANCEL', key: 'window-end', sequence: 1 })]],
    ]);
    expect(s.calendar.find((e) => e.key === 'due:cyber-offense')?.cancelled).toBe(false);
    expect(cancelOpenEvents(s, t0 + 10 * day, zone).size).toBe(0); // once
  });
});
