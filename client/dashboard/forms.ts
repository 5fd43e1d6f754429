/**
 * From HTML form fields to the contract's JSON (a ReviewRequest, an update argument). Only the shape is
 * built here; the values are validated by the same functions as everywhere else, and their field paths are
 * mapped back to the form's fields.
 */
import { DateTime } from 'luxon';
import type { ValidationIssue } from '../../workflows/validation';
import type { UpdateName } from '../review-client';

export type FormFields = Record<string, string | undefined>;

export class FormError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

const field = (f: FormFields, k: string): string => (f[k] ?? '').trim();
const optional = (f: FormFields, k: string): string | undefined => field(f, k) || undefined;
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `2027-01-20T09:00` (datetime-local) in `zone` → ISO with offset; anything else is passed on for validation to name. */
export function localToIso(value: string, zone: string): string {
  const dt = DateTime.fromISO(value, { zone });
  return dt.isValid && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? (dt.toISO({ suppressMilliseconds: true }) as string) : value;
}

function wholeNumber(value: string | undefined, path: string, issues: ValidationIssue[]): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,4}$/.test(value.trim())) {
    issues.push({ path, message: 'must be a whole number of days' });
    return undefined;
  }
  return Number(value.trim());
}

/** The start form: one line per contact ("Name <email>") and per evaluation ("track, reviewer id, name, email[, due day]"). */
export function requestFromForm(f: FormFields): unknown {
  const issues: ValidationIssue[] = [];
  const lines = (k: string): string[] => field(f, k).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const contacts = lines('labContacts').map((l, i) => {
    const m = /^(.*?)\s*<([^<>]+)>$/.exec(l);
    if (!m || !m[1]) issues.push({ path: `lab.contacts[${i}]`, message: 'write one contact per line as: Name <email>' });
    return { name: m?.[1] ?? l, email: m?.[2] ?? '' };
  });
  const evaluations = lines('evaluations').map((l, i) => {
    const [track, id, name, email, due, ...rest] = l.split(',').map((p) => p.trim());
    if (!email || rest.length) issues.push({ path: `evaluations[${i}]`, message: 'write one track per line as: track, reviewer id, reviewer name, email[, due day]' });
    const dueDay = wholeNumber(due, `evaluations[${i}].dueDay`, issues);
    return compact({ track: track ?? '', reviewer: { id: id ?? '', name: name ?? '', email: email ?? '' }, dueDay });
  });
  const windowDays = wholeNumber(f.windowDays, 'policy.windowDays', issues);
  const release = optional(f, 'plannedReleaseAt');
  const labZone = field(f, 'labTimeZone');
  let pkg: unknown;
  if (optional(f, 'package')) {
    try {
      pkg = JSON.parse(field(f, 'package'));
    } catch (e) {
      issues.push({ path: 'package', message: `must be JSON: ${(e as Error).message}` });
    }
  }
  if (issues.length) throw new FormError(issues);
  return compact({
    reviewId: field(f, 'reviewId'),
    model: { name: field(f, 'modelName'), version: field(f, 'modelVersion') },
    lab: compact({ id: optional(f, 'labId'), name: field(f, 'labName'), timeZone: labZone, contacts }),
    programManager: { name: field(f, 'pmName'), email: field(f, 'pmEmail') },
    director: { name: field(f, 'directorName'), email: field(f, 'directorEmail') },
    evaluations,
    plannedReleaseAt: release ? localToIso(release, labZone || 'UTC') : undefined,
    timeZone: field(f, 'timeZone'),
    policy: windowDays !== undefined ? { windowDays } : undefined,
    package: pkg,
  });
}

/** Which form field shows an issue of this request path. */
export function formFieldOf(path: string): string {
  const table: [RegExp, string][] = [
    [/^reviewId/, 'reviewId'], [/^model\.name/, 'modelName'], [/^model\.version/, 'modelVersion'], [/^model/, 'modelName'],
    [/^lab\.id/, 'labId'], [/^lab\.name/, 'labName'], [/^lab\.timeZone/, 'labTimeZone'], [/^lab\.contacts/, 'labContacts'], [/^lab/, 'labName'],
    [/^programManager\.email/, 'pmEmail'], [/^programManager/, 'pmName'], [/^director\.email/, 'directorEmail'], [/^director/, 'directorName'],
    [/^evaluations/, 'evaluations'], [/^plannedReleaseAt/, 'plannedReleaseAt'], [/^timeZone/, 'timeZone'], [/^policy/, 'windowDays'], [/^package/, 'package'],
  ];
  return table.find(([re]) => re.test(path))?.[1] ?? 'reviewId';
}

/** An action form's fields as the update's argument. `zone` interprets a datetime-local release date. */
export function updateFromForm(name: UpdateName, f: FormFields, zone: string): unknown {
  const issues: ValidationIssue[] = [];
  const actor = (): Record<string, unknown> => compact({ by: field(f, 'by'), reason: optional(f, 'reason') });
  let arg: unknown;
  switch (name) {
    case 'grantAccess': arg = { by: field(f, 'by') }; break;
    case 'assignReviewer':
      arg = compact({
        track: field(f, 'track'), reviewer: { id: field(f, 'reviewerId'), name: field(f, 'reviewerName'), email: field(f, 'reviewerEmail') },
        dueDay: wholeNumber(f.dueDay, 'dueDay', issues),
      });
      break;
    case 'submitEvaluation': {
      // The reproducibility record: given when the harness name is (the model evaluated then belongs with it).
      const seeds = field(f, 'seeds').split(/[\s,]+/).filter(Boolean);
      const runIds = field(f, 'runIds').split(/[\s,]+/).filter(Boolean);
      if (seeds.some((x) => !/^\d{1,15}$/.test(x))) issues.push({ path: 'record.seeds', message: 'must be whole numbers separated by commas or spaces' });
      const record = optional(f, 'harnessName') ? compact({
        harness: compact({ name: field(f, 'harnessName'), version: optional(f, 'harnessVersion'), commit: optional(f, 'harnessCommit') }),
        task: optional(f, 'task'), configDigest: optional(f, 'configDigest'),
        seeds: seeds.length ? seeds.map(Number) : undefined, runIds: runIds.length ? runIds : undefined,
        model: compact({ identifier: field(f, 'modelIdentifier'), digest: optional(f, 'modelDigest') }),
      }) : undefined;
      arg = compact({ track: field(f, 'track'), reviewerId: field(f, 'reviewerId'), severity: field(f, 'severity'), summary: field(f, 'summary'), record });
      break;
    }
    case 'completePackage': {
      let parts: unknown = {};
      try {
        parts = JSON.parse(field(f, 'package') || '{}');
      } catch (e) {
        issues.push({ path: 'package', message: `must be JSON: ${(e as Error).message}` });
      }
      arg = typeof parts === 'object' && parts !== null && !Array.isArray(parts) ? { ...parts, by: field(f, 'by') } : parts;
      break;
    }
    case 'setReleaseDate': arg = { plannedReleaseAt: localToIso(field(f, 'plannedReleaseAt'), zone) }; break;
    case 'cancelReview': arg = { by: field(f, 'by'), reason: field(f, 'reason') }; break;
    case 'confirmDisposal': arg = compact({ party: field(f, 'party'), by: field(f, 'by'), note: optional(f, 'note') }); break;
    default: arg = actor();
  }
  if (issues.length) throw new FormError(issues);
  return arg;
}
