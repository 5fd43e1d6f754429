/**
 * Notices, one template per kind: typed data in (NoticePayload's dates and facts), a subject, a plain-text
 * body and an escaped HTML body out (activities/blocks.ts). Each names the review and the model, gives every
 * date in the recipient's zone with the zone named (and the review's zone where it differs) plus the days
 * remaining, and says what the recipient must do.
 */
import { daysRemaining, parseInstant } from '../workflows/timeline';
import { inZone } from '../shared/zone-time';
import type { NoticeDateKey, NoticeKind, NoticePayload } from '../workflows/types';
import type { Block } from './blocks';
import { renderHtml, renderText } from './blocks';

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

export function formatDate(iso: string, zone: string): string {
  return `${inZone(iso, zone, 'short-words') ?? iso} (${zone})`;
}

/** "Wed 20 Jan 2027, 09:00 PST (America/Los_Angeles) = Wed 20 Jan 2027, 12:00 EST (America/New_York)". */
export function formatForRecipient(iso: string, p: NoticePayload): string {
  const own = formatDate(iso, p.recipientTimeZone);
  return p.recipientTimeZone === p.reviewTimeZone ? own : `${own} = ${formatDate(iso, p.reviewTimeZone)}`;
}

/** "in 3 days", "tomorrow", "today", "2 days ago": calendar days in the recipient's zone, as of the notice. */
export function countdown(iso: string, p: NoticePayload): string {
  const at = parseInstant(iso);
  const from = p.facts.now ? parseInstant(p.facts.now) : null;
  if (at === null || from === null) return '';
  const n = daysRemaining(from, at, p.recipientTimeZone);
  if (n === 0) return 'today';
  if (n === 1) return 'tomorrow';
  if (n === -1) return 'yesterday';
  return n > 0 ? `in ${n} days` : `${-n} days ago`;
}

const NO_PRECLEARANCE =
  'This review creates no licence, preclearance or permit requirement. No approval from the clearinghouse is needed to release the model.';

/** What a template gets: the payload, and its dates already written for the recipient. */
interface View {
  p: NoticePayload;
  /** A deadline: recipient zone, review zone where different, days remaining. */
  due: (key: NoticeDateKey) => string;
  /** An instant already past or happening now (no countdown). */
  at: (key: NoticeDateKey) => string;
  model: string;
  days: string;
}

type Template = (v: View) => { subject: string; blocks: Block[] };

/** The access package's gaps, for the notices that ask for access (access-package.ts decides what is missing). */
function packageGaps(p: NoticePayload): Block[] {
  const missing = p.facts.packageMissing ?? [];
  if (!missing.length) return [];
  return p.audience === 'lab'
    ? ['The access package is incomplete. Still missing:', { list: missing }, 'What to do: complete it (`review complete-package`, the API or the dashboard).']
    : ['The access package is incomplete. Still missing:', { list: missing }];
}

const plural = (n: number, word: string): string => (n === 1 ? `1 ${word}` : `${n} ${word}s`);

