/** Validation of the start request and of every update argument: each problem names its field path. */
import {
  MAX_SUMMARY_BYTES, MAX_WINDOW_DAYS, ValidationError, parseActor, parseAssignReviewer, parseCancel, parseConfirmDisposal, parseGrantAccess,
  parseReviewRequest, parseSetReleaseDate, parseSubmitEvaluation, resolvePolicy,
} from '../../workflows/validation';
import type { ValidationIssue } from '../../workflows/validation';
import type { ReviewRequest } from '../../workflows/types';

/** The caller's clock for "not in the past" checks: 2026-12-01 12:00 UTC. */
const NOW = Date.parse('2026-12-01T12:00:00Z');

/** The DESIGN.md example request, as plain JSON. */
function valid(): ReviewRequest {
  return {
    reviewId: 'acme-atlas7-2026-12',
    model: { name: 'Atlas-7', version: 'rc1' },
    lab: { name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' },
    director: { name: 'Dana Director', email: 'director@clearinghouse.example' },
    evaluations: [{ track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 21 }],
    plannedReleaseAt: '2027-01-20T09:00:00-08:00',
    timeZone: 'America/New_York',
    policy: { windowDays: 30 },
  };
}

/** A JSON value whose shape a test breaks on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A deep copy of the valid request, changed by `edit` (which may break types on purpose). */
function req(edit: (r: Loose) => void): unknown {
  const r = JSON.parse(JSON.stringify(valid()));
  edit(r);
  return r;
}

/** The issues of a rejected input; fails the test if the input was accepted or failed some other way. */
function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError, but the input was accepted');
}

