/**
 * Dashboard sessions, held by the server. The cookie carries an opaque random id, never the bearer token (it
 * used to carry the token itself: anything that read the cookie had a token for the API too, and signing out
 * could not revoke it). A session keeps the token's *hash*, so deleting the token from the token file, or its
 * expiry, ends the session at the next request.
 *
 * A single sign-on session (oidc.ts) holds the principal its identity provider's claims gave at sign-in, and
 * the ID token for signing out at the provider; it ends like any other session.
 *
 * Idle and absolute expiry: a session not used for `idleMs` ends, and every session ends `absoluteMs` after
 * sign-in whatever its use. Signing out deletes it. In memory: a restart of the server signs everyone out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../api/auth';

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** Sessions held at once; the least recently used goes first beyond it (bounded memory). */
  max: number;
}

/** Defaults: 30 minutes idle, 8 hours in all, 10,000 sessions. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000, max: 10_000 };

export interface Session {
  id: string;
  /** SHA-256 of the bearer token it was opened with, hex (a single sign-on session: its principal's). */
  tokenHash: string;
  /** Single sign-on: who signed in, as the claims decided then, and the ID token (for the provider's logout). */
  sso?: { principal: Principal; idToken: string };
  /** The forms' CSRF token: random per session. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** From DASHBOARD_SESSION_IDLE_MINUTES and DASHBOARD_SESSION_HOURS; a value that is not a positive number is an error naming it. */
export function sessionLimitsFromEnv(env: Record<string, string | undefined> = process.env): SessionLimits {
  const read = (name: string, unitMs: number, fallback: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: "${raw.slice(0, 20)}" must be a positive number`);
    return n * unitMs;
  };
  return {
    idleMs: read('DASHBOARD_SESSION_IDLE_MINUTES', 60_000, DEFAULT_SESSION_LIMITS.idleMs),
    absoluteMs: read('DASHBOARD_SESSION_HOURS', 3_600_000, DEFAULT_SESSION_LIMITS.absoluteMs),
    max: DEFAULT_SESSION_LIMITS.max,
  };
}

export class SessionStore {
  /** Insertion order is use order: a used session is moved to the end. */
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS, private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.sessions.size;
  }

  open(tokenHash: string, sso?: Session['sso']): Session {
    const now = this.clock();
    const session: Session = {
      id: randomBytes(32).toString('base64url'), tokenHash, csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeenAt: now, ...(sso ? { sso } : {}),
    };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.limits.max) this.sessions.delete(this.sessions.keys().next().value as string);
    return session;
  }

  /** The live session of a cookie value, touched; null (and forgotten) when missing, idle too long or too old. */
  use(id: string | undefined): Session | null {
    if (!id || id.length > 100) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    const now = this.clock();
    if (now - session.lastSeenAt >= this.limits.idleMs || now - session.createdAt >= this.limits.absoluteMs) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeenAt = now;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Seconds the cookie may live: the absolute limit (the server decides the rest). */
  get cookieSeconds(): number {
    return Math.ceil(this.limits.absoluteMs / 1000);
  }
}

/** Constant-time comparison of a form's CSRF field with the session's. */
export function csrfMatches(session: Session, sent: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
