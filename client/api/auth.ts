/**
 * Bearer tokens for the HTTP API and the dashboard. Only SHA-256 hashes are configured and kept: a token file
 * (FRONTIER_REVIEW_API_TOKENS_FILE) or the same JSON in FRONTIER_REVIEW_API_TOKENS:
 *
 *   { "tokens": [ { "name": "Pat PM", "role": "pm", "sha256": "<hex>" },
 *                 { "name": "Riley", "role": "reviewer", "reviewerId": "r1", "email": "riley@clearinghouse.example", "sha256": "<hex>" },
 *                 { "name": "Acme Security", "role": "lab", "labId": "acme", "sha256": "<hex>", "timeZone": "America/Los_Angeles" },
 *                 { "name": "Dana Director", "role": "director", "sha256": "<hex>" } ] }
 *
 * `review api-token` makes a token and prints its entry.
 *
 * Identity is bound, not named: a reviewer token is a reviewer id *and* the e-mail address the review assigned to
 * that id (another review reusing the id for someone else is out of scope); a lab token is the lab's stable
 * `labId` (the `lab.id` of the requests). `lab` (a lab's display name) still matches reviews requested without
 * an id, for the token files and reviews written before ids existed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as v from 'valibot';
import { lengthMessage, maxLength, minLength, strictObject, trimmed, wrongType } from '../../workflows/schema';
import { isValidTimeZone, parseInstant } from '../../workflows/timeline';

export const ROLES = ['pm', 'reviewer', 'lab', 'director'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  name: string;
  role: Role;
  /** SHA-256 of the token, hex. */
  sha256: string;
  /** role reviewer: the reviewer id the token acts as. */
  reviewerId?: string;
  /** role reviewer: the address the reviewer is assigned with (required with reviewerId). */
  email?: string;
  /** role lab: the lab's id (`lab.id` in the requests). */
  labId?: string;
  /** role lab, legacy: the lab's name, matching only reviews requested without a lab id. */
  lab?: string;
  /** Default zone for dates on the dashboard. */
  timeZone?: string;
  /** ISO 8601 with an offset: from then on the token authenticates nobody. */
  expiresAt?: string;
}

export interface Principal {
  name: string;
  role: Role;
  reviewerId?: string;
  email?: string;
  labId?: string;
  lab?: string;
  timeZone?: string;
  /** Hex hash of the presented token (for the dashboard's CSRF token). */
  tokenHash: string;
}

export const sha256Hex = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new random token: 256 bits, URL-safe. */
export const newToken = (): string => `frt_${randomBytes(32).toString('base64url')}`;

