/**
 * Plain-text notices, one template per kind. Each names the review and the model, gives every date in the
 * recipient's zone (and the review's zone where it differs) and says what the recipient must do.
 */
import { DateTime } from 'luxon';
import type { NoticeKind, NoticePayload } from '../workflows/types';

export interface RenderedNotice {
  subject: string;
  text: string;
}

export function formatDate(iso: string, zone: string): string {
  const dt = DateTime.fromISO(iso, { setZone: true }).setZone(zone);
  return `${dt.toFormat('ccc d LLL yyyy, HH:mm ZZZZ')} (${zone})`;
}

/** "Wed 20 Jan 2027, 09:00 PST (America/Los_Angeles) = Wed 20 Jan 2027, 12:00 EST (America/New_York)". */
export function formatForRecipient(iso: string, p: NoticePayload): string {
  const own = formatDate(iso, p.recipientTimeZone);
  return p.recipientTimeZone === p.reviewTimeZone ? own : `${own} = ${formatDate(iso, p.reviewTimeZone)}`;
}

const NO_PRECLEARANCE =
  'This review creates no licence, preclearance or permit requirement. No approval from the clearinghouse is needed to release the model.';

type Template = (p: NoticePayload, d: (key: string) => string, f: (key: string) => string) => { subject: string; body: string[] };

const days = (f: (k: string) => string): string => {
  const n = Number(f('daysRemaining'));
  return n === 1 ? '1 day' : `${n} days`;
};

