/**
 * Views by role (issue 13, findings 1-3): the visibility table against audit events worded exactly as the
 * workflow writes them, the scope rules for bound identities, and the dashboard's redirect and action guards.
 */
import { inScope, viewFor } from '../../client/api/access';
import type { Principal } from '../../client/api/auth';
import { EVENT_TYPES, eventParties, WITHHELD } from '../../client/api/visibility';
import { backTo } from '../../client/dashboard/routes';
import type { AuditEvent, ReviewStatus } from '../../workflows/types';

const at = '2027-01-01T09:00:00-05:00';
const ev = (type: string, by: string, detail: string): AuditEvent => ({ at, type, by, detail });
/** One of each event the workflow records (workflows/transitions.ts, notice-dispatch.ts), with its wording. */
const EVENTS: AuditEvent[] = [
  ev('review-started', 'pm', 'Atlas-7 rc1 from Acme AI; access deadline 2027-01-15T09:00:00.000-05:00'),
  ev('access-granted', 'Acme Security', 'clock started; window ends 2027-01-31T09:00:00.000-05:00'),
  ev('reviewer-assigned', 'Pat PM', 'bio: r2'),
  ev('reviewer-reassigned', 'Pat PM', 'cyber: r1 → r3 (rule)'),
  ev('clock-paused', 'Pat PM', 'INTERNAL pm reason; resumes by itself at …'),
  ev('evaluation-submitted', 'r1', 'cyber: severity high'),
  ev('critical-finding', 'r2', 'bio: escalated to the program manager and the director; lab notified'),
  ev('evaluation-overdue', 'system', 'bio (r2) was due 2027-01-20T09:00:00.000-05:00'),
  ev('director-escalation', 'system', 'bio (r2) still missing'),
  ev('address-rejected', 'system', 'alice@other.example refused the clock-started notice to lab (550 <alice@other.example>); program manager alerted'),
  ev('webhook-failed', 'system', 'clock-started to lab: 169.254.169.254 answered 404'),
  ev('disposal-confirmed', 'Robin', 'r2: INTERNAL wiped the bucket'),
  ev('disposal-confirmed', 'Acme Security', 'lab'),
  ev('disposal-overdue', 'system', 'no disposal confirmation from r1'),
  ev('some-future-type', 'system', 'INTERNAL unknown'),
];

const status = (over: Partial<ReviewStatus> = {}): ReviewStatus => ({
  reviewId: 'x', model: { name: 'Atlas-7', version: 'rc1' }, lab: { id: 'acme', name: 'Acme AI', timeZone: 'UTC' },
  programManager: { name: 'Pat', email: 'pm@x.example' }, timeZone: 'UTC', phase: 'disposal', outcome: 'completed', createdAt: at, plannedReleaseAt: null,
  policy: {} as ReviewStatus['policy'], clock: { startedAt: at, windowEndsAt: at, accessDeadlineAt: null, pausedMs: 0, pauseBudgetMs: 0, paused: false },
  closedAt: at, disposalDueAt: at,
  evaluations: [
    { track: 'cyber', reviewerId: 'r1', reviewerName: 'Riley', dueAt: at, dueBusinessDays: null, status: 'submitted', severity: 'high', summary: 'INTERNAL r1', submittedAt: at },
    { track: 'bio', reviewerId: 'r2', reviewerName: 'Robin', dueAt: at, dueBusinessDays: null, status: 'submitted', severity: 'critical', summary: 'INTERNAL r2', submittedAt: at },
  ],
  disposal: [{ party: 'lab', confirmedAt: at, by: 'Acme Security' }, { party: 'r2', confirmedAt: at, by: 'Robin' }],
  notices: [
    { id: 'n1', kind: 'clock-started', audience: 'lab', to: ['sec@acme.example'], at, state: 'failed', error: '450 <alice@other.example> mailbox busy', rejected: ['alice@other.example'], webhook: { state: 'failed', targets: 1, error: '169.254.169.254' } },
    { id: 'n2', kind: 'director-escalation', audience: 'director', to: ['d@x.example'], at, state: 'sent' },
  ],
  events: EVENTS,
  reviewers: [{ id: 'r1', email: 'riley@x.example' }, { id: 'r2', email: 'robin@x.example' }],
  ...over,
});
const lab: Principal = { name: 'Acme Security', role: 'lab', labId: 'acme', tokenHash: '' };
const r1: Principal = { name: 'Riley', role: 'reviewer', reviewerId: 'r1', email: 'Riley@x.example', tokenHash: '' };

