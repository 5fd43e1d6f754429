/**
 * The read model's pure parts: the card and the facts derived from it (the same dates the status shows), the
 * portfolio, reviewer workload and its warning, program metrics and their CSV, and the SVG charts. Expected
 * instants are ISO literals worked out from the calendar, parsed by the JS engine (not by the code under test).
 */
import { factsFromCard, factsFromStatus } from '../../client/read-model/facts';
import type { ReviewFacts } from '../../client/read-model/facts';
import { buildMetrics, median, metricsCsv, monthsUpTo } from '../../client/read-model/metrics';
import { buildPortfolio, weeksOf } from '../../client/read-model/portfolio';
import { buildWorkload, loadWarning, maxOpenFrom } from '../../client/read-model/workload';
import { barChartSvg, niceMax } from '../../client/dashboard/charts-svg';
import { metricsCharts } from '../../client/dashboard/office-pages';
import { CARD_MEMO_FIELDS, cardFromMemo, cardMemoFields, cardOf, REVIEW_CARD_MEMO, reviewerIdsOf } from '../../workflows/review-card';
import { buildStatus, initialState } from '../../workflows/review-state';
import type { ReviewState } from '../../workflows/review-state';
import { request } from '../support/fixtures';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad literal ${iso}`);
  return ms;
};
const DAY = 86_400_000;
const NY = 'America/New_York';

/** A review created 2027-01-04 09:00 New York, access granted on the 6th, one pause of two days from the 11th. */
function sample(): ReviewState {
  const s = initialState(request({
    reviewId: 'acme-x', lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec', email: 'sec@acme.example' }] },
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 21 },
      { track: 'bio', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' }, dueBusinessDays: 10 },
    ],
    policy: { windowDays: 28 },
  }), at('2027-01-04T09:00:00-05:00'), null);
  s.accessGrantedAt = at('2027-01-06T10:00:00-05:00');
  s.phase = 'in-review';
  s.pauses = [{ start: at('2027-01-11T10:00:00-05:00'), end: at('2027-01-13T10:00:00-05:00') }];
  s.evaluations[1].submittedAt = at('2027-01-20T12:00:00-05:00');
  s.evaluations[1].severity = 'critical';
  s.evaluations[1].late = true;
  s.events.push({ at: '2027-01-11T10:00:00.000-05:00', type: 'clock-paused', by: 'pm', detail: 'outage' }, { at: '2027-01-13T10:00:00.000-05:00', type: 'clock-resumed', by: 'pm', detail: '' });
  s.events.push({ at: '2027-01-20T12:00:00.000-05:00', type: 'evaluation-submitted', by: 'r2', detail: 'bio: severity critical (late)' });
  return s;
}

describe('card and facts', () => {
  test('the card holds facts only (no derived dates), policy values that differ from the defaults, and the reviewer ids sorted', () => {
    const card = cardOf(sample());
    expect(card.policy).toEqual({ windowDays: 28 });
    expect(card.pauses).toEqual([[at('2027-01-11T10:00:00-05:00'), at('2027-01-13T10:00:00-05:00')]]);
    expect(card.evaluations[1]).toEqual({ track: 'bio', reviewerId: 'r2', dueDay: 21, dueBusinessDays: 10, submittedAt: at('2027-01-20T12:00:00-05:00'), severity: 'critical', late: true });
    expect(reviewerIdsOf(card)).toEqual(['r1', 'r2']);
    expect(JSON.stringify(card)).not.toMatch(/windowEnds|dueAt/);
    expect(JSON.stringify(card).length).toBeLessThan(900);
  });

  test('the card kept in four memo fields reads back as the same card; a partial or unknown memo reads as none', () => {
    const card = cardOf(sample());
    const fields = cardMemoFields(card);
    expect(Object.keys(fields).sort()).toEqual(Object.values(CARD_MEMO_FIELDS).sort());
    expect(cardFromMemo(fields)).toEqual(card);
    // A transition that changes only the state rewrites ~100 bytes, not the whole card.
    expect(JSON.stringify(fields[CARD_MEMO_FIELDS.state]).length).toBeLessThan(JSON.stringify(card).length / 3);
    expect(cardFromMemo({ [REVIEW_CARD_MEMO]: card })).toEqual(card); // the whole card of review-card reviews
    // Temporal drops a memo field set to an empty list: absent lists read as empty, a missing state as no card.
    const { [CARD_MEMO_FIELDS.disposal]: _disposal, ...noDisposal } = fields;
    expect(cardFromMemo(noDisposal)).toEqual({ ...card, disposal: [] });
    const { [CARD_MEMO_FIELDS.state]: _state, ...partial } = fields;
    expect(cardFromMemo(partial)).toBeNull();
    expect(cardFromMemo({ ...fields, [REVIEW_CARD_MEMO]: { ...(fields[REVIEW_CARD_MEMO] as object), v: 3 } })).toBeNull();
    expect(cardFromMemo(undefined)).toBeNull();
  });

  test('facts from the card give the status\'s own dates, at any later "now"', () => {
    const s = sample();
    for (const now of [at('2027-01-25T12:00:00-05:00'), at('2027-01-29T12:00:00-05:00')]) {
      const fromCard = factsFromCard(cardOf(s), now);
      const fromStatus = factsFromStatus(buildStatus(s, now));
      // 28 days from Jan 6 10:00 plus the two paused days: Feb 5 10:00 EST.
      expect(fromCard.windowEndsAt).toBe(at('2027-02-05T10:00:00-05:00'));
      expect(fromCard.windowEndsAt).toBe(fromStatus.windowEndsAt);
      expect(fromCard.evaluations.map((e) => [e.dueAt, e.status, e.late])).toEqual(fromStatus.evaluations.map((e) => [e.dueAt, e.status, e.late]));
      expect(fromCard.pausedMs).toBe(2 * DAY);
      expect(fromCard.pauses).toEqual(fromStatus.pauses);
    }
    // Day 21 (Jan 27 10:00) moved by the pause: Jan 29 10:00; overdue from then on.
    expect(factsFromCard(cardOf(s), at('2027-01-29T09:59:00-05:00')).evaluations[0].status).toBe('pending');
    expect(factsFromCard(cardOf(s), at('2027-01-29T10:00:00-05:00')).evaluations[0].status).toBe('overdue');
  });

  test('one card read again and again (as the server\'s copy does) gives the status\'s facts at each "now": statuses move, and a pause that lasts keeps pushing dates', () => {
    const s = sample();
    const card = cardOf(s);
    const same = (now: number): void => {
      const fromCard = factsFromCard(card, now);
      const fromStatus = factsFromStatus(buildStatus(s, now));
      expect([new Date(now).toISOString(), fromCard.windowEndsAt, fromCard.pausedMs, fromCard.evaluations.map((e) => [e.dueAt, e.status])])
        .toEqual([new Date(now).toISOString(), fromStatus.windowEndsAt, fromStatus.pausedMs, fromStatus.evaluations.map((e) => [e.dueAt, e.status])]);
    };
    for (const iso of ['2027-01-25T12:00:00-05:00', '2027-01-29T09:59:00-05:00', '2027-01-29T10:00:00-05:00', '2027-01-25T12:00:00-05:00', '2027-02-01T00:00:00-05:00']) same(at(iso));
    // A pause still running: the window end and the open evaluation's due date move with "now".
    s.pauses.push({ start: at('2027-01-26T10:00:00-05:00'), end: null });
    s.phase = 'paused';
    const paused = cardOf(s);
    const ends = ['2027-01-27T10:00:00-05:00', '2027-01-28T10:00:00-05:00'].map((iso) => {
      const now = at(iso);
      expect(factsFromCard(paused, now).windowEndsAt).toBe(factsFromStatus(buildStatus(s, now)).windowEndsAt);
      return factsFromCard(paused, now).windowEndsAt as number;
    });
    expect(ends[1] - ends[0]).toBe(DAY);
  });
});

function facts(over: Partial<ReviewFacts> & { reviewId: string }): ReviewFacts {
  return {
    model: { name: 'M', version: '1' }, lab: { id: 'acme', name: 'Acme AI' }, timeZone: NY, phase: 'in-review', outcome: null,
    createdAt: at('2027-01-04T09:00:00-05:00'), accessGrantedAt: at('2027-01-05T09:00:00-05:00'), windowEndsAt: at('2027-02-04T09:00:00-05:00'),
    accessDeadlineAt: null, disposalDueAt: null, closedAt: null, plannedReleaseAt: null, pauses: [], pausedMs: 0, evaluations: [], reviewers: [], disposal: [], source: 'card',
    ...over,
  };
}
const ev = (reviewerId: string, dueIso: string | null, status: 'pending' | 'overdue' | 'submitted' | 'not-completed', extra: object = {}) => ({
  track: `t-${reviewerId}-${dueIso ?? 'none'}`, reviewerId, reviewerName: reviewerId.toUpperCase(), dueAt: dueIso === null ? null : at(dueIso), status, severity: null, submittedAt: null, late: false, ...extra,
});

describe('portfolio', () => {
  // Sunday 2027-01-17 23:30 in New York is already Monday 05:30 in Berlin: the weeks differ by zone.
  const now = at('2027-01-17T23:30:00-05:00');

  test('weeks run Monday to Monday in the viewer\'s zone', () => {
    expect(weeksOf(now, NY).thisWeek).toEqual([at('2027-01-11T00:00:00-05:00'), at('2027-01-18T00:00:00-05:00')]);
    expect(weeksOf(now, 'Europe/Berlin').thisWeek).toEqual([at('2027-01-18T00:00:00+01:00'), at('2027-01-25T00:00:00+01:00')]);
  });

  test('overdue first, then critical, then by next deadline; due this week and next', () => {
    const reviews = [
      facts({ reviewId: 'calm', evaluations: [ev('r1', '2027-01-27T09:00:00-05:00', 'pending')] }),
      facts({ reviewId: 'late', evaluations: [ev('r2', '2027-01-15T09:00:00-05:00', 'overdue')] }),
      facts({ reviewId: 'critical', evaluations: [ev('r3', '2027-01-20T09:00:00-05:00', 'pending'), ev('r4', null, 'submitted', { severity: 'critical' })] }),
      facts({ reviewId: 'waiting', phase: 'awaiting-access', accessGrantedAt: null, windowEndsAt: null, accessDeadlineAt: at('2027-01-18T09:00:00-05:00') }),
      facts({ reviewId: 'done', phase: 'closed', outcome: 'completed', closedAt: at('2027-01-10T09:00:00-05:00') }),
    ];
    const pf = buildPortfolio(reviews, now, NY);
    expect(pf.reviews.map((r) => r.reviewId)).toEqual(['late', 'critical', 'waiting', 'calm']);
    expect(pf.byPhase).toEqual([{ phase: 'awaiting-access', count: 1 }, { phase: 'in-review', count: 3 }, { phase: 'paused', count: 0 }, { phase: 'disposal', count: 0 }]);
    expect(pf.overdue.map((d) => d.reviewId)).toEqual(['late']);
    // This week ends at midnight: nothing else is due before then.
    expect(pf.dueThisWeek).toEqual([]);
    expect(pf.dueNextWeek.map((d) => `${d.reviewId}:${d.kind}`)).toEqual(['waiting:access-deadline', 'critical:evaluation-due']);
    expect(pf.reviews.find((r) => r.reviewId === 'calm')?.nextDeadline).toMatchObject({ kind: 'evaluation-due', at: '2027-01-27T14:00:00.000Z' });
  });
});

describe('workload', () => {
  const now = at('2027-01-20T12:00:00-05:00');
  const reviews = [
    facts({ reviewId: 'a', evaluations: [ev('r1', '2027-01-18T09:00:00-05:00', 'overdue'), ev('r2', '2027-01-30T09:00:00-05:00', 'pending')] }),
    facts({ reviewId: 'b', evaluations: [ev('r1', '2027-01-22T09:00:00-05:00', 'pending'), ev('r1', null, 'submitted')] }),
    facts({ reviewId: 'c', phase: 'disposal', evaluations: [ev('r1', '2027-01-10T09:00:00-05:00', 'not-completed')] }),
  ];

  test('open assignments per reviewer, overdue counted, closed reviews and submitted evaluations left out', () => {
    const w = buildWorkload(reviews, now, 2, weeksOf(now, NY).thisWeek);
    expect(w.reviewers.map((r) => [r.reviewerId, r.open, r.overdue, r.dueThisWeek, r.atCapacity])).toEqual([['r1', 2, 1, 1, true], ['r2', 1, 0, 0, false]]);
    expect(w.reviewers[0].assignments.map((x) => x.reviewId)).toEqual(['a', 'b']);
  });

  test('assigning a reviewer at the limit warns and names their assignments; their own track does not count', () => {
    const warning = loadWarning(reviews, 'r1', { reviewId: 'z', track: 'new' }, now, 2);
    expect(warning).toMatchObject({ kind: 'reviewer-load', reviewerId: 'r1', open: 2, maxOpen: 2 });
    expect(warning?.message).toBe('reviewer r1 already has 2 open assignments (1 overdue), at or over the limit of 2 (REVIEWER_MAX_OPEN): a/t-r1-2027-01-18T09:00:00-05:00 (overdue since 2027-01-18T14:00:00.000Z), b/t-r1-2027-01-22T09:00:00-05:00 (due 2027-01-22T14:00:00.000Z)');
    expect(loadWarning(reviews, 'r1', { reviewId: 'b', track: 't-r1-2027-01-22T09:00:00-05:00' }, now, 2)).toBeNull();
    expect(loadWarning(reviews, 'r2', { reviewId: 'z', track: 'new' }, now, 2)).toBeNull();
  });

  test('REVIEWER_MAX_OPEN: a whole number of at least 1, default 4', () => {
    expect(maxOpenFrom({})).toBe(4);
    expect(maxOpenFrom({ REVIEWER_MAX_OPEN: ' 7 ' })).toBe(7);
    expect(() => maxOpenFrom({ REVIEWER_MAX_OPEN: '0' })).toThrow('REVIEWER_MAX_OPEN: "0" is not a whole number of assignments ≥ 1');
    expect(() => maxOpenFrom({ REVIEWER_MAX_OPEN: 'lots' })).toThrow('REVIEWER_MAX_OPEN');
  });
});

describe('metrics', () => {
  const now = at('2027-03-15T12:00:00-04:00');
  const reviews = [
    // Closed Feb 28 23:00 New York = Mar 1 in UTC: February in the office's zone.
    facts({
      reviewId: 'a', phase: 'closed', outcome: 'completed', createdAt: at('2027-01-04T09:00:00-05:00'), accessGrantedAt: at('2027-01-08T09:00:00-05:00'), closedAt: at('2027-02-28T23:00:00-05:00'),
      evaluations: [ev('r1', null, 'submitted', { submittedAt: at('2027-02-01T09:00:00-05:00') }), ev('r2', null, 'submitted', { submittedAt: at('2027-02-10T09:00:00-05:00'), late: true, severity: 'critical' })],
      pauses: [{ start: at('2027-01-20T09:00:00-05:00'), end: at('2027-01-23T09:00:00-05:00') }],
    }),
    facts({
      reviewId: 'b', phase: 'closed', outcome: 'expired', createdAt: at('2027-01-10T09:00:00-05:00'), accessGrantedAt: at('2027-01-12T09:00:00-05:00'), closedAt: at('2027-03-02T09:00:00-05:00'),
      evaluations: [ev('r3', null, 'not-completed')],
    }),
    facts({ reviewId: 'c', createdAt: at('2027-01-10T09:00:00-05:00'), accessGrantedAt: at('2027-01-20T09:00:00-05:00'), pauses: [{ start: at('2027-03-14T12:00:00-04:00'), end: null }] }),
  ];

  test('per month in the office\'s zone: outcomes, on time / late / not completed, intake to access, critical findings, pauses', () => {
    const m = buildMetrics(reviews, now, NY, 3);
    expect(m.months).toEqual(['2027-01', '2027-02', '2027-03']);
    expect(m.closedByOutcome.map((r) => [r.month, r.completed, r.expired])).toEqual([['2027-01', 0, 0], ['2027-02', 1, 0], ['2027-03', 0, 1]]);
    expect(m.evaluations.map((r) => [r.onTime, r.late, r.notCompleted])).toEqual([[0, 0, 0], [1, 1, 0], [0, 0, 1]]);
    expect(m.intakeToAccess[0]).toEqual({ month: '2027-01', reviews: 3, medianDays: 4, maxDays: 10 });
    expect(m.criticalFindings.map((r) => r.count)).toEqual([0, 1, 0]);
    expect(m.pauses.map((r) => [r.pauses, r.pausedDays])).toEqual([[1, 3], [0, 0], [1, 1]]);
  });

  test('median, months, and CSV with formulas neutralised', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3, 2])).toBe(2.5);
    expect(monthsUpTo(at('2027-01-01T02:00:00Z'), NY, 2)).toEqual(['2026-11', '2026-12']);
    const csv = metricsCsv(buildMetrics(reviews, now, NY, 3));
    expect(csv.split('\r\n')[0]).toBe('metric,month,series,value');
    expect(csv).toContain('reviews-closed,2027-02,completed,1\r\n');
    expect(csv).toContain('intake-to-access-days,2027-02,median,\r\n');
  });

  test('charts: one bar per non-zero figure, each named; the axis rounds up', () => {
    expect([niceMax(0), niceMax(3), niceMax(7), niceMax(12), niceMax(0.4)]).toEqual([1, 5, 10, 20, 0.5]);
    const charts = metricsCharts(buildMetrics(reviews, now, NY, 3));
    const svg = barChartSvg(charts[0]).toString();
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).toContain('<title>2027-02 — completed: 1</title>');
    expect(svg).toContain('role="img"');
    expect(svg).not.toContain('style=');
  });
});