const TEMPLATES: Record<NoticeKind, Template> = {
  'intake-ack': (p, d, f) => ({
    subject: 'Review request received',
    body: p.audience === 'lab'
      ? [
          `The clearinghouse has opened a voluntary pre-release review of ${model(p)}.`,
          `The review window is up to ${f('windowDays')} days and starts when you grant the evaluation team access to the model.`,
          `What to do: grant access by ${d('accessDeadlineAt')}. If access is not granted by then, the review lapses.`,
          ...(p.dates.releaseAt ? [`Your planned public release on record: ${d('releaseAt')}. The window never extends past it.`] : []),
          NO_PRECLEARANCE,
        ]
      : [`The review of ${model(p)} from ${p.labName} has been opened.`, `The lab must grant access by ${d('accessDeadlineAt')}.`],
  }),
  'access-reminder': (p, d, f) => ({
    subject: `Reminder: access not yet granted (${days(f)} left)`,
    body: [
      `Access to ${model(p)} has not been granted yet.`,
      `What to do: ${p.audience === 'lab' ? 'grant the evaluation team access' : 'follow up with the lab'} by ${d('accessDeadlineAt')} (${days(f)} left). Otherwise the review lapses.`,
    ],
  }),
  'review-lapsed': (p, d) => ({
    subject: 'Review lapsed: access was never granted',
    body: [
      `Access to ${model(p)} was not granted by ${d('accessDeadlineAt')}, so the review has lapsed and is closed.`,
      p.audience === 'lab' ? 'No action is needed from you.' : 'No action is needed; start a new review if the lab asks for one.',
      ...(p.audience === 'lab' ? [NO_PRECLEARANCE] : []),
    ],
  }),
  'clock-started': (p, d) => ({
    subject: `Review clock started: window ends ${d('windowEndsAt')}`,
    body: [
      `Access to ${model(p)} was granted at ${d('startedAt')}; the review clock is running.`,
      `The review window closes at ${d('windowEndsAt')}.`,
      p.audience === 'lab'
        ? `What to do: keep the access working; tell the program manager at once about any outage (the clock can be paused). ${NO_PRECLEARANCE} Your release never waits for the window: if your release date changes, tell the program manager and the window ends then.`
        : 'What to do: follow the evaluations; you will be told when each falls due.',
    ],
  }),
  'reviewer-assigned': (p, d, f) => ({
    subject: `Evaluation assigned: ${f('track')} — due ${d('dueAt')}`,
    body: [
      `You are assigned the "${f('track')}" evaluation of ${model(p)} from ${p.labName}.`,
      `What to do: submit your evaluation (severity and summary) by ${d('dueAt')}. The review window closes at ${d('windowEndsAt')}.`,
    ],
  }),
  'reviewer-reminder': (p, d, f) => ({
    subject: `Reminder: ${f('track')} evaluation due in ${days(f)}`,
    body: [`Your "${f('track')}" evaluation of ${model(p)} is due ${d('dueAt')} (${days(f)} left).`, 'What to do: submit it before then.'],
  }),
  'evaluation-overdue': (p, d, f) => ({
    subject: `Overdue: ${f('track')} evaluation`,
    body: p.audience === 'pm'
      ? [`Escalation level 1: the "${f('track')}" evaluation of ${model(p)} by ${f('reviewerName')} was due ${d('dueAt')} and has not been submitted.`,
         `The window closes at ${d('windowEndsAt')}. What to do: follow up with the reviewer or reassign the track.`]
      : [`Your "${f('track')}" evaluation of ${model(p)} was due ${d('dueAt')} and has not been submitted.`,
         `What to do: submit it now; the window closes at ${d('windowEndsAt')}.`],
  }),
  'director-escalation': (p, d, f) => ({
    subject: `Escalation: ${f('track')} evaluation still missing`,
    body: [
      `Escalation level 2: the "${f('track')}" evaluation of ${model(p)} from ${p.labName} by ${f('reviewerName')} was due ${d('dueAt')} and is still missing.`,
      `The window closes at ${d('windowEndsAt')}. What to do: decide with the program manager whether to reassign it.`,
    ],
  }),
  'critical-finding': (p, d, f) => ({
    subject: `Critical finding: ${f('track')}`,
    body: p.audience === 'lab'
      ? [`The "${f('track')}" evaluation of ${model(p)} recorded a finding of critical severity.`,
         'What to do: expect contact from the program manager about the finding and possible mitigations.', NO_PRECLEARANCE]
      : [`${f('reviewerName')} recorded a CRITICAL finding in the "${f('track')}" evaluation of ${model(p)} from ${p.labName} at ${d('submittedAt')}.`,
         `Summary: ${f('summary')}`, `The window closes at ${d('windowEndsAt')}. What to do: review the finding and contact the lab.`],
  }),
  'close-reminder': (p, d, f) => ({
    subject: `Review window closes in ${days(f)}`,
    body: [`The review window for ${model(p)} closes at ${d('windowEndsAt')} (${days(f)} left).`,
      'What to do: nothing, unless your release date changes — then tell the program manager.', NO_PRECLEARANCE],
  }),
  'ready-to-close': (p, d, f) => ({
    subject: 'All evaluations are in: review ready to close',
    body: [`All ${f('tracks')} evaluations of ${model(p)} from ${p.labName} have been submitted.`,
      `What to do: close the review early if nothing else is needed; otherwise it closes by itself at ${d('windowEndsAt')}.`],
  }),
  'review-closed': (p, d, f) => {
    const findings = (p.findings ?? []).map((x) => `  - ${x.track}: ${x.status === 'submitted' ? `severity ${x.severity}` : 'not completed'}`);
    return {
      subject: `Review closed (${f('outcome')})`,
      body: [
        `The review of ${model(p)} closed at ${d('closedAt')} with outcome "${f('outcome')}" (${f('reason')}).`,
        ...(findings.length ? ['Evaluations:', ...findings] : []),
        ...(p.audience === 'lab'
          ? ['Government access to the model ends now.', `${NO_PRECLEARANCE} You may proceed with the release.`]
          : ['What to do: stop using the model access; you will be asked to confirm disposal of artifacts.']),
      ],
    };
  },
  'disposal-request': (p, d) => ({
    subject: 'Please confirm access revocation and data disposal',
    body: [
      `The review of ${model(p)} is closed.`,
      p.audience === 'lab'
        ? `What to do: revoke the evaluation team's access and confirm disposal by ${d('disposalDueAt')}.`
        : `What to do: delete every model artifact and credential you hold for this review and confirm disposal by ${d('disposalDueAt')}.`,
    ],
  }),
  'disposal-overdue': (p, d, f) => ({
    subject: `Disposal confirmation overdue (${f('party')})`,
    body: [
      `The disposal confirmation for ${model(p)} from ${f('party') === 'lab' ? p.labName : `reviewer ${f('party')}`} was due ${d('disposalDueAt')} and is missing.`,
      p.audience === 'director' || p.audience === 'pm' ? 'What to do: follow up until it is confirmed.' : 'What to do: confirm disposal now.',
    ],
  }),
};

function model(p: NoticePayload): string {
  return `${p.model.name} ${p.model.version} (review ${p.reviewId})`;
}

export function renderNotice(p: NoticePayload): RenderedNotice {
  const d = (key: string): string => (p.dates[key] ? formatForRecipient(p.dates[key], p) : 'not set');
  const f = (key: string): string => String(p.facts[key] ?? '');
  const { subject, body } = TEMPLATES[p.kind](p, d, f);
  const greeting = `Hello ${p.to.map((t) => t.name).join(', ')},`;
  const footer = `— frontier-review, on behalf of the program office. Review ${p.reviewId}; notice ${p.id}.`;
  return { subject: `[${p.reviewId}] ${subject}`, text: [greeting, '', ...body.flatMap((b) => [b, '']), footer, ''].join('\n') };
}
