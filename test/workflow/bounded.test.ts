/**
 * No party, however many valid calls it makes, can break a review or flood an inbox: limits refuse with a
 * clear error and change nothing, calendar updates are coalesced, and past its history budget a review
 * continues as new with the same workflow id and nothing lost. On the time-skipping server, real SMTP sink.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SETTLE_MS } from '../../workflows/calendar-sync';
import { LIMITS } from '../../workflows/limits';
import {
  assignReviewerUpdate, grantAccessUpdate, pauseClockUpdate, resumeClockUpdate, setReleaseDateUpdate, submitEvaluationUpdate,
} from '../../workflows/messages';
import { act } from '../support/act';
import { advanceDays, noticesOf, settled, withoutDelivery } from '../support/assertions';
import { request } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { invitesOf, mailWith, utc } from '../support/mail';
import { rejectionOf } from '../support/rejection';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv(); });
afterAll(async () => { await t?.teardown(); });

const DAY = 24 * 3600 * 1000;
const EventType = temporal.api.enums.v1.EventType;
const releaseAt = (startedAt: string, days: number): string => new Date(Date.parse(startedAt) + days * DAY).toISOString();
const mailsTo = (address: string): number => t.sink.messages.filter((m) => m.envelopeTo.includes(address)).length;

/** Every run of the review's chain, first to last, by following continued-as-new links backwards from the latest. */
async function runsOf(h: WorkflowHandle): Promise<{ runId: string; events: number; bytes: number; continued: boolean }[]> {
  const runs: { runId: string; events: number; bytes: number; continued: boolean }[] = [];
  let runId: string | undefined = (await h.describe()).runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await t.env.client.workflow.getHandle(h.workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const last = events.at(-1);
    runs.unshift({
      runId, events: events.length, bytes: temporal.api.history.v1.History.encode(history).finish().length,
      continued: last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

test('release-date moves: each accepted one says how many remain; past the limit a clear refusal that changes nothing', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  for (let i = 1; i <= LIMITS.releaseDateMoves; i++) {
    const ack = await h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: releaseAt(g.clock.startedAt as string, i % 2 ? 12 : 20) }] });
    expect(ack.remaining).toBe(LIMITS.releaseDateMoves - i);
  }
  const before = withoutDelivery(await t.status(req.reviewId));
  const why = await rejectionOf(h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: releaseAt(g.clock.startedAt as string, 15) }] }));
  expect(why).toBe(`plannedReleaseAt: the planned release date has been changed ${LIMITS.releaseDateMoves} times, the most a review accepts (${LIMITS.releaseDateMoves}); ask the program manager`);
  expect(withoutDelivery(await t.status(req.reviewId))).toEqual(before);

  // Twenty moves within minutes: once the dates settle, each attendee gets one calendar update, not twenty.
  await t.env.sleep(SETTLE_MS + 60_000);
  const s = await settled(t, req.reviewId);
  const updates = s.notices.filter((n) => n.id.includes(':seq'));
  expect(updates.map((n) => n.audience).sort()).toEqual(['lab', 'pm', 'reviewer:r1', 'reviewer:r1']); // window end ×3, r1's due date
  // The update carries the date as it finally stands (the 20th move: day 20).
  const labUpdate = updates.find((n) => n.audience === 'lab');
  expect(labUpdate?.invites).toEqual(['REQUEST window-end#1']);
  expect(invitesOf(await mailWith(t.sink, labUpdate?.messageId))[0].start).toBe(utc(releaseAt(g.clock.startedAt as string, 20)));
  expect(mailsTo('security@acme.example')).toBe(3); // intake, clock start, one calendar update
  await recordHistory(h, 'release-date-moves-coalesced-and-limited');
});

test('calendar updates: at most three per event in any 24 hours, however the dates keep moving', async () => {
  const req = request();
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  // Six moves, each left to settle: the first three update calendars at once, the rest wait for the day to pass.
  for (let i = 1; i <= 6; i++) {
    await h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: releaseAt(g.clock.startedAt as string, i % 2 ? 12 : 20) }] });
    await t.env.sleep(SETTLE_MS + 60_000);
  }
  let s = await settled(t, req.reviewId);
  const labUpdates = () => s.notices.filter((n) => n.audience === 'lab' && n.id.includes('window-end:seq'));
  expect(labUpdates()).toHaveLength(3);
  await t.env.sleep('1 day');
  s = await settled(t, req.reviewId);
  expect(labUpdates()).toHaveLength(4); // the held-back move, with the date as it stands
  expect(labUpdates().at(-1)?.invites).toEqual(['REQUEST window-end#4']);
});

