/**
 * Property-based hostile input over the start request and every update argument (11,000 inputs): the
 * validator accepts or rejects with a ValidationError naming a field — never another exception — and
 * nothing it accepts can inject an e-mail header or exceed the documented size limits.
 */
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import * as v from '../../workflows/validation';
import { request } from '../support/fixtures';
import { hostileValue, mutate, pathsOf } from '../support/hostile';

const NOW = Date.parse('2026-11-29T12:00:00Z');
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function outcome(parse: () => unknown): { ok: true; value: unknown } | { ok: false; error: v.ValidationError } {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof v.ValidationError) return { ok: false, error: e };
    throw new Error(`non-validation exception: ${(e as Error)?.stack ?? String(e)}`);
  }
}

function expectClearRejection(error: v.ValidationError): void {
  expect(error.issues.length).toBeGreaterThan(0);
  for (const i of error.issues) {
    expect(i.message.length).toBeGreaterThan(0);
    expect(i.message.length).toBeLessThan(300); // never echoes a huge input back
  }
}

/** Strings that reach mail headers or ids must be free of control characters. */
function headerSafe(value: unknown, where: string[] = []): void {
  if (typeof value === 'string') {
    if (where.at(-1) !== 'summary' && where.at(-1) !== 'reason' && where.at(-1) !== 'note') expect(CONTROL.test(value)).toBe(false);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, x] of Object.entries(value)) headerSafe(x, [...where, k]);
  }
}

const base = { ...request({ plannedReleaseAt: '2027-06-01T09:00:00-07:00', policy: { windowDays: 30 } }), reviewId: 'acme-atlas7-2026-12' };
const requestPaths = pathsOf(base);

test('start request: 4,000 mutated requests are accepted cleanly or rejected with field paths', () => {
  fc.assert(
    fc.property(fc.constantFrom(...requestPaths), hostileValue, (path, value) => {
      const r = outcome(() => v.parseReviewRequest(mutate(base, path, value), NOW));
      if (r.ok) headerSafe(r.value);
      else expectClearRejection(r.error);
    }),
    { numRuns: 4000 },
  );
});

const updates: [string, (i: unknown) => unknown, Record<string, unknown>][] = [
  ['grantAccess', v.parseGrantAccess, { by: 'Sec Team' }],
  ['actor (pause/resume/withdraw/close)', v.parseActor, { by: 'Pat PM', reason: 'outage' }],
  ['cancelReview', v.parseCancel, { by: 'Pat PM', reason: 'lab left' }],
  ['assignReviewer', v.parseAssignReviewer, { track: 'autonomy', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, dueDay: 20 }],
  ['submitEvaluation', v.parseSubmitEvaluation, { track: 'cyber-offense', reviewerId: 'r1', severity: 'high', summary: 'Findings.' }],
  ['setReleaseDate', v.parseSetReleaseDate, { plannedReleaseAt: '2027-06-01T09:00:00-07:00' }],
  ['confirmDisposal', v.parseConfirmDisposal, { party: 'lab', by: 'Sec Team', note: 'wiped' }],
];

test.each(updates)('%s: 1,000 hostile arguments are accepted cleanly or rejected with field paths', (_name, parse, valid) => {
  const paths = pathsOf(valid);
  fc.assert(
    fc.property(fc.oneof(fc.tuple(fc.constantFrom(...paths), hostileValue).map(([p, x]) => mutate(valid, p, x)), hostileValue), (arg) => {
      const r = outcome(() => parse(arg));
      if (r.ok) {
        headerSafe(r.value);
        const summary = (r.value as { summary?: string }).summary;
        if (summary !== undefined) expect(Buffer.byteLength(summary, 'utf8')).toBeLessThanOrEqual(v.MAX_SUMMARY_BYTES);
      } else expectClearRejection(r.error);
    }),
    { numRuns: 1000 },
  );
});

test('no accepted name or address can inject a mail header (rendered by nodemailer)', async () => {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const samples = fc.sample(fc.tuple(fc.constantFrom(['name'], ['email']), hostileValue), 300);
  let accepted = 0;
  for (const [[field], value] of samples) {
    const r = outcome(() => v.parseAssignReviewer({ track: 'x', reviewer: { id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example', [field]: value } }));
    if (!r.ok) continue;
    accepted++;
    const { reviewer } = r.value as { reviewer: { name: string; email: string } };
    const info = await transport.sendMail({ from: 'noreply@x.example', to: { name: reviewer.name, address: reviewer.email }, subject: 's', text: 't' });
    const head = (info.message as Buffer).toString('utf8').split(/\r?\n\r?\n/)[0];
    expect(head).not.toMatch(/^(Bcc|X-Injected):/im);
    expect(info.envelope.to).toEqual([reviewer.email.toLowerCase() === reviewer.email ? reviewer.email : expect.any(String)]);
  }
  expect(accepted).toBeGreaterThan(0);
});
