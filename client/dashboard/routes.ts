/**
 * The web dashboard's routes, in the API's Fastify instance. The browser signs in by pasting its bearer
 * token once; the server opens a session (sessions.ts) and the cookie (HttpOnly, SameSite=Strict, Secure
 * unless served on loopback) carries only the session's random id. Every state-changing request must come
 * from this dashboard's own origin (the Origin header, the sign-in form included: no login CSRF) and every
 * form carries the session's CSRF token. Authorisation is the API's own (ReviewService): the dashboard cannot
 * do more.
 *
 * With OpenID Connect configured (oidc.ts), people sign in at their identity provider instead: /login/oidc
 * starts it, /login/oidc/callback opens the same kind of session, holding the principal the claims gave.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isValidTimeZone } from '../../workflows/timeline';
import { OUTBOX_ROLES, roleAllowed, START_ROLES } from '../api/access';
import type { Principal, TokenStore } from '../api/auth';
import { isLoopbackHost } from '../../activities/smtp-transport';
import { ApiError, toApiError } from '../api/http-errors';
import type { OfficeFilter, ReviewService, RowFilter } from '../api/service';
import { metricsCsv } from '../read-model/metrics';
import { metricsPage, portfolioPage, workloadPage } from './office-pages';
import { receiptFileName } from '../../shared/record/receipt';
import { EXPORT_FORMATS } from '../export';
import type { ExportFormat } from '../export';
import { PHASES, UPDATES } from '../review-client';
import type { UpdateName } from '../review-client';
import { FormError, requestFromForm, updateFromForm } from './forms';
import type { FormFields } from './forms';
import { CALLBACK_PATH, OidcLogin } from './oidc';
import type { OidcSettings } from './oidc';
import { listOutbox, readOutbox, summarizeOutbox } from './outbox';
import { CSP, errorPage, listPage, loginPage, newReviewPage, outboxMessagePage, outboxPage, reviewPage, ssoDonePage, ssoRefusedPage, ssoSignOutPage } from './pages';
import type { LoginOptions } from './pages';
import type { PageCtx } from './pages';
import { csrfMatches, DEFAULT_SESSION_LIMITS, SessionStore } from './sessions';
import type { FeedStore } from '../api/calendar-feeds';
import { feedUrls, feedZone } from '../api/feed-routes';
import { calendarFeedPage } from './calendar-feed-page';
import type { EvidenceService } from '../api/evidence';
import { sendEvidence } from '../api/evidence-routes';
import { registerEvidenceForm } from './evidence-form';
import type { EvidenceSectionState } from './evidence-section';
import type { Session, SessionLimits } from './sessions';

export interface DashboardOptions {
  service: ReviewService;
  tokens: TokenStore;
  outboxDir?: string;
  /** `Secure` cookies: true, false, or undefined for "unless the request came to a loopback host". */
  secureCookies?: boolean;
  sessions?: SessionLimits;
  /** OpenID Connect sign-in (oidc.ts). */
  oidc?: OidcSettings;
  /** Whether people may sign in to the dashboard by pasting a token (default true; API tokens work either way). */
  tokenSignIn?: boolean;
  clock: () => number;
  /** Calendar feeds (client/api/calendar-feeds.ts): the page to issue and revoke one's own. */
  feeds?: FeedStore;
  publicUrl?: string;
  /** Evidence uploads and downloads (the API's own service): the review page's evidence section. */
  evidence?: EvidenceService;
}

const SESSION = 'fr_session';
/** The sign-in under way at the identity provider: SameSite=Lax, since the provider's redirect back is a cross-site navigation. */
const PENDING = 'fr_oidc';
const ZONE = 'fr_tz';

/**
 * Whether a state-changing request comes from a page of this server: its Origin (or, lacking one, its Referer's
 * origin) has this request's Host. Browsers send Origin with every cross-site POST, so a form elsewhere that
 * posts here (a forged sign-in into the attacker's account, a forged action) is refused.
 */
