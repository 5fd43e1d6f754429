/**
 * The fault run's tally (test/faults/ledger.ts) on synthetic runs: every figure the fault suite and the README
 * rest on must move when what it counts happens — a lost notice, an extra copy nothing can explain, a suppression
 * whose reason did not hold, a refused address. Pure functions, no servers.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import Long from 'long';
import type { StoredMail } from '../../shared/smtp-sink';
import type { ActivityAttempts } from '../faults/history-evidence';
import { attemptsByMail, historyEvidence, taskRetriesByReview } from '../faults/history-evidence';
import { buildLedger } from '../faults/ledger';
import type { LedgerOptions } from '../faults/ledger';
import type { WorkerLife } from '../faults/worker-process';
import type { AuditEvent, NoticeRecord, ReviewStatus } from '../../workflows/types';

const T = Date.parse('2030-03-04T10:00:00Z');
const at = (s: number): number => T + s * 1000;
const iso = (s: number): string => new Date(at(s)).toISOString();
const mid = (id: string): string => `<${id}@test>`;
const REFUSED = 'gone@acme.example';

function status(reviewId: string, notices: Partial<NoticeRecord>[], events: Partial<AuditEvent>[] = [], over: Partial<ReviewStatus> = {}): ReviewStatus {
  return {
    reviewId, model: { name: 'Atlas-7', version: 'rc1' }, lab: { name: 'Acme AI', timeZone: 'America/Los_Angeles' },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' }, timeZone: 'America/New_York', phase: 'closed', outcome: 'completed',
    createdAt: iso(0), plannedReleaseAt: null, policy: {} as ReviewStatus['policy'],
    clock: { startedAt: iso(1), windowEndsAt: iso(100), accessDeadlineAt: null, pausedMs: 0, pauseBudgetMs: 0, paused: false },
    closedAt: iso(90), evaluations: [], disposal: [], disposalDueAt: null,
    notices: notices.map((n) => ({ id: `${reviewId}/x`, kind: 'intake-ack', audience: 'lab', to: ['security@acme.example'], at: iso(0), state: 'sent', ...n }) as NoticeRecord),
    events: events.map((e) => ({ at: iso(0), type: 'review-started', by: 'system', detail: '', ...e })),
    ...over,
  };
}
const mail = (id: string, s: number, to = ['security@acme.example']): StoredMail => ({ messageId: mid(id), envelopeTo: to, raw: '', receivedAt: new Date(at(s)) });
const life = (pid: number, from: number, to: number | null, killed: number | null): WorkerLife => ({
  pid, spawnedAt: at(from), readyAt: at(from + 1), endedAt: to === null ? null : at(to), killedAt: killed === null ? null : at(killed),
});

/** The activity's attempts; scheduled at 0 s unless said (before every copy). */
type Attempts = Omit<ActivityAttempts, 'firstScheduledAt'> & { firstScheduledAt?: number };

function options(o: { workers?: WorkerLife[]; recorded?: Record<string, number>; attempts?: Record<string, Attempts>; taskRetries?: number[]; tasks?: [number, number][] } = {}): LedgerOptions {
  return {
    messageIdFor: mid, blocked: [REFUSED], workers: o.workers ?? [life(1, -10, null, null)],
    recordedAt: (id) => (o.recorded?.[id] === undefined ? undefined : at(o.recorded[id])),
    attempts: (id) => {
      const a = o.attempts?.[id];
      return a && { ...a, firstScheduledAt: at(a.firstScheduledAt ?? 0) };
    },
    taskRetriedAfter: (_id, accepted) => (o.taskRetries ?? []).map(at).find((x) => x >= accepted) ?? null,
    ...(o.tasks ? { taskRunningAt: (_id: string, t: number) => (o.tasks ?? []).some(([from, to]) => at(from) <= t && t <= at(to)) } : {}),
  };
}

