/**
 * Single sign-on for people: which role and scope an OpenID Connect identity gets, from claims the operator
 * names. Decided once here, from the ID token's claims (and the userinfo answer), with no default role: an
 * identity whose claims give no role, or more than one, or a malformed lab or reviewer id, is refused with a
 * sentence saying which claim is wrong — and no session is opened.
 *
 * | role     | from                                                                  |
 * | -------- | --------------------------------------------------------------------- |
 * | pm       | a group in OIDC_PM_GROUPS (claim OIDC_GROUPS_CLAIM, default `groups`)  |
 * | director | a group in OIDC_DIRECTOR_GROUPS                                       |
 * | lab      | the lab id claim (OIDC_LAB_ID_CLAIM, default `lab_id`)                 |
 * | reviewer | the reviewer id claim (OIDC_REVIEWER_ID_CLAIM, default `reviewer_id`)  |
 * |          | and `email` (not `email_verified: false`): bound as a reviewer token  |
 */
import { createHash } from 'node:crypto';
import { isValidTimeZone } from '../../workflows/timeline';
import type { Principal, Role } from '../api/auth';

export interface ClaimRules {
  groupsClaim: string;
  pmGroups: string[];
  directorGroups: string[];
  labIdClaim: string;
  reviewerIdClaim: string;
}

export const DEFAULT_CLAIM_RULES: ClaimRules = {
  groupsClaim: 'groups', pmGroups: ['frontier-review-pm'], directorGroups: ['frontier-review-director'], labIdClaim: 'lab_id', reviewerIdClaim: 'reviewer_id',
};

/** The ids tokens accept for `labId` and `reviewerId` (client/api/auth.ts). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export type ClaimsDecision = { principal: Principal } | { refused: string };

const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 60) ?? String(v);

/** The groups claim as a list: an array of strings, or one string (some providers send a single group so). */
function groupsOf(value: unknown): string[] | null {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return value as string[];
  return null;
}

/** The principal an identity's claims give, or why it is refused. `issuer` keeps one provider's subjects apart from another's. */
export function principalFromClaims(claims: Record<string, unknown>, rules: ClaimRules, issuer: string): ClaimsDecision {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') return { refused: 'the identity provider sent no subject (sub)' };
  const groups = groupsOf(claims[rules.groupsClaim]);
  if (groups === null) return { refused: `claim ${rules.groupsClaim}: must be a list of group names, got ${show(claims[rules.groupsClaim])}` };
  const labId = claims[rules.labIdClaim];
  const reviewerId = claims[rules.reviewerIdClaim];
  const roles: Role[] = [];
  if (groups.some((g) => rules.pmGroups.includes(g))) roles.push('pm');
  if (groups.some((g) => rules.directorGroups.includes(g))) roles.push('director');
  if (labId !== undefined && labId !== null && labId !== '') roles.push('lab');
  if (reviewerId !== undefined && reviewerId !== null && reviewerId !== '') roles.push('reviewer');
  if (roles.length === 0) {
    return { refused: `no role for this account: it is in none of the groups ${[...rules.pmGroups, ...rules.directorGroups].join(', ')} (claim ${rules.groupsClaim}) and has no ${rules.labIdClaim} or ${rules.reviewerIdClaim} claim; ask the administrator of the identity provider` };
  }
  if (roles.length > 1) {
    return { refused: `this account's claims give more than one role (${roles.join(', ')}); one account holds one role: ask the administrator of the identity provider to remove the others` };
  }
  const nameClaim = [claims.name, claims.preferred_username].find((n) => typeof n === 'string' && n.trim() !== '') as string | undefined;
  const name = (nameClaim ?? sub).trim();
  if (name.length > 200 || CONTROL.test(name)) return { refused: 'claim name: must be at most 200 characters without control characters' };
  const zone = typeof claims.zoneinfo === 'string' && isValidTimeZone(claims.zoneinfo) ? claims.zoneinfo : undefined;
  const role = roles[0];
  const principal: Principal = {
    name, role, tokenHash: createHash('sha256').update(`oidc\0${issuer}\0${sub}`, 'utf8').digest('hex'), ...(zone ? { timeZone: zone } : {}),
  };
  if (role === 'lab') {
    if (typeof labId !== 'string' || !ID.test(labId)) return { refused: `claim ${rules.labIdClaim}: ${show(labId)} is not a lab id (1–64 letters, digits, ".", "-", "_")` };
    return { principal: { ...principal, labId } };
  }
  if (role === 'reviewer') {
    if (typeof reviewerId !== 'string' || !ID.test(reviewerId)) return { refused: `claim ${rules.reviewerIdClaim}: ${show(reviewerId)} is not a reviewer id (1–64 letters, digits, ".", "-", "_")` };
    const email = claims.email;
    if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)) return { refused: 'claim email: a reviewer needs the e-mail address the reviews assign them (scope email)' };
    if (claims.email_verified === false) return { refused: 'claim email_verified: the identity provider has not verified this address; a reviewer is bound to a verified one' };
    return { principal: { ...principal, reviewerId, email } };
  }
  return { principal };
}