export function sameOrigin(headers: { origin?: string; referer?: string; host?: string }): boolean {
  const claimed = headers.origin ?? headers.referer;
  if (!claimed || !headers.host || claimed === 'null') return false;
  try {
    const url = new URL(claimed);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host === headers.host;
  } catch {
    return false;
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed cookie is ignored
    }
  }
  return out;
}

/**
 * Where to go back to after a form: a path of this dashboard from the Referer, or `/`. A path starting with
 * `//` or `/\` is a protocol-relative URL to another host (`http://here//evil.example/` has the path
 * `//evil.example/`), so only a single leading slash is taken.
 */
export function backTo(referer: string | undefined, host: string | undefined): string {
  try {
    const ref = new URL(referer ?? '/', 'http://x');
    const path = ref.pathname + ref.search;
    if (ref.host === host && /^\/(?![/\\])/.test(path)) return path;
  } catch {
    // no usable referer
  }
  return '/';
}

const asFields = (body: unknown): FormFields => (typeof body === 'object' && body !== null ? body as FormFields : {});

export interface Dashboard {
  renderError: (req: FastifyRequest, reply: FastifyReply, e: ApiError) => FastifyReply;
  /** Mounts the evidence upload form's multipart route: after the error handlers, whose scope it then takes. */
  registerEvidenceForm: () => Promise<void>;
}

