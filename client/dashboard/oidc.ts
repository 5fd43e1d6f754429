/**
 * OpenID Connect sign-in to the dashboard (authorization code flow with PKCE, `openid-client`): the dashboard
 * sends the browser to the identity provider, takes the code back on OIDC_REDIRECT_URI, checks state, nonce and
 * the ID token, and opens the same server-side session a token sign-in opens (sessions.ts), holding the
 * principal that oidc-claims.ts derived. Signing out ends the session here and, when the provider offers it,
 * at the provider too (RP-initiated logout).
 *
 * openid-client is ESM only: it is loaded on first use (require of ESM, Node ≥ 20.19), so a server without
 * OIDC never loads it. The provider's metadata is discovered on first use too, and again after a failure: a
 * provider that is down when the server starts does not keep it from serving tokens.
 */
import { randomBytes } from 'node:crypto';
import type * as OpenId from 'openid-client';
import { isLoopbackHost } from '../../activities/smtp-transport';
import type { Principal } from '../api/auth';
import { DEFAULT_CLAIM_RULES, principalFromClaims } from './oidc-claims';
import type { ClaimRules } from './oidc-claims';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  /** Confidential client (client_secret_basic); without it a public client, PKCE only. */
  clientSecret?: string;
  /** Must be this dashboard's /login/oidc/callback, registered at the provider. */
  redirectUri: URL;
  /** Where the provider sends the browser after signing out; registered at the provider. Default: /login of the redirect URI's origin. */
  postLogoutRedirectUri: URL;
  scopes: string;
  claims: ClaimRules;
  /** The button's words: "Sign in with …". */
  displayName: string;
}

export const CALLBACK_PATH = '/login/oidc/callback';

/** OIDC_* variables; null without OIDC_ISSUER. A bad value throws an Error naming the variable. */
export function oidcSettingsFromEnv(env: Record<string, string | undefined> = process.env): OidcSettings | null {
  const get = (name: string): string | undefined => (env[name]?.trim() ? env[name]?.trim() : undefined);
  const issuerText = get('OIDC_ISSUER');
  if (!issuerText) return null;
  const url = (name: string, value: string | undefined): URL => {
    if (!value) throw new Error(`${name}: required with OIDC_ISSUER`);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Error(`${name}: "${value.slice(0, 80)}" is not a URL`);
    }
    // Plain HTTP only on loopback (a provider or dashboard under test); anywhere else tokens would travel in clear.
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))) throw new Error(`${name}: must be https:// (http:// only on loopback)`);
    return parsed;
  };
  const list = (name: string, fallback: string[]): string[] => {
    const raw = get(name);
    return raw ? raw.split(',').map((x) => x.trim()).filter((x) => x !== '') : fallback;
  };
  const issuer = url('OIDC_ISSUER', issuerText);
  const redirectUri = url('OIDC_REDIRECT_URI', get('OIDC_REDIRECT_URI'));
  if (redirectUri.pathname !== CALLBACK_PATH) throw new Error(`OIDC_REDIRECT_URI: the path must be ${CALLBACK_PATH} (the dashboard's callback), got ${redirectUri.pathname}`);
  const clientId = get('OIDC_CLIENT_ID');
  if (!clientId) throw new Error('OIDC_CLIENT_ID: required with OIDC_ISSUER');
  const scopes = get('OIDC_SCOPES') ?? 'openid profile email';
  if (!scopes.split(/\s+/).includes('openid')) throw new Error('OIDC_SCOPES: must include openid');
  const clientSecret = get('OIDC_CLIENT_SECRET');
  return {
    issuer, clientId, redirectUri, scopes,
    ...(clientSecret ? { clientSecret } : {}),
    postLogoutRedirectUri: get('OIDC_POST_LOGOUT_REDIRECT_URI') ? url('OIDC_POST_LOGOUT_REDIRECT_URI', get('OIDC_POST_LOGOUT_REDIRECT_URI')) : new URL('/login', redirectUri),
    claims: {
      groupsClaim: get('OIDC_GROUPS_CLAIM') ?? DEFAULT_CLAIM_RULES.groupsClaim,
      pmGroups: list('OIDC_PM_GROUPS', DEFAULT_CLAIM_RULES.pmGroups),
      directorGroups: list('OIDC_DIRECTOR_GROUPS', DEFAULT_CLAIM_RULES.directorGroups),
      labIdClaim: get('OIDC_LAB_ID_CLAIM') ?? DEFAULT_CLAIM_RULES.labIdClaim,
      reviewerIdClaim: get('OIDC_REVIEWER_ID_CLAIM') ?? DEFAULT_CLAIM_RULES.reviewerIdClaim,
    },
    displayName: get('OIDC_DISPLAY_NAME') ?? 'single sign-on',
  };
}

/**
 * How the dashboard signs people in, from the environment: OIDC_* (above), and DASHBOARD_TOKEN_SIGN_IN=0 to
 * turn off pasting a token (only with single sign-on configured, or nobody could sign in).
 */
export function dashboardSignInFromEnv(env: Record<string, string | undefined> = process.env): { oidc?: OidcSettings; tokenSignIn: boolean } {
  const oidc = oidcSettingsFromEnv(env);
  const raw = env.DASHBOARD_TOKEN_SIGN_IN?.trim();
  if (raw !== undefined && raw !== '' && raw !== '0' && raw !== '1') throw new Error(`DASHBOARD_TOKEN_SIGN_IN: "${raw.slice(0, 20)}" must be 1 or 0`);
  const tokenSignIn = raw !== '0';
  if (!tokenSignIn && !oidc) throw new Error('DASHBOARD_TOKEN_SIGN_IN=0 needs OIDC_ISSUER: otherwise nobody could sign in to the dashboard');
  return { ...(oidc ? { oidc } : {}), tokenSignIn };
}