describe('lost and delivered', () => {
  test('a notice recorded sent that never reached the sink is lost; one that did is delivered', () => {
    const s = status('r', [{ id: 'r/a' }, { id: 'r/b' }]);
    const l = buildLedger([s], [mail('r/a', 5)], options());
    expect(l.lost.map((x) => x.id)).toEqual(['r/b']);
    expect({ sent: l.sent, delivered: l.delivered }).toEqual({ sent: 2, delivered: 1 });
  });

  test('a notice still sending when the run ended is lost (never settled)', () => {
    const l = buildLedger([status('r', [{ id: 'r/a', state: 'sending' }])], [], options());
    expect(l.lost).toEqual([expect.objectContaining({ id: 'r/a', detail: expect.stringMatching(/never settled/) })]);
  });

  test('a message no status accounts for is unexpected', () => {
    const l = buildLedger([status('r', [{ id: 'r/a' }])], [mail('r/a', 5), mail('r/stray', 6)], options());
    expect(l.unexpected.map((x) => x.messageId)).toEqual([mid('r/stray')]);
  });
});

describe('duplicates: only the crash window explains one', () => {
  const s = status('r', [{ id: 'r/a' }]);
  const copies = [mail('r/a', 10), mail('r/a', 135)];
  const retried = { 'r/a': { attempts: 2, lastFailure: 'activity StartToClose timeout' } };

  test('the worker that sent it was killed before the ledger entry, and the history shows the retry: explained', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, attempts: retried }));
    expect({ extra: l.duplicateCopies, explained: l.explainedDuplicateCopies, unexplained: l.unexplainedDuplicateCopies }).toEqual({ extra: 1, explained: 1, unexplained: 0 });
    expect(l.duplicates[0].verdicts[0].why).toMatch(/worker pid 1 killed 0\.10 s after the copy was accepted, before the ledger entry; retried \(attempt 2/);
  });

  test('no kill at all (only a server outage or an SMTP fault meanwhile): unexplained', () => {
    const l = buildLedger([s], copies, options({ recorded: { 'r/a': 135.1 }, attempts: retried }));
    expect(l.unexplainedDuplicateCopies).toBe(1);
    expect(l.duplicates[0].verdicts[0]).toEqual({ explained: false, why: expect.stringMatching(/pid 1, which sent it, was not killed/) });
  });

  test('a kill of another worker process (one started after the copy) explains nothing', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.5, null), life(2, 11, 20, 19.9), life(3, 21, null, null)], recorded: { 'r/a': 135.1 }, attempts: retried }));
    expect(l.unexplainedDuplicateCopies).toBe(1);
  });

  test('the sender killed after its ledger entry was written: unexplained (the retry must have found the entry)', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 12.1, 12), life(2, 13, null, null)], recorded: { 'r/a': 10.05 }, attempts: retried }));
    expect(l.unexplainedDuplicateCopies).toBe(1);
    expect(l.duplicates[0].verdicts[0].why).toMatch(/after the ledger entry was written/);
  });

  test('no retried attempt in the history: unexplained', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, attempts: { 'r/a': { attempts: 1, lastFailure: null } } }));
    expect(l.duplicates[0].verdicts[0]).toEqual({ explained: false, why: expect.stringMatching(/no retried attempt/) });
  });

  test('a failed ledger write (the worker lived on) explains one', () => {
    const l = buildLedger([s], copies, options({ recorded: { 'r/a': 135.1 }, attempts: { 'r/a': { attempts: 2, lastFailure: 'SqliteError: disk I/O error' } } }));
    expect(l.explainedDuplicateCopies).toBe(1);
  });

  test('sent by a local attempt: its sender killed before the ledger entry and the workflow task timed out after: explained', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, taskRetries: [2, 20] }));
    expect(l.explainedDuplicateCopies).toBe(1);
    expect(l.duplicates[0].verdicts[0].why).toMatch(/killed 0\.10 s after the copy was accepted, before the ledger entry; its workflow task ran again 10\.00 s later/);
  });

  test('sent by a local attempt, no workflow task ran again after it: unexplained, even with its sender killed', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, taskRetries: [2] }));
    expect(l.duplicates[0].verdicts[0]).toEqual({ explained: false, why: expect.stringMatching(/no activity carried it, no workflow task ran again/) });
  });

  test('sent by a local attempt in a lost task, the next copy by an activity of a later task (its first attempt): explained by the task that ran again', () => {
    const first = { 'r/a': { attempts: 1, lastFailure: null } };
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, attempts: first, taskRetries: [20] }));
    expect(l.explainedDuplicateCopies).toBe(1);
    expect(l.duplicates[0].verdicts[0].why).toMatch(/its workflow task ran again 10\.00 s later/);
    // Without the task's retry in the history the activity's single attempt explains nothing.
    const none = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, attempts: first }));
    expect(none.duplicates[0].verdicts[0]).toEqual({ explained: false, why: expect.stringMatching(/last attempt 1/) });
  });

  test('a workflow task ran again but the sender lived on: unexplained', () => {
    const l = buildLedger([s], copies, options({ recorded: { 'r/a': 135.1 }, taskRetries: [20] }));
    expect(l.duplicates[0].verdicts[0]).toEqual({ explained: false, why: expect.stringMatching(/was not killed/) });
  });

  test('a third copy needs a crash of its own: one explained, one not', () => {
    const three = [...copies, mail('r/a', 260)];
    const l = buildLedger([s], three, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 260.1 }, attempts: { 'r/a': { attempts: 3, lastFailure: 'activity StartToClose timeout' } } }));
    expect({ explained: l.explainedDuplicateCopies, unexplained: l.unexplainedDuplicateCopies }).toEqual({ explained: 1, unexplained: 1 });
  });

  test('a workflow task that ran again only after the next copy explains nothing', () => {
    const l = buildLedger([s], copies, options({ workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, taskRetries: [140] }));
    expect(l.unexplainedDuplicateCopies).toBe(1);
  });

  test('each piece of evidence explains one copy: a lost task, then a local attempt whose ledger write failed, then its activity', () => {
    // Cluster run, seed 380853224: the local attempt's worker killed at the acceptance, the task timed out (20 s) and ran
    // again; its local attempt sent the second copy and failed writing the ledger (PostgreSQL down); the sendNotices
    // activity that took the batch over (attempt 1, the local one counting as the first) sent the third.
    const three = [mail('r/a', 10), mail('r/a', 30), mail('r/a', 34)];
    const l = buildLedger([s], three, options({
      workers: [life(1, 0, 10.1, 10.05), life(2, 11, null, null)], recorded: { 'r/a': 34.1 }, taskRetries: [20],
      attempts: { 'r/a': { attempts: 2, lastFailure: 'ledger write failed (PostgreSQL): connect ECONNREFUSED', firstScheduledAt: 33 } }, tasks: [[9, 20], [21, 33]],
    }));
    expect(l.duplicates[0].verdicts).toEqual([
      { explained: true, why: expect.stringMatching(/pid 1 killed .* its workflow task ran again 10\.00 s later/) },
      { explained: true, why: expect.stringMatching(/^the ledger write failed \(ledger write failed \(PostgreSQL\).*retried \(attempt 2/) },
    ]);
  });

  test('sent by a task the history does not keep (an update\'s, lost with its server), its sender killed before the entry: explained', () => {
    const opts = { workers: [life(1, 0, 10.2, 10.1), life(2, 11, null, null)], recorded: { 'r/a': 135.1 }, tasks: [[1, 2], [134, 136]] as [number, number][] };
    const l = buildLedger([s], copies, options(opts));
    expect(l.duplicates[0].verdicts[0]).toEqual({ explained: true, why: expect.stringMatching(/killed 0\.10 s after .* sent by a workflow task the history does not keep/) });
    // A recorded task was running when it was accepted: that task completed, so nothing ran it again.
    expect(buildLedger([s], copies, options({ ...opts, tasks: [[9, 11], [134, 136]] })).unexplainedDuplicateCopies).toBe(1);
    // An activity carrying it had been scheduled before: an attempt of it sent the copy, and it was not retried.
    expect(buildLedger([s], copies, options({ ...opts, attempts: { 'r/a': { attempts: 1, lastFailure: null, firstScheduledAt: 5 } } })).unexplainedDuplicateCopies).toBe(1);
    // Not consulted when the run does not say which tasks the history records.
    expect(buildLedger([s], copies, options({ ...opts, tasks: undefined })).unexplainedDuplicateCopies).toBe(1);
  });
});

