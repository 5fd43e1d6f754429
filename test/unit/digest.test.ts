/** The weekly digest's pure parts: deadlines from a status, grouping per program manager, the e-mail, the schedule spec. */
import { deadlinesOf } from '../../activities/digest';
import { digestScheduleOptions } from '../../client/digest-schedule';
import { renderDigest } from '../../activities/digest-template';
import { groupDigest } from '../../workflows/digest';
import type { DigestReview } from '../../workflows/digest-types';
import { digestWeek } from '../../workflows/timeline';
import type { ReviewStatus } from '../../workflows/types';

const NY = 'America/New_York';
// Monday 11 January 2027, 08:00 EST.
const MONDAY = Date.parse('2027-01-11T13:00:00Z');

const review = (id: string, pm: string, deadlines: [string, string][]): DigestReview => ({
  reviewId: id, model: { name: 'Atlas-7', version: id }, labName: 'Acme AI', phase: 'in-review',
  programManager: { name: pm.split('@')[0], email: pm }, deadlines: deadlines.map(([label, at]) => ({ label, at })),
});

test('the week runs from the run instant to the same wall time seven days later, across DST', () => {
  const w = digestWeek(MONDAY, NY);
  expect(new Date(w.to).toISOString()).toBe('2027-01-18T13:00:00.000Z');
  expect(w.key).toBe('2027-01-11');
  const march = digestWeek(Date.parse('2027-03-08T13:00:00Z'), NY); // the week DST starts (14 March)
  expect(new Date(march.to).toISOString()).toBe('2027-03-15T12:00:00.000Z'); // still 08:00 local
});

test('grouped per PM (case-insensitive), this week\'s deadlines split from later ones, reviews with deadlines first', () => {
  const w = digestWeek(MONDAY, NY);
  const groups = groupDigest([
    review('b', 'pat@clearinghouse.example', [['window ends', '2027-02-01T09:00:00-05:00']]),
    review('a', 'Pat@Clearinghouse.example', [['window ends', '2027-01-15T09:00:00-05:00'], ['cyber-offense evaluation due (Riley)', '2027-01-13T09:00:00-05:00']]),
    review('c', 'kim@clearinghouse.example', [['access deadline', '2027-01-18T07:59:00-05:00'], ['x', '2027-01-18T08:00:00-05:00']]),
  ], w.from, w.to);
  expect(groups.map((g) => [g.pm.email.toLowerCase(), g.entries.map((e) => e.reviewId)])).toEqual([
    ['kim@clearinghouse.example', ['c']], ['pat@clearinghouse.example', ['a', 'b']],
  ]);
  const a = groups[1].entries[0];
  expect(a.dueThisWeek.map((d) => d.label)).toEqual(['cyber-offense evaluation due (Riley)', 'window ends']);
  expect(groups[1].entries[1]).toMatchObject({ dueThisWeek: [], next: { label: 'window ends' } });
  // The week's end is exclusive: 08:00 next Monday belongs to the next digest.
  expect(groups[0].entries[0].dueThisWeek.map((d) => d.label)).toEqual(['access deadline']);
  expect(groups[0].entries[0].next?.label).toBe('x');
});

test('deadlines of a status: pending and overdue evaluations, the window end; disposal with who is missing', () => {
  const base = {
    reviewId: 'r', phase: 'in-review', clock: { windowEndsAt: '2027-02-03T09:00:00-05:00', accessDeadlineAt: null },
    evaluations: [
      { track: 'cyber', reviewerName: 'Riley', status: 'overdue', dueAt: '2027-01-10T09:00:00-05:00' },
      { track: 'bio', reviewerName: 'Sam', status: 'submitted', dueAt: '2027-01-12T09:00:00-05:00' },
    ],
    disposal: [], disposalDueAt: null,
  } as unknown as ReviewStatus;
  expect(deadlinesOf(base)).toEqual([
    { label: 'cyber evaluation due (Riley) — overdue', at: '2027-01-10T09:00:00-05:00' },
    { label: 'window ends', at: '2027-02-03T09:00:00-05:00' },
  ]);
  const disposal = { ...base, phase: 'disposal', disposalDueAt: '2027-02-08T09:00:00-05:00', disposal: [{ party: 'lab', confirmedAt: null }, { party: 'r1', confirmedAt: 'x' }] } as unknown as ReviewStatus;
  expect(deadlinesOf(disposal)).toEqual([{ label: 'disposal confirmations due (lab)', at: '2027-02-08T09:00:00-05:00' }]);
});

test('the digest e-mail: counts, dates in the office zone, escaped HTML', () => {
  const w = digestWeek(MONDAY, NY);
  const [g] = groupDigest([review('a<b>', 'pat@clearinghouse.example', [['window ends', '2027-01-15T09:00:00-05:00']])], w.from, w.to);
  const d = renderDigest({ id: 'digest/2027-01-11/pat@clearinghouse.example', to: g.pm, timeZone: NY, from: '2027-01-11T08:00:00-05:00', until: '2027-01-18T08:00:00-05:00', reviews: g.entries });
  expect(d.subject).toBe('Weekly review digest: 1 deadline this week in 1 open review');
  expect(d.text).toContain('this week: Fri 15 Jan 2027, 09:00 EST (America/New_York): window ends');
  expect(d.text).toContain('review a<b> (in-review)');
  expect(d.html).toContain('review a&lt;b&gt; (in-review)');
});

test('the schedule: every Monday 08:00 in the program office zone, starting digestWorkflow on the task queue', () => {
  const o = digestScheduleOptions({ taskQueue: 'tq', timeZone: 'America/Chicago' }, {});
  expect(o.spec).toEqual({ calendars: [{ dayOfWeek: 'MONDAY', hour: 8, minute: 0, comment: 'weekly review digest' }], timezone: 'America/Chicago' });
  expect(o.action).toMatchObject({ type: 'startWorkflow', workflowType: 'digestWorkflow', taskQueue: 'tq', args: [{ timeZone: 'America/Chicago' }] });
  expect(digestScheduleOptions({}, { PROGRAM_OFFICE_TIME_ZONE: 'America/Denver', TASK_QUEUE: 'q2' })).toMatchObject({ spec: { timezone: 'America/Denver' }, action: { taskQueue: 'q2' } });
  expect(() => digestScheduleOptions({ timeZone: 'Mars/Olympus' }, {})).toThrow(/not an IANA time zone/);
});