/** A sign-in under way: what the callback must match. Kept on the server, keyed by a random id in a cookie. */
interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  createdAt: number;
}

/** The callback's answer: a principal and the ID token (for logout), or why nobody is signed in. */
export type OidcResult = { ok: true; principal: Principal; idToken: string } | { ok: false; status: 400 | 403 | 502; message: string };

export class OidcLogin {
  /** A sign-in not finished within this time must start again. */
  static readonly PENDING_MS = 10 * 60_000;
  private static readonly PENDING_MAX = 10_000;
  private readonly pending = new Map<string, Pending>();
  private config: Promise<OpenId.Configuration> | null = null;
  private lib: Promise<typeof OpenId> | null = null;

  constructor(readonly settings: OidcSettings, private readonly clock: () => number = Date.now) {}

  private openid(): Promise<typeof OpenId> {
    this.lib ??= import('openid-client');
    return this.lib;
  }

  /** The provider's configuration, discovered once; a failed discovery is tried again at the next sign-in. */
  private async configuration(): Promise<OpenId.Configuration> {
    const s = this.settings;
    this.config ??= (async () => {
      const lib = await this.openid();
      const auth = s.clientSecret ? lib.ClientSecretBasic(s.clientSecret) : lib.None();
      const insecure = s.issuer.protocol === 'http:' ? { execute: [lib.allowInsecureRequests] } : {};
      return lib.discovery(s.issuer, s.clientId, s.clientSecret ? { client_secret: s.clientSecret } : undefined, auth, { timeout: 10, ...insecure });
    })();
    try {
      return await this.config;
    } catch (e) {
      this.config = null;
      throw e;
    }
  }

  /** Starts a sign-in: the pending id (for the cookie) and the provider's authorization URL. */
  async begin(): Promise<{ pendingId: string; url: URL }> {
    const lib = await this.openid();
    const config = await this.configuration();
    const now = this.clock();
    for (const [id, p] of this.pending) {
      if (now - p.createdAt < OidcLogin.PENDING_MS && this.pending.size < OidcLogin.PENDING_MAX) break; // oldest first: the rest are younger
      this.pending.delete(id);
    }
    const pending: Pending = { verifier: lib.randomPKCECodeVerifier(), state: lib.randomState(), nonce: lib.randomNonce(), createdAt: now };
    const pendingId = randomBytes(24).toString('base64url');
    this.pending.set(pendingId, pending);
    const url = lib.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri.href, scope: this.settings.scopes, response_type: 'code',
      code_challenge: await lib.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: 'S256', state: pending.state, nonce: pending.nonce,
    });
    return { pendingId, url };
  }

  /**
   * Finishes a sign-in from the callback's query string. The pending entry is used once, whatever the outcome.
   * The code is exchanged (PKCE verifier, state, nonce and the ID token checked by openid-client), the claims
   * are the ID token's with the userinfo answer under them, and oidc-claims.ts decides the principal.
   */
  async finish(pendingId: string | undefined, search: string): Promise<OidcResult> {
    const pending = pendingId ? this.pending.get(pendingId) : undefined;
    if (pendingId) this.pending.delete(pendingId);
    if (!pending || this.clock() - pending.createdAt >= OidcLogin.PENDING_MS) {
      return { ok: false, status: 400, message: 'this sign-in was not started here, was already used, or took longer than 10 minutes; start again' };
    }
    const query = new URLSearchParams(search);
    const error = query.get('error');
    if (error) return { ok: false, status: 403, message: `the identity provider did not sign you in: ${error.slice(0, 80)}${query.get('error_description') ? ` (${query.get('error_description')?.slice(0, 200)})` : ''}` };
    const lib = await this.openid();
    let claims: Record<string, unknown>;
    let idToken: string;
    try {
      const config = await this.configuration();
      const current = new URL(this.settings.redirectUri);
      current.search = search;
      const tokens = await lib.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims || !tokens.id_token) return { ok: false, status: 502, message: 'the identity provider sent no ID token' };
      idToken = tokens.id_token;
      const userinfo = config.serverMetadata().userinfo_endpoint ? await lib.fetchUserInfo(config, tokens.access_token, idClaims.sub) : {};
      claims = { ...userinfo, ...idClaims };
    } catch (e) {
      return { ok: false, status: 502, message: `single sign-on failed: ${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'}` };
    }
    const decided = principalFromClaims(claims, this.settings.claims, this.settings.issuer.href);
    if ('refused' in decided) return { ok: false, status: 403, message: `signed in at the identity provider, but not allowed here: ${decided.refused}` };
    return { ok: true, principal: decided.principal, idToken };
  }

  /** Where to send the browser to sign out at the provider too; null when it offers no end-session endpoint. */
  async endSessionUrl(idToken: string): Promise<URL | null> {
    try {
      const config = await this.configuration();
      if (!config.serverMetadata().end_session_endpoint) return null;
      const lib = await this.openid();
      return lib.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: this.settings.postLogoutRedirectUri.href, client_id: this.settings.clientId });
    } catch {
      return null; // signed out here anyway
    }
  }
}