describe('suppressions are re-checked against the final status', () => {
  const overdue = { id: 'r/overdue', kind: 'evaluation-overdue', audience: 'pm', state: 'suppressed', reason: 'the cyber-offense evaluation has been submitted' } as const;
  const suppressed = { type: 'notice-suppressed', detail: 'evaluation-overdue to pm: the cyber-offense evaluation has been submitted' };
  const submitted = { type: 'evaluation-submitted', detail: 'cyber-offense: severity low' };
  const evaluation = (state: 'submitted' | 'pending') => [{ track: 'cyber-offense', reviewerId: 'r1', reviewerName: 'Riley', dueAt: null, dueBusinessDays: null, status: state, severity: null, summary: null, submittedAt: null }];

  test('the reason held (submitted before the suppression, and still so): not sent, as recorded', () => {
    const l = buildLedger([status('r', [overdue], [submitted, suppressed], { evaluations: evaluation('submitted') })], [], options());
    expect({ notSent: l.notSent, wrong: l.wronglySuppressed }).toEqual({ notSent: 1, wrong: [] });
  });

  test('the evaluation is still pending at the end: a dropped notice, reported', () => {
    const l = buildLedger([status('r', [overdue], [suppressed], { evaluations: evaluation('pending') })], [], options());
    expect(l.wronglySuppressed).toEqual([expect.objectContaining({ id: 'r/overdue', detail: 'the cyber-offense evaluation is pending in the final status' })]);
  });

  test('submitted only after the suppression: the reason did not hold when the notice was due', () => {
    const l = buildLedger([status('r', [overdue], [suppressed, submitted], { evaluations: evaluation('submitted') })], [], options());
    expect(l.wronglySuppressed.map((x) => x.detail)).toEqual(['the cyber-offense evaluation was submitted only after the suppression']);
  });

  test('a reason the check does not know is not taken on trust', () => {
    const n = { ...overdue, reason: 'the moon is full' };
    const l = buildLedger([status('r', [n], [{ type: 'notice-suppressed', detail: 'evaluation-overdue to pm: the moon is full' }])], [], options());
    expect(l.wronglySuppressed).toHaveLength(1);
  });

  test('a suppressed notice that went out once first: the crash window if its sender was killed before the entry', () => {
    const s = status('r', [overdue], [submitted, suppressed], { evaluations: evaluation('submitted') });
    const o = { recorded: { 'r/overdue': 130 }, attempts: { 'r/overdue': { attempts: 2, lastFailure: 'activity StartToClose timeout' } } };
    const crashed = buildLedger([s], [mail('r/overdue', 10)], options({ ...o, workers: [life(1, 0, 10.1, 10.05), life(2, 11, null, null)] }));
    expect({ window: crashed.sentThoughSuppressed.length, unexpected: crashed.unexpected }).toEqual({ window: 1, unexpected: [] });
    const notKilled = buildLedger([s], [mail('r/overdue', 10)], options(o));
    expect({ window: notKilled.sentThoughSuppressed.length, unexpected: notKilled.unexpected.length }).toEqual({ window: 0, unexpected: 1 });
  });
});

