/**
 * Validation of everything a person can send: the start request and each update's argument. Used by the
 * client before anything reaches Temporal and again inside the workflow (update validators, start), so
 * a bad input gets the same clear "field: problem" message wherever it is caught. Deterministic: no clock
 * is read here; callers pass `now`.
 */
import * as v from 'valibot';
import { HISTORY_BUDGET, LIMITS, utf8Bytes } from './limits';
import { array as arrayOf, ifWhole, maxLength, minLength, strictObject as strictObjectOf, trimmed, wholeNumber, wrongType } from './schema';
import { accessPackage, completePackage, evaluationRecord } from './record-validation';
import { DEFAULT_POLICY, isValidTimeZone, parseInstant } from './timeline';
import { SEVERITIES } from './types';
import type { CompletePackageInput } from './access-package';
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
/**
 * A reason or a note (the audit trail, notices, CSV exports): line breaks only (LF or CRLF). Tabs, a lone CR,
 * C1 controls and the bidirectional overrides that make a text read differently from what it holds are refused.
 */
// eslint-disable-next-line no-control-regex
const NOTE_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;
/** Display names go into mail headers: `A <attacker@evil.example>` would read as someone else's address. */
const NAME_SPOOF = /[<>@]/;

/*
 * Every schema is built by a function, when a parse needs it, and dropped afterwards. The workflow bundle's
 * modules are evaluated for each workflow, so module-level schemas stay in memory with every cached review (with
 * zod, ~1.2 MB each). valibot's are small, but still not free: built at module scope they measured 565 and 596
 * MB per 1,000 cached validation-only workflows and 19.1 and 16.0 ms of worker CPU per start, against 548 and 424
 * MB and 14.3 and 16.0 ms built per parse (two back-to-back runs each, BENCHMARKS.md).
 */
const string = () => v.string(wrongType('string', true));
/** An object with exactly these fields; unknown ones are named in one issue. */
const strictObject = <const TEntries extends v.ObjectEntries>(entries: TEntries) => strictObjectOf(entries, { type: wrongType('object', true), unknown: unknownFields });
/** A list of at most `max` items; a longer one is refused on its length alone. */
const array = <const TItem extends v.GenericSchema>(item: TItem, max: number, tooMany: string) => arrayOf(item, { max }, { type: wrongType('array', true), tooMany });

const text = (max: number) => v.pipe(
  trimmed(wrongType('string', true)),
  minLength(1, 'must not be empty'),
  maxLength(max, `must be at most ${max} characters`),
  v.check((s) => !CONTROL.test(s), 'must not contain control characters (line breaks, tabs)'),
);
/** Prose up to `maxBytes` UTF-8 bytes: a character cap alone let control characters grow six-fold once JSON-escaped. */
const prose = (maxBytes: number) => v.pipe(
  trimmed(wrongType('string', true)),
  maxLength(maxBytes, `must be at most ${maxBytes} bytes of UTF-8`),
  // Skipped only where the length check (code points) already refused it: UTF-16 units let 15,000 emoji (60,000 bytes) through.
  v.check((s) => [...s].length > maxBytes || utf8Bytes(s) <= maxBytes, (issue) => `must be at most ${maxBytes} bytes of UTF-8 (this one is ${utf8Bytes(String(issue.input))})`),
  v.check((s) => !PROSE_CONTROL.test(s), 'must not contain control characters other than line breaks and tabs'),
);
/** Prose that must say something: checked only once the prose itself passed. */
const nonEmptyProse = (maxBytes: number) => v.pipe(prose(maxBytes), v.pipe(string(), minLength(1, 'must not be empty')));
/** A reason or note: prose without tabs or other control characters (checked in update validators only, never replayed). */
const noteRule = () => v.pipe(string(), v.check((s) => !NOTE_CONTROL.test(s), 'must not contain control characters other than line breaks'));
/** The rule is a nested schema so that it runs only once the prose passed (one issue per field). */
const note = (maxBytes: number) => v.pipe(prose(maxBytes), noteRule());
const optionalNote = (maxBytes: number) => v.optional(note(maxBytes));
const nonEmptyNote = (maxBytes: number) => v.pipe(nonEmptyProse(maxBytes), noteRule());
/** zod's e-mail pattern, which the addresses were checked against before. */
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
/** The address pattern is checked only once the length passed. */
const email = () => v.pipe(
  trimmed(wrongType('string', true)),
  maxLength(254, 'must be at most 254 characters'),
  v.pipe(string(), v.regex(EMAIL, 'must be a valid e-mail address')),
);
const zone = () => v.pipe(string(), v.check(isValidTimeZone, 'must be an IANA time zone such as America/New_York'));
const instant = () => v.pipe(string(), v.check((s) => parseInstant(s) !== null, 'must be an ISO 8601 date-time with an offset, e.g. 2027-01-20T09:00:00-08:00'));
const slug = (what: string, max: number) =>
  v.pipe(string(), v.regex(new RegExp(`^[a-z0-9][a-z0-9-]{0,${max - 1}}$`), `must be a ${what}: lowercase letters, digits and hyphens, at most ${max} characters`));