/** The file's wording is zod's defaults, where no message of our own was given; see workflows/schema.ts. */
const unrecognized = (keys: string[]): string => `Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((k) => `"${k}"`).join(', ')}`;
const name = () => v.pipe(trimmed(wrongType('string')), minLength(1, lengthMessage('min', 1)), maxLength(200, lengthMessage('max', 200)));
const REVIEWER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const entrySchema = v.pipe(
  strictObject({
    name: name(),
    role: v.picklist(ROLES, `Invalid option: expected one of ${ROLES.map((r) => `"${r}"`).join('|')}`),
    sha256: v.pipe(v.string(wrongType('string')), v.regex(/^[0-9a-f]{64}$/, 'must be the token\'s SHA-256, 64 lowercase hex digits')),
    reviewerId: v.optional(v.pipe(v.string(wrongType('string')), v.regex(REVIEWER_ID, `Invalid string: must match pattern ${REVIEWER_ID}`))),
    email: v.optional(v.pipe(v.string(wrongType('string')), v.maxLength(254, 'must be at most 254 characters'), v.regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'must be an e-mail address'))),
    labId: v.optional(v.pipe(v.string(wrongType('string')), v.regex(REVIEWER_ID, `Invalid string: must match pattern ${REVIEWER_ID}`))),
    lab: v.optional(name()),
    timeZone: v.optional(v.pipe(v.string(wrongType('string')), v.check(isValidTimeZone, 'must be an IANA time zone'))),
    expiresAt: v.optional(v.pipe(v.string(wrongType('string')), v.check((x) => parseInstant(x) !== null, 'must be an ISO 8601 date-time with an offset'))),
  }, { type: wrongType('object'), unknown: unrecognized }),
  // Once the fields are of the right types (an unknown field aside), the role decides which of them it needs.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const e = dataset.value;
    const at = (key: 'reviewerId' | 'email' | 'labId' | 'lab'): [v.ObjectPathItem] => [{ type: 'object', origin: 'value', input: e, key, value: e[key] }];
    if (e.role === 'reviewer' && !e.reviewerId) addIssue({ message: 'is required for role reviewer', path: at('reviewerId') });
    if (e.role === 'reviewer' && e.reviewerId && !e.email) addIssue({ message: 'is required for role reviewer: the token is bound to the reviewer\'s id and address', path: at('email') });
    if (e.role === 'lab' && !e.lab && !e.labId) addIssue({ message: 'is required for role lab (or, for reviews without a lab id, lab)', path: at('labId') });
    if (e.role !== 'reviewer' && e.reviewerId) addIssue({ message: 'only for role reviewer', path: at('reviewerId') });
    if (e.role !== 'reviewer' && e.email) addIssue({ message: 'only for role reviewer', path: at('email') });
    if (e.role !== 'lab' && e.labId) addIssue({ message: 'only for role lab', path: at('labId') });
    if (e.role !== 'lab' && e.lab) addIssue({ message: 'only for role lab', path: at('lab') });
  }),
);
/** The file is `{ "tokens": [...] }` or the bare list. */
const fileSchema = {
  object: strictObject({ tokens: v.array(entrySchema, wrongType('array')) }, { type: wrongType('object'), unknown: unrecognized }),
  list: v.array(entrySchema, wrongType('array')),
};

export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
}

export function parseTokenEntries(input: unknown, where: string): TokenEntry[] {
  const r = Array.isArray(input) ? v.safeParse(fileSchema.list, input) : v.safeParse(fileSchema.object, input);
  if (!r.success) {
    // As zod's union of the two shapes did: a value that is wrong in its types fits neither shape.
    const first = r.issues.some((i) => i.kind === 'schema') ? { path: [], message: 'Invalid input' } : r.issues[0];
    throw new TokenConfigError(`${where}: ${(first.path ?? []).map((item) => String(item.key)).join('.') || '(root)'}: ${first.message}`);
  }
  const entries: TokenEntry[] = Array.isArray(r.output) ? r.output : r.output.tokens;
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.sha256)) throw new TokenConfigError(`${where}: the same token hash is listed twice (${e.name})`);
    seen.add(e.sha256);
  }
  return entries;
}

export interface TokenStoreOptions {
  /** Re-read this file when it changes (checked at most every `recheckMs`), so a revoked token stops working. */
  file?: string;
  recheckMs?: number;
  clock?: () => number;
  /** Where a failed re-read is reported (the previous tokens stay in force). */
  warn?: (message: string) => void;
}

/**
 * The configured tokens. Expired entries (`expiresAt`) authenticate nobody. With a file, an edit takes effect
 * within `recheckMs` (default 1 s) without a restart: revoking a token is deleting its entry. A file that no
 * longer parses keeps the previous tokens in force and says why, rather than locking everyone out.
 */
export class TokenStore {
  private hashes: { entry: TokenEntry; hash: Buffer }[] = [];
  private current: TokenEntry[] = [];
  private checkedAt = 0;
  private fileStamp = '';
  private readonly clock: () => number;

  constructor(entries: TokenEntry[], private readonly options: TokenStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.replace(entries);
    if (options.file) this.fileStamp = stampOf(options.file);
    this.checkedAt = this.clock();
  }

  get entries(): TokenEntry[] {
    this.refresh();
    return this.current;
  }

  get size(): number {
    return this.entries.length;
  }

  private replace(entries: TokenEntry[]): void {
    this.current = entries;
    this.hashes = entries.map((entry) => ({ entry, hash: Buffer.from(entry.sha256, 'hex') }));
  }