describe('a refused address', () => {
  const refusedOnly: Partial<NoticeRecord> = { id: 'r/r2', kind: 'reviewer-assigned', audience: 'reviewer:r2', to: [REFUSED] };
  const rejectedEvent = { type: 'address-rejected', detail: `${REFUSED} refused the reviewer-assigned notice to reviewer:r2 (550); program manager alerted` };
  const alertId = `r/alert/address-rejected:${REFUSED}`;

  test('recorded failed with the 550: as expected; and the program manager\'s alert must arrive', () => {
    const s = status('r', [{ ...refusedOnly, state: 'failed', error: 'SMTP rejected permanently: 550 Mailbox unavailable' }], [rejectedEvent]);
    const missingAlert = buildLedger([s], [], options());
    expect(missingAlert.failedAsRecorded.map((x) => x.id)).toEqual(['r/r2']);
    expect(missingAlert.lost.map((x) => x.id)).toEqual([alertId]);
    const withAlert = buildLedger([s], [mail(alertId, 3, ['pm@clearinghouse.example'])], options());
    expect({ lost: withAlert.lost, alerts: withAlert.alerts, failedUnexpectedly: withAlert.failedUnexpectedly }).toEqual({ lost: [], alerts: 1, failedUnexpectedly: [] });
  });

  test('recorded sent although its only recipient is refused: failed unexpectedly', () => {
    const l = buildLedger([status('r', [refusedOnly])], [mail('r/r2', 3)], options());
    expect(l.failedUnexpectedly.map((x) => x.detail)).toEqual(['every recipient is refused with 550, yet recorded sent']);
    expect(l.deliveredToBlocked).toEqual([]);
  });

  test('partly refused: recorded as rejected, or else failed unexpectedly; mail that reached the refused address is reported', () => {
    const to = ['security@acme.example', REFUSED];
    const recorded = buildLedger([status('r', [{ id: 'r/a', to, error: `rejected: ${REFUSED}` }])], [mail('r/a', 3, ['security@acme.example'])], options());
    expect(recorded.partiallyRejected.map((x) => x.id)).toEqual(['r/a']);
    const silent = buildLedger([status('r', [{ id: 'r/a', to }])], [mail('r/a', 3, to)], options());
    expect(silent.failedUnexpectedly.map((x) => x.id)).toEqual(['r/a']);
    expect(silent.deliveredToBlocked).toEqual([`${mid('r/a')} -> ${REFUSED}`]);
  });
});