const paths = (issues: ValidationIssue[]): string[] => issues.map((i) => i.path);
const issueAt = (issues: ValidationIssue[], path: string): ValidationIssue => {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; issues: ${JSON.stringify(issues)}`);
  return found;
};
const requestIssues = (input: unknown): ValidationIssue[] => issuesOf(() => parseReviewRequest(input, NOW));

describe('parseReviewRequest', () => {
  test('the example request of the design passes unchanged', () => {
    expect(parseReviewRequest(valid(), NOW)).toEqual(valid());
  });

  test('optional parts may be left out', () => {
    const r = req((x) => {
      delete x.plannedReleaseAt;
      delete x.policy;
      x.evaluations = [];
    });
    expect(() => parseReviewRequest(r, NOW)).not.toThrow();
  });

  test('names are trimmed', () => {
    const out = parseReviewRequest(req((x) => { x.lab.name = '  Acme AI  '; }), NOW);
    expect(out.lab.name).toBe('Acme AI');
  });

  test('a ValidationError lists "path: message" in its message', () => {
    try {
      parseReviewRequest(req((x) => { x.lab.contacts[0].email = 'not-an-address'; }), NOW);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).name).toBe('ValidationError');
      expect((e as Error).message).toMatch(/^lab\.contacts\[0\]\.email: /);
    }
  });

  test('a bad contact e-mail names its path', () => {
    const issues = requestIssues(req((x) => { x.lab.contacts[0].email = 'security-at-acme'; }));
    expect(paths(issues)).toEqual(['lab.contacts[0].email']);
    expect(issues[0].message).toMatch(/e-mail/);
  });

  test('the second of two contacts is indexed', () => {
    const issues = requestIssues(req((x) => { x.lab.contacts.push({ name: 'Ops', email: 'ops@' }); }));
    expect(paths(issues)).toEqual(['lab.contacts[1].email']);
  });

  test('a missing field is reported as required', () => {
    const issues = requestIssues(req((x) => { delete x.programManager.email; }));
    expect(issues).toEqual([{ path: 'programManager.email', message: 'is required' }]);
  });

  test('a field of the wrong type is not reported as missing', () => {
    const issues = requestIssues(req((x) => { x.model.version = 7; }));
    expect(paths(issues)).toEqual(['model.version']);
    expect(issues[0].message).not.toBe('is required');
    expect(issues[0].message).toMatch(/string/);
  });

  test('at least one lab contact', () => {
    expect(paths(requestIssues(req((x) => { x.lab.contacts = []; })))).toEqual(['lab.contacts']);
  });

  test(`policy.windowDays above ${MAX_WINDOW_DAYS} is rejected with a message mentioning 30`, () => {
    expect(MAX_WINDOW_DAYS).toBe(30);
    const issues = requestIssues(req((x) => { x.policy.windowDays = 31; }));
    expect(paths(issues)).toEqual(['policy.windowDays']);
    expect(issues[0].message).toMatch(/\b30\b/);
  });

  test('policy.windowDays of exactly 30, and shorter windows, are accepted', () => {
    expect(() => parseReviewRequest(req((x) => { x.policy.windowDays = 30; }), NOW)).not.toThrow();
    expect(() => parseReviewRequest(req((x) => { x.policy = { windowDays: 25, dueDay: 20 }; x.evaluations[0].dueDay = 20; }), NOW)).not.toThrow();
  });

  test('policy.windowDays must be a positive whole number', () => {
    expect(paths(requestIssues(req((x) => { x.policy.windowDays = 0; })))).toContain('policy.windowDays');
    expect(paths(requestIssues(req((x) => { x.policy.windowDays = 12.5; })))).toContain('policy.windowDays');
  });

  test('a due day beyond a shorter window is rejected', () => {
    const issues = requestIssues(req((x) => { x.policy = { windowDays: 14 }; }));
    // The example's track has dueDay 21 > 14.
    expect(issueAt(issues, 'evaluations[0].dueDay').message).toMatch(/14/);
  });

  test('policy.dueDay beyond policy.windowDays is rejected', () => {
    const issues = requestIssues(req((x) => { x.policy = { windowDays: 14, dueDay: 20 }; x.evaluations[0].dueDay = 10; }));
    expect(paths(issues)).toEqual(['policy.dueDay']);
  });

  test('an unknown policy key is rejected', () => {
    const issues = requestIssues(req((x) => { x.policy.windowHours = 5; }));
    expect(issues).toEqual([{ path: 'policy', message: expect.stringContaining('"windowHours"') }]);
  });

  test('unknown fields are rejected, top-level and nested', () => {
    const top = requestIssues(req((x) => { x.priority = 'high'; }));
    expect(top).toEqual([{ path: '', message: expect.stringMatching(/unknown field.*"priority"/) }]);
    const nested = requestIssues(req((x) => { x.lab.contacts[0].phone = '+1 555 0100'; }));
    expect(nested).toEqual([{ path: 'lab.contacts[0]', message: expect.stringContaining('"phone"') }]);
  });

  test.each([
    ['timeZone', (x: Loose) => { x.timeZone = 'Eastern Time'; }],
    ['lab.timeZone', (x: Loose) => { x.lab.timeZone = 'America/San_Francisco'; }],
  ])('a bad time zone at %s', (path, edit) => {
    const issues = requestIssues(req(edit));
    expect(paths(issues)).toEqual([path]);
    expect(issues[0].message).toMatch(/IANA/);
  });

  test('plannedReleaseAt without an offset is rejected', () => {
    const issues = requestIssues(req((x) => { x.plannedReleaseAt = '2027-01-20T09:00:00'; }));
    expect(paths(issues)).toEqual(['plannedReleaseAt']);
    expect(issues[0].message).toMatch(/offset/);
  });

  test('plannedReleaseAt as a bare time is rejected', () => {
    expect(paths(requestIssues(req((x) => { x.plannedReleaseAt = '09:00:00-08:00'; })))).toEqual(['plannedReleaseAt']);
  });

  test('plannedReleaseAt in the past, or exactly now, is rejected', () => {
    const past = requestIssues(req((x) => { x.plannedReleaseAt = '2026-11-30T09:00:00-08:00'; }));
    expect(past).toEqual([{ path: 'plannedReleaseAt', message: 'must be in the future' }]);
    expect(paths(requestIssues(req((x) => { x.plannedReleaseAt = '2026-12-01T12:00:00Z'; })))).toEqual(['plannedReleaseAt']);
    expect(() => parseReviewRequest(req((x) => { x.plannedReleaseAt = '2026-12-01T12:00:01Z'; }), NOW)).not.toThrow();
  });

  test('duplicate tracks are rejected at the second one', () => {
    const issues = requestIssues(req((x) => {
      x.evaluations.push({ track: 'cyber-offense', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' } });
    }));
    expect(paths(issues)).toEqual(['evaluations[1].track']);
    expect(issues[0].message).toMatch(/twice/);
  });

  test('one reviewer with two e-mail addresses is rejected', () => {
    const issues = requestIssues(req((x) => {
      x.evaluations.push({ track: 'bio', reviewer: { id: 'r1', name: 'Riley', email: 'riley@elsewhere.example' } });
    }));
    expect(paths(issues)).toEqual(['evaluations[1].reviewer.email']);
  });

  test('the same reviewer on two tracks with one address is fine', () => {
    expect(() => parseReviewRequest(req((x) => {
      x.evaluations.push({ track: 'bio', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' } });
    }), NOW)).not.toThrow();
  });

  test('reviewer id "lab" is reserved', () => {
    const issues = requestIssues(req((x) => { x.evaluations[0].reviewer.id = 'lab'; }));
    expect(paths(issues)).toEqual(['evaluations[0].reviewer.id']);
    expect(issues[0].message).toMatch(/reserved/);
  });

  test('track names and review ids are slugs', () => {
    expect(paths(requestIssues(req((x) => { x.evaluations[0].track = 'Cyber Offense'; })))).toEqual(['evaluations[0].track']);
    expect(paths(requestIssues(req((x) => { x.reviewId = 'acme/atlas'; })))).toEqual(['reviewId']);
  });

  test.each([
    ['lab.contacts[0].name', (x: Loose) => { x.lab.contacts[0].name = 'Eve\r\nBcc: x@y'; }],
    ['programManager.name', (x: Loose) => { x.programManager.name = 'Pat\nBcc: x@y'; }],
    ['director.name', (x: Loose) => { x.director.name = 'Dana\rDirector'; }],
    ['evaluations[0].reviewer.name', (x: Loose) => { x.evaluations[0].reviewer.name = 'Riley\tR'; }],
    ['model.name', (x: Loose) => { x.model.name = 'Atlas\u0000-7'; }],
    ['lab.name', (x: Loose) => { x.lab.name = 'Acme\r\nSubject: hi'; }],
  ])('control characters in %s are rejected (header injection)', (path, edit) => {
    const issues = requestIssues(req(edit));
    expect(paths(issues)).toEqual([path]);
    expect(issues[0].message).toMatch(/control characters/);
  });

  test('a header-injection attempt in an e-mail address is rejected', () => {
    const issues = requestIssues(req((x) => { x.lab.contacts[0].email = 'security@acme.example\r\nBcc: x@y.example'; }));
    expect(paths(issues)).toEqual(['lab.contacts[0].email']);
  });

  test('every problem is reported at once', () => {
    const issues = requestIssues(req((x) => {
      x.timeZone = 'Nowhere/Land';
      x.programManager.email = 'pm';
      x.evaluations[0].reviewer.id = 'lab';
    }));
    expect(paths(issues).sort()).toEqual(['evaluations[0].reviewer.id', 'programManager.email', 'timeZone']);
  });

  test('not an object at all', () => {
    expect(paths(issuesOf(() => parseReviewRequest('review please', NOW)))).toEqual(['']);
    expect(paths(issuesOf(() => parseReviewRequest(null, NOW)))).toEqual(['']);
  });
});

describe('resolvePolicy', () => {
  test('fills in the design defaults and keeps overrides', () => {
    expect(resolvePolicy({ windowDays: 20, closeReminderDays: [2] })).toEqual({
      windowDays: 20, accessReminderDays: [3, 7], accessGrantDeadlineDays: 14, closeReminderDays: [2], dueDay: 21,
      reviewerReminderDays: [3], directorEscalationDays: 3, maxPauseDays: 10, disposalDays: 5,
    });
    expect(resolvePolicy(undefined).windowDays).toBe(30);
  });
});

describe('update parsers', () => {
  test('parseGrantAccess', () => {
    expect(parseGrantAccess({ by: 'Sec Team' })).toEqual({ by: 'Sec Team' });
    expect(issuesOf(() => parseGrantAccess({}))).toEqual([{ path: 'by', message: 'is required' }]);
    expect(paths(issuesOf(() => parseGrantAccess({ by: '   ' })))).toEqual(['by']);
    expect(paths(issuesOf(() => parseGrantAccess({ by: 'Eve\r\nBcc: x@y' })))).toEqual(['by']);
    expect(paths(issuesOf(() => parseGrantAccess({ by: 'x', at: '2027-01-01T00:00:00Z' })))).toEqual(['']);
    const wrongType = issuesOf(() => parseGrantAccess({ by: 5 }));
    expect(paths(wrongType)).toEqual(['by']);
    expect(wrongType[0].message).not.toBe('is required');
  });

  test('parseActor: by required, reason optional', () => {
    expect(parseActor({ by: 'Pat PM' })).toEqual({ by: 'Pat PM' });
    expect(parseActor({ by: 'Pat PM', reason: 'lab VPN down' })).toEqual({ by: 'Pat PM', reason: 'lab VPN down' });
    expect(issuesOf(() => parseActor({ reason: 'x' }))).toEqual([{ path: 'by', message: 'is required' }]);
    expect(paths(issuesOf(() => parseActor({ by: 'Pat', reason: 'x'.repeat(2001) })))).toEqual(['reason']);
    expect(paths(issuesOf(() => parseActor({ by: 'Pat', note: 'x' })))).toEqual(['']);
    expect(paths(issuesOf(() => parseActor(undefined)))).toEqual(['']);
  });

  test('parseCancel requires a reason', () => {
    expect(parseCancel({ by: 'Pat PM', reason: 'lab postponed' })).toEqual({ by: 'Pat PM', reason: 'lab postponed' });
    expect(issuesOf(() => parseCancel({ by: 'Pat PM' }))).toEqual([{ path: 'reason', message: 'is required' }]);
    expect(paths(issuesOf(() => parseCancel({ by: 'Pat PM', reason: '  ' })))).toEqual(['reason']);
  });

  test('parseAssignReviewer', () => {
    const ok = { track: 'bio', reviewer: { id: 'r2', name: 'Robin', email: 'robin@clearinghouse.example' }, dueDay: 14 };
    expect(parseAssignReviewer(ok)).toEqual(ok);
    expect(() => parseAssignReviewer({ ...ok, dueDay: undefined })).not.toThrow();
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, reviewer: { ...ok.reviewer, id: 'lab' } })))).toEqual(['reviewer.id']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, reviewer: { ...ok.reviewer, email: 'robin' } })))).toEqual(['reviewer.email']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, reviewer: { ...ok.reviewer, name: 'Eve\r\nBcc: x@y' } })))).toEqual(['reviewer.name']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, dueDay: 31 })))).toEqual(['dueDay']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, dueDay: 0 })))).toEqual(['dueDay']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, track: 'Bio Track' })))).toEqual(['track']);
    expect(issuesOf(() => parseAssignReviewer({ track: 'bio' }))).toEqual([{ path: 'reviewer', message: 'is required' }]);
    // Optional `by` for the audit trail, checked like every other name.
    expect(parseAssignReviewer({ ...ok, by: 'Pat PM' }).by).toBe('Pat PM');
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, by: 'Pat\r\nPM' })))).toEqual(['by']);
    expect(paths(issuesOf(() => parseAssignReviewer({ ...ok, by: 7 })))).toEqual(['by']);
  });

  test('parseSetReleaseDate takes an optional by', () => {
    const ok = { plannedReleaseAt: '2027-01-20T09:00:00-08:00' };
    expect(parseSetReleaseDate(ok)).toEqual(ok);
    expect(parseSetReleaseDate({ ...ok, by: 'Acme Release Desk' })).toEqual({ ...ok, by: 'Acme Release Desk' });
    expect(paths(issuesOf(() => parseSetReleaseDate({ ...ok, by: '' })))).toEqual(['by']);
    expect(paths(issuesOf(() => parseSetReleaseDate({ ...ok, by: 'x'.repeat(201) })))).toEqual(['by']);
  });

  test('parseSubmitEvaluation', () => {
    const ok = { track: 'cyber-offense', reviewerId: 'r1', severity: 'high', summary: 'Finds and exploits a known CVE class.' };
    expect(parseSubmitEvaluation(ok)).toEqual(ok);
    for (const severity of ['none', 'low', 'medium', 'high', 'critical']) expect(parseSubmitEvaluation({ ...ok, severity }).severity).toBe(severity);
    const bad = issuesOf(() => parseSubmitEvaluation({ ...ok, severity: 'severe' }));
    expect(paths(bad)).toEqual(['severity']);
    expect(bad[0].message).toMatch(/none, low, medium, high, critical/);
    expect(paths(issuesOf(() => parseSubmitEvaluation({ ...ok, severity: 'HIGH' })))).toEqual(['severity']);
    expect(paths(issuesOf(() => parseSubmitEvaluation({ ...ok, summary: ' \n ' })))).toEqual(['summary']);
    expect(issuesOf(() => parseSubmitEvaluation({ ...ok, reviewerId: undefined }))).toEqual([{ path: 'reviewerId', message: 'is required' }]);
  });

  test(`parseSubmitEvaluation: a summary of ${MAX_SUMMARY_BYTES} UTF-8 bytes is the limit, however many characters that is`, () => {
    const ok = { track: 'cyber-offense', reviewerId: 'r1', severity: 'low' };
    expect(parseSubmitEvaluation({ ...ok, summary: 'a'.repeat(MAX_SUMMARY_BYTES) }).summary).toHaveLength(MAX_SUMMARY_BYTES);
    const issues = issuesOf(() => parseSubmitEvaluation({ ...ok, summary: 'a'.repeat(MAX_SUMMARY_BYTES + 1) }));
    expect(paths(issues)).toEqual(['summary']);
    expect(issues[0].message).toContain(String(MAX_SUMMARY_BYTES));
    // 'é' is two bytes: half as many characters reach the same limit.
    expect(parseSubmitEvaluation({ ...ok, summary: 'é'.repeat(MAX_SUMMARY_BYTES / 2) }).summary).toHaveLength(MAX_SUMMARY_BYTES / 2);
    const wide = issuesOf(() => parseSubmitEvaluation({ ...ok, summary: 'é'.repeat(MAX_SUMMARY_BYTES / 2 + 1) }));
    expect(wide[0].message).toMatch(/at most 20000 bytes of UTF-8 \(this one is 20002\)/);
    // An emoji is one code point, two UTF-16 units and four bytes: 15,000 of them are 60,000 bytes and refused.
    const emoji = issuesOf(() => parseSubmitEvaluation({ ...ok, summary: '😀'.repeat(15_000) }));
    expect(emoji).toEqual([{ path: 'summary', message: 'must be at most 20000 bytes of UTF-8 (this one is 60000)' }]);
  });

  test('prose may have line breaks and tabs, no other control character', () => {
    const ok = { track: 'cyber-offense', reviewerId: 'r1', severity: 'low' };
    expect(parseSubmitEvaluation({ ...ok, summary: 'Line one\n\tLine two\r\nthree' }).summary).toBe('Line one\n\tLine two\r\nthree');
    for (const bad of ['\u0000', '\u0007', '\u001b[31m', '\u007f']) {
      const issues = issuesOf(() => parseSubmitEvaluation({ ...ok, summary: `before${bad}after` }));
      expect(issues).toEqual([{ path: 'summary', message: 'must not contain control characters other than line breaks and tabs' }]);
    }
    expect(paths(issuesOf(() => parseActor({ by: 'Pat', reason: 'a\u0000b' })))).toEqual(['reason']);
    // Reasons and notes are stricter than summaries: no tabs (test/unit/text-rules.test.ts).
    expect(paths(issuesOf(() => parseActor({ by: 'Pat', reason: 'a\tb' })))).toEqual(['reason']);
    expect(paths(issuesOf(() => parseConfirmDisposal({ party: 'lab', by: 'Pat', note: 'x\u001bz' })))).toEqual(['note']);
    expect(paths(issuesOf(() => parseCancel({ by: 'Pat', reason: 'x\u0008' })))).toEqual(['reason']);
  });

  test('parseSubmitEvaluation: a multi-line summary is fine (it is the body, not a header)', () => {
    const summary = 'Line one.\nLine two.';
    expect(parseSubmitEvaluation({ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary }).summary).toBe(summary);
  });

  test('parseSetReleaseDate', () => {
    expect(parseSetReleaseDate({ plannedReleaseAt: '2027-02-01T09:00:00-08:00' })).toEqual({ plannedReleaseAt: '2027-02-01T09:00:00-08:00' });
    expect(() => parseSetReleaseDate({ plannedReleaseAt: '2027-02-01T17:00:00Z' })).not.toThrow();
    const noOffset = issuesOf(() => parseSetReleaseDate({ plannedReleaseAt: '2027-02-01T09:00:00' }));
    expect(paths(noOffset)).toEqual(['plannedReleaseAt']);
    expect(noOffset[0].message).toMatch(/offset/);
    expect(paths(issuesOf(() => parseSetReleaseDate({ plannedReleaseAt: '2027-02-01' })))).toEqual(['plannedReleaseAt']);
    expect(issuesOf(() => parseSetReleaseDate({}))).toEqual([{ path: 'plannedReleaseAt', message: 'is required' }]);
  });

  test('parseConfirmDisposal', () => {
    expect(parseConfirmDisposal({ party: 'lab', by: 'Sec Team' })).toEqual({ party: 'lab', by: 'Sec Team' });
    expect(parseConfirmDisposal({ party: 'r1', by: 'Riley', note: 'wiped' })).toEqual({ party: 'r1', by: 'Riley', note: 'wiped' });
    expect(paths(issuesOf(() => parseConfirmDisposal({ party: '', by: 'Riley' })))).toEqual(['party']);
    expect(issuesOf(() => parseConfirmDisposal({ by: 'Riley' }))).toEqual([{ path: 'party', message: 'is required' }]);
    expect(paths(issuesOf(() => parseConfirmDisposal({ party: 'r1', by: 'Riley\nBcc: x@y' })))).toEqual(['by']);
    expect(paths(issuesOf(() => parseConfirmDisposal({ party: 'r1', by: 'Riley', confirmedAt: 'now' })))).toEqual(['']);
  });
});