const TEMPLATES: Record<NoticeKind, Template> = {
  'intake-ack': ({ p, due, model }) => ({
    subject: 'Review request received',
    blocks: p.audience === 'lab'
      ? [
          `The clearinghouse has opened a voluntary pre-release review of ${model}.`,
          `The review window is up to ${p.facts.windowDays} days and starts when you grant the evaluation team access to the model.`,
          `What to do: grant access by ${due('accessDeadlineAt')}. If access is not granted by then, the review lapses.`,
          ...(p.dates.releaseAt ? [`Your planned public release on record: ${due('releaseAt')}. The window never extends past it.`] : []),
          ...packageGaps(p),
          NO_PRECLEARANCE,
        ]
      : [`The review of ${model} from ${p.labName} has been opened.`, `The lab must grant access by ${due('accessDeadlineAt')}.`, ...packageGaps(p)],
  }),
  'access-reminder': ({ p, due, model, days }) => ({
    subject: `Reminder: access not yet granted (${days} left)`,
    blocks: [
      `Access to ${model} has not been granted yet.`,
      `What to do: ${p.audience === 'lab' ? 'grant the evaluation team access' : 'follow up with the lab'} by ${due('accessDeadlineAt')}. Otherwise the review lapses.`,
      ...packageGaps(p),
    ],
  }),
  'review-lapsed': ({ p, at, model }) => ({
    subject: 'Review lapsed: access was never granted',
    blocks: [
      `Access to ${model} was not granted by ${at('accessDeadlineAt')}, so the review has lapsed and is closed.`,
      p.audience === 'lab' ? 'No action is needed from you.' : 'No action is needed; start a new review if the lab asks for one.',
      ...(p.audience === 'lab' ? [NO_PRECLEARANCE] : []),
    ],
  }),
  'clock-started': ({ p, due, at, model }) => {
    const lab = p.audience === 'lab';
    const todo = lab
      ? `What to do: keep the access working; tell the program manager at once about any outage (the clock can be paused). ${NO_PRECLEARANCE} Your release never waits for the window: if your release date changes, tell the program manager and the window ends then.`
      : p.audience === 'pm'
        ? 'What to do: follow the evaluations; you will be told when each falls due.'
        : 'What to do: plan your evaluation within the window; your own due date comes with your assignment.';
    if (p.facts.update) {
      return {
        subject: `Review window end moved: now ${at('windowEndsAt')}`,
        blocks: [
          `The review window for ${model} now closes at ${due('windowEndsAt')}.`,
          ...(p.dates.previousAt ? [`It was ${at('previousAt')}. The attached calendar event replaces the earlier one.`] : []),
          ...(lab ? [NO_PRECLEARANCE] : []),
        ],
      };
    }
    return {
      subject: `Review clock started: window ends ${at('windowEndsAt')}`,
      blocks: [
        `Access to ${model} was granted at ${at('startedAt')}; the review clock is running.`,
        `The review window closes at ${due('windowEndsAt')}. The attached calendar event marks it and is updated if the date moves.`,
        todo,
      ],
    };
  },
  'reviewer-assigned': ({ p, due, at, model }) => {
    const track = p.facts.track;
    if (p.facts.unassigned) {
      return {
        subject: `Evaluation reassigned: ${track}`,
        blocks: [
          `The "${track}" evaluation of ${model} has been reassigned to another reviewer; you no longer need to submit it.`,
          'The calendar event for its due date is cancelled. You will be asked to confirm disposal of model artifacts when the review closes.',
        ],
      };
    }
    if (p.facts.update) {
      return {
        subject: `Due date moved: ${track} evaluation now due ${at('dueAt')}`,
        blocks: [
          `Your "${track}" evaluation of ${model} is now due ${due('dueAt')}.`,
          ...(p.dates.previousAt ? [`It was due ${at('previousAt')}. The attached calendar event replaces the earlier one.`] : []),
          ...(p.dates.windowEndsAt ? [`The review window closes at ${due('windowEndsAt')}.`] : []),
        ],
      };
    }
    const rule = p.facts.dueBusinessDays ? ` (${plural(p.facts.dueBusinessDays, 'business day')} after the clock start)` : '';
    return {
      subject: `Evaluation assigned: ${track} — due ${at('dueAt')}`,
      blocks: [
        `You are assigned the "${track}" evaluation of ${model} from ${p.labName}.`,
        `What to do: submit your evaluation (severity and summary) by ${due('dueAt')}${rule}. The review window closes at ${due('windowEndsAt')}.`,
      ],
    };
  },
  'reviewer-reminder': ({ p, due, model, days }) => ({
    subject: `Reminder: ${p.facts.track} evaluation due in ${days}`,
    blocks: [`Your "${p.facts.track}" evaluation of ${model} is due ${due('dueAt')}.`, 'What to do: submit it before then.'],
  }),
  'evaluation-overdue': ({ p, due, at, model }) => ({
    subject: `Overdue: ${p.facts.track} evaluation`,
    blocks: p.audience === 'pm'
      ? [`Escalation level 1: the "${p.facts.track}" evaluation of ${model} by ${p.facts.reviewerName} was due ${at('dueAt')} and has not been submitted.`,
         `The window closes at ${due('windowEndsAt')}. What to do: follow up with the reviewer or reassign the track.`]
      : [`Your "${p.facts.track}" evaluation of ${model} was due ${at('dueAt')} and has not been submitted.`,
         `What to do: submit it now; the window closes at ${due('windowEndsAt')}.`],
  }),
  'director-escalation': ({ p, due, at, model }) => ({
    subject: `Escalation: ${p.facts.track} evaluation still missing`,
    blocks: [
      `Escalation level 2: the "${p.facts.track}" evaluation of ${model} from ${p.labName} by ${p.facts.reviewerName} was due ${at('dueAt')} and is still missing.`,
      `The window closes at ${due('windowEndsAt')}. What to do: decide with the program manager whether to reassign it.`,
    ],
  }),
  'critical-finding': ({ p, due, at, model }) => ({
    subject: `Critical finding: ${p.facts.track}`,
    blocks: p.audience === 'lab'
      ? [`The "${p.facts.track}" evaluation of ${model} recorded a finding of critical severity.`,
         'What to do: expect contact from the program manager about the finding and possible mitigations.', NO_PRECLEARANCE]
      : [`${p.facts.reviewerName} recorded a CRITICAL finding in the "${p.facts.track}" evaluation of ${model} from ${p.labName} at ${at('submittedAt')}.`,
         // Webhook copies leave the summary out (notice-webhooks.ts): they say where to read it instead.
         p.facts.summary !== undefined ? `Summary: ${p.facts.summary}` : 'Summary: not in this copy; read it on the review\'s page.', `The window closes at ${due('windowEndsAt')}. What to do: review the finding and contact the lab.`],
  }),
  'close-reminder': ({ due, model, days }) => ({
    subject: `Review window closes in ${days}`,
    blocks: [`The review window for ${model} closes at ${due('windowEndsAt')}.`,
      'What to do: nothing, unless your release date changes — then tell the program manager.', NO_PRECLEARANCE],
  }),
  'ready-to-close': ({ p, due, model }) => ({
    subject: 'All evaluations are in: review ready to close',
    blocks: [`${Number(p.facts.tracks) === 1 ? 'The evaluation' : `All ${p.facts.tracks} evaluations`} of ${model} from ${p.labName} ${Number(p.facts.tracks) === 1 ? 'has' : 'have'} been submitted.`,
      `What to do: close the review early if nothing else is needed; otherwise it closes by itself at ${due('windowEndsAt')}.`],
  }),
  'review-closed': ({ p, at, model }) => {
    const findings = (p.findings ?? []).map((x) => `${x.track}: ${x.status === 'submitted' ? `severity ${x.severity}` : 'not completed'}`);
    const cancelled = (p.invites ?? []).some((i) => i.method === 'CANCEL');
    return {
      subject: `Review closed (${p.facts.outcome})`,
      blocks: [
        `The review of ${model} closed at ${at('closedAt')} with outcome "${p.facts.outcome}" (${p.facts.reason}).`,
        ...(findings.length ? [p.audience === 'lab' ? 'Findings, severity per evaluation track:' : 'Evaluations:', { list: findings }] : []),
        ...(p.audience === 'lab'
          ? ['Government access to the model ends now.', `${NO_PRECLEARANCE} You may proceed with the release.`]
          : ['What to do: stop using the model access; you will be asked to confirm disposal of artifacts.']),
        ...(cancelled ? ['The calendar events for this review’s remaining deadlines are cancelled (attached).'] : []),
        ...(p.receipt ? ['Attached: the closure receipt, signed by the clearinghouse (an in-toto statement in a DSSE envelope). It records the window and that no licence or preclearance applies; keep it with your release records. Check it with `review verify`.'] : []),
      ],
    };
  },
  'disposal-request': ({ p, due, model }) => ({
    subject: 'Please confirm access revocation and data disposal',
    blocks: [
      `The review of ${model} is closed.`,
      p.audience === 'lab'
        ? `What to do: revoke the evaluation team's access and confirm disposal by ${due('disposalDueAt')}.`
        : `What to do: delete every model artifact and credential you hold for this review and confirm disposal by ${due('disposalDueAt')}.`,
      ...(p.facts.holdings?.length
        ? ['What you hold for this review (confirm disposal with the digests of the evidence files you destroyed):', { list: p.facts.holdings }]
        : []),
    ],
  }),
  'evaluated-model-mismatch': ({ p, at, due, model }) => ({
    subject: `Evaluated model differs from the package: ${p.facts.track}`,
    blocks: [
      `${p.facts.reviewerName} submitted the "${p.facts.track}" evaluation of ${model} from ${p.labName} at ${at('submittedAt')}, but the model evaluated is not the one in the access package: ${p.facts.mismatch}.`,
      `What to do: check with the reviewer and the lab which model was handed over; the window closes at ${due('windowEndsAt')}.`,
    ],
  }),
  'disposal-overdue': ({ p, at, model }) => ({
    subject: `Disposal confirmation overdue (${p.facts.party})`,
    blocks: [
      `The disposal confirmation for ${model} from ${p.facts.party === 'lab' ? p.labName : `reviewer ${p.facts.party}`} was due ${at('disposalDueAt')} and is missing.`,
      p.audience === 'director' || p.audience === 'pm' ? 'What to do: follow up until it is confirmed.' : 'What to do: confirm disposal now.',
    ],
  }),
};