describe('history evidence', () => {
  const payload = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });
  const history = (attempt: number, lastFailure?: string, scheduledS = 0): temporal.api.history.v1.IHistory => ({
    events: [
      { eventId: Long.fromNumber(5), eventTime: { seconds: Long.fromNumber(scheduledS) }, activityTaskScheduledEventAttributes: { activityType: { name: 'sendNotice' }, input: payload({ id: 'r/a', reviewId: 'r', to: [{ email: REFUSED }] }) } },
      { eventId: Long.fromNumber(6), activityTaskStartedEventAttributes: { scheduledEventId: Long.fromNumber(5), attempt, ...(lastFailure ? { lastFailure: { message: lastFailure } } : {}) } },
    ],
  });

  test('a notice and the alerts its activity may send carry the attempts of that activity; the most attempts win', () => {
    const m = attemptsByMail([history(1, undefined, 7), history(3, 'activity StartToClose timeout', 9)]);
    // The first scheduled of them says when an attempt could first have sent it.
    expect(m.get('r/a')).toEqual({ attempts: 3, lastFailure: 'activity StartToClose timeout', firstScheduledAt: 7000 });
    expect(m.get(`r/alert/address-rejected:${REFUSED}`)).toEqual({ attempts: 3, lastFailure: 'activity StartToClose timeout', firstScheduledAt: 7000 });
    expect(m.get('r/other')).toBeUndefined();
  });

  test('each notice of a sendNotices batch carries the attempts of the batch', () => {
    const batch = { shared: { reviewId: 'r' }, notices: [{ id: 'r/a', to: [{ email: REFUSED }] }, { id: 'r/b', to: [{ email: 'pm@clearinghouse.example' }] }] };
    const m = attemptsByMail([{
      events: [
        { eventId: Long.fromNumber(7), eventTime: { seconds: Long.fromNumber(3) }, activityTaskScheduledEventAttributes: { activityType: { name: 'sendNotices' }, input: payload(batch) } },
        { eventId: Long.fromNumber(8), activityTaskStartedEventAttributes: { scheduledEventId: Long.fromNumber(7), attempt: 2, lastFailure: { message: '450 busy' } } },
      ],
    }]);
    for (const id of ['r/a', 'r/b', `r/alert/address-rejected:${REFUSED}`, 'r/alert/address-rejected:pm@clearinghouse.example']) {
      expect([id, m.get(id)]).toEqual([id, { attempts: 2, lastFailure: '450 busy', firstScheduledAt: 3000 }]);
    }
  });

  test('a sendNotices activity scheduled in the task whose local attempt failed counts that attempt as its first', () => {
    const batch = { shared: { reviewId: 'r' }, notices: [{ id: 'r/a', to: [{ email: 'lab@acme.example' }] }] };
    const marker = (type: string, failure?: string) => ({
      markerRecordedEventAttributes: {
        markerName: 'core_local_activity', details: { data: { payloads: [{ data: Buffer.from(JSON.stringify({ activity_type: type })) }] } },
        ...(failure ? { failure: { message: 'local activity failed', cause: { message: failure } } } : {}),
      },
    });
    const m = attemptsByMail([{
      events: [
        marker('sendNotices', '421 try later'),
        { eventId: Long.fromNumber(7), eventTime: { seconds: Long.fromNumber(4) }, activityTaskScheduledEventAttributes: { activityType: { name: 'sendNotices' }, input: payload(batch) } },
        { eventId: Long.fromNumber(8), activityTaskStartedEventAttributes: { scheduledEventId: Long.fromNumber(7), attempt: 1 } },
      ],
    }, {
      // Another review: a failed local attempt in an earlier task says nothing about a later task's activity.
      events: [
        marker('sendNotices', '421 try later'), { workflowTaskCompletedEventAttributes: {} },
        { eventId: Long.fromNumber(9), eventTime: { seconds: Long.fromNumber(6) }, activityTaskScheduledEventAttributes: { activityType: { name: 'sendNotices' }, input: payload({ ...batch, notices: [{ id: 'r/b', to: [] }] }) } },
        { eventId: Long.fromNumber(10), activityTaskStartedEventAttributes: { scheduledEventId: Long.fromNumber(9), attempt: 1 } },
      ],
    }]);
    expect(m.get('r/a')).toEqual({ attempts: 2, lastFailure: '421 try later', firstScheduledAt: 4000 });
    expect(m.get('r/b')).toEqual({ attempts: 1, lastFailure: null, firstScheduledAt: 6000 });
  });
});

