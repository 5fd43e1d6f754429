/**
 * valibot building blocks for everything a person can send: the start request and updates (validation.ts), the
 * API's token file and the what-if script (client/). valibot rather than zod because its schemas are plain objects
 * and its module is small, and the workflow bundle's modules are evaluated for every workflow (BENCHMARKS.md,
 * "Validation: valibot instead of zod").
 *
 * The rules and messages were written against zod, and people and tests read them, so these pieces keep zod's
 * behaviour where valibot's differs:
 * - a value of the wrong type reads "Invalid input: expected string, received array" (or "is required" for a
 *   missing one, where the caller asks for that);
 * - a number is finite; after a fraction where a whole number belongs, the number's other checks stay quiet;
 * - lengths count code points, and are also measured on a wrong-typed value that has one (an array given for a
 *   name), except after such a fraction;
 * - an object runs every field's schema even when the field is absent (a missing field gets that schema's own
 *   message), and reports unknown fields in one issue, after the fields' issues, without stopping the checks that
 *   follow the object.
 */
import * as v from 'valibot';

/** The type of a value as zod named it in its messages. */
export function typeName(input: unknown): string {
  if (typeof input === 'number') return Number.isNaN(input) ? 'NaN' : Number.isFinite(input) ? 'number' : String(input);
  if (typeof input !== 'object') return typeof input;
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (Object.getPrototypeOf(input) !== Object.prototype && 'constructor' in input && input.constructor) return String((input.constructor as { name?: unknown }).name);
  return 'object';
}

/** The message for a value of the wrong type; with `required`, a missing value (undefined) "is required". */
export const wrongType = (expected: string, required = false) => (issue: v.BaseIssue<unknown>): string =>
  required && issue.input === undefined ? 'is required' : `Invalid input: expected ${expected}, received ${typeName(issue.input)}`;

type Message = v.ErrorMessage<v.BaseIssue<unknown>>;

/**
 * zod's default wording for a length bound, kept where a check never had a message of its own (the API's token file,
 * the what-if script). The unit follows the value: characters of a string, items of an array.
 */
export const lengthMessage = (bound: 'min' | 'max', limit: number) => (issue: v.BaseIssue<unknown>): string => {
  const origin = Array.isArray(issue.input) ? 'array' : typeof issue.input === 'string' ? 'string' : 'unknown';
  const unit = origin === 'array' ? 'items' : origin === 'string' ? 'characters' : undefined;
  const relation = `${bound === 'min' ? '>=' : '<='}${limit}`;
  return `${bound === 'min' ? 'Too small' : 'Too big'}: expected ${origin} to ${unit ? `have ${relation} ${unit}` : `be ${relation}`}`;
};

/** A finite number (valibot's number() lets Infinity through). */
export const number = (message: Message) => v.custom<number>((input) => typeof input === 'number' && Number.isFinite(input), message);

/** A string, trimmed; as the first item of a pipe, so that the length checks after it still run on a wrong type. */
export const trimmed = (message: Message) => v.pipe(v.string(message), v.trim());

/** A fraction was found where a whole number belongs (`v.integer`) in this value: zod measured no length after that. */
const stopped = (dataset: { issues?: readonly v.BaseIssue<unknown>[] }): boolean => dataset.issues?.some((issue) => issue.type === 'integer') === true;

function measured(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  const length = (value as { length?: unknown }).length;
  if (length === undefined) return undefined;
  return typeof value === 'string' ? [...value].length : (length as number);
}

/** At least `min` code points or items. */
export function minLength<T>(min: number, message: Message): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    const length = measured(dataset.value);
    if (length !== undefined && !stopped(dataset) && !(length >= min)) addIssue({ message });
  });
}

/** At most `max` code points or items. */
export function maxLength<T>(max: number, message: Message): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    const length = measured(dataset.value);
    if (length !== undefined && !stopped(dataset) && !(length <= max)) addIssue({ message });
  });
}

/** A number check that stays quiet on a fraction: zod checked nothing more of a number once it was not whole. */
export const ifWhole = (check: (n: number) => boolean, message: string) => v.check<number, string>((n) => !Number.isInteger(n) || check(n), message);

