/**
 * The fault run's verdict and its printed tally: every check in one place (a run that fails any keeps its logs), and
 * the figures the README quotes, each beside what it counts.
 */
import type { FaultRunConfig, FaultRunResult } from './run';
import type { DriveContext } from './scenarios';
import { REFUSED, SCENARIOS } from './scenarios';

export const median = (xs: number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : 0);

/** Every check of the suite, in one place: the logs of a run that fails any of them are kept. */
export function isClean(r: FaultRunResult, cfg: Pick<FaultRunConfig, 'killTarget' | 'restartTarget'>): boolean {
  const l = r.ledger;
  return r.errors.length === 0 && r.faults.workerKills >= cfg.killTarget - 2 && r.faults.serverRestarts >= cfg.restartTarget - 1
    && l.lost.length === 0 && l.unexpected.length === 0 && l.unexplainedDuplicateCopies === 0 && l.failedUnexpectedly.length === 0
    && l.wronglySuppressed.length === 0 && l.deliveredToBlocked.length === 0
    && r.history.workflowTaskFailed.length === 0 && r.history.replayFailures.length === 0
    && r.reviews.every((x) => x.problems.length === 0);
}

export function formatTally(r: FaultRunResult, drive: DriveContext['stats'], mails: number, keptLogs: boolean): string {
  const f = r.faults;
  const l = r.ledger;
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const byScenario = SCENARIOS.map((sc) => {
    const rs = r.reviews.filter((x) => x.scenario === sc && !x.baseline);
    return `${sc} ${rs.filter((x) => x.problems.length === 0).length}/${rs.length}`;
  }).join(', ');
  const temp = (code: number): number => f.sink.temporaryFailures[code] ?? 0;
  const lines = [
    '',
    `== fault injection tally (seed ${r.seed}; ${sec(r.durationMs)} in all, faults for ${sec(r.faultPhaseMs)}) ==`,
    'faults injected',
    `  worker kill -9, polling ... ${f.workerKills} (at random ${f.killsByMode.random}; right after an SMTP acceptance ${f.killsByMode['after-accept']}; during a stalled DATA reply ${f.killsByMode['during-stall']})`,
    `  worker kill -9, starting .. ${f.startupKills} more, before it polled (not counted above); startup ${sec(median(f.workerStartupMs))} median, ${sec(Math.max(0, ...f.workerStartupMs))} max`,
    `  dev server stop+restart ... ${f.serverRestarts} (outages ${sec(Math.min(...f.outageMs))}-${sec(Math.max(...f.outageMs))}, ${sec(f.outageMs.reduce((a, b) => a + b, 0))} in all)`,
    `  SMTP down (refused) ....... ${f.smtpWindows.down} windows, ${f.smtpRefused} connections refused (counted in the worker's log)`,
    `  SMTP 421 .................. ${f.smtpWindows['421']} windows, ${temp(421)} replies`,
    `  SMTP 451 .................. ${f.smtpWindows['451']} windows, ${temp(451)} replies`,
    `  SMTP stalled DATA reply ... ${f.smtpWindows.stall} windows, ${f.sink.stalledReplies} replies (${f.sink.stalledAccepted} waited for and accepted, ${f.sink.abandoned} abandoned by a killed worker); ${f.sink.connectionErrors} connections reset by a killed worker`,
    `  SMTP 550 (${REFUSED}) ... ${f.sink.rejectedRecipients} recipients refused`,
    `  side effects .............. worker starts ${f.workerStarts} (${f.workerFailedStarts} failed while the server was down, ${f.workerCrashes} crashes); client calls retried ${f.clientCallsRetried} (${f.clientRetries} retries); updates ${drive.updates} (${drive.updatesFoundApplied} found applied after a lost reply), starts found started ${drive.startsFoundStarted}`,
    `  histories ................. workflow tasks timed out ${r.history.workflowTaskTimedOut}, activity retries ${r.history.activityRetries}, activities failed ${r.history.activityFailed}; last failure before an attempt: ${Object.entries(r.history.lastFailures).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `notices (${r.reviews.length} reviews: ${r.reviews.filter((x) => x.baseline).length} fault-free baseline + ${r.reviews.filter((x) => !x.baseline).length} under faults; ${mails} messages at the sink)`,
    `  expected (recorded) ....... ${l.expected} (notices in every state, and ${l.alerts} delivery alerts to the PM about the refused address)`,
    `  sent / delivered .......... ${l.sent} / ${l.delivered}`,
    `  not sent, as recorded ..... ${l.notSent} suppressed (the reason no longer held when due, re-checked: ${l.wronglySuppressed.length} wrong); ${l.sentThoughSuppressed.length} of them went out once first (crash window)`,
    `  failed, 550 as recorded ... ${l.failedAsRecorded.length}; partially refused (recorded) ${l.partiallyRejected.length}`,
    `  duplicated, same Message-ID ${l.duplicateCopies} (crash window: sender killed before its ledger entry, retry in the history ${l.explainedDuplicateCopies}; unexplained ${l.unexplainedDuplicateCopies})`,
    `  lost ...................... ${l.lost.length}`,
    `  unexpected ................ ${l.unexpected.length}`,
    `  failed unexpectedly ....... ${l.failedUnexpectedly.length}`,
    `final states as without faults: ${byScenario}`,
    `workflow tasks failed: ${r.history.workflowTaskFailed.length}; histories that do not replay: ${r.history.replayFailures.length}`,
    ...(r.history.baselineTimeouts ? [`note: ${r.history.baselineTimeouts} activity start-to-close timeout(s) in the fault-free baseline (a task lost in dispatch; recovered by the timeout)`] : []),
    ...l.duplicates.map((d) => `  duplicate ${d.id} x${d.copies} at ${d.receivedAt.join(', ')}: ${d.verdicts.map((v) => (v.explained ? v.why : `UNEXPLAINED: ${v.why}`)).join('; ')}`),
    ...l.sentThoughSuppressed.map((d) => `  sent, then recorded suppressed: ${d.id} at ${d.receivedAt.join(', ')}: ${d.verdicts[0]?.why ?? ''}`),
    ...l.wronglySuppressed.map((x) => `  WRONGLY SUPPRESSED ${x.id}: ${x.detail}`),
    ...l.lost.map((x) => `  LOST ${x.id} (${x.state}): ${x.detail}`),
    ...l.unexpected.map((x) => `  UNEXPECTED ${x.messageId}: ${x.why}`),
    ...l.failedUnexpectedly.map((x) => `  FAILED ${x.id}: ${x.detail}`),
    ...r.reviews.filter((x) => x.problems.length).map((x) => `  STATE ${x.reviewId}: ${x.problems.join('; ')}`),
    ...r.history.workflowTaskFailed.map((x) => `  WFT FAILED ${x}`),
    ...r.history.replayFailures.map((x) => `  REPLAY FAILED ${x}`),
    ...r.errors.map((x) => `  ERROR ${x}`),
    `logs: ${r.runDir}${keptLogs ? '' : ' (removed: clean run; FAULTS_KEEP=1 keeps them)'}`,
    '',
  ];
  return lines.join('\n');
}
