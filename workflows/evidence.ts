/**
 * Evidence files in the review's record (issue 14 §2, §3): claim check — the file lives in the evidence store
 * (shared/evidence), encrypted; the review holds only its EvidenceRef (digest, size, media type, name, store key)
 * and who attached it for whom. Then data handling: at close the disposal requests list what each party holds,
 * `confirmDisposal` attests what was destroyed (digests), and when the lab's retention period ends the files are
 * deleted from the store while their digests stay as proof of what existed.
 *
 * Pure: no Temporal API (the workflow wires it; the patch marker is taken there).
 */
import { utf8Bytes } from './limits';
import type { ReviewState } from './review-state';
import { addCalendarDays, toIso } from './timeline';
import type { Audience } from './types';
import { ValidationError } from './validation';
import type { ValidationIssue } from './validation';

/**
 * Who besides the clearinghouse and the party that attached it may see a file. A reviewer's evidence stays
 * between that reviewer and the clearinghouse; a lab shares documents with the evaluators; the clearinghouse
 * decides what the lab and the reviewers get.
 */
export const EVIDENCE_AUDIENCES = ['clearinghouse', 'lab', 'reviewers', 'all'] as const;
export type EvidenceAudience = (typeof EVIDENCE_AUDIENCES)[number];

/** How much evidence one review records: each entry is a few hundred bytes of history and a file in the store. */
export const EVIDENCE_LIMITS = {
  perReview: 100,
  perParty: 25,
} as const;

/** Days after close until the files are deleted, when the lab's data-handling terms set none. */
export const DEFAULT_RETENTION_DAYS = 90;
export const MAX_RETENTION_DAYS = 3650;

/** What the review records of one evidence file, never its bytes; the store (shared/evidence/) uses this type too. */
export interface EvidenceRef {
  /** SHA-256 of the plaintext, `sha256:<64 hex>`: what a party can check a copy against. */
  digest: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Media type as declared at upload and validated against the allowed list, e.g. `application/pdf`. */
  mediaType: string;
  /** The file name as uploaded (display only; never used as a path). */
  name: string;
  /** Opaque key inside the store (`reviews/<hash of review id>/<digest>`); no personal data in it. */
  ref: string;
}

export interface AttachEvidenceInput {
  evidence: EvidenceRef;
  /** `lab`, `clearinghouse`, or the reviewer id that attaches it. */
  party: string;
  by: string;
  /** Default: the lab shares with the reviewers; everyone else with the clearinghouse only. */
  visibleTo?: EvidenceAudience;
  track?: string;
}

export interface EvidenceEntry extends EvidenceRef {
  party: string;
  visibleTo: EvidenceAudience;
  by: string;
  track: string | null;
  attachedAt: number;
  /** When the store deleted the file (retention ended); the digest stays. */
  deletedAt: number | null;
}

/** What the status shows of a file (visibility.ts decides who sees which). */
export interface EvidenceView extends Omit<EvidenceEntry, 'attachedAt' | 'deletedAt'> {
  attachedAt: string;
  deletedAt: string | null;
}

/** The retention of the review's files: when they are deleted, and whether they were. */
export interface EvidenceRetentionView {
  days: number;
  deleteAt: string | null;
  deletedAt: string | null;
}

