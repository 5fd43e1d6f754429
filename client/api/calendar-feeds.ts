/**
 * Private calendar feeds: each person may hold one subscription URL, `/feeds/<secret>.ics`, that a calendar
 * client polls without signing in (calendar clients cannot). The secret is a fresh random token, never the
 * person's bearer token; only its SHA-256 is kept (in `FRONTIER_REVIEW_FEEDS_FILE`, mode 600, or in memory).
 * Issuing again replaces the secret (the old URL stops at once); revoking deletes it. Either way the URL answers
 * 404, exactly as one that never existed.
 *
 * A feed belongs to a person, not to one token: its owner is the identity a token is bound to (role, name,
 * reviewer id and address, lab id). When the feed is read, that identity must still have a configured, unexpired
 * API token, whose principal then decides the scope (access.ts) and what is visible (visibility.ts) — so revoking
 * a person's API token ends their feed too, and a rotated token keeps it.
 *
 * People who sign in to the dashboard by single sign-on may have no API token. Their feed keeps the identity their
 * sign-in gave (the claims' principal) and reads as it for `ssoDays` (default 30, CALENDAR_FEED_SSO_DAYS) after
 * their latest sign-in; every sign-in renews it, and one whose claims now give another identity (a changed role or
 * lab) ends the feeds of the old one. Revoking, re-issuing, or not signing in for `ssoDays` ends it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { wholeNumberFromEnv } from '../../shared/env-number';
import type { Principal, TokenEntry, TokenStore } from './auth';

export interface FeedEntry {
  /** The identity it belongs to (ownerOf). */
  owner: string;
  /** The person's name, for operators reading the file. */
  name: string;
  /** SHA-256 of the feed secret, hex. */
  sha256: string;
  /** IANA zone the feed's descriptions use. */
  timeZone: string;
  createdAt: string;
  /** Issued or renewed by a single sign-on session: the principal it reads as, until when, and whose sign-in it was. */
  sso?: { principal: Omit<Principal, 'tokenHash'>; until: string; subject: string };
}

type Identity = Pick<TokenEntry, 'role' | 'name' | 'reviewerId' | 'email' | 'labId' | 'lab'>;

/** The person a token stands for: the fields its scope is bound to (a reviewer's address in lower case). */
export function ownerOf(p: Identity): string {
  return JSON.stringify([p.role, p.name, p.reviewerId ?? null, p.email?.toLowerCase() ?? null, p.labId ?? null, p.lab ?? null]);
}

const hashOf = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');
/** Feed secrets: 256 random bits, URL-safe, a prefix of their own so one is never mistaken for an API token. */
const SECRET = /^frf_[A-Za-z0-9_-]{43}$/;

/**
 * The issued feeds. With a file, every change is written at once and a change made by another server instance
 * sharing the file is read within `recheckMs` (as the token file is), so a revocation holds everywhere.
 */
export class FeedStore {
  private feeds = new Map<string, FeedEntry>(); // by owner
  private stamp = '';
  private checkedAt = 0;

  /** `file`: where the hashes are kept across restarts (created with mode 600); none: in memory. */
  constructor(
    private readonly file?: string, private readonly clock: () => number = Date.now, private readonly recheckMs = 1000,
    /** Days a feed issued by single sign-on stays readable after the person's latest sign-in. */
    readonly ssoDays = FEED_SSO_DAYS,
  ) {
    this.reload(true);
  }

