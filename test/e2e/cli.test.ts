/**
 * End to end through the real `review` CLI (a child process, as a person runs it) against a real Temporal
 * dev server, the project's worker and an SMTP sink: what the CLI reports must be what was delivered.
 */
import { simpleParser } from 'mailparser';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReviewSummary, StartedReview } from '../../client/review-client';
import type { NoticeKind, ReviewRequest, ReviewStatus } from '../../workflows/types';
import { cliFor, cliJson as runJson, eventually, ROOT } from '../support/cli';
import type { Cli } from '../support/cli';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'review.json'), 'utf8'));

let env: ReviewEnv;
let tmp: string;
let cli: Cli;
const cliJson = <T>(args: string[]): Promise<T> => runJson<T>(cli, args);

function writeRequest(overrides: Partial<ReviewRequest>): { file: string; request: ReviewRequest } {
  const request = { ...EXAMPLE, ...overrides };
  const file = path.join(tmp, `${request.reviewId}.json`);
  writeFileSync(file, JSON.stringify(request, null, 2));
  return { file, request };
}

const uniqueId = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
const oneLine = (s: string): boolean => s.trim().length > 0 && !s.trim().includes('\n');

beforeAll(async () => {
  env = await createReviewEnv('local');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'review-cli-'));
  cli = cliFor(env, tmp);
});

