/** Single sign-on's decisions without a provider: the settings from the environment, and the role and scope claims give. */
import { DEFAULT_CLAIM_RULES, principalFromClaims } from '../../client/dashboard/oidc-claims';
import { dashboardSignInFromEnv, oidcSettingsFromEnv } from '../../client/dashboard/oidc';
import { makeToken, neverExpiring } from '../../client/api/auth';

const ISSUER = 'https://id.example.gov/';
const decide = (claims: Record<string, unknown>, rules = DEFAULT_CLAIM_RULES) => principalFromClaims({ sub: 'u-1', ...claims }, rules, ISSUER);
const refusal = (claims: Record<string, unknown>): string => {
  const d = decide(claims);
  if (!('refused' in d)) throw new Error(`expected a refusal, got ${JSON.stringify(d)}`);
  return d.refused;
};

test('roles from the configured claims: PM and director by group, lab by lab id, reviewer by id and verified address', () => {
  expect(decide({ name: 'Pat', groups: ['staff', 'frontier-review-pm'] })).toEqual({ principal: expect.objectContaining({ name: 'Pat', role: 'pm' }) });
  expect(decide({ name: 'Dana', groups: 'frontier-review-director' })).toEqual({ principal: expect.objectContaining({ role: 'director' }) });
  expect(decide({ name: 'Acme', lab_id: 'acme' })).toEqual({ principal: expect.objectContaining({ role: 'lab', labId: 'acme' }) });
  const reviewer = decide({ preferred_username: 'riley', reviewer_id: 'r1', email: 'riley@clearinghouse.example', email_verified: true, zoneinfo: 'Europe/Paris' });
  expect(reviewer).toEqual({ principal: expect.objectContaining({ name: 'riley', role: 'reviewer', reviewerId: 'r1', email: 'riley@clearinghouse.example', timeZone: 'Europe/Paris' }) });
  // Claim names and groups are the operator's.
  const rules = { ...DEFAULT_CLAIM_RULES, groupsClaim: 'roles', pmGroups: ['PM'], labIdClaim: 'org' };
  expect(decide({ roles: ['PM'] }, rules)).toEqual({ principal: expect.objectContaining({ role: 'pm', name: 'u-1' }) });
  expect(decide({ org: 'acme' }, rules)).toEqual({ principal: expect.objectContaining({ role: 'lab', labId: 'acme' }) });
  expect('refused' in decide({ groups: ['frontier-review-pm'] }, rules)).toBe(true);
  // One subject, one identity per provider: the session's key tells providers apart.
  const a = principalFromClaims({ sub: 's', lab_id: 'acme' }, DEFAULT_CLAIM_RULES, 'https://a.example/');
  const b = principalFromClaims({ sub: 's', lab_id: 'acme' }, DEFAULT_CLAIM_RULES, 'https://b.example/');
  expect('principal' in a && 'principal' in b && a.principal.tokenHash !== b.principal.tokenHash).toBe(true);
});

test('bad or misconfigured claims are refused, naming the claim', () => {
  expect(refusal({ groups: ['staff'] })).toMatch(/no role for this account: it is in none of the groups frontier-review-pm, frontier-review-director \(claim groups\) and has no lab_id or reviewer_id claim/);
  expect(refusal({ groups: ['frontier-review-pm', 'frontier-review-director'] })).toMatch(/more than one role \(pm, director\)/);
  expect(refusal({ lab_id: 'acme', reviewer_id: 'r1', email: 'a@b.example' })).toMatch(/more than one role \(lab, reviewer\)/);
  expect(refusal({ groups: { pm: true } })).toMatch(/claim groups: must be a list of group names/);
  expect(refusal({ groups: ['frontier-review-pm', 7] })).toMatch(/claim groups: must be a list/);
  expect(refusal({ lab_id: 42 })).toMatch(/claim lab_id: 42 is not a lab id/);
  expect(refusal({ lab_id: '../acme' })).toMatch(/claim lab_id: "..\/acme" is not a lab id/);
  expect(refusal({ reviewer_id: ['r1'] })).toMatch(/claim reviewer_id: \["r1"\] is not a reviewer id/);
  expect(refusal({ reviewer_id: 'r1' })).toMatch(/claim email: a reviewer needs the e-mail address/);
  expect(refusal({ reviewer_id: 'r1', email: 'Riley <riley@x.example>' })).toMatch(/claim email/);
  expect(refusal({ reviewer_id: 'r1', email: 'riley@clearinghouse.example', email_verified: false })).toMatch(/claim email_verified/);
  expect(refusal({ name: 'Eve\u202e', lab_id: 'acme' })).toMatch(/claim name: must be at most 200 characters without control characters/);
  expect(principalFromClaims({ lab_id: 'acme' }, DEFAULT_CLAIM_RULES, ISSUER)).toEqual({ refused: 'the identity provider sent no subject (sub)' });
});

