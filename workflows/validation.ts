/**
 * Validation of everything a person can send: the start request and each update's argument. Used by the
 * client before anything reaches Temporal and again inside the workflow (update validators, start), so
 * a bad input gets the same clear "field: problem" message wherever it is caught. Deterministic: no clock
 * is read here; callers pass `now`.
 */
import { z } from 'zod';
import { HISTORY_BUDGET, LIMITS, utf8Bytes } from './limits';
import { DEFAULT_POLICY, isValidTimeZone, parseInstant } from './timeline';
import { SEVERITIES } from './types';
import type {
  AssignReviewerInput, CancelInput, ConfirmDisposalInput, GrantAccessInput, ActorInput, Policy, ReviewRequest,
  SetReleaseDateInput, SubmitEvaluationInput,
} from './types';

/** Longest evaluation summary accepted, in UTF-8 bytes (what Temporal stores); see limits.ts. */
export const MAX_SUMMARY_BYTES = LIMITS.summaryBytes;
export const MAX_WINDOW_DAYS = 30;
/** Business days in a 30-day window are at most 22; a larger count would always be capped by the window end. */
export const MAX_DUE_BUSINESS_DAYS = 22;
export const MAX_WEBHOOKS = 5;

export interface ValidationIssue {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(public readonly issues: ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
    this.name = 'ValidationError';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Prose (a summary, a reason, a note) may have line breaks and tabs; no other control character. */
// eslint-disable-next-line no-control-regex
const PROSE_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/*
 * Every schema is built by a function, when a parse needs it, and dropped afterwards. The workflow bundle's
 * modules are evaluated for each workflow, so module-level schemas (some 250 zod objects) stayed in memory
 * with every cached review: ~1.2 MB each (BENCHMARKS.md).
 */
const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters (line breaks, tabs)');
/** Prose up to `maxBytes` UTF-8 bytes: a character cap alone let control characters grow six-fold once JSON-escaped. */
const prose = (maxBytes: number) =>
  z.string().trim().max(maxBytes, `must be at most ${maxBytes} bytes of UTF-8`)
    .refine((s) => s.length > maxBytes || utf8Bytes(s) <= maxBytes, { error: (i) => `must be at most ${maxBytes} bytes of UTF-8 (this one is ${utf8Bytes(String(i.input))})` })
    .refine((s) => !PROSE_CONTROL.test(s), 'must not contain control characters other than line breaks and tabs');
const optionalText = (maxBytes: number) => prose(maxBytes).optional();
const email = () => z.string().trim().max(254, 'must be at most 254 characters').pipe(z.email('must be a valid e-mail address'));
const zone = () => z.string().refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York');
const instant = () => z.string().refine((s) => parseInstant(s) !== null, 'must be an ISO 8601 date-time with an offset, e.g. 2027-01-20T09:00:00-08:00');
const slug = (what: string, max: number) =>
  z.string().regex(new RegExp(`^[a-z0-9][a-z0-9-]{0,${max - 1}}$`), `must be a ${what}: lowercase letters, digits and hyphens, at most ${max} characters`);
const idFormat = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, hyphens or underscores');
const reviewerId = () => idFormat()
  .refine((s) => s !== 'lab', '"lab" is reserved for the lab\'s disposal confirmation');
const days = (min: number, max: number) => z.number().int('must be a whole number of days').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const dayList = () => z.array(days(1, 60)).max(10, 'must list at most 10 days');

const person = () => z.strictObject({ name: text(200), email: email() });
const reviewer = () => z.strictObject({ id: reviewerId(), name: text(200), email: email() });

const policy = () => z.strictObject({
  windowDays: days(1, 365).refine((d) => d <= MAX_WINDOW_DAYS, `must be at most ${MAX_WINDOW_DAYS} (the order allows up to 30 days of access)`),
  accessReminderDays: dayList(),
  accessGrantDeadlineDays: days(1, 60),
  closeReminderDays: dayList(),
  dueDay: days(1, MAX_WINDOW_DAYS),
  reviewerReminderDays: dayList(),
  directorEscalationDays: days(1, 30),
  maxPauseDays: days(0, 30),
  disposalDays: days(1, 60),
}).partial();

const businessDays = () => z.number().int('must be a whole number of business days').min(1, 'must be at least 1').max(MAX_DUE_BUSINESS_DAYS, `must be at most ${MAX_DUE_BUSINESS_DAYS}`);
const evaluation = () => z.strictObject({ track: slug('track name', 64), reviewer: reviewer(), dueDay: days(1, MAX_WINDOW_DAYS).optional(), dueBusinessDays: businessDays().optional() });

/**
 * A webhook endpoint: http(s), no credentials in the URL (the URL is kept in the review's history; the
 * signing secret lives only in the worker's configuration).
 */
const webhookUrl = () => z.string().max(2048, 'must be at most 2048 characters').refine((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL without user name or password');
const webhook = () => z.strictObject({ url: webhookUrl() });

const reviewRequest = () => z.strictObject({
  reviewId: slug('review id', 80),
  model: z.strictObject({ name: text(200), version: text(100) }),
  lab: z.strictObject({ name: text(200), timeZone: zone(), contacts: z.array(person()).min(1, 'must list at least one contact').max(20, 'must list at most 20 contacts') }),
  programManager: person(),
  director: person(),
  evaluations: z.array(evaluation()).max(LIMITS.tracks, `must list at most ${LIMITS.tracks} tracks`),
  plannedReleaseAt: instant().optional(),
  timeZone: zone(),
  policy: policy().optional(),
  webhooks: z.array(webhook()).max(MAX_WEBHOOKS, `must list at most ${MAX_WEBHOOKS} webhooks`).optional(),
  historyBudget: z.strictObject({
    events: z.number().int('must be a whole number of events').min(HISTORY_BUDGET.minEvents, `must be at least ${HISTORY_BUDGET.minEvents}`).max(HISTORY_BUDGET.events, `must be at most ${HISTORY_BUDGET.events}`),
  }).partial().optional(),
});

const by = () => text(200);
const grantAccess = () => z.strictObject({ by: by() });
const actor = () => z.strictObject({ by: by(), reason: optionalText(2000) });
const cancel = () => z.strictObject({ by: by(), reason: prose(2000).pipe(z.string().min(1, 'must not be empty')) });
const assignReviewer = () => z.strictObject({
  track: slug('track name', 64), reviewer: reviewer(), dueDay: days(1, MAX_WINDOW_DAYS).optional(), dueBusinessDays: businessDays().optional(), by: by().optional(),
});
const submitEvaluation = () => z.strictObject({
  track: slug('track name', 64),
  reviewerId: idFormat(),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }),
  summary: prose(MAX_SUMMARY_BYTES).pipe(z.string().min(1, 'must not be empty')),
});
const setReleaseDate = () => z.strictObject({ plannedReleaseAt: instant(), by: by().optional() });
const confirmDisposal = () => z.strictObject({ party: idFormat(), by: by(), note: optionalText(2000) });

/** Never echo a hostile input back at length: quote at most five names, each cut to 40 characters. */
function unknownFields(keys: string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
  return `unknown field(s) ${shown.join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

function parse<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  // reportInput: without it zod omits `input` from every issue, and a present field of the wrong type
  // would be reported as "is required".
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  throw new ValidationError(
    r.error.issues.map((i) => {
      const p = formatPath([...(prefix ? [prefix] : []), ...i.path]);
      const message = i.code === 'unrecognized_keys' ? unknownFields(i.keys) : i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message;
      return { path: p, message };
    }),
  );
}

export function resolvePolicy(p: Partial<Policy> | undefined): Policy {
  return { ...DEFAULT_POLICY, ...(p ?? {}) };
}

/** Validates a start request; `now` (epoch ms) is the caller's clock for "not in the past" checks. */
export function parseReviewRequest(input: unknown, now: number): ReviewRequest {
  const req = parse(reviewRequest(), input) as ReviewRequest;
  const issues: ValidationIssue[] = [];
  const pol = resolvePolicy(req.policy);
  const tracks = new Set<string>();
  const reviewerEmails = new Map<string, string>();
  req.evaluations.forEach((e, i) => {
    if (tracks.has(e.track)) issues.push({ path: `evaluations[${i}].track`, message: `"${e.track}" is listed twice` });
    tracks.add(e.track);
    const known = reviewerEmails.get(e.reviewer.id);
    if (known !== undefined && known !== e.reviewer.email) issues.push({ path: `evaluations[${i}].reviewer.email`, message: `reviewer "${e.reviewer.id}" appears with two e-mail addresses` });
    reviewerEmails.set(e.reviewer.id, e.reviewer.email);
    if (e.dueDay !== undefined && e.dueBusinessDays !== undefined) issues.push({ path: `evaluations[${i}].dueBusinessDays`, message: 'give either dueDay or dueBusinessDays, not both' });
    else if (e.dueBusinessDays === undefined && (e.dueDay ?? pol.dueDay) > pol.windowDays) issues.push({ path: `evaluations[${i}].dueDay`, message: `must be at most policy.windowDays (${pol.windowDays})` });
  });
  const urls = new Set<string>();
  (req.webhooks ?? []).forEach((w, i) => {
    if (urls.has(w.url)) issues.push({ path: `webhooks[${i}].url`, message: 'is listed twice' });
    urls.add(w.url);
  });
  if (req.policy?.dueDay !== undefined && req.policy.dueDay > pol.windowDays) issues.push({ path: 'policy.dueDay', message: `must be at most policy.windowDays (${pol.windowDays})` });
  if (req.plannedReleaseAt !== undefined && (parseInstant(req.plannedReleaseAt) as number) <= now) {
    issues.push({ path: 'plannedReleaseAt', message: 'must be in the future' });
  }
  if (issues.length) throw new ValidationError(issues);
  return req;
}

export const parseGrantAccess = (i: unknown): GrantAccessInput => parse(grantAccess(), i);
export const parseActor = (i: unknown): ActorInput => parse(actor(), i);
export const parseCancel = (i: unknown): CancelInput => parse(cancel(), i);
export function parseAssignReviewer(i: unknown): AssignReviewerInput {
  const a = parse(assignReviewer(), i);
  if (a.dueDay !== undefined && a.dueBusinessDays !== undefined) throw new ValidationError([{ path: 'dueBusinessDays', message: 'give either dueDay or dueBusinessDays, not both' }]);
  return a;
}
export const parseSubmitEvaluation = (i: unknown): SubmitEvaluationInput => parse(submitEvaluation(), i);
export const parseSetReleaseDate = (i: unknown): SetReleaseDateInput => parse(setReleaseDate(), i);
export const parseConfirmDisposal = (i: unknown): ConfirmDisposalInput => parse(confirmDisposal(), i);