describe('task retries in a history', () => {
  test('a timed-out or failed task, and a task scheduled as a later attempt (its lost attempts before it wrote nothing)', () => {
    const time = (s: number) => ({ seconds: Long.fromNumber(s), nanos: 500_000_000 });
    const m = taskRetriesByReview([{
      events: [
        { eventTime: time(1), workflowTaskScheduledEventAttributes: { attempt: 1 } },
        { eventTime: time(11), workflowTaskTimedOutEventAttributes: {} },
        { eventTime: time(30), workflowTaskScheduledEventAttributes: { attempt: 3 } },
        { eventTime: time(40), workflowTaskFailedEventAttributes: {} },
        { eventTime: time(41), workflowTaskScheduledEventAttributes: { attempt: 1 } },
      ],
    }], ['r']);
    expect(m.get('r')).toEqual([11_500, 30_500, 40_500]);
  });

  test('the evidence of a mail: its own review\'s first task retry at or after the acceptance, and whether a recorded task was running', () => {
    const time = (s: number) => ({ seconds: Long.fromNumber(s), nanos: 0 });
    const e = historyEvidence([
      {
        events: [
          { eventTime: time(4), workflowTaskStartedEventAttributes: {} }, { eventTime: time(5), workflowTaskTimedOutEventAttributes: {} },
          { eventTime: time(19), workflowTaskStartedEventAttributes: {} }, { eventTime: time(20), workflowTaskTimedOutEventAttributes: {} },
          { eventTime: time(30), workflowTaskStartedEventAttributes: {} }, { eventTime: time(31), workflowTaskCompletedEventAttributes: {} },
          { eventTime: time(40), workflowTaskStartedEventAttributes: {} },
        ],
      },
      { events: [{ eventTime: time(12), workflowTaskTimedOutEventAttributes: {} }] },
    ], ['r1', 'r2']);
    const retryAfter = e.taskRetriedAfter ?? (() => null);
    expect(retryAfter('r1/ready-to-close/tracks-2/pm', 10_000)).toBe(20_000);
    expect(retryAfter('r1/ready-to-close/tracks-2/pm', 21_000)).toBeNull();
    expect(retryAfter('r2/closed/lab', 10_000)).toBe(12_000);
    expect(retryAfter('r3/closed/lab', 0)).toBeNull();
    const running = e.taskRunningAt ?? (() => undefined);
    expect([4.5, 10, 19.5, 25, 30.5, 35, 99].map((t) => running('r1/x/y', t * 1000))).toEqual([true, false, true, false, true, false, true]);
    expect(running('r2/x/y', 12_000)).toBe(false);
  });
});
