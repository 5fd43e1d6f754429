/**
 * JSON Schemas of the API's requests and responses. Fastify validates requests with them (ajv, no coercion,
 * unknown fields rejected) and serialises responses with them; the OpenAPI document (openapi.ts) is built
 * from the same objects. The detailed rules (lengths, time zones, e-mail syntax, dates in the future) are
 * then checked by workflows/validation.ts, exactly as the CLI and the workflow check them.
 */
import { NOTICE_KINDS, SEVERITIES } from '../../workflows/types';
import { PHASES } from '../review-client';

export type JsonSchema = Record<string, unknown>;

const str = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const nullableStr = (description?: string): JsonSchema => ({ type: ['string', 'null'], ...(description ? { description } : {}) });
const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
const obj = (properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema => ({
  type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}), ...extra,
});
/** Response objects: documented fields, and whatever newer fields the workflow adds pass through. */
const out = (properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema => ({
  type: 'object', additionalProperties: true, properties, ...(required.length ? { required } : {}), ...extra,
});
const arr = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
const instant = (description: string): JsonSchema => str(`${description} ISO 8601 with an offset, e.g. 2027-01-20T09:00:00-08:00.`);
const days = (description: string): JsonSchema => int(description);
const dayList = (description: string): JsonSchema => arr({ type: 'integer' }, description);

export const personSchema = obj({ name: str(), email: str('E-mail address.') }, ['name', 'email']);
export const reviewerSchema = obj({ id: str('Reviewer id: letters, digits, dots, hyphens, underscores; not "lab".'), name: str(), email: str() }, ['id', 'name', 'email']);

export const policySchema = obj({
  windowDays: days('Review window in calendar days, at most 30. Default 30.'),
  accessReminderDays: dayList('Days after intake to remind the lab while access is not granted. Default [3, 7].'),
  accessGrantDeadlineDays: days('Days after intake without access before the review lapses. Default 14.'),
  closeReminderDays: dayList('Days before the window end to remind the lab. Default [7, 3, 1].'),
  dueDay: days('Default evaluation due day after the clock start. Default 21.'),
  reviewerReminderDays: dayList('Days before the due date to remind the reviewer. Default [3].'),
  directorEscalationDays: days('Days after the due date before the director is told. Default 3.'),
  maxPauseDays: days('Total pause budget in days. Default 10.'),
  disposalDays: days('Days after close for disposal confirmations. Default 5.'),
});

const docEntry = obj({ present: { type: 'boolean' }, reference: str('URL or document id of what was handed over.') }, ['present']);
const packageProperties: Record<string, JsonSchema> = {
  access: { type: 'string', enum: ['hosted-api', 'weights-transfer', 'secure-enclave'], description: 'How access is given.' },
  modelIdentifier: str('The model as the lab names it, e.g. acme/atlas-7-rc1.'),
  artifactDigest: str('sha256:<64 hex> of the weights or image handed over.'),
  apiVersion: str('Hosted API access: the API (model) version evaluated.'),
  documentation: obj({ modelCard: docEntry, systemCard: docEntry, intendedUse: docEntry, mitigations: docEntry, knownLimitations: docEntry }),
  dataHandling: obj({
    retentionDays: int('Days the clearinghouse may keep outputs and evidence after close.'), noTrainingOnOutputs: { type: 'boolean' },
    storageLocation: str(), clearedPersonnelOnly: { type: 'boolean' },
  }),
  outageContact: personSchema,
};
export const accessPackageSchema = obj(packageProperties, ['access', 'modelIdentifier'], {
  description: 'The access package (optional). Missing items are listed in the acknowledgement and access reminders; complete them with completePackage.',
});

export const evaluationRecordSchema = obj({
  harness: obj({ name: str('e.g. inspect_ai'), version: str(), commit: str('Commit of the evaluation code (7-64 hex).') }, ['name']),
  task: str(), solver: str(), configDigest: str('sha256:<64 hex> of the canonical configuration.'),
  seeds: arr({ type: 'integer' }), runIds: arr({ type: 'string' }),
  model: obj({ identifier: str(), digest: str('sha256:<64 hex> of the model evaluated.'), apiVersion: str() }, ['identifier']),
  source: obj({ format: { type: 'string', enum: ['inspect-json'] }, digest: str() }, ['format', 'digest']),
}, ['harness', 'model'], { description: 'How the result can be reproduced (modelled on an Inspect eval log header).' });

const evaluationRequestSchema = obj({
  track: str('Evaluation track: lowercase letters, digits, hyphens.'),
  reviewer: reviewerSchema,
  dueDay: days('Due this many calendar days after the clock start.'),
  dueBusinessDays: days('Alternative to dueDay: this many US federal business days after the clock start.'),
}, ['track', 'reviewer']);

export const reviewRequestSchema = obj({
  reviewId: str('Lowercase letters, digits and hyphens; the workflow id is review-<reviewId>.'),
  model: obj({ name: str(), version: str() }, ['name', 'version']),
  lab: obj({
    id: str("The lab's stable id (letters, digits, dots, hyphens, underscores): lab tokens are bound to it; the name is only shown."),
    name: str(), timeZone: str('IANA zone of the lab, for its notices.'), contacts: arr(personSchema),
  }, ['name', 'timeZone', 'contacts']),
  programManager: personSchema,
  director: personSchema,
  evaluations: arr(evaluationRequestSchema),
  plannedReleaseAt: instant("The lab's planned release; caps the window."),
  timeZone: str("The review's IANA zone: calendar days are counted there."),
  policy: policySchema,
  webhooks: arr(obj({ url: str('http(s) URL without credentials.') }, ['url'])),
  package: accessPackageSchema,
}, ['reviewId', 'model', 'lab', 'programManager', 'director', 'evaluations', 'timeZone'], {
  description: 'A ReviewRequest (DESIGN.md), as `review start <file.json>` takes it.',
});

const by = str('Who is doing this (recorded in the audit trail).');
const reason = str('Why (audit trail and notices).');

/** One body schema per update of the contract. */
export const updateBodySchemas: Record<string, JsonSchema> = {
  grantAccess: obj({ by }, ['by']),
  assignReviewer: obj({
    track: str('A new track or one to reassign.'), reviewer: reviewerSchema,
    dueDay: days('Due day after the clock start.'), dueBusinessDays: days('Due after this many business days instead.'), by,
  }, ['track', 'reviewer']),
  submitEvaluation: obj({
    track: str(), reviewerId: str('The assigned reviewer (a reviewer token may only submit as itself).'),
    severity: { type: 'string', enum: [...SEVERITIES] }, summary: str('Findings; internal: never shown to the lab.'),
    record: evaluationRecordSchema,
    inspectLog: { type: 'object', description: 'Instead of record: an Inspect eval log (JSON format; its header is enough), read into the record as `review submit --inspect-log` does.' },
  }, ['track', 'reviewerId', 'severity', 'summary']),
  setReleaseDate: obj({ plannedReleaseAt: instant('The new planned release.'), by }, ['plannedReleaseAt']),
  pauseClock: obj({ by, reason }, ['by']),
  resumeClock: obj({ by, reason }, ['by']),
  withdraw: obj({ by, reason }, ['by']),
  closeReview: obj({ by, reason }, ['by']),
  cancelReview: obj({ by, reason }, ['by', 'reason']),
  confirmDisposal: obj({
    party: str('"lab" or a reviewer id.'), by, note: str(),
    destroyed: arr(str('sha256:<64 hex>'), 'Digests of the evidence files the party destroyed (each one it held; see the disposal request).'),
  }, ['party', 'by']),
  completePackage: obj({ ...packageProperties, by }, [], { description: 'Any part of the access package; each section given replaces that section (documents item by item).' }),
};

const noticeSchema = out({
  id: str('Deterministic: the same notice is never sent twice.'), kind: { type: 'string', enum: [...NOTICE_KINDS] },
  audience: str('lab, pm, director or reviewer:<id>.'), to: arr({ type: 'string' }), at: str(),
  state: { type: 'string', enum: ['sending', 'sent', 'failed', 'superseded', 'suppressed'] },
  messageId: str(), error: str(), track: str(), reason: str(),
}, ['id', 'kind', 'audience', 'to', 'at', 'state']);

const eventSchema = out({ at: str(), type: str(), by: str(), detail: str() }, ['at', 'type', 'by', 'detail']);

const evaluationViewSchema = out({
  track: str(), reviewerId: str(), reviewerName: str(), dueAt: nullableStr(), dueBusinessDays: { type: ['integer', 'null'] },
  status: { type: 'string', enum: ['pending', 'submitted', 'overdue', 'not-completed'] },
  severity: { type: ['string', 'null'] }, summary: nullableStr('Null where the viewer may not read it (labs; other reviewers).'), submittedAt: nullableStr(),
}, ['track', 'reviewerId', 'dueAt', 'status', 'severity']);

export const evidenceViewSchema = out({
  digest: str('sha256:<64 hex> of the plaintext.'), size: int('Bytes.'), mediaType: str(), name: str('As uploaded; display only.'),
  ref: str('Store key (clearinghouse only).'), party: str('lab, clearinghouse or a reviewer id.'),
  visibleTo: { type: 'string', enum: ['clearinghouse', 'lab', 'reviewers', 'all'] }, by: str(), track: nullableStr(), attachedAt: str(),
  deletedAt: nullableStr('Set when the retention ended and the store deleted the file; the digest stays.'),
}, ['digest', 'size', 'mediaType', 'name', 'party', 'visibleTo', 'attachedAt']);

export const statusSchema = out({
  reviewId: str(),
  model: out({ name: str(), version: str() }),
  lab: out({ id: str('Absent for reviews requested without one.'), name: str(), timeZone: str() }),
  programManager: out({ name: str(), email: str() }),
  timeZone: str(),
  phase: { type: 'string', enum: [...PHASES] },
  outcome: { type: ['string', 'null'], enum: ['completed', 'expired', 'withdrawn', 'lapsed', 'cancelled', null] },
  createdAt: str(),
  plannedReleaseAt: nullableStr(),
  policy: out({}),
  clock: out({
    startedAt: nullableStr(), windowEndsAt: nullableStr('ISO with offset, review zone.'), accessDeadlineAt: nullableStr(),
    pausedMs: { type: 'number' }, pauseBudgetMs: { type: 'number' }, paused: { type: 'boolean' },
  }, ['startedAt', 'windowEndsAt']),
  closedAt: nullableStr(),
  evaluations: arr(evaluationViewSchema),
  disposal: arr(out({ party: str(), confirmedAt: nullableStr(), by: nullableStr(), destroyed: { type: ['array', 'null'], items: str(), description: 'Digests the party attested it destroyed (null where the viewer may not see them).' } })),
  evidence: arr(evidenceViewSchema, 'Evidence files recorded (the bytes are in the evidence store), as the viewer may see them.'),
  evidenceRetention: { type: ['object', 'null'], additionalProperties: true, properties: { days: int(), deleteAt: nullableStr(), deletedAt: nullableStr() } },
  disposalDueAt: nullableStr(),
  notices: arr(noticeSchema),
  events: arr(eventSchema, 'The audit trail.'),
  visibility: out({ role: str(), redacted: arr({ type: 'string' }) }, [], { description: 'What this viewer was not shown.' }),
}, ['reviewId', 'phase', 'outcome', 'clock', 'evaluations', 'notices', 'events'], { description: 'The `status` query, as the viewer may see it.' });

export const reviewRowSchema = out({
  reviewId: str(), workflowId: str(), lab: nullableStr(), model: { type: ['object', 'null'], additionalProperties: true, properties: { name: str(), version: str() } },
  phase: { type: ['string', 'null'] }, outcome: { type: ['string', 'null'] }, runStatus: str(), timeZone: nullableStr(),
  windowEndsAt: nullableStr(),
  deadline: { type: ['object', 'null'], additionalProperties: true, properties: { kind: str(), at: str() }, description: 'The next hard deadline of the phase: access, window end or disposal.' },
  daysRemaining: { type: ['integer', 'null'], description: 'Calendar days to the deadline in the review zone; negative when past.' },
  overdueEvaluations: int(), criticalFindings: int(), pendingEvaluations: int(), startedAt: str(), error: str(),
}, ['reviewId', 'phase', 'deadline', 'daysRemaining']);

export const listQuerySchema = obj({
  phase: { type: 'string', enum: [...PHASES] },
  lab: str("A lab's id, or its exact name for reviews requested without an id."),
  dueWithinDays: str('Window ends within this many days (whole number).', { pattern: '^[0-9]{1,4}$' }),
  limit: str('At most this many (1-100, default 100).', { pattern: '^[0-9]{1,3}$' }),
  reviewer: str('Only reviews naming this reviewer id (a reviewer token: its own id only).', { maxLength: 80 }),
  sort: { type: 'string', enum: ['remaining', 'newest'], description: 'remaining: least time left first (default).' },
});

export const officeQuerySchema = obj({
  lab: str("A lab's id, or its exact name for reviews requested without an id."),
  reviewer: str('Only reviews naming this reviewer id.', { maxLength: 80 }),
  phase: { type: 'string', enum: [...PHASES] },
  timeZone: str('IANA zone for "this week" and "next week" (default: the token\'s zone, else the program office\'s).', { maxLength: 60 }),
  months: str('Months of metrics, ending with the current one (1-36, default 12).', { pattern: '^[0-9]{1,2}$' }),
  offset: str('Portfolio: where this page of each list starts (default 0; the answer\'s page.nextOffset gives the next).', { pattern: '^[0-9]{1,6}$' }),
  limit: str('Portfolio: items per list on this page (1-1000, default 100).', { pattern: '^[0-9]{1,4}$' }),
});

const AS_OF = 'The instant the figures are current as of: the server keeps a copy of the review cards, refreshed every few seconds (README: "What holds the truth").';
const dueItemSchema = out({ reviewId: str(), kind: str(), at: str('UTC instant.'), track: str(), reviewerId: str(), party: str(), overdue: { type: 'boolean' } });
export const portfolioSchema = out({
  generatedAt: str(), asOf: str(AS_OF), timeZone: str(), thisWeek: out({ from: str(), to: str() }), nextWeek: out({ from: str(), to: str() }),
  byPhase: arr(out({ phase: str(), count: int() })),
  reviews: arr(out({
    reviewId: str(), lab: str(), labId: nullableStr(), model: str(), phase: str(), nextDeadline: { anyOf: [dueItemSchema, { type: 'null' }] },
    overdue: int(), critical: int(), pendingEvaluations: int(), reviewers: arr({ type: 'string' }),
  })),
  overdue: arr(dueItemSchema), dueThisWeek: arr(dueItemSchema), dueNextWeek: arr(dueItemSchema),
  page: out({
    offset: int(), limit: int(), nextOffset: { type: ['integer', 'null'] },
    totals: out({ reviews: int(), overdue: int(), dueThisWeek: int(), dueNextWeek: int() }),
  }, ['offset', 'limit', 'nextOffset', 'totals']),
}, ['reviews', 'byPhase', 'dueThisWeek', 'dueNextWeek', 'page'], { description: 'Open reviews, overdue and critical first; one page of each list (page.nextOffset leads on).' });

const assignmentSchema = out({ reviewId: str(), track: str(), dueAt: nullableStr(), overdue: { type: 'boolean' } });
export const workloadSchema = out({
  generatedAt: str(), asOf: str(AS_OF), maxOpen: int(),
  reviewers: arr(out({ reviewerId: str(), name: str(), open: int(), overdue: int(), dueThisWeek: int(), atCapacity: { type: 'boolean' }, assignments: arr(assignmentSchema) })),
}, ['maxOpen', 'reviewers']);

const monthly = (fields: Record<string, JsonSchema>): JsonSchema => arr(out({ month: str('yyyy-MM'), ...fields }));
const count = { type: ['integer', 'null'] };
export const metricsSchema = out({
  timeZone: str(), asOf: str(AS_OF), months: arr({ type: 'string' }), reviews: int(),
  closedByOutcome: monthly({ completed: int(), expired: int(), withdrawn: int(), lapsed: int(), cancelled: int() }),
  evaluations: monthly({ onTime: int(), late: int(), notCompleted: int() }),
  intakeToAccess: monthly({ reviews: int(), medianDays: { type: ['number', 'null'] }, maxDays: { type: ['number', 'null'] } }),
  criticalFindings: monthly({ count: count }),
  pauses: monthly({ pauses: int(), pausedDays: { type: 'number' } }),
}, ['months', 'closedByOutcome', 'evaluations', 'intakeToAccess', 'criticalFindings', 'pauses']);

export const errorSchema = out({
  error: out({
    code: str(), message: str(), issues: arr(out({ path: str('Field path, e.g. evaluations[0].reviewer.email; empty for the body as a whole.'), message: str() })),
  }, ['code', 'message']),
}, ['error'], { description: 'The one error shape of the API.' });

export const startedSchema = out({ reviewId: str(), workflowId: str(), runId: str() }, ['reviewId', 'workflowId', 'runId']);

export const planBodySchema = obj({
  request: reviewRequestSchema,
  startAt: instant('Plan as if started then (default now).'),
  accessGrantedAt: { type: 'string', description: 'When access is granted (ISO with offset), or "never"; default: at the start.' },
}, ['request']);

export const planSchema = out({
  reviewId: str(), timeZone: str(), labTimeZone: str(), startAt: str(), accessGrantedAt: nullableStr(), scenario: str(), outcome: str(),
  deadlines: arr(out({ kind: str(), label: str(), at: str(), atLabZone: str(), track: str() })),
  notices: arr(out({ id: str(), kind: str(), audience: str(), to: arr({ type: 'string' }), at: str(), atRecipientZone: str(), recipientTimeZone: str(), condition: str(), track: str() })),
}, ['reviewId', 'deadlines', 'notices']);

export const meSchema = out({ name: str(), role: str(), reviewerId: str(), email: str(), labId: str(), lab: str(), timeZone: str() }, ['name', 'role']);

export const reviewIdParams = obj({ reviewId: str('The review id.', { maxLength: 80 }) }, ['reviewId']);
export const exportQuerySchema = obj({ format: { type: 'string', enum: ['json', 'csv', 'ics'], description: 'Default json.' } });

/** The evidence routes (evidence-routes.ts): the upload's query, its answer, the list. */
export const evidenceUploadQuerySchema = obj({
  party: str('lab, clearinghouse or a reviewer id; default: the token\'s own party (a PM: clearinghouse). A lab or reviewer token may name only itself.'),
  visibleTo: { type: 'string', enum: ['clearinghouse', 'lab', 'reviewers', 'all'], description: "Who else sees the file. Default: a lab's file the reviewers too; anyone else's the clearinghouse only." },
  track: str('The evaluation track the file belongs to.'),
});
export const evidenceUploadHeadersSchema = obj({
  'x-evidence-name': str('The file name, percent-encoded UTF-8 (display only; never a path).'),
}, ['x-evidence-name']);
export const evidenceDigestParams = obj({ reviewId: str('The review id.', { maxLength: 80 }), digest: str('sha256:<64 lowercase hex>', { pattern: '^sha256:[0-9a-f]{64}$' }) }, ['reviewId', 'digest']);
export const uploadedEvidenceSchema = out({
  evidence: out({ digest: str(), size: int(), mediaType: str(), name: str(), party: str(), visibleTo: str() }, ['digest', 'size', 'mediaType', 'name', 'party', 'visibleTo']),
  status: statusSchema,
}, ['evidence', 'status']);
export const evidenceListSchema = out({
  reviewId: str(),
  evidence: arr(evidenceViewSchema, 'The files the token may see; deletedAt set once the retention ended.'),
  retention: { type: ['object', 'null'], additionalProperties: true, properties: { days: int(), deleteAt: nullableStr(), deletedAt: nullableStr() } },
  maxBytes: int('Largest file the store accepts.'),
  mediaTypes: arr({ type: 'string' }, 'Media types the store accepts.'),
}, ['reviewId', 'evidence', 'retention', 'maxBytes', 'mediaTypes']);