afterAll(async () => {
  await env?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('review CLI against a dev server', () => {
  const reviewId = uniqueId('e2e-atlas7');

  test('start, grant access, submit: status and the delivered notices agree', async () => {
    const { file } = writeRequest({ reviewId });
    const started = await cliJson<StartedReview>(['start', file]);
    expect(started).toMatchObject({ reviewId, workflowId: `review-${reviewId}` });

    // An update answers with an acknowledgement; the state is read with `status`.
    expect((await cli(['grant-access', reviewId, '--by', 'Acme Security Team'])).code).toBe(0);
    const afterGrant = await cliJson<ReviewStatus>(['status', reviewId]);
    expect(afterGrant.phase).toBe('in-review');
    expect(afterGrant.clock.startedAt).not.toBeNull();
    expect(afterGrant.clock.windowEndsAt).not.toBeNull();

    const submitted = await cli([
      'submit', reviewId, '--track', 'cyber-offense', '--reviewer', 'r1', '--severity', 'medium', '--summary', 'Known CVEs only; no novel exploit chains.',
    ]);
    expect(submitted.code).toBe(0);
    const afterSubmit = await cliJson<ReviewStatus>(['status', reviewId]);
    expect(afterSubmit.evaluations).toEqual([expect.objectContaining({ track: 'cyber-offense', status: 'submitted', severity: 'medium' })]);

    const expected: [NoticeKind, string][] = [
      ['intake-ack', 'lab'], ['intake-ack', 'pm'], ['clock-started', 'lab'], ['clock-started', 'pm'],
      ['reviewer-assigned', 'reviewer:r1'], ['ready-to-close', 'pm'],
    ];
    const status = await eventually(() => cliJson<ReviewStatus>(['status', reviewId]),
      (s) => expected.every(([k, a]) => s.notices.some((n) => n.kind === k && n.audience === a)) && s.notices.every((n) => n.state === 'sent'));
    // At least these (the workflow may address more people, e.g. reviewers at clock start).
    expect(status.notices.map((n) => [n.kind, n.audience])).toEqual(expect.arrayContaining(expected));
    expect(status.notices.filter((n) => n.state !== 'sent' || !n.messageId)).toEqual([]);

    // Every notice arrived once, with the Message-ID the status reports, addressed to exactly its recipients.
    const ids = status.notices.map((n) => n.messageId as string);
    await env.sink.waitFor((mails) => ids.every((id) => mails.some((m) => m.messageId === id)));
    for (const n of status.notices) {
      const mails = env.sink.messages.filter((m) => m.messageId === n.messageId);
      expect(mails).toHaveLength(1);
      expect([...mails[0].envelopeTo].sort()).toEqual([...n.to].sort());
    }
    const lab = EXAMPLE.lab.contacts.map((c) => c.email).sort();
    expect([...status.notices.find((n) => n.kind === 'clock-started' && n.audience === 'lab')!.to].sort()).toEqual(lab);
    expect(status.notices.find((n) => n.kind === 'reviewer-assigned')!.to).toEqual([EXAMPLE.evaluations[0].reviewer.email]);
    expect(status.notices.find((n) => n.kind === 'ready-to-close')!.to).toEqual([EXAMPLE.programManager.email]);

    const human = await cli(['status', reviewId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Phase:\s+in-review/);
    expect(human.stdout).toMatch(/cyber-offense\s+r1 \(Riley Reviewer\).*submitted\s+medium/);
    expect(human.stdout).toContain('ready-to-close');
  });

  test('a second start of the same review fails clearly', async () => {
    const { file } = writeRequest({ reviewId });
    const r = await cli(['start', file]);
    expect(r.code).toBe(4);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain(`review ${reviewId} already exists (workflow review-${reviewId})`);
  });

  test('a start with the id of a review that has finished is refused too (exit 4); an update to it is a conflict (exit 4), not "not found"', async () => {
    const finished = uniqueId('e2e-finished');
    const { file } = writeRequest({ reviewId: finished });
    await cliJson<StartedReview>(['start', file]);
    expect((await cli(['cancel', finished, '--by', 'Pat PM', '--reason', 'finished for this test'])).code).toBe(0);
    // A review cancelled before access ends at once: wait for the workflow itself to complete.
    await env.env.client.workflow.getHandle(`review-${finished}`).result();
    const before = await cliJson<ReviewStatus>(['status', finished]);
    expect(before).toMatchObject({ phase: 'closed', outcome: 'cancelled' });

    const again = await cli(['start', file]);
    expect(again.code).toBe(4);
    expect(oneLine(again.stderr)).toBe(true);
    expect(again.stderr).toContain(`review ${finished} already exists (workflow review-${finished})`);

    const update = await cli(['grant-access', finished, '--by', 'Acme Security Team']);
    expect(update.code).toBe(4);
    expect(oneLine(update.stderr)).toBe(true);
    expect(update.stderr).toMatch(new RegExp(`review ${finished} has finished .*no further changes are accepted`));
    expect(await cliJson<ReviewStatus>(['status', finished])).toEqual(before);
  });

  test('a rejected update explains why and changes nothing', async () => {
    const r = await cli(['grant-access', reviewId, '--by', 'someone']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/cannot grant access: review .* is in-review/);
    const s = await cliJson<ReviewStatus>(['status', reviewId]);
    expect(s.events.filter((e) => e.type === 'access-granted')).toHaveLength(1);
  });

  test('list filters by phase and lab', async () => {
    const waitingId = uniqueId('e2e-waiting');
    const { file } = writeRequest({ reviewId: waitingId });
    await cliJson<StartedReview>(['start', file]);
    const listed = (args: string[]) => cliJson<ReviewSummary[]>(['list', ...args]);
    const byPhase = await eventually(() => listed(['--phase', 'awaiting-access']), (rows) => rows.some((r) => r.reviewId === waitingId));
    expect(byPhase.map((r) => r.reviewId)).toContain(waitingId);
    expect(byPhase.map((r) => r.reviewId)).not.toContain(reviewId);

    const inReview = await eventually(() => listed(['--phase', 'in-review']), (rows) => rows.some((r) => r.reviewId === reviewId));
    const row = inReview.find((r) => r.reviewId === reviewId);
    // The search attribute holds the lab's id (the example has one), which lab tokens and filters use; the name is only shown.
    expect(row).toMatchObject({ lab: EXAMPLE.lab.id, phase: 'in-review', outcome: null, status: 'running' });
    expect(row?.windowEndsAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const byLab = await listed(['--lab', EXAMPLE.lab.id as string]);
    expect(byLab.map((r) => r.reviewId)).toEqual(expect.arrayContaining([reviewId, waitingId]));
    expect(await listed(['--lab', 'No Such Lab'])).toEqual([]);

    const human = await cli(['list', '--lab', EXAMPLE.lab.id as string]);
    expect(human.stdout).toMatch(new RegExp(`${waitingId}\\s+acme\\s+awaiting-access`));
  });
});

describe('review CLI errors', () => {
  test('an invalid request file names the field and nothing starts', async () => {
    const reviewId = uniqueId('e2e-invalid');
    const { file } = writeRequest({ reviewId, lab: { ...EXAMPLE.lab, timeZone: 'Mars/Olympus_Mons' } });
    const r = await cli(['start', file]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('lab.timeZone');
    expect(r.stderr).toContain(file);
    expect((await cli(['status', reviewId])).code).toBe(3);

    const bad = path.join(tmp, 'broken.json');
    writeFileSync(bad, '{ "reviewId": ');
    const j = await cli(['start', bad]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/broken\.json is not valid JSON/);

    const missing = await cli(['start', path.join(tmp, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read review request .*missing\.json: no such file/);
  });

  test('an invalid update argument is caught before anything is sent', async () => {
    const r = await cli(['assign', 'whatever', '--track', 'Bad Track', '--reviewer-id', 'r2', '--reviewer-name', 'Sam', '--reviewer-email', 'not-an-email']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/track: must be a track name/);
    expect(r.stderr).toMatch(/reviewer\.email: must be a valid e-mail address/);
  });

  test('an unknown review is a clear not-found error', async () => {
    const status = await cli(['status', 'no-such-review']);
    expect(status.code).toBe(3);
    expect(oneLine(status.stderr)).toBe(true);
    expect(status.stderr).toContain('review no-such-review not found (workflow review-no-such-review)');
    const update = await cli(['pause', 'no-such-review', '--by', 'Pat PM']);
    expect(update.code).toBe(3);
    expect(update.stderr).toContain('review no-such-review not found');
    const json = await cli(['--json', 'status', 'no-such-review']);
    expect(JSON.parse(json.stderr)).toEqual({ error: expect.objectContaining({ kind: 'not-found' }) });
  });

  test('an unreachable server fails fast with a clear message', async () => {
    const r = await cli(['status', 'anything'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(6);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    // Fast by construction, not by a stopwatch: the TCP probe's refusal, not a connect timeout that ran out.
    expect(r.stderr).toContain(': connection refused;');
  });
});

describe('the weekly digest', () => {
  test('sending before the schedule exists is a clear not-found', async () => {
    const r = await cli(['digest', 'send']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('create it with `review digest schedule`');
  });

  test('schedule: created, then unchanged, then updated to a new zone and time; bad input is refused', async () => {
    expect(await cliJson(['digest', 'schedule'])).toEqual({ schedule: 'created', timeZone: 'America/New_York', at: '08:00' });
    expect(await cliJson(['digest', 'schedule'])).toMatchObject({ schedule: 'unchanged' });
    const moved = await cli(['digest', 'schedule', '--time-zone', 'Europe/Berlin', '--at', '07:30']);
    expect(moved.stdout.trim()).toBe('Digest schedule updated: Mondays 07:30 Europe/Berlin.');
    // Refused before connecting: no server is needed to say so.
    const zone = await cli(['digest', 'schedule', '--time-zone', 'Mars/Olympus'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('"Mars/Olympus" is not an IANA time zone');
    const time = await cli(['digest', 'schedule', '--at', '25:00']);
    expect(time.code).toBe(2);
    expect(time.stderr).toContain('HH:MM');
  });

  test("send: the program manager of an open review gets this week's digest by e-mail, closed reviews left out", async () => {
    const id = uniqueId('e2e-digest');
    const closed = uniqueId('e2e-digest-closed');
    for (const reviewId of [id, closed]) await cliJson(['start', writeRequest({ reviewId }).file]);
    expect((await cli(['cancel', closed, '--by', 'Pat PM', '--reason', 'not for the digest'])).code).toBe(0);
    // Both visible to the digest's query, the cancelled one as closed.
    await eventually(() => cliJson<ReviewSummary[]>(['list']), (l) => l.some((r) => r.reviewId === id) && l.some((r) => r.reviewId === closed && r.phase === 'closed'));
    const r = await cli(['digest', 'send']);
    expect(r.code).toBe(0);
    const digests = await eventually(
      async () => env.sink.messages.filter((m) => m.envelopeTo.includes(EXAMPLE.programManager.email) && m.raw.includes('X-Frontier-Review-Digest')),
      (d) => d.some((m) => m.raw.includes(id)),
    );
    const mail = await simpleParser(digests.find((m) => m.raw.includes(id))?.raw ?? '');
    expect(mail.subject).toMatch(/^Weekly review digest: \d+ deadlines? this week in \d+ open reviews?$/);
    const text = mail.text ?? '';
    expect(text).toMatch(/^Hello Pat PM,/);
    // The review, its phase, and what falls due: the access deadline, 14 days out, comes after this week.
    expect(text).toMatch(new RegExp(`Atlas-7 rc1 from Acme AI — review ${id} \\(awaiting-access\\)\\n\\n  - nothing due this week\\n  - next after that: .*access deadline`));
    expect(text).not.toContain(closed);
  });
});