test('settings from the environment: off without OIDC_ISSUER; each bad value named', () => {
  expect(oidcSettingsFromEnv({})).toBeNull();
  const base = { OIDC_ISSUER: 'https://id.example.gov', OIDC_CLIENT_ID: 'frontier-review', OIDC_REDIRECT_URI: 'https://reviews.example.gov/login/oidc/callback' };
  const s = oidcSettingsFromEnv({ ...base, OIDC_PM_GROUPS: 'pm, program-office', OIDC_LAB_ID_CLAIM: 'org_id' });
  expect(s).toMatchObject({ clientId: 'frontier-review', scopes: 'openid profile email', displayName: 'single sign-on', claims: { pmGroups: ['pm', 'program-office'], labIdClaim: 'org_id', groupsClaim: 'groups' } });
  expect(s?.postLogoutRedirectUri.href).toBe('https://reviews.example.gov/login');
  expect(() => oidcSettingsFromEnv({ ...base, OIDC_CLIENT_ID: '' })).toThrow('OIDC_CLIENT_ID: required with OIDC_ISSUER');
  expect(() => oidcSettingsFromEnv({ ...base, OIDC_ISSUER: 'http://id.example.gov' })).toThrow('OIDC_ISSUER: must be https:// (http:// only on loopback)');
  expect(() => oidcSettingsFromEnv({ ...base, OIDC_REDIRECT_URI: 'https://reviews.example.gov/callback' })).toThrow(/OIDC_REDIRECT_URI: the path must be \/login\/oidc\/callback/);
  expect(() => oidcSettingsFromEnv({ ...base, OIDC_REDIRECT_URI: 'not a url' })).toThrow('OIDC_REDIRECT_URI: "not a url" is not a URL');
  expect(() => oidcSettingsFromEnv({ ...base, OIDC_SCOPES: 'profile email' })).toThrow('OIDC_SCOPES: must include openid');
  expect(oidcSettingsFromEnv({ ...base, OIDC_ISSUER: 'http://127.0.0.1:9000' })?.issuer.href).toBe('http://127.0.0.1:9000/');
  expect(() => dashboardSignInFromEnv({ DASHBOARD_TOKEN_SIGN_IN: '0' })).toThrow(/needs OIDC_ISSUER/);
  expect(() => dashboardSignInFromEnv({ ...base, DASHBOARD_TOKEN_SIGN_IN: 'no' })).toThrow(/DASHBOARD_TOKEN_SIGN_IN: "no" must be 1 or 0/);
  expect(dashboardSignInFromEnv({ ...base, DASHBOARD_TOKEN_SIGN_IN: '0' }).tokenSignIn).toBe(false);
  expect(dashboardSignInFromEnv({}).tokenSignIn).toBe(true);
});

test('tokens without an expiry date are named (review serve lists them at start)', () => {
  const entries = [makeToken({ name: 'Forever', role: 'pm' }).entry, makeToken({ name: 'Dated', role: 'pm', expiresAt: '2027-01-01T00:00:00Z' }).entry];
  expect(neverExpiring(entries)).toEqual(['Forever']);
});
