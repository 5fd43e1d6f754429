/**
 * The timeline's accessibility (WCAG 1.1.1, 1.4.1): the table holds the same events as the picture, in time
 * order, with dates in words inside <time datetime>; overdue, not-completed and critical are said in words next
 * to their marks (not by colour alone); a failed notice is a different shape.
 */
import { timelineEvents, timelineSvg, timelineTable } from '../../client/dashboard/timeline-svg';
import { whenWords } from '../../client/dashboard/html';
import { DEFAULT_POLICY } from '../../workflows/timeline';
import type { ReviewStatus } from '../../workflows/types';

const status: ReviewStatus = {
  reviewId: 'acme-atlas7-2026-12', model: { name: 'Atlas-7', version: 'rc1' }, lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles' },
  programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' }, timeZone: 'America/New_York', phase: 'in-review', outcome: null,
  createdAt: '2026-12-01T09:00:00-05:00', plannedReleaseAt: '2027-01-20T09:00:00-08:00', policy: DEFAULT_POLICY,
  clock: { startedAt: '2026-12-02T10:00:00-05:00', windowEndsAt: '2027-01-01T10:00:00-05:00', accessDeadlineAt: '2026-12-15T09:00:00-05:00', pausedMs: 0, pauseBudgetMs: 0, paused: false },
  closedAt: null, disposal: [], disposalDueAt: null,
  evaluations: [
    { track: 'cyber-offense', reviewerId: 'r1', reviewerName: 'Riley', dueAt: '2026-12-23T10:00:00-05:00', dueBusinessDays: null, status: 'overdue', severity: null, summary: null, submittedAt: null },
    { track: 'bio-uplift', reviewerId: 'r2', reviewerName: 'Robin', dueAt: '2026-12-16T10:00:00-05:00', dueBusinessDays: null, status: 'submitted', severity: 'critical', summary: 'x', submittedAt: '2026-12-10T12:00:00-05:00' },
  ],
  notices: [
    { id: 'n1', kind: 'clock-started', audience: 'lab', to: ['security@acme.example'], at: '2026-12-02T10:00:01-05:00', state: 'sent' },
    { id: 'n2', kind: 'reviewer-assigned', audience: 'reviewer:r1', to: ['riley@clearinghouse.example'], at: '2026-12-02T10:00:02-05:00', state: 'failed' },
    { id: 'n3', kind: 'critical-finding', audience: 'director', to: ['director@clearinghouse.example'], at: '2026-12-10T12:00:01-05:00', state: 'sent' },
  ],
  events: [
    { at: '2026-12-05T08:00:00-05:00', type: 'clock-paused', by: 'Pat PM', detail: '' },
    { at: '2026-12-06T08:00:00-05:00', type: 'clock-resumed', by: 'Pat PM', detail: '' },
  ],
};
const NOW = Date.parse('2026-12-28T12:00:00-05:00');

test('dates in words a screen reader reads well, in the viewer\'s zone, inside <time datetime>', () => {
  expect(whenWords('2026-12-07T22:00:00Z', 'America/New_York').value).toBe('<time datetime="2026-12-07T17:00:00-05:00">Monday 7 December 2026, 17:00 EST</time>');
  expect(whenWords('2026-07-07T22:00:00Z', 'America/Los_Angeles').value).toContain('Tuesday 7 July 2026, 15:00 PDT');
  expect(whenWords(null, 'UTC').value).toBe('<span>—</span>');
});

test('the table lists every event of the picture in time order, flags in words', () => {
  const events = timelineEvents(status);
  const at = events.map((e) => Date.parse(e.at));
  expect(at).toEqual([...at].sort((a, b) => a - b));
  const what = events.map((e) => `${e.what}|${e.flags.join(',')}`);
  expect(what).toEqual(expect.arrayContaining([
    'Evaluation due: cyber-offense (r1), overdue|overdue',
    'Evaluation submitted: bio-uplift, severity critical|critical',
    'Notice reviewer-assigned to reviewer:r1 (failed)|delivery failed',
    'Notice critical-finding to director (sent)|escalation,critical',
    'Clock paused|', 'Clock resumed|', 'Window ends|', "Lab's planned release|", 'Access granted: the clock started|',
  ]));
  // Not awaiting access any more: no access deadline row.
  expect(what.some((w) => w.startsWith('Access deadline'))).toBe(false);
  const table = timelineTable(status, NOW, 'America/Chicago').value;
  expect(table).toContain('<time datetime="2026-12-23T09:00:00-06:00">Wednesday 23 December 2026, 09:00 CST</time>');
  expect(table.match(/<tr/g)?.length).toBe(events.length + 1);
  expect(table).toContain('<strong>overdue</strong>');
});

test('the picture names itself and its marks, says overdue and critical in words, and draws a failed notice as a cross', () => {
  const svg = timelineSvg(status, NOW, 'America/New_York').value;
  expect(svg).toMatch(/role="img" aria-labelledby="tl-title tl-desc"/);
  expect(svg).toContain('1 overdue, 1 with a critical finding');
  expect(svg).toContain('The same events are listed in the table below.');
  expect(svg.match(/class="tl-flag"[^>]*>overdue</g)?.length).toBe(1);
  expect(svg.match(/class="tl-flag"[^>]*>critical</g)?.length).toBe(2); // the submission and the escalation
  expect(svg).toMatch(/<path class="tl-notice failed" d="M [^"]+ M [^"]+"><title>[^<]*reviewer-assigned to reviewer:r1 \(failed\)<\/title>/);
  // Every mark has a title.
  const marks = svg.match(/<(rect|path|circle|line) class="tl-(band|pause|due|sub|notice|esc|end|release|today)[^>]*>(?!<title>)/g) ?? [];
  expect(marks).toEqual([]);
});