test('every event type the workflow records has a rule; unknown types are for the clearinghouse only', () => {
  for (const e of EVENTS.slice(0, -1)) expect(Object.hasOwn(EVENT_TYPES, e.type)).toBe(true);
  expect(viewFor(lab, status()).events.map((e) => e.type)).not.toContain('some-future-type');
});

test('the parties an event concerns, read from the workflow\'s wording', () => {
  expect(EVENTS.map((e) => eventParties(e))).toEqual([[], [], ['r2'], ['r1', 'r3'], [], ['r1'], ['r2'], ['r2'], ['r2'], [], [], ['r2'], ['lab'], ['r1'], []]);
});

test('the lab: no escalations, no delivery errors, no reviewers\' notes or disposal notes, reasons withheld', () => {
  const view = viewFor(lab, status());
  const text = JSON.stringify(view);
  expect(text).not.toContain('INTERNAL');
  expect(text).not.toContain('alice@other.example');
  expect(text).not.toContain('169.254.169.254');
  expect(text).not.toContain('riley@x.example');
  expect(view.events.map((e) => e.type)).toEqual(['review-started', 'access-granted', 'clock-paused', 'evaluation-submitted', 'critical-finding', 'disposal-confirmed']);
  expect(view.events.find((e) => e.type === 'clock-paused')?.detail).toBe(WITHHELD);
  expect(view.notices.map((n) => n.id)).toEqual(['n1']);
  expect(view.notices[0]).not.toHaveProperty('error');
  expect(view.disposal).toEqual([{ party: 'lab', confirmedAt: at, by: 'Acme Security' }, { party: 'r2', confirmedAt: at, by: null }]);
  expect(view).not.toHaveProperty('reviewers');
});

test('a reviewer: its own events and notes only', () => {
  const view = viewFor(r1, status());
  expect(view.evaluations.map((e) => e.summary)).toEqual(['INTERNAL r1', null]);
  expect(view.events.map((e) => `${e.type} ${eventParties(e).join(',')}`)).toEqual([
    'review-started ', 'access-granted ', 'reviewer-reassigned r1,r3', 'clock-paused ', 'evaluation-submitted r1', 'disposal-overdue r1',
  ]);
  expect(JSON.stringify(view)).not.toContain('INTERNAL r2');
});

test('the clearinghouse sees everything', () => {
  const s = status();
  expect(viewFor({ name: 'D', role: 'director', tokenHash: '' }, s)).toEqual({ ...s, visibility: { role: 'director', redacted: [] } });
});

test('scope: a lab by id (its name only for reviews without one), a reviewer by id and address', () => {
  expect(inScope(lab, status())).toBe(true);
  expect(inScope(lab, status({ lab: { id: 'impostor', name: 'Acme AI', timeZone: 'UTC' } }))).toBe(false);
  const legacy: Principal = { name: 'Old', role: 'lab', lab: 'Acme AI', tokenHash: '' };
  expect(inScope(legacy, status())).toBe(false); // the review has an id: the name no longer decides
  expect(inScope(legacy, status({ lab: { name: ' Acme AI', timeZone: 'UTC' } }))).toBe(true);
  expect(inScope(lab, status({ lab: { name: 'Acme AI', timeZone: 'UTC' } }))).toBe(false);
  expect(inScope(r1, status())).toBe(true); // address compared without case
  expect(inScope(r1, status({ reviewers: [{ id: 'r1', email: 'someone@else.example' }] }))).toBe(false);
  expect(inScope(r1, status({ reviewers: undefined }))).toBe(false); // an older worker's status: closed, not open
  expect(inScope({ ...r1, email: undefined }, status())).toBe(false);
});

test('the zone form goes back only to a path of this dashboard (finding 8)', () => {
  expect(backTo('http://here/reviews/x?done=1', 'here')).toBe('/reviews/x?done=1');
  expect(backTo('http://here//evil.example/', 'here')).toBe('/');
  expect(backTo('http://here/\\evil.example/', 'here')).toBe('/');
  expect(backTo('http://elsewhere/reviews/x', 'here')).toBe('/');
  expect(backTo(undefined, 'here')).toBe('/');
  expect(backTo('::', 'here')).toBe('/');
});