export async function registerDashboard(app: FastifyInstance, o: DashboardOptions): Promise<Dashboard> {
  const sessions = new SessionStore(o.sessions ?? DEFAULT_SESSION_LIMITS, o.clock);
  const oidc = o.oidc ? new OidcLogin(o.oidc, o.clock) : null;
  const tokenSignIn = o.tokenSignIn ?? true;
  const login: LoginOptions = { tokens: tokenSignIn, ...(oidc ? { sso: oidc.settings.displayName } : {}) };
  const hostOf = (req: FastifyRequest): string => (req.headers.host ?? '').replace(/:\d+$/, '');
  const secure = (req: FastifyRequest): boolean => o.secureCookies ?? !isLoopbackHost(hostOf(req));

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const cookie = (req: FastifyRequest, name: string, value: string, maxAge: number): string =>
    `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure(req) ? '; Secure' : ''}`;
  /** The request's live session and its principal (the token must still be configured and unexpired). */
  const sessionOf = (req: FastifyRequest): { session: Session; principal: Principal } | null => {
    const session = sessions.use(parseCookies(req.headers.cookie)[SESSION]);
    if (!session) return null;
    if (session.sso) return { session, principal: session.sso.principal };
    const principal = o.tokens.principalOf(Buffer.from(session.tokenHash, 'hex'));
    if (!principal) {
      sessions.close(session.id); // the token was revoked or expired: so is the session
      return null;
    }
    return { session, principal };
  };
  const principalOf = (req: FastifyRequest): Principal | null => sessionOf(req)?.principal ?? null;
  const csrfOf = (req: FastifyRequest): string => sessionOf(req)?.session.csrf ?? '';
  const zoneOf = (req: FastifyRequest, p: Principal | null): string => {
    const z = parseCookies(req.headers.cookie)[ZONE];
    return z && isValidTimeZone(z) ? z : p?.timeZone ?? 'UTC';
  };
  const ctxOf = (req: FastifyRequest, p: Principal | null): PageCtx => ({ principal: p, zone: zoneOf(req, p), csrf: p ? csrfOf(req) : '', outbox: o.outboxDir !== undefined });
  const page = (reply: FastifyReply, htmlText: string, status = 200): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').header('Content-Security-Policy', CSP).header('Cache-Control', 'no-store').send(htmlText);

  /** The signed-in principal, or a redirect to the login page (GET) / 401 (POST). */
  const session = (req: FastifyRequest): Principal => {
    const p = principalOf(req);
    if (!p) throw new ApiError(401, 'unauthorized', 'please sign in');
    return p;
  };
  const checkCsrf = (req: FastifyRequest, _p: Principal): void => {
    const current = sessionOf(req);
    if (!current || !csrfMatches(current.session, String(asFields(req.body)._csrf ?? ''))) {
      throw new ApiError(403, 'forbidden', 'the form expired or came from elsewhere; reload the page and try again');
    }
  };

  // Every state-changing request of the dashboard, sign-in included, from this dashboard's own pages only.
  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    if (req.url.startsWith('/api/') || req.url.startsWith('/codec/')) return; // bearer tokens, no cookies
    if (!sameOrigin(req.headers)) throw new ApiError(403, 'forbidden', 'this form did not come from the dashboard (Origin); reload the page and try again');
  });

  const renderError = (req: FastifyRequest, reply: FastifyReply, e: ApiError): FastifyReply => {
    if (e.status === 401 && req.method === 'GET') return reply.redirect('/login', 303);
    if (e.status === 401) return page(reply, loginPage(login, 'Your session has ended; sign in again.'), 401);
    return page(reply, errorPage(ctxOf(req, principalOf(req)), e), e.status);
  };

  app.get('/login', async (req, reply) => (principalOf(req) ? reply.redirect('/', 303) : page(reply, loginPage(login))));

  app.post('/login', async (req, reply) => {
    if (!tokenSignIn) throw new ApiError(403, 'forbidden', 'signing in with a token is turned off on this dashboard; use single sign-on');
    const f = asFields(req.body);
    const p = o.tokens.authenticate((f.token ?? '').trim());
    if (!p) return page(reply, loginPage(login, 'That token is not valid (or has expired).'), 401);
    sessions.close(parseCookies(req.headers.cookie)[SESSION]); // a new session id at every sign-in (no fixation)
    const session = sessions.open(p.tokenHash);
    const cookies = [cookie(req, SESSION, session.id, sessions.cookieSeconds)];
    if (f.tz && isValidTimeZone(f.tz)) cookies.push(cookie(req, ZONE, f.tz, 365 * 86400));
    return reply.header('Set-Cookie', cookies).redirect('/', 303);
  });

  app.post('/logout', async (req, reply) => {
    const current = sessionOf(req);
    if (current) checkCsrf(req, current.principal);
    sessions.close(parseCookies(req.headers.cookie)[SESSION]); // revoked on the server, not only forgotten by the browser
    // Single sign-on: sign out at the provider too, which sends the browser back to /login. A page that moves on by
    // itself rather than a redirect: the CSP's form-action 'self' would stop a form's redirect to another origin.
    const atProvider = current?.session.sso && oidc ? await oidc.endSessionUrl(current.session.sso.idToken) : null;
    reply.header('Set-Cookie', cookie(req, SESSION, '', 0));
    return atProvider ? page(reply, ssoSignOutPage(atProvider.href)) : reply.redirect('/login', 303);
  });

  if (oidc) {
    const pendingCookie = (req: FastifyRequest, value: string, maxAge: number): string =>
      `${PENDING}=${encodeURIComponent(value)}; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure(req) ? '; Secure' : ''}`;
    // A GET (a link on the sign-in page): it changes nothing but a pending entry that only this browser's cookie names.
    app.get('/login/oidc', async (req, reply) => {
      let started;
      try {
        started = await oidc.begin();
      } catch (e) {
        return page(reply, ssoRefusedPage(`the identity provider cannot be reached (${e instanceof Error ? e.message.slice(0, 160) : 'unknown error'}); try again later`), 502);
      }
      return reply.header('Set-Cookie', pendingCookie(req, started.pendingId, Math.ceil(OidcLogin.PENDING_MS / 1000))).header('Cache-Control', 'no-store').redirect(started.url.href, 303);
    });
    app.get(CALLBACK_PATH, async (req, reply) => {
      const result = await oidc.finish(parseCookies(req.headers.cookie)[PENDING], req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '');
      reply.header('Set-Cookie', [pendingCookie(req, '', 0)]);
      if (!result.ok) {
        req.log.warn({ status: result.status, reason: result.message }, 'single sign-on refused');
        return page(reply, ssoRefusedPage(result.message), result.status);
      }
      sessions.close(parseCookies(req.headers.cookie)[SESSION]); // a new session id at every sign-in (no fixation)
      const session = sessions.open(result.principal.tokenHash, { principal: result.principal, idToken: result.idToken });
      o.feeds?.signedIn(result.principal); // a calendar feed of theirs lives on for another CALENDAR_FEED_SSO_DAYS
      reply.header('Set-Cookie', [pendingCookie(req, '', 0), cookie(req, SESSION, session.id, sessions.cookieSeconds)]);
      // A page of this dashboard that moves on by itself, not a redirect: this response ends a navigation that the
      // provider's site started, and a browser withholds SameSite=Strict cookies from the rest of such a chain.
      return page(reply, ssoDonePage(result.principal.name));
    });
  }

  app.post('/zone', async (req, reply) => {
    const p = session(req);
    checkCsrf(req, p);
    const tz = (asFields(req.body).tz ?? '').trim();
    if (!isValidTimeZone(tz)) throw new ApiError(400, 'validation', `tz: "${tz.slice(0, 60)}" is not an IANA time zone such as America/New_York`, [{ path: 'tz', message: 'must be an IANA time zone' }]);
    const back = backTo(req.headers.referer, req.headers.host);
    return reply.header('Set-Cookie', cookie(req, ZONE, tz, 365 * 86400)).redirect(back, 303);
  });

  app.get('/', async (req, reply) => {
    const p = session(req);
    const q = req.query as Record<string, string | undefined>;
    const due = q.dueWithinDays?.trim();
    if (due && !/^\d{1,4}$/.test(due)) throw new ApiError(400, 'validation', 'dueWithinDays: must be a whole number of days', [{ path: 'dueWithinDays', message: 'must be a whole number of days' }]);
    const f: RowFilter = {
      ...(q.phase && PHASES.includes(q.phase as never) ? { phase: q.phase } : {}),
      ...(q.lab?.trim() && p.role !== 'lab' ? { lab: q.lab.trim() } : {}),
      ...(due ? { dueWithinDays: Number(due) } : {}),
      sort: q.sort === 'newest' ? 'newest' : 'remaining',
    };
    const rows = await o.service.list(p, f);
    return page(reply, listPage(ctxOf(req, p), rows, f, o.service.asOf()));
  });

  const officeFilter = (req: FastifyRequest): OfficeFilter => {
    const q = req.query as Record<string, string | undefined>;
    return {
      ...(q.lab?.trim() ? { lab: q.lab.trim().slice(0, 200) } : {}),
      ...(q.reviewer?.trim() ? { reviewer: q.reviewer.trim().slice(0, 80) } : {}),
      ...(q.phase && PHASES.includes(q.phase as never) ? { phase: q.phase } : {}),
    };
  };
  const officeQuery = (f: OfficeFilter): string => {
    const params = new URLSearchParams(Object.entries(f) as [string, string][]).toString();
    return params ? `?${params}` : '';
  };

  app.get('/portfolio', async (req, reply) => {
    const p = session(req);
    const ctx = ctxOf(req, p);
    const f = officeFilter(req);
    // The review table in pages of PORTFOLIO_PAGE_ROWS (a thousand rows of HTML took most of the page's time); a bad number is page 1.
    const asked = (req.query as { page?: unknown }).page;
    const pageNo = typeof asked === 'string' && /^[1-9]\d{0,3}$/.test(asked) ? Number(asked) : 1;
    return page(reply, portfolioPage(ctx, await o.service.portfolio(p, f, ctx.zone), f, pageNo));
  });

  app.get('/workload', async (req, reply) => {
    const p = session(req);
    const ctx = ctxOf(req, p);
    const f = officeFilter(req);
    return page(reply, workloadPage(ctx, await o.service.workload(p, f, ctx.zone), f));
  });

  app.get('/metrics', async (req, reply) => {
    const p = session(req);
    const f = officeFilter(req);
    return page(reply, metricsPage(ctxOf(req, p), await o.service.metrics(p, f), f, officeQuery(f)));
  });

  app.get('/metrics.csv', async (req, reply) => {
    const p = session(req);
    const m = await o.service.metrics(p, officeFilter(req));
    return reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="program-metrics.csv"').header('Cache-Control', 'no-store').send(metricsCsv(m));
  });

  app.get('/reviews/new', async (req, reply) => {
    const p = session(req);
    roleAllowed(p, START_ROLES, 'start reviews');
    return page(reply, newReviewPage(ctxOf(req, p), { pmName: p.name }));
  });

  app.post('/reviews/new', async (req, reply) => {
    const p = session(req);
    checkCsrf(req, p);
    roleAllowed(p, START_ROLES, 'start reviews');
    const f = asFields(req.body);
    const ctx = ctxOf(req, p);
    try {
      const request = requestFromForm(f);
      if (f.intent === 'preview') return page(reply, newReviewPage(ctx, f, undefined, o.service.plan(p, { request })));
      const started = await o.service.start(p, request);
      return reply.redirect(`/reviews/${encodeURIComponent(started.reviewId)}?started=1`, 303);
    } catch (e) {
      const err = e instanceof FormError ? new ApiError(400, 'validation', e.message, e.issues) : toApiError(e);
      if (err.status >= 500 || err.status === 401 || err.status === 403) throw err;
      return page(reply, newReviewPage(ctx, f, err.status === 400 ? err : new ApiError(err.status, err.code, err.message, err.issues.length ? err.issues : [{ path: 'reviewId', message: err.message }])), err.status);
    }
  });

  /** The store's bounds for the upload form; none (no form, the list still shown) when the store is not usable. */
  const evidenceState = (req: FastifyRequest, failed?: EvidenceSectionState['failed']): EvidenceSectionState => {
    let bounds: EvidenceSectionState['bounds'] = null;
    try {
      bounds = o.evidence?.bounds() ?? null;
    } catch (e) {
      req.log.error(e, 'evidence store not usable: the upload form is not shown');
    }
    return { bounds, ...(failed ? { failed } : {}) };
  };

  app.get('/reviews/:reviewId', async (req, reply) => {
    const p = session(req);
    const { reviewId } = req.params as { reviewId: string };
    const q = req.query as Record<string, string | undefined>;
    const view = await o.service.status(p, reviewId);
    const done = q.done && Object.hasOwn(UPDATES, q.done) ? (q.done as UpdateName) : undefined;
    return page(reply, reviewPage(ctxOf(req, p), view, o.clock(), { ...(done ? { done } : {}), started: q.started === '1', evidence: evidenceState(req) }));
  });

  if (o.evidence) {
    const evidence = o.evidence;
    app.get('/reviews/:reviewId/evidence/:digest', async (req, reply) => {
      const p = session(req);
      const { reviewId, digest } = req.params as { reviewId: string; digest: string };
      const { entry, body } = await evidence.download(p, reviewId, digest);
      return sendEvidence(reply, entry, body);
    });
  }

  app.post('/reviews/:reviewId/act/:action', async (req, reply) => {
    const p = session(req);
    checkCsrf(req, p);
    const { reviewId, action } = req.params as { reviewId: string; action: string };
    // Own properties only: `in` also matched `constructor`, `toString`, … (a 500 instead of a 404).
    if (!Object.hasOwn(UPDATES, action)) throw new ApiError(404, 'not-found', `no action ${action.slice(0, 40)}`);
    const name = action as UpdateName;
    const f = asFields(req.body);
    try {
      const current = await o.service.status(p, reviewId);
      const arg = updateFromForm(name, f, current.lab.timeZone);
      const view = await o.service.update(p, name, reviewId, arg);
      // A warning is shown on the page itself (it names the reviewer's other assignments), not carried in a redirect.
      if (view.warnings?.length) return page(reply, reviewPage(ctxOf(req, p), view, o.clock(), { done: name, warnings: view.warnings.map((w) => w.message), evidence: evidenceState(req) }));
      return reply.redirect(`/reviews/${encodeURIComponent(reviewId)}?done=${name}`, 303);
    } catch (e) {
      const err = e instanceof FormError ? new ApiError(400, 'validation', e.message, e.issues) : toApiError(e);
      if (err.status >= 500 || err.status === 401 || err.status === 404) throw err;
      const view = await o.service.status(p, reviewId);
      return page(reply, reviewPage(ctxOf(req, p), view, o.clock(), { error: err, failed: { key: String(f._form ?? ''), values: f }, evidence: evidenceState(req) }), err.status);
    }
  });

  app.get('/reviews/:reviewId/export', async (req, reply) => {
    const p = session(req);
    const format = ((req.query as { format?: string }).format ?? 'json') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new ApiError(400, 'validation', 'format: must be json, csv or ics', [{ path: 'format', message: 'must be json, csv or ics' }]);
    const x = await o.service.export(p, (req.params as { reviewId: string }).reviewId, format);
    return reply.type(x.contentType).header('Content-Disposition', `attachment; filename="${x.filename}"`).header('Cache-Control', 'no-store').send(x.body);
  });

  app.get('/reviews/:reviewId/receipt', async (req, reply) => {
    const p = session(req);
    const reviewId = (req.params as { reviewId: string }).reviewId;
    const envelope = await o.service.receipt(p, reviewId);
    return reply.type('application/json; charset=utf-8').header('Content-Disposition', `attachment; filename="${receiptFileName(reviewId)}"`)
      .header('Cache-Control', 'no-store').send(`${JSON.stringify(envelope, null, 2)}\n`);
  });
  if (o.feeds) {
    const feeds = o.feeds;
    app.get('/calendar-feed', async (req, reply) => {
      const p = session(req);
      return page(reply, calendarFeedPage(ctxOf(req, p), feeds.of(p)));
    });
    app.post('/calendar-feed', async (req, reply) => {
      const p = session(req);
      checkCsrf(req, p);
      const f = asFields(req.body);
      if (f.intent === 'revoke') {
        feeds.revoke(p);
        return page(reply, calendarFeedPage(ctxOf(req, p), null, { revoked: true }));
      }
      const { secret, entry } = feeds.issue(p, feedZone(p, f.tz || zoneOf(req, p)), sessionOf(req)?.session.sso?.principal);
      return page(reply, calendarFeedPage(ctxOf(req, p), entry, { issued: feedUrls({ publicUrl: o.publicUrl }, req, secret) }));
    });
  }

  if (o.outboxDir !== undefined) {
    const dir = o.outboxDir;
    app.get('/outbox', async (req, reply) => {
      const p = session(req);
      roleAllowed(p, OUTBOX_ROLES, 'read the outbox');
      return page(reply, outboxPage(ctxOf(req, p), await summarizeOutbox(dir, await listOutbox(dir))));
    });
    app.get('/outbox/:file', async (req, reply) => {
      const p = session(req);
      roleAllowed(p, OUTBOX_ROLES, 'read the outbox');
      const m = await readOutbox(dir, (req.params as { file: string }).file);
      if (!m) throw new ApiError(404, 'not-found', 'no such message in the outbox');
      return page(reply, outboxMessagePage(ctxOf(req, p), m));
    });
  }

  const registerUploadForm = async (): Promise<void> => {
    if (!o.evidence) return;
    await registerEvidenceForm(app, {
      evidence: o.evidence,
      session,
      csrfOk: (req, token) => {
        const current = sessionOf(req);
        return current !== null && csrfMatches(current.session, token);
      },
      renderFailed: async (req, reply, p, reviewId, e, values) => {
        const view = await o.service.status(p, reviewId);
        return page(reply, reviewPage(ctxOf(req, p), view, o.clock(), { error: e, evidence: evidenceState(req, { values, issues: e.issues.length ? e.issues : [{ path: 'file', message: e.message }] }) }), e.status);
      },
    });
  };

  return { renderError, registerEvidenceForm: registerUploadForm };
}
