/**
 * Text rules of issue 13, finding 9: reasons and notes carry line breaks and no other control character; display
 * names (which go into mail headers) carry no <, > or @. The display-name rule is the client's (the workflow's own
 * start check is replayed and stays as it was); assignReviewer's validator is never replayed and applies it too.
 */
import { validateRequest } from '../../client/review-client';
import { ReviewError } from '../../client/errors';
import { checkDisplayNames, parseActor, parseAssignReviewer, parseCancel, parseConfirmDisposal, parseReviewRequest, ValidationError } from '../../workflows/validation';
import type { ReviewRequest } from '../../workflows/types';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const request = (): ReviewRequest => ({
  reviewId: 'acme-atlas7-2026-12',
  model: { name: 'Atlas-7', version: 'rc1' },
  lab: { id: 'acme', name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
  programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' },
  director: { name: 'Dana Director', email: 'director@clearinghouse.example' },
  evaluations: [{ track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 21 }],
  timeZone: 'America/New_York',
});

const issuesOf = (fn: () => unknown): { path: string; message: string }[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError || e instanceof ReviewError) return e.issues;
    throw e;
  }
  return [];
};

test.each([
  ['a tab', 'a\tb'],
  ['a lone carriage return', 'line one\rBcc: x@evil.example'],
  ['a NUL', 'a\u0000b'],
  ['an escape sequence', 'a\u001b[2Jb'],
  ['a C1 control', 'a\u0085b'],
  ['a right-to-left override', 'approved\u202edevorppa'],
])('reason and note refuse %s, naming the field', (_what, text) => {
  const refused = (path: string) => [{ path, message: expect.stringMatching(/^must not contain control characters other than line breaks/) }];
  expect(issuesOf(() => parseActor({ by: 'Pat', reason: text }))).toEqual(refused('reason'));
  expect(issuesOf(() => parseCancel({ by: 'Pat', reason: text }))).toEqual(refused('reason'));
  expect(issuesOf(() => parseConfirmDisposal({ party: 'lab', by: 'Pat', note: text }))).toEqual(refused('note'));
});

test('line breaks (LF and the CRLF a browser form sends) are kept', () => {
  expect(parseActor({ by: 'Pat', reason: 'one\ntwo' }).reason).toBe('one\ntwo');
  expect(parseConfirmDisposal({ party: 'lab', by: 'Pat', note: 'one\r\ntwo' }).note).toBe('one\r\ntwo');
});

test('display names with <, > or @ are refused by the client before any start, each at its path', () => {
  const req = request();
  req.lab.contacts = [{ name: 'Sec <attacker@evil.example>', email: 'security@acme.example' }];
  req.director = { name: 'dana@clearinghouse.example', email: 'director@clearinghouse.example' };
  req.evaluations[0].reviewer.name = 'Riley >';
  expect(issuesOf(() => validateRequest(req, NOW)).map((i) => i.path)).toEqual(['lab.contacts[0].name', 'director.name', 'evaluations[0].reviewer.name']);
  expect(() => validateRequest(req, NOW)).toThrow(/lab\.contacts\[0\]\.name: must not contain <, > or @/);
  // The workflow's start check (replayed for running reviews) is unchanged: it still accepts the request.
  expect(() => parseReviewRequest(req, NOW)).not.toThrow();
  expect(() => checkDisplayNames(request())).not.toThrow();
});

test('assignReviewer refuses such a reviewer name; lab.id has the id format', () => {
  expect(issuesOf(() => parseAssignReviewer({ track: 't', reviewer: { id: 'r2', name: 'R <r@evil.example>', email: 'r2@x.example' } })).map((i) => i.path)).toEqual(['reviewer.name']);
  const req = request();
  req.lab.id = 'has space';
  expect(issuesOf(() => validateRequest(req, NOW)).map((i) => i.path)).toEqual(['lab.id']);
  const { id: _id, ...noId } = request().lab;
  expect(validateRequest({ ...request(), lab: noId }, NOW).lab).not.toHaveProperty('id');
});