export function modelLine(p: Pick<NoticePayload, 'model' | 'reviewId'>): string {
  return `${p.model.name} ${p.model.version} (review ${p.reviewId})`;
}

export function renderNotice(p: NoticePayload): RenderedNotice {
  const at = (key: NoticeDateKey): string => {
    const iso = p.dates[key];
    return iso ? formatForRecipient(iso, p) : 'not set';
  };
  const due = (key: NoticeDateKey): string => {
    const iso = p.dates[key];
    if (!iso) return 'not set';
    const c = countdown(iso, p);
    return c ? `${formatForRecipient(iso, p)}, ${c}` : formatForRecipient(iso, p);
  };
  const days = plural(Number(p.facts.daysRemaining ?? 0), 'day');
  const { subject, blocks } = TEMPLATES[p.kind]({ p, due, at, model: modelLine(p), days });
  const message = {
    greeting: `Hello ${p.to.map((t) => t.name).join(', ')},`,
    blocks,
    footer: `— frontier-review, on behalf of the program office. Review ${p.reviewId}; notice ${p.id}.`,
  };
  const fullSubject = `[${p.reviewId}] ${subject}`;
  return { subject: fullSubject, text: renderText(message), html: renderHtml(message, fullSubject) };
}

/** The notice as one chat line plus its body, for webhooks (`text` is what chat tools show). */
export function renderChatText(p: NoticePayload): string {
  const { subject, text } = renderNotice(p);
  const body = text.split('\n').slice(2, -2).filter((l) => l.trim() !== '').join('\n');
  return `${subject} (to ${p.audience})\n${body}`;
}