test('pauses, reassignments and tracks are bounded; a summary is bounded in bytes', async () => {
  const req = request({ policy: { maxPauseDays: 10 } });
  const h = await t.start(req);
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  for (let i = 1; i <= LIMITS.pauses; i++) {
    const ack = await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] });
    expect(ack.remaining).toBe(LIMITS.pauses - i);
    await h.executeUpdate(resumeClockUpdate, { args: [{ by: 'Sec Team' }] });
  }
  expect(await rejectionOf(h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] })))
    .toBe(`the clock has been paused ${LIMITS.pauses} times, the most a review accepts (${LIMITS.pauses})`);

  const reviewers = [{ id: 'r2', name: 'Sam', email: 'sam@clearinghouse.example' }, { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }];
  for (let i = 1; i <= LIMITS.reassignmentsPerTrack; i++) {
    const ack = await h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'cyber-offense', reviewer: reviewers[(i - 1) % 2] }] });
    expect(ack.remaining).toBe(LIMITS.reassignmentsPerTrack - i);
  }
  expect(await rejectionOf(h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'cyber-offense', reviewer: reviewers[1] }] })))
    .toBe(`track: "cyber-offense" has changed hands ${LIMITS.reassignmentsPerTrack} times, the most a track may (${LIMITS.reassignmentsPerTrack}); 0 reassignments left`);

  for (let i = 1; i < LIMITS.tracks; i++) {
    await h.executeUpdate(assignReviewerUpdate, { args: [{ track: `track-${i}`, reviewer: { id: `q${i}`, name: `Q ${i}`, email: `q${i}@clearinghouse.example` } }] });
  }
  expect(await rejectionOf(h.executeUpdate(assignReviewerUpdate, { args: [{ track: 'one-more', reviewer: reviewers[0] }] })))
    .toBe(`track: a review has at most ${LIMITS.tracks} tracks; this one has ${LIMITS.tracks}`);

  const wide = 'é'.repeat(LIMITS.summaryBytes / 2 + 1); // 10,001 characters, 20,002 bytes
  expect(await rejectionOf(h.executeUpdate(submitEvaluationUpdate, { args: [{ track: 'track-1', reviewerId: 'q1', severity: 'low', summary: wide }] })))
    .toMatch(/^summary: must be at most 20000 bytes of UTF-8 \(this one is 20002\)$/);
  const s = await act(h, submitEvaluationUpdate, { track: 'track-1', reviewerId: 'q1', severity: 'critical', summary: 'é'.repeat(LIMITS.summaryBytes / 2) });
  expect(s.evaluations.find((e) => e.track === 'track-1')?.summary).toHaveLength(LIMITS.summaryBytes / 2);
});

test('past its history budget the review continues as new: same id, whole state, no notice twice, and it still works', async () => {
  const req = request({ historyBudget: { events: 100 }, policy: { closeReminderDays: [3, 1] } });
  const h = await t.start(req);
  const g = await act(h, grantAccessUpdate, { by: 'Sec Team' });
  // Enough valid updates to pass 100 events more than once; calendar updates between them.
  for (let i = 1; i <= 12; i++) {
    await h.executeUpdate(setReleaseDateUpdate, { args: [{ plannedReleaseAt: releaseAt(g.clock.startedAt as string, i % 2 ? 20 : 25), by: 'Acme Release Desk' }] });
    if (i <= LIMITS.pauses) {
      await h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team', reason: `outage ${i}` }] });
      await h.executeUpdate(resumeClockUpdate, { args: [{ by: 'Sec Team' }] });
    }
    if (i % 4 === 0) await t.env.sleep(SETTLE_MS + 60_000);
  }
  await settled(t, req.reviewId);
  const mid = await runsOf(h);
  expect(mid.length).toBeGreaterThanOrEqual(2);
  expect(mid.slice(0, -1).every((r) => r.continued)).toBe(true);

  // The review still answers and accepts work, in the latest run, addressed by its id.
  const submitted = await act(h, submitEvaluationUpdate, { track: 'cyber-offense', reviewerId: 'r1', severity: 'critical', summary: 'Exploit chain found.' });
  expect(submitted.events.filter((e) => e.type === 'review-started')).toHaveLength(1);
  expect(submitted.events.filter((e) => e.type === 'release-date-set')).toHaveLength(12);
  expect(submitted.events.filter((e) => e.type === 'clock-paused')).toHaveLength(LIMITS.pauses);
  // Limits count across runs: the carried state knows the pauses taken.
  expect(await rejectionOf(h.executeUpdate(pauseClockUpdate, { args: [{ by: 'Sec Team' }] }))).toMatch(/paused 10 times/);
  expect(submitted.evaluations[0].status).toBe('submitted');

  // Then the clock runs out: deadline enforcement, closure and disposal work in the continued run.
  await advanceDays(t, 26);
  const s = await settled(t, req.reviewId);
  expect(s.phase).toBe('disposal');
  expect(noticesOf(s, 'review-closed').map((n) => n.audience)).toEqual(['lab', 'pm', 'reviewer:r1']);
  // Every notice id once in status, and every mail once at the sink: nothing sent twice across the runs.
  const ids = s.notices.map((n) => n.id);
  expect(new Set(ids).size).toBe(ids.length);
  const sent = s.notices.filter((n) => n.state === 'sent').map((n) => n.messageId);
  const received = t.sink.messages.filter((m) => sent.includes(m.messageId)).map((m) => m.messageId);
  expect(received.sort()).toEqual([...sent].sort());
  expect(s.notices.every((n) => n.state === 'sent')).toBe(true);
  const runs = await runsOf(h);
  for (const r of runs) expect(r.bytes).toBeLessThan(2_000_000);
  // Both sides of the boundary replay (test/replay): the first run, which continued, and the last.
  await recordHistory(t.env.client.workflow.getHandle(h.workflowId, runs[0].runId), 'continued-as-new-first-run');
  await recordHistory(h, 'continued-as-new-last-run');
});