  /** Re-reads the file when it changed (mtime, size, inode); a file that does not parse is an error at start, kept as it was later. */
  private reload(starting = false): void {
    const file = this.file;
    if (!file) return;
    const now = this.clock();
    if (!starting && now - this.checkedAt < this.recheckMs) return;
    this.checkedAt = now;
    let stamp: string;
    let text: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp === this.stamp) return;
      text = readFileSync(file, 'utf8');
    } catch {
      return; // no feeds issued yet
    }
    try {
      const parsed = JSON.parse(text) as { feeds?: FeedEntry[] };
      const feeds = new Map<string, FeedEntry>();
      for (const f of parsed.feeds ?? []) {
        if (typeof f.owner !== 'string' || !/^[0-9a-f]{64}$/.test(String(f.sha256)) || typeof f.timeZone !== 'string') {
          throw new Error('an entry lacks owner, sha256 or timeZone');
        }
        const sso = f.sso as Partial<NonNullable<FeedEntry['sso']>> | undefined;
        if (sso !== undefined && (typeof sso !== 'object' || sso === null || typeof sso.until !== 'string' || typeof sso.subject !== 'string' || typeof sso.principal !== 'object' || sso.principal === null)) {
          throw new Error(`the entry of ${String(f.name).slice(0, 80)} has an sso that is not { principal, until, subject }`);
        }
        feeds.set(f.owner, f);
      }
      this.feeds = feeds;
      this.stamp = stamp;
    } catch (e) {
      if (starting) throw new Error(`FRONTIER_REVIEW_FEEDS_FILE (${file}): ${(e as Error).message}`);
      this.stamp = stamp; // reported once; the feeds known before stay
      process.stderr.write(`FRONTIER_REVIEW_FEEDS_FILE (${file}) changed but cannot be used: ${(e as Error).message}\n`);
    }
  }

  /** The person's feed, if one is issued. */
  of(p: Identity): FeedEntry | null {
    this.reload();
    return this.feeds.get(ownerOf(p)) ?? null;
  }

  /**
   * A new secret for the person (replacing any earlier one); returned once, only its hash is kept. `sso`: the
   * principal of the single sign-on session asking, which the feed then keeps (see the module comment).
   */
  issue(p: Identity, timeZone: string, sso?: Principal): { secret: string; entry: FeedEntry } {
    this.reload();
    const secret = `frf_${randomBytes(32).toString('base64url')}`;
    const entry: FeedEntry = {
      owner: ownerOf(p), name: p.name, sha256: hashOf(secret), timeZone, createdAt: new Date(this.clock()).toISOString(),
      ...(sso ? { sso: this.ssoGrant(sso) } : {}),
    };
    this.feeds.set(entry.owner, entry);
    this.save();
    return { secret, entry };
  }

  /**
   * A single sign-on just succeeded: the person's feed reads as this principal for another `ssoDays`, and feeds of
   * the same person (same provider subject) under an identity the claims no longer give end. True when anything changed.
   */
  signedIn(p: Principal): boolean {
    this.reload();
    const owner = ownerOf(p);
    let changed = false;
    for (const [key, f] of this.feeds) {
      if (f.sso?.subject === p.tokenHash && key !== owner) {
        this.feeds.delete(key);
        changed = true;
      }
    }
    const own = this.feeds.get(owner);
    if (own) {
      this.feeds.set(owner, { ...own, sso: this.ssoGrant(p) });
      changed = true;
    }
    if (changed) this.save();
    return changed;
  }

  private ssoGrant(p: Principal): NonNullable<FeedEntry['sso']> {
    const { tokenHash, ...principal } = p;
    return { principal, until: new Date(this.clock() + this.ssoDays * 86_400_000).toISOString(), subject: tokenHash };
  }

  /** Deletes the person's feed; false when there was none. */
  revoke(p: Identity): boolean {
    this.reload();
    const had = this.feeds.delete(ownerOf(p));
    if (had) this.save();
    return had;
  }

  /** The feed a presented secret opens, or null (unknown, revoked, re-issued, malformed). */
  lookup(secret: string): FeedEntry | null {
    if (!SECRET.test(secret)) return null;
    this.reload();
    const hash = hashOf(secret);
    // By hash: comparing hashes leaks nothing about the secret.
    for (const f of this.feeds.values()) if (f.sha256 === hash) return f;
    return null;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ feeds: [...this.feeds.values()] }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file); // whole file or nothing
    const st = statSync(this.file);
    this.stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  }
}

/**
 * The principal a feed reads as: a configured, unexpired token of its owner, else the single sign-on principal it
 * keeps while that lasts. Null when neither holds (token revoked or expired, no sign-in for `ssoDays`): the feed
 * then answers as a missing one.
 */
export function principalOfFeed(tokens: TokenStore, feed: FeedEntry, now: number): Principal | null {
  for (const entry of tokens.entries) {
    if (ownerOf(entry) !== feed.owner) continue;
    const p = tokens.principalOf(Buffer.from(entry.sha256, 'hex'));
    if (p) return p;
  }
  if (feed.sso && now < Date.parse(feed.sso.until) && ownerOf(feed.sso.principal) === feed.owner) return { ...feed.sso.principal, tokenHash: feed.sso.subject };
  return null;
}

/** Days a single sign-on feed lasts after the latest sign-in, by default. */
export const FEED_SSO_DAYS = 30;

/** CALENDAR_FEED_SSO_DAYS (1–365), else FEED_SSO_DAYS; a bad value is an error naming it. */
export function feedSsoDaysFromEnv(env: Record<string, string | undefined> = process.env): number {
  return wholeNumberFromEnv(env, 'CALENDAR_FEED_SSO_DAYS', FEED_SSO_DAYS, 1, 365, Error);
}

/** Where the feeds' hashes live: FRONTIER_REVIEW_FEEDS_FILE, else beside the token file; none: in memory. */
export function feedsFileFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  const explicit = env.FRONTIER_REVIEW_FEEDS_FILE?.trim();
  if (explicit) return explicit;
  const tokens = env.FRONTIER_REVIEW_API_TOKENS_FILE?.trim();
  return tokens ? path.join(path.dirname(tokens), 'calendar-feeds.json') : undefined;
}
