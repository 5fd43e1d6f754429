/**
 * valibot schemas of the verifiable record's inputs: the access package (start request and completePackage) and
 * the evaluation record (submitEvaluation). validation.ts parses with them, so the messages and field paths are
 * the same at every door. Built per parse, like the others (validation.ts says why).
 */
import * as v from 'valibot';
import { ACCESS_MODES, DOCUMENTATION_ITEMS } from './access-package';
import { array as arrayOf, maxLength, minLength, strictObject as strictObjectOf, trimmed, wholeNumber, wrongType } from './schema';

export const PACKAGE_LIMITS = { references: 500, seeds: 20, runIds: 20 } as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

const unknownFields = (keys: string[]): string => `unknown field(s) ${keys.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)).join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
const strictObject = <const TEntries extends v.ObjectEntries>(entries: TEntries) => strictObjectOf(entries, { type: wrongType('object', true), unknown: unknownFields });
const text = (max: number) => v.pipe(
  trimmed(wrongType('string', true)),
  minLength(1, 'must not be empty'),
  maxLength(max, `must be at most ${max} characters`),
  v.check((s) => !CONTROL.test(s), 'must not contain control characters'),
);
const bool = () => v.boolean(wrongType('boolean', true));
const digest = () => v.pipe(v.string(wrongType('string', true)), v.regex(SHA256_DIGEST, 'must be sha256: followed by 64 lowercase hex digits'));
const commit = () => v.pipe(v.string(wrongType('string', true)), v.regex(/^[0-9a-f]{7,64}$/, 'must be a commit id: 7 to 64 lowercase hex digits'));
const email = () => v.pipe(trimmed(wrongType('string', true)), maxLength(254, 'must be at most 254 characters'), v.pipe(v.string(), v.regex(EMAIL, 'must be a valid e-mail address')));
const displayName = () => v.pipe(text(200), v.pipe(v.string(), v.check((s) => !/[<>@]/.test(s), 'must not contain <, > or @ (a display name, not an address)')));

const documentationEntry = () => strictObject({ present: bool(), reference: v.optional(text(PACKAGE_LIMITS.references)) });
const documentation = () => strictObject(Object.fromEntries(DOCUMENTATION_ITEMS.map((item) => [item, v.optional(documentationEntry())])) as Record<(typeof DOCUMENTATION_ITEMS)[number], v.OptionalSchema<ReturnType<typeof documentationEntry>, undefined>>);
const dataHandling = () => strictObject({
  retentionDays: v.optional(wholeNumber(0, 3650, { type: wrongType('number', true), whole: 'must be a whole number of days', min: 'must be at least 0', max: 'must be at most 3650' })),
  noTrainingOnOutputs: v.optional(bool()),
  storageLocation: v.optional(text(200)),
  clearedPersonnelOnly: v.optional(bool()),
});
const accessMode = () => v.picklist(ACCESS_MODES, `must be one of ${ACCESS_MODES.join(', ')}`);

/** The package's fields, all optional: completePackage takes any part; the start request requires access and modelIdentifier. */
const packageEntries = () => ({
  access: v.optional(accessMode()),
  modelIdentifier: v.optional(text(200)),
  artifactDigest: v.optional(digest()),
  apiVersion: v.optional(text(100)),
  documentation: v.optional(documentation()),
  dataHandling: v.optional(dataHandling()),
  outageContact: v.optional(strictObject({ name: displayName(), email: email() })),
});

export const accessPackage = () => strictObject({ ...packageEntries(), access: accessMode(), modelIdentifier: text(200) });
export const completePackage = () => strictObject({ ...packageEntries(), by: v.optional(text(200)) });

const seed = () => wholeNumber(0, Number.MAX_SAFE_INTEGER, { type: wrongType('number', true), whole: 'must be a whole number', min: 'must be at least 0', max: 'must be at most 2^53 - 1' });

export const evaluationRecord = () => strictObject({
  harness: strictObject({ name: text(100), version: v.optional(text(100)), commit: v.optional(commit()) }),
  task: v.optional(text(200)),
  solver: v.optional(text(200)),
  configDigest: v.optional(digest()),
  seeds: v.optional(arrayOf(seed(), { max: PACKAGE_LIMITS.seeds }, { type: wrongType('array', true), tooMany: `must list at most ${PACKAGE_LIMITS.seeds} seeds` })),
  runIds: v.optional(arrayOf(text(100), { max: PACKAGE_LIMITS.runIds }, { type: wrongType('array', true), tooMany: `must list at most ${PACKAGE_LIMITS.runIds} run ids` })),
  model: strictObject({ identifier: text(200), digest: v.optional(digest()), apiVersion: v.optional(text(100)) }),
  source: v.optional(strictObject({ format: v.picklist(['inspect-json'] as const, 'must be inspect-json'), digest: digest() })),
});