/** What the workflow keeps for evidence (fields of ReviewState, absent in states of older code). */
export interface EvidenceStateFields {
  evidence?: EvidenceEntry[];
  /** Set once patched('evidence-record') was asked (at the first attachment or at close): carried across runs. */
  evidenceRecord?: boolean;
  evidenceDeletedAt?: number | null;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REF = /^reviews\/[0-9a-f]{32}\/[0-9a-f]{64}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Largest file size a ref may claim (the store's own bound is lower; this keeps the number a safe integer). */
const MAX_SIZE = 1024 ** 4;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function fields(input: unknown, path: string, allowed: string[], issues: ValidationIssue[]): Record<string, unknown> {
  if (!isRecord(input)) {
    issues.push({ path, message: 'must be an object' });
    return {};
  }
  const unknown = Object.keys(input).filter((k) => !allowed.includes(k));
  if (unknown.length) issues.push({ path, message: `unknown field(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}` });
  return input;
}

function str(o: Record<string, unknown>, key: string, prefix: string, issues: ValidationIssue[], check: (s: string) => string | null, optional = false): string | undefined {
  const value = o[key];
  const path = prefix ? `${prefix}.${key}` : key;
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') {
    issues.push({ path, message: value === undefined ? 'is required' : 'must be a string' });
    return undefined;
  }
  const problem = check(value);
  if (problem) issues.push({ path, message: problem });
  return value;
}

const pattern = (re: RegExp, message: string) => (s: string): string | null => (re.test(s) ? null : message);
const displayText = (max: number) => (s: string): string | null =>
  s.trim().length === 0 ? 'must not be empty' : utf8Bytes(s) > max ? `must be at most ${max} bytes` : CONTROL.test(s) ? 'must not contain control characters' : null;

/** The argument of attachEvidence, checked field by field (every problem named, nothing changed). */
export function parseAttachEvidence(input: unknown): AttachEvidenceInput {
  const issues: ValidationIssue[] = [];
  const o = fields(input, '', ['evidence', 'party', 'by', 'visibleTo', 'track'], issues);
  const e = fields(o.evidence, 'evidence', ['digest', 'size', 'mediaType', 'name', 'ref'], issues);
  const digest = str(e, 'digest', 'evidence', issues, pattern(DIGEST, 'must be sha256:<64 lowercase hex>'));
  const ref = str(e, 'ref', 'evidence', issues, pattern(REF, 'must be a store key reviews/<32 hex>/<64 hex>'));
  if (digest && ref && DIGEST.test(digest) && REF.test(ref) && !ref.endsWith(digest.slice(7))) issues.push({ path: 'evidence.ref', message: 'does not match evidence.digest' });
  const mediaType = str(e, 'mediaType', 'evidence', issues, pattern(MEDIA_TYPE, 'must be a media type (type/subtype, lowercase)'));
  const name = str(e, 'name', 'evidence', issues, displayText(600));
  if (isRecord(o.evidence) && (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0 || e.size > MAX_SIZE)) {
    issues.push({ path: 'evidence.size', message: 'must be a whole number of bytes' });
  }
  const party = str(o, 'party', '', issues, (s) => (s === 'lab' || s === 'clearinghouse' || ID.test(s) ? null : 'must be "lab", "clearinghouse" or a reviewer id'));
  const by = str(o, 'by', '', issues, displayText(200));
  const visibleTo = str(o, 'visibleTo', '', issues, (s) => ((EVIDENCE_AUDIENCES as readonly string[]).includes(s) ? null : `must be one of ${EVIDENCE_AUDIENCES.join(', ')}`), true);
  const track = str(o, 'track', '', issues, pattern(ID, 'must be a track name'), true);
  if (issues.length) throw new ValidationError(issues);
  return {
    evidence: { digest: digest as string, size: e.size as number, mediaType: mediaType as string, name: name as string, ref: ref as string },
    party: party as string, by: by as string,
    ...(visibleTo !== undefined ? { visibleTo: visibleTo as EvidenceAudience } : {}), ...(track !== undefined ? { track } : {}),
  };
}

const fail = (path: string, message: string): never => {
  throw new ValidationError([{ path, message }]);
};

export const defaultAudience = (party: string): EvidenceAudience => (party === 'lab' ? 'reviewers' : 'clearinghouse');

/** When attachEvidence is allowed: before close, by a party of the review, within the limits, each file once per party. */
export function checkAttachEvidence(s: ReviewState & EvidenceStateFields, a: AttachEvidenceInput): void {
  if (!['awaiting-access', 'in-review', 'paused'].includes(s.phase)) {
    fail('', `cannot attach evidence: review ${s.request.reviewId} is ${s.phase}${s.outcome ? ` (outcome ${s.outcome})` : ''}; allowed only before close`);
  }
  if (a.party !== 'lab' && a.party !== 'clearinghouse' && !s.evaluations.some((e) => e.reviewer.id === a.party)) {
    fail('party', `"${a.party}" is not a reviewer assigned to this review; expected "lab", "clearinghouse" or one of: ${s.evaluations.map((e) => e.reviewer.id).join(', ') || 'none'}`);
  }
  const visibleTo = a.visibleTo ?? defaultAudience(a.party);
  if (a.party !== 'lab' && a.party !== 'clearinghouse' && visibleTo !== 'clearinghouse') {
    fail('visibleTo', "a reviewer's evidence is visible to the clearinghouse and that reviewer only (visibleTo must be clearinghouse)");
  }
  if (a.party === 'lab' && (visibleTo === 'lab' || visibleTo === 'all')) fail('visibleTo', 'lab evidence is shared with the clearinghouse, or with the reviewers too ("clearinghouse" or "reviewers")');
  if (a.track !== undefined && !s.evaluations.some((e) => e.track === a.track)) fail('track', `unknown track "${a.track}"`);
  if (!a.evidence.ref.startsWith(`reviews/`)) fail('evidence.ref', 'is not a store key');
  const list = s.evidence ?? [];
  if (list.length >= EVIDENCE_LIMITS.perReview) fail('', `a review records at most ${EVIDENCE_LIMITS.perReview} evidence files; this one has ${list.length}`);
  const own = list.filter((x) => x.party === a.party);
  if (own.length >= EVIDENCE_LIMITS.perParty) fail('party', `"${a.party}" has attached ${own.length} evidence files, the most one party may (${EVIDENCE_LIMITS.perParty})`);
  const twice = own.find((x) => x.digest === a.evidence.digest);
  if (twice) fail('evidence.digest', `"${a.party}" already attached this file (${twice.name}) at ${toIso(twice.attachedAt, s.request.timeZone)}`);
  if (list.some((x) => x.ref === a.evidence.ref && x.digest !== a.evidence.digest)) fail('evidence.ref', 'names a file already recorded with another digest');
}

export function attachEvidence(s: ReviewState & EvidenceStateFields, a: AttachEvidenceInput, now: number): EvidenceEntry {
  const entry: EvidenceEntry = {
    ...a.evidence, party: a.party, visibleTo: a.visibleTo ?? defaultAudience(a.party), by: a.by, track: a.track ?? null, attachedAt: now, deletedAt: null,
  };
  s.evidence = [...(s.evidence ?? []), entry];
  return entry;
}

export const shortDigest = (digest: string): string => `${digest.slice(0, 19)}…`;
export const describeEvidence = (e: EvidenceRef): string => `${e.name} (${shortDigest(e.digest)}, ${e.size} bytes, ${e.mediaType})`;

/** Whether `party` (`lab` or a reviewer id) may see, and so may hold, a file. The clearinghouse sees every file. */
export function partySees(e: Pick<EvidenceEntry, 'party' | 'visibleTo'>, party: string): boolean {
  if (e.party === party) return true;
  if (party === 'lab') return e.visibleTo === 'lab' || e.visibleTo === 'all';
  if (party === 'clearinghouse') return true;
  return e.party !== 'clearinghouse' && e.party !== 'lab' ? false : e.visibleTo === 'reviewers' || e.visibleTo === 'all';
}

/** What a party holds at close: the evidence it may have downloaded, and (reviewers) the model access itself. */
export function holdingsOf(s: ReviewState & EvidenceStateFields, party: string): { evidence: EvidenceEntry[]; access: string[] } {
  const evidence = (s.evidence ?? []).filter((e) => e.deletedAt === null && partySees(e, party));
  const access = party === 'lab' ? [] : [`access to ${s.request.model.name} ${s.request.model.version} and the credentials that came with it`];
  return { evidence, access };
}

/** The lines a disposal request lists for a party (small: at most perReview files). */
export function holdingLines(s: ReviewState & EvidenceStateFields, party: string): string[] {
  const h = holdingsOf(s, party);
  return [...h.access, ...h.evidence.map((e) => `evidence ${describeEvidence(e)}`)];
}

/** Checks the digests a confirmDisposal attests: each one the party holds, each once. */
export function checkDestroyed(s: ReviewState & EvidenceStateFields, party: string, destroyed: string[] | undefined): void {
  if (destroyed === undefined) return;
  const held = new Set(holdingsOf(s, party).evidence.map((e) => e.digest));
  const seen = new Set<string>();
  destroyed.forEach((d, i) => {
    if (seen.has(d)) fail(`destroyed[${i}]`, `${shortDigest(d)} is listed twice`);
    seen.add(d);
    if (!held.has(d)) fail(`destroyed[${i}]`, `${shortDigest(d)} is not a file "${party}" holds in this review`);
  });
}

/** The audit detail of a disposal attestation: how many of the held files, and their digests. */
export function destroyedDetail(s: ReviewState & EvidenceStateFields, party: string, destroyed: string[]): string {
  const held = holdingsOf(s, party).evidence.length;
  return `destroyed ${destroyed.length} of ${held} evidence file(s)${destroyed.length ? `: ${destroyed.join(', ')}` : ''}`;
}

/** The lab's retention period in days: the lab's data-handling terms when the request carries them, else the default. */
export function retentionDaysOf(s: ReviewState): number {
  // The package as completed so far (a lab may give its retention period after intake), else the request's.
  const days: unknown = (s.package ?? s.request.package)?.dataHandling?.retentionDays;
  return typeof days === 'number' && Number.isInteger(days) && days >= 0 && days <= MAX_RETENTION_DAYS ? days : DEFAULT_RETENTION_DAYS;
}

/** When the review's files are deleted: the retention period after close, in the review's zone; null while open. */
export function retentionEndsAt(s: ReviewState & EvidenceStateFields): number | null {
  if (s.closedAt === null || !(s.evidence ?? []).some((e) => e.deletedAt === null)) return null;
  return addCalendarDays(s.closedAt, retentionDaysOf(s), s.request.timeZone);
}

/** The files still in the store, to delete when the retention ends. */
export const filesToDelete = (s: EvidenceStateFields): EvidenceRef[] =>
  (s.evidence ?? []).filter((e) => e.deletedAt === null).map(({ digest, size, mediaType, name, ref }) => ({ digest, size, mediaType, name, ref }));

/** Records the deletion: every file gets its deletedAt; the digests stay. */
export function markDeleted(s: ReviewState & EvidenceStateFields, refs: EvidenceRef[], now: number): void {
  const gone = new Set(refs.map((r) => r.ref));
  for (const e of s.evidence ?? []) if (gone.has(e.ref) && e.deletedAt === null) e.deletedAt = now;
  s.evidenceDeletedAt = now;
}

export function evidenceViews(s: ReviewState & EvidenceStateFields): EvidenceView[] {
  const z = s.request.timeZone;
  return (s.evidence ?? []).map(({ attachedAt, deletedAt, ...rest }) => ({ ...rest, attachedAt: toIso(attachedAt, z), deletedAt: deletedAt === null ? null : toIso(deletedAt, z) }));
}

export function retentionView(s: ReviewState & EvidenceStateFields): EvidenceRetentionView | null {
  if (!s.evidence?.length) return null;
  const z = s.request.timeZone;
  const at = s.closedAt === null ? null : addCalendarDays(s.closedAt, retentionDaysOf(s), z);
  return { days: retentionDaysOf(s), deleteAt: at === null ? null : toIso(at, z), deletedAt: s.evidenceDeletedAt ? toIso(s.evidenceDeletedAt, z) : null };
}

/** The audience of a party's notices. */
export const audienceOf = (party: string): Audience => (party === 'lab' ? 'lab' : `reviewer:${party}`);