/**
 * A whole number from `min` to `max`. A fraction is reported alone; a whole number beyond 2^53 is reported as not
 * whole and against the bounds as well.
 */
export function wholeNumber(min: number, max: number, messages: { type: Message; whole: string; min: string; max: string }) {
  return v.pipe(
    number(messages.type),
    v.integer(messages.whole),
    ifWhole(Number.isSafeInteger, messages.whole),
    ifWhole((n) => n >= min, messages.min),
    ifWhole((n) => n <= max, messages.max),
  );
}

/**
 * An array of `min` (default 0) to `max` items. A longer one gets that one issue, before any item is looked at (as
 * with zod 4.6, which checks a leading maximum first): a list of 300 wrong items is one problem, not 300.
 */
export function array<const TItem extends v.GenericSchema>(item: TItem, bounds: { min?: number; max: number }, messages: { type: Message; tooFew?: Message; tooMany: Message }) {
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (Array.isArray(dataset.value) && dataset.value.length > bounds.max) addIssue({ message: messages.tooMany });
    }),
    v.array(item, messages.type),
    v.rawCheck(({ dataset, addIssue }) => {
      const length = measured(dataset.value);
      if (length === undefined || stopped(dataset)) return;
      if (bounds.min !== undefined && !(length >= bounds.min)) addIssue({ message: messages.tooFew });
      if (!(length <= bounds.max)) addIssue({ message: messages.tooMany });
    }),
  );
}

export const isObject = (input: unknown): input is Record<string, unknown> => typeof input === 'object' && input !== null && !Array.isArray(input);

type StrictObjectSchema<TEntries extends v.ObjectEntries> = v.BaseSchema<
  v.InferInput<v.ObjectSchema<TEntries, undefined>>, v.InferOutput<v.ObjectSchema<TEntries, undefined>>, v.InferIssue<v.ObjectSchema<TEntries, undefined>>
> & { readonly entries: TEntries };

/**
 * An object with exactly these fields (see the header for how it differs from valibot's strictObject). `unknown`
 * words the issue for fields that are not in `entries`, given all their names. Built the way valibot builds its own
 * schemas (`_standardSchema`, `_addIssue`).
 */
export function strictObject<const TEntries extends v.ObjectEntries>(entries: TEntries, messages: { type: Message; unknown: (keys: string[]) => string }): StrictObjectSchema<TEntries> {
  type Output = v.InferOutput<v.ObjectSchema<TEntries, undefined>>;
  type Issue = v.InferIssue<v.ObjectSchema<TEntries, undefined>>;
  return v._standardSchema<StrictObjectSchema<TEntries>>({
    kind: 'schema',
    type: 'strict_object',
    reference: strictObject,
    expects: 'Object',
    async: false,
    entries,
    '~run'(dataset, config) {
      const input = dataset.value;
      if (!isObject(input)) {
        v._addIssue(this, 'type', dataset, config, { message: messages.type });
        return dataset as unknown as v.OutputDataset<Output, Issue>;
      }
      const output: Record<string, unknown> = {};
      const issues: v.BaseIssue<unknown>[] = [];
      let typed = true;
      for (const key in entries) {
        const present = key in input;
        const schema = entries[key];
        if (!present && schema.type === 'optional') continue;
        const result = schema['~run']({ value: input[key] }, config);
        for (const issue of result.issues ?? []) {
          const item: v.ObjectPathItem = { type: 'object', origin: 'value', input, key, value: input[key] };
          if (issue.path) issue.path.unshift(item);
          else Object.assign(issue, { path: [item] });
          issues.push(issue);
        }
        if (!result.typed) typed = false;
        if (present) output[key] = result.value;
      }
      const unknown: string[] = [];
      for (const key in input) if (!Object.prototype.hasOwnProperty.call(entries, key)) unknown.push(key);
      // A validation issue, not a schema one: the object stays typed, so the checks piped after it still run.
      if (unknown.length) {
        issues.push({ kind: 'validation', type: 'unknown_keys', input, expected: null, received: unknown.map((k) => JSON.stringify(k)).join(', '), message: messages.unknown(unknown) });
      }
      return { typed, value: output, ...(issues.length ? { issues } : {}) } as v.OutputDataset<Output, Issue>;
    },
  });
}
