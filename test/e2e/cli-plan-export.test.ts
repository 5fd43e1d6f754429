/**
 * The CLI's planning and reporting commands as a person runs them (child processes): `plan` (table, JSON,
 * iCalendar, both zones), `simulate` (time-skipping server with a what-if script), `export` (JSON, CSV,
 * iCalendar) and `list` filters through the search attributes, against a real dev server and worker.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Plan } from '../../client/plan';
import type { ReviewSummary } from '../../client/review-client';
import type { ReviewRequest } from '../../workflows/types';
import { cliFor, cliJson as runJson, eventually, ROOT } from '../support/cli';
import type { Cli } from '../support/cli';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const EXAMPLE_FILE = path.join(ROOT, 'examples', 'review.json');
const EXAMPLE: ReviewRequest = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8'));
let env: ReviewEnv;
let tmp: string;
let cli: Cli;
const cliJson = <T>(args: string[]): Promise<T> => runJson<T>(cli, args);
const uid = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  env = await createReviewEnv('local');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'review-cli-plan-'));
  cli = cliFor(env, tmp, { FRONTIER_REVIEW_WORKFLOW_BUNDLE: process.env.FRONTIER_REVIEW_TEST_BUNDLE ?? '' });
});

afterAll(async () => {
  await env?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('review plan', () => {
  const at = ['--start-at', '2026-12-01T09:00:00-05:00'];

  test('the table shows every dated event and notice in the review zone and the lab zone, without a server', async () => {
    const r = await cli(['plan', EXAMPLE_FILE, ...at, '--access-granted-at', '2026-12-03T10:00:00-05:00'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing is started');
    expect(r.stdout).toContain('2027-01-02 10:00 EST  2027-01-02 07:00 PST  Window ends');
    expect(r.stdout).toMatch(/day 23 +2026-12-24 10:00 EST .*Evaluation due: cyber-offense/);
    for (const kind of ['intake-ack', 'clock-started', 'reviewer-reminder', 'evaluation-overdue', 'director-escalation', 'close-reminder', 'review-closed', 'disposal-request', 'disposal-overdue']) {
      expect(r.stdout).toContain(kind);
    }
  });

  test('--json and --ics', async () => {
    const plan = await cliJson<Plan>(['plan', EXAMPLE_FILE, ...at]);
    expect(plan).toMatchObject({ reviewId: EXAMPLE.reviewId, timeZone: 'America/New_York', labTimeZone: 'America/Los_Angeles', outcome: 'expired' });
    const lab = plan.notices.find((n) => n.kind === 'close-reminder');
    expect(lab?.recipientTimeZone).toBe('America/Los_Angeles');
    expect(lab?.atRecipientZone).toMatch(/-08:00$/);
    const ics = await cli(['plan', EXAMPLE_FILE, ...at, '--ics']);
    expect(ics.code).toBe(0);
    expect(ics.stdout).toMatch(/^BEGIN:VCALENDAR/);
    expect((ics.stdout.match(/BEGIN:VEVENT/g) ?? []).length).toBe(plan.deadlines.length + plan.notices.length);
  });

  test('--never-granted shows the lapse; an access date after the deadline is refused', async () => {
    const plan = await cliJson<Plan>(['plan', EXAMPLE_FILE, ...at, '--never-granted']);
    expect(plan.outcome).toBe('lapsed');
    expect(plan.notices.map((n) => n.kind)).toEqual(['intake-ack', 'intake-ack', 'access-reminder', 'access-reminder', 'access-reminder', 'access-reminder', 'review-lapsed', 'review-lapsed', 'review-closed', 'review-closed']);
    const late = await cli(['plan', EXAMPLE_FILE, ...at, '--access-granted-at', '2026-12-20T09:00:00-05:00']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/^error: accessGrantedAt: must be before the access deadline 2026-12-15T09:00:00.000-05:00/);
  });
});

test('review simulate: a what-if script on the time-skipping server prints the notices in order', async () => {
  const script = path.join(tmp, 'what-if.json');
  writeFileSync(script, JSON.stringify({
    description: 'access on day 2, critical finding on day 27',
    steps: [
      { day: 2, action: 'grantAccess', args: { by: 'Acme Security Team' } },
      { day: 27, action: 'submitEvaluation', args: { track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'Novel exploit chain' } },
    ],
    untilDay: 33,
  }));
  const r = await cli(['simulate', EXAMPLE_FILE, '--script', script, '--quiet'], {}, 280_000);
  // (stderr carries the Java test server's own start-up chatter)
  expect({ code: r.code, errors: r.stderr.split('\n').filter((l) => l.startsWith('error')) }).toEqual({ code: 0, errors: [] });
  const lines = r.stdout.split('\n');
  const first = (s: string): number => lines.findIndex((l) => l.includes(s));
  expect(first('▶ grantAccess')).toBeGreaterThan(first('intake-ack'));
  expect(first('reviewer-reminder')).toBeGreaterThan(first('▶ grantAccess'));
  expect(first('critical-finding')).toBeGreaterThan(first('evaluation-overdue'));
  expect(first('review-closed')).toBeGreaterThan(first('critical-finding'));
  expect(r.stdout).toMatch(/Final: phase disposal, outcome completed/);

  const bad = path.join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({ steps: [{ day: 2, action: 'launchRocket', args: {} }] }));
  const e = await cli(['simulate', EXAMPLE_FILE, '--script', bad]);
  expect(e.code).toBe(2);
  expect(e.stderr).toContain('steps[0].action');
}, 300_000);

describe('against a dev server', () => {
  const id = uid('cli-export');
  const waiting = uid('cli-waiting');

  beforeAll(async () => {
    for (const reviewId of [id, waiting]) {
      const file = path.join(tmp, `${reviewId}.json`);
      writeFileSync(file, JSON.stringify({ ...EXAMPLE, reviewId, plannedReleaseAt: new Date(Date.now() + 120 * 86_400_000).toISOString() }));
      await cliJson(['start', file]);
    }
    await cliJson(['grant-access', id, '--by', 'Acme Security Team']);
  });

  test('review export --format json|csv|ics: the audit trail and every deadline', async () => {
    const x = await cliJson<{ deadlines: { kind: string }[]; events: { type: string }[] }>(['export', id, '--format', 'json']);
    expect(x.deadlines.map((d) => d.kind)).toEqual(expect.arrayContaining(['clock-start', 'evaluation-due', 'window-end', 'planned-release']));
    expect(x.events.map((e) => e.type)).toEqual(['review-started', 'access-granted']);
    const csv = await cli(['export', id, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('record,at,type,party,track,state,detail');
    expect(rows.filter((l) => l.startsWith('event,'))).toHaveLength(2);
    expect(rows.some((l) => l.startsWith('deadline,') && l.includes(',window-end,'))).toBe(true);
    const out = path.join(tmp, 'x.ics');
    const ics = await cli(['export', id, '--format', 'ics', '--output', out]);
    expect(ics.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('SUMMARY:Review window ends');
    expect((await cli(['export', 'no-such-review'])).code).toBe(3);
  });

  test('review list --phase / --lab / --due-within: filters through the search attributes', async () => {
    const ids = (rows: ReviewSummary[]): string[] => rows.map((r) => r.reviewId);
    const soon = await eventually(() => cliJson<ReviewSummary[]>(['list', '--due-within', '31']), (rows) => ids(rows).includes(id));
    expect(ids(soon)).toContain(id);
    expect(ids(soon)).not.toContain(waiting);
    expect(ids(await cliJson<ReviewSummary[]>(['list', '--due-within', '5']))).not.toContain(id);
    const awaiting = await eventually(() => cliJson<ReviewSummary[]>(['list', '--phase', 'awaiting-access', '--lab', 'acme']), (rows) => ids(rows).includes(waiting));
    expect(ids(awaiting)).toContain(waiting);
    expect(ids(awaiting)).not.toContain(id);
    const bad = await cli(['list', '--due-within', 'soon']);
    expect(bad.code).toBe(2);
  });
});
