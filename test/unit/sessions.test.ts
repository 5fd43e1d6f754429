/**
 * Dashboard sessions and token lifetimes (issue 13, finding 7): idle and absolute expiry on the server's clock,
 * sign-out revokes, ids are opaque; token entries expire; the token file is re-read when it changes, and a broken
 * edit keeps the previous tokens in force. Real files, an injected clock (no timers to wait out).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeToken, parseTokenEntries, TokenStore } from '../../client/api/auth';
import { sameOrigin } from '../../client/dashboard/routes';
import { csrfMatches, sessionLimitsFromEnv, SessionStore } from '../../client/dashboard/sessions';

let now = Date.parse('2027-01-01T09:00:00Z');
const clock = (): number => now;

test('sessions end after the idle limit, after the absolute limit whatever their use, and at sign-out', () => {
  const store = new SessionStore({ idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000, max: 100 }, clock);
  const s = store.open('a'.repeat(64));
  expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(s.id).not.toContain('a'.repeat(10));
  now += 29 * 60_000;
  expect(store.use(s.id)?.tokenHash).toBe('a'.repeat(64));
  now += 30 * 60_000; // idle exactly 30 minutes
  expect(store.use(s.id)).toBeNull();
  expect(store.use(s.id)).toBeNull(); // forgotten, not only refused

  const busy = store.open('b'.repeat(64));
  for (let i = 0; i < 16; i++) {
    now += 29 * 60_000;
    expect(store.use(busy.id)).not.toBeNull(); // used all along: 7 h 44 min
  }
  now += 29 * 60_000; // 8 h 13 min after sign-in
  expect(store.use(busy.id)).toBeNull();

  const out = store.open('c'.repeat(64));
  store.close(out.id);
  expect(store.use(out.id)).toBeNull();
  expect(store.use(undefined)).toBeNull();
  expect(store.use('x'.repeat(500))).toBeNull();
});

test('bounded: the least recently used session goes first', () => {
  const store = new SessionStore({ idleMs: 60_000, absoluteMs: 3_600_000, max: 2 }, clock);
  const a = store.open('a');
  const b = store.open('b');
  store.use(a.id);
  store.open('c');
  expect(store.size).toBe(2);
  expect(store.use(b.id)).toBeNull();
  expect(store.use(a.id)).not.toBeNull();
});

test('CSRF tokens are per session; limits from the environment, a bad one named', () => {
  const store = new SessionStore(undefined, clock);
  const a = store.open('a');
  const b = store.open('b');
  expect(csrfMatches(a, a.csrf)).toBe(true);
  expect(csrfMatches(a, b.csrf)).toBe(false);
  expect(csrfMatches(a, '')).toBe(false);
  expect(sessionLimitsFromEnv({ DASHBOARD_SESSION_IDLE_MINUTES: '5', DASHBOARD_SESSION_HOURS: '1' })).toMatchObject({ idleMs: 300_000, absoluteMs: 3_600_000 });
  expect(() => sessionLimitsFromEnv({ DASHBOARD_SESSION_IDLE_MINUTES: 'soon' })).toThrow(/DASHBOARD_SESSION_IDLE_MINUTES: "soon" must be a positive number/);
});

test('state-changing requests must name this host as their origin', () => {
  expect(sameOrigin({ origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' })).toBe(true);
  expect(sameOrigin({ origin: 'https://evil.example', host: '127.0.0.1:8080' })).toBe(false);
  expect(sameOrigin({ origin: 'null', host: '127.0.0.1:8080' })).toBe(false);
  expect(sameOrigin({ host: '127.0.0.1:8080' })).toBe(false);
  expect(sameOrigin({ referer: 'http://127.0.0.1:8080/reviews/x', host: '127.0.0.1:8080' })).toBe(true);
  expect(sameOrigin({ origin: 'javascript:alert(1)', host: '127.0.0.1:8080' })).toBe(false);
});

test('tokens expire at expiresAt; the file is re-read when it changes; a broken edit keeps the previous tokens', () => {
  now = Date.parse('2027-01-01T09:30:00Z');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tokens-'));
  const file = path.join(dir, 'tokens.json');
  try {
    const keep = makeToken({ name: 'Pat', role: 'pm' });
    const revoke = makeToken({ name: 'Old', role: 'director' });
    const expiring = makeToken({ name: 'Temp', role: 'pm', expiresAt: '2027-01-01T10:00:00Z' });
    writeFileSync(file, JSON.stringify({ tokens: [keep.entry, revoke.entry, expiring.entry] }));
    const warnings: string[] = [];
    const store = new TokenStore(parseTokenEntries(JSON.parse(JSON.stringify({ tokens: [keep.entry, revoke.entry, expiring.entry] })), 'f'), { file, clock, warn: (m) => warnings.push(m) });
    expect(store.authenticate(expiring.token)?.name).toBe('Temp');
    now = Date.parse('2027-01-01T10:00:00Z');
    expect(store.authenticate(expiring.token)).toBeNull();

    writeFileSync(file, JSON.stringify({ tokens: [keep.entry] }));
    expect(store.authenticate(revoke.token)?.name).toBe('Old'); // not yet looked at again (at most once a second)
    now += 1000;
    expect(store.authenticate(revoke.token)).toBeNull();
    expect(store.principalOf(Buffer.from(revoke.entry.sha256, 'hex'))).toBeNull(); // what a dashboard session holds
    expect(store.authenticate(keep.token)?.name).toBe('Pat');

    writeFileSync(file, '{"tokens": [ oops');
    now += 1000;
    expect(store.authenticate(keep.token)?.name).toBe('Pat');
    expect(warnings).toEqual([expect.stringMatching(/cannot be used; the previous tokens stay in force/)]);
    expect(() => parseTokenEntries([{ ...keep.entry, expiresAt: 'tomorrow' }], 'f')).toThrow(/f: 0.expiresAt: must be an ISO 8601 date-time with an offset/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