  /** Re-reads the file if it changed since the last look (mtime, size, inode). */
  refresh(force = false): void {
    const file = this.options.file;
    if (!file) return;
    const now = this.clock();
    if (!force && now - this.checkedAt < (this.options.recheckMs ?? 1000)) return;
    this.checkedAt = now;
    const stamp = stampOf(file);
    if (stamp === this.fileStamp) return;
    try {
      this.replace(parseTokenEntries(JSON.parse(readFileSync(file, 'utf8')), `FRONTIER_REVIEW_API_TOKENS_FILE (${file})`));
      this.fileStamp = stamp;
    } catch (e) {
      (this.options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(`token file ${file} changed but cannot be used; the previous tokens stay in force: ${(e as Error).message}`);
      this.fileStamp = stamp; // reported once per change
    }
  }

  /** The entry of a token hash, if configured and not expired. Compares every hash in constant time. */
  private entryOf(presented: Buffer): TokenEntry | null {
    this.refresh();
    let found: TokenEntry | null = null;
    for (const { entry, hash } of this.hashes) if (hash.length === presented.length && timingSafeEqual(hash, presented)) found = entry;
    if (found?.expiresAt !== undefined && Date.parse(found.expiresAt) <= this.clock()) return null;
    return found;
  }

  /** The principal of a presented token, or null. */
  authenticate(token: string | undefined): Principal | null {
    if (!token || token.length > 512) return null;
    return this.principalOf(createHash('sha256').update(token, 'utf8').digest());
  }

  /** The principal of a token's hash (a dashboard session keeps the hash, so revoking the token ends the session). */
  principalOf(presented: Buffer): Principal | null {
    const found = this.entryOf(presented);
    if (!found) return null;
    const { name, role, reviewerId, email, labId, lab, timeZone } = found;
    return {
      name, role, tokenHash: presented.toString('hex'),
      ...(reviewerId ? { reviewerId } : {}), ...(email ? { email } : {}), ...(labId ? { labId } : {}), ...(lab ? { lab } : {}), ...(timeZone ? { timeZone } : {}),
    };
  }

  /** Whether a token hash belongs to one of these roles (the codec lets PM and director tokens decode). */
  hasHash(hash: Buffer, roles: Role[]): boolean {
    const entry = this.entryOf(hash);
    return entry !== null && roles.includes(entry.role);
  }
}

function stampOf(file: string): string {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return 'missing';
  }
}

/** Tokens from FRONTIER_REVIEW_API_TOKENS_FILE (re-read when it changes) or FRONTIER_REVIEW_API_TOKENS; null when neither is set. */
export function loadTokenStore(env: Record<string, string | undefined> = process.env): TokenStore | null {
  const file = env.FRONTIER_REVIEW_API_TOKENS_FILE?.trim();
  const inline = env.FRONTIER_REVIEW_API_TOKENS?.trim();
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TokenConfigError(`FRONTIER_REVIEW_API_TOKENS_FILE (${file}): cannot read: ${(e as Error).message}`);
    }
    return new TokenStore(parseTokenEntries(json, `FRONTIER_REVIEW_API_TOKENS_FILE (${file})`), { file });
  }
  if (inline) {
    let json: unknown;
    try {
      json = JSON.parse(inline);
    } catch (e) {
      throw new TokenConfigError(`FRONTIER_REVIEW_API_TOKENS: not JSON: ${(e as Error).message}`);
    }
    return new TokenStore(parseTokenEntries(json, 'FRONTIER_REVIEW_API_TOKENS'));
  }
  return null;
}

/** The names of entries without an expiry date: `review serve` lists them at start (tokens should not live for ever). */
export const neverExpiring = (entries: TokenEntry[]): string[] => entries.filter((e) => e.expiresAt === undefined).map((e) => e.name);

/** A token and the entry that configures it (only the entry is stored). */
export function makeToken(entry: Omit<TokenEntry, 'sha256'>): { token: string; entry: TokenEntry } {
  const token = newToken();
  return { token, entry: { ...entry, sha256: sha256Hex(token) } };
}