const idFormat = () => v.pipe(string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, hyphens or underscores'));
const reviewerId = () => v.pipe(idFormat(), v.check((s) => s !== 'lab', '"lab" is reserved for the lab\'s disposal confirmation'));
const whole = (min: number, max: number, unit: string) =>
  wholeNumber(min, max, { type: wrongType('number', true), whole: `must be a whole number of ${unit}`, min: `must be at least ${min}`, max: `must be at most ${max}` });
const days = (min: number, max: number) => whole(min, max, 'days');
const dayList = () => array(days(1, 60), 10, 'must list at most 10 days');

const person = () => strictObject({ name: text(200), email: email() });
const reviewer = () => strictObject({ id: reviewerId(), name: text(200), email: email() });
const displayName = () => v.pipe(text(200), v.pipe(string(), v.check((s) => !NAME_SPOOF.test(s), 'must not contain <, > or @ (a display name, not an address)')));
/** A reviewer as assignReviewer takes it: its name is a display name (the update validator is not replayed). */
const assignedReviewer = () => strictObject({ id: reviewerId(), name: displayName(), email: email() });

const policy = () => strictObject({
  windowDays: v.optional(v.pipe(days(1, 365), ifWhole((d) => d <= MAX_WINDOW_DAYS, `must be at most ${MAX_WINDOW_DAYS} (the order allows up to 30 days of access)`))),
  accessReminderDays: v.optional(dayList()),
  accessGrantDeadlineDays: v.optional(days(1, 60)),
  closeReminderDays: v.optional(dayList()),
  dueDay: v.optional(days(1, MAX_WINDOW_DAYS)),
  reviewerReminderDays: v.optional(dayList()),
  directorEscalationDays: v.optional(days(1, 30)),
  maxPauseDays: v.optional(days(0, 30)),
  disposalDays: v.optional(days(1, 60)),
});

const businessDays = () => whole(1, MAX_DUE_BUSINESS_DAYS, 'business days');
const evaluation = () => strictObject({ track: slug('track name', 64), reviewer: reviewer(), dueDay: v.optional(days(1, MAX_WINDOW_DAYS)), dueBusinessDays: v.optional(businessDays()) });

/**
 * A webhook endpoint: http(s), no credentials in the URL (the URL is kept in the review's history; the
 * signing secret lives only in the worker's configuration).
 */
const webhookUrl = () => v.pipe(string(), maxLength(2048, 'must be at most 2048 characters'), v.check((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL without user name or password'));
const webhook = () => strictObject({ url: webhookUrl() });

const reviewRequest = () => strictObject({
  reviewId: slug('review id', 80),
  model: strictObject({ name: text(200), version: text(100) }),
  lab: strictObject({
    id: v.optional(idFormat()),
    name: text(200),
    timeZone: zone(),
    contacts: arrayOf(person(), { min: 1, max: 20 }, { type: wrongType('array', true), tooFew: 'must list at least one contact', tooMany: 'must list at most 20 contacts' }),
  }),
  programManager: person(),
  director: person(),
  evaluations: array(evaluation(), LIMITS.tracks, `must list at most ${LIMITS.tracks} tracks`),
  plannedReleaseAt: v.optional(instant()),
  timeZone: zone(),
  policy: v.optional(policy()),
  webhooks: v.optional(array(webhook(), MAX_WEBHOOKS, `must list at most ${MAX_WEBHOOKS} webhooks`)),
  historyBudget: v.optional(strictObject({
    events: v.optional(whole(HISTORY_BUDGET.minEvents, HISTORY_BUDGET.events, 'events')),
  })),
  package: v.optional(accessPackage()),
});

const by = () => text(200);
const grantAccess = () => strictObject({ by: by() });
const actor = () => strictObject({ by: by(), reason: optionalNote(2000) });
const cancel = () => strictObject({ by: by(), reason: nonEmptyNote(2000) });
const assignReviewer = () => strictObject({
  track: slug('track name', 64), reviewer: assignedReviewer(), dueDay: v.optional(days(1, MAX_WINDOW_DAYS)), dueBusinessDays: v.optional(businessDays()), by: v.optional(by()),
});
const submitEvaluation = () => strictObject({
  track: slug('track name', 64),
  reviewerId: idFormat(),
  severity: v.picklist(SEVERITIES, `must be one of ${SEVERITIES.join(', ')}`),
  summary: nonEmptyProse(MAX_SUMMARY_BYTES),
  record: v.optional(evaluationRecord()),
});
const setReleaseDate = () => strictObject({ plannedReleaseAt: instant(), by: v.optional(by()) });
const digest = () => v.pipe(string(), v.regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>'));
/** At most as many digests as a review records files (workflows/evidence.ts). */
const confirmDisposal = () => strictObject({
  party: idFormat(), by: by(), note: optionalNote(2000), destroyed: v.optional(array(digest(), 100, 'must list at most 100 digests')),
});

/** Never echo a hostile input back at length: quote at most five names, each cut to 40 characters. */
function unknownFields(keys: string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
  return `unknown field(s) ${shown.join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}

function formatPath(path: readonly unknown[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

function parse<const TSchema extends v.GenericSchema>(schema: TSchema, input: unknown, prefix = ''): v.InferOutput<TSchema> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  throw new ValidationError(
    r.issues.map((i) => ({ path: formatPath([...(prefix ? [prefix] : []), ...(i.path ?? []).map((item) => item.key)]), message: i.message })),
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

/**
 * The display names of a start request (lab, contacts, program manager, director, reviewers). Checked by the
 * client before a start, not inside the workflow: its start check is replayed, and a review already running
 * with such a name must keep replaying.
 */
export function checkDisplayNames(req: ReviewRequest): void {
  const names: [string, string][] = [
    ['lab.name', req.lab.name],
    ...req.lab.contacts.map((c, i): [string, string] => [`lab.contacts[${i}].name`, c.name]),
    ['programManager.name', req.programManager.name],
    ['director.name', req.director.name],
    ...req.evaluations.map((e, i): [string, string] => [`evaluations[${i}].reviewer.name`, e.reviewer.name]),
  ];
  const issues = names.filter(([, name]) => NAME_SPOOF.test(name)).map(([path]) => ({ path, message: 'must not contain <, > or @ (a display name, not an address)' }));
  if (issues.length) throw new ValidationError(issues);
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
export function parseCompletePackage(i: unknown): CompletePackageInput {
  const a = parse(completePackage(), i) as CompletePackageInput;
  if (Object.keys(a).every((k) => k === 'by')) throw new ValidationError([{ path: '', message: 'give at least one part of the package to complete' }]);
  return a;
}
