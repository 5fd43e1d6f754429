/**
 * The HTTP server: the JSON API under /api (OpenAPI at /openapi.json), the web dashboard (client/dashboard),
 * and — when payload encryption is configured — the codec endpoint for the Temporal web UI, in one Fastify
 * instance. `npm start` and `review serve` run it; tests start it on a free port.
 */
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import { codecAction, createCodecHandler } from '../../shared/codec-server';
import { EXPORT_FORMATS } from '../export';
import type { ExportFormat } from '../export';
import { UPDATES } from '../review-client';
import type { ReviewClient, UpdateName } from '../review-client';
import { registerDashboard } from '../dashboard/routes';
import type { SessionLimits } from '../dashboard/sessions';
import type { OidcSettings } from '../dashboard/oidc';
import { PLAN_ROLES, READ_ROLES, START_ROLES, UPDATE_ROLES, roleAllowed } from './access';
import type { Principal, Role, TokenStore } from './auth';
import { ApiError, errorBody, toApiError, unauthorized } from './http-errors';
import { buildOpenApi } from './openapi';
import type { RouteDoc } from './openapi';
import {
  errorSchema, exportQuerySchema, listQuerySchema, meSchema, metricsSchema, officeQuerySchema, portfolioSchema, workloadSchema, planBodySchema, planSchema, reviewIdParams, reviewRequestSchema, reviewRowSchema,
  startedSchema, statusSchema, updateBodySchemas,
} from './schemas';
import { checkReadiness } from '../readiness';
import { KEY_SET_PATH, loadPublishedKeySet } from '../../shared/record/keys';
import type { KeySet } from '../../shared/record/keys';
import { receiptFileName } from '../../shared/record/receipt';
import { FeedStore } from './calendar-feeds';
import { calendarFeedDocs, calendarFeedHandlers } from './feed-routes';
import { LIST_MAX, OFFICE_ROLES, officeOptionsFromEnv, ReviewService } from './service';
import { CardCache } from '../read-model/card-cache';
import type { CardCacheOptions } from '../read-model/card-cache';
import type { OfficeFilter, RowFilter, ServiceOptions } from './service';
import { metricsCsv } from '../read-model/metrics';
import { pagePortfolio, PORTFOLIO_LIMIT } from '../read-model/portfolio';
import { isValidTimeZone } from '../../workflows/timeline';
import { evidenceStoreFromEnv, loadEvidenceConfig } from '../../shared/evidence';
import type { ConfiguredStore } from '../../shared/evidence';
import { EvidenceService } from './evidence';
import { evidenceDocs, registerEvidenceApi } from './evidence-routes';
import { EVIDENCE_LIMITS } from '../../workflows/evidence';
import { formatBytes, UploadLimiter, UploadRateLimitedError, uploadLimitsFromEnv, windowWords } from './upload-limit';
import type { UploadLimits } from './upload-limit';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ApiServerOptions {
  reviews: ReviewClient;
  tokens: TokenStore;
  /**
   * Mounts /codec/encode and /codec/decode (payload encryption configured). `tokenHashes`: the codec's own tokens
   * (encode and decode); the API's PM and director tokens may decode only.
   */
  codec?: { codec: PayloadCodec; tokenHashes: Buffer[]; allowedOrigins: string[] };
  /**
   * Server timeouts, ms: a client that sends its request slowly, or holds idle connections, is cut off (the
   * codec hijacks its requests, so Fastify's own limits are all that bound them). Defaults: SERVER_TIMEOUTS.
   */
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /** Requests per token (per client address without a valid token) and window. Default: RATE_LIMIT. */
  rateLimit?: { max: number; timeWindowMs: number };
  /** The SMTP sink's directory of .eml files: enables the dashboard's Outbox (npm start). */
  outboxDir?: string;
  /** Log requests (Fastify's logger). Default off. */
  logger?: boolean;
  /** `Secure` dashboard cookies. Default: on, unless the request came to a loopback host (127.x, ::1, localhost). */
  secureCookies?: boolean;
  /** Dashboard session expiry (sessions.ts). */
  sessions?: SessionLimits;
  /** The receipt keys published at /.well-known/frontier-review/keys.json. Default: from RECEIPT_KEYS_FILE and RECEIPT_SIGNING_KEY(_FILE). */
  keySet?: KeySet;
  /** OpenID Connect sign-in to the dashboard (client/dashboard/oidc.ts). */
  oidc?: OidcSettings;
  /** Whether the dashboard accepts a pasted token (default true; the API's bearer tokens work either way). */
  tokenSignIn?: boolean;
  /** Reviewer load limit and program office zone; default from REVIEWER_MAX_OPEN and PROGRAM_OFFICE_TIME_ZONE. */
  office?: ServiceOptions;
  /**
   * The copy of the review cards lists and office pages read (read-model/card-cache.ts): its options, or one made by the
   * caller (started and stopped here all the same); false: one visibility listing per request instead.
   */
  cardCache?: CardCache | CardCacheOptions | false;
  clock?: () => number;
  /** Calendar feeds' hashed secrets (calendar-feeds.ts); default: in memory. */
  feeds?: FeedStore;
  /** Reads of one calendar feed per window (default FEED_RATE_LIMIT). */
  feedRateLimit?: { max: number; timeWindowMs: number };
  /** The public base URL feed links are given with (API_PUBLIC_URL); default the request's host. */
  publicUrl?: string;
  /** The evidence store (uploads, downloads). Default: the one EVIDENCE_STORE configures, opened at the first use. */
  evidence?: Pick<ConfiguredStore, 'store' | 'config'>;
  /** Evidence uploads' own budget per token and per review (upload-limit.ts). Default: from EVIDENCE_UPLOAD_* (uploadLimitsFromEnv). */
  uploadLimits?: UploadLimits;
}

/** 600 requests a minute per token: a dashboard page costs one, a script polling every second uses a tenth of it. */
export const RATE_LIMIT = { max: 600, timeWindowMs: 60_000 };

/** connectionTimeout: a socket idle this long is closed; requestTimeout: a whole request must arrive within it; keepAliveTimeout: idle keep-alive. */
export const SERVER_TIMEOUTS = { connectionTimeout: 60_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

/** The kebab-free contract names are the paths: POST /api/reviews/{reviewId}/grantAccess, … */
const UPDATE_DOCS: Record<UpdateName, string> = {
  grantAccess: 'Access granted: the clock starts now. Allowed when awaiting-access.',
  assignReviewer: 'Assign a reviewer to a new track, or reassign a track. Before close.',
  submitEvaluation: "Submit a track's evaluation (once per track, by its assigned reviewer). In review or paused.",
  setReleaseDate: "Set the lab's planned release (caps the window). Before close.",
  pauseClock: 'Pause the clock (lab-side access outage; budget policy.maxPauseDays). In review.',
  resumeClock: 'Resume the clock. Paused.',
  withdraw: 'The lab withdraws the model. Before close.',
  closeReview: 'Close early (outcome completed, or expired with tracks missing). In review or paused.',
  cancelReview: 'Cancel before access was granted. Awaiting access.',
  confirmDisposal: 'Confirm access revocation and artifact disposal for a party ("lab" or a reviewer id), optionally attesting the digests of the evidence files destroyed. In disposal.',
  completePackage: 'Complete the access package (any part of it; each section given replaces that section). Before close; lab or PM.',
  attachEvidence: 'Not a route of its own: POST /api/reviews/{reviewId}/evidence uploads the file and attaches it.',
};

export function bearerOf(req: FastifyRequest): string | undefined {
  return /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '')?.[1];
}

/** What bounds an upload, in words, for the OpenAPI document. */
function uploadBounds(limits: UploadLimits, maxBytes: number | null): string {
  const per = windowWords(limits.windowMs);
  return [
    `Bounds: at most ${maxBytes === null ? 'EVIDENCE_MAX_BYTES (default 50 MiB)' : formatBytes(maxBytes)} per file (413);`,
    `${EVIDENCE_LIMITS.perReview} files per review and ${EVIDENCE_LIMITS.perParty} per party (409);`,
    `per token ${limits.perToken.files} uploads and ${formatBytes(limits.perToken.bytes)} per ${per}, per review ${limits.perReview.files} uploads and ${formatBytes(limits.perReview.bytes)} per ${per} (429 with Retry-After).`,
  ].join(' ');
}

export function routeDocs(upload: { limits: UploadLimits; maxBytes: number | null } = { limits: uploadLimitsFromEnv(), maxBytes: null }): RouteDoc[] {
  const reviewErrors = [404, 503];
  const docs: RouteDoc[] = [
    {
      method: 'GET', url: '/api/reviews', operationId: 'listReviews', tags: ['reviews'], roles: READ_ROLES,
      summary: 'Reviews visible to the token, least time remaining first',
      description: 'Filters go to the search attributes (phase, lab, window end); a lab token sees only its lab, a reviewer token only its assignments.',
      querystring: listQuerySchema, responses: { 200: { description: 'Review rows', schema: { type: 'array', items: reviewRowSchema } } }, errors: [400, 503],
    },
    {
      method: 'POST', url: '/api/reviews', operationId: 'startReview', tags: ['reviews'], roles: START_ROLES,
      summary: 'Start a review from a ReviewRequest', body: reviewRequestSchema,
      responses: { 201: { description: 'Started', schema: startedSchema } }, errors: [400, 409, 503],
    },
    {
      method: 'GET', url: '/api/reviews/:reviewId', operationId: 'getReview', tags: ['reviews'], roles: READ_ROLES,
      summary: "The review's status (the `status` query), as the token may see it", params: reviewIdParams,
      responses: { 200: { description: 'Status', schema: statusSchema } }, errors: reviewErrors,
    },
    {
      method: 'GET', url: '/api/reviews/:reviewId/export', operationId: 'exportReview', tags: ['reviews'], roles: READ_ROLES,
      summary: 'The audit trail and all deadlines as JSON, CSV or iCalendar', params: reviewIdParams, querystring: exportQuerySchema,
      responses: { 200: { description: 'The export', content: { 'application/json': { type: 'object' }, 'text/csv': { type: 'string' }, 'text/calendar': { type: 'string' } } } },
      errors: [400, ...reviewErrors],
    },
    {
      method: 'GET', url: '/api/reviews/:reviewId/receipt', operationId: 'getReceipt', tags: ['reviews'], roles: READ_ROLES,
      summary: 'The signed closure receipt: an in-toto Statement v1 in a DSSE envelope (from close on)', params: reviewIdParams,
      description: 'Check it offline with `review verify <receipt> --export <export.json> --keys <keys.json>`; the keys are at ' + KEY_SET_PATH + '.',
      responses: { 200: { description: 'The DSSE envelope', content: { 'application/json': { type: 'object' } } } }, errors: reviewErrors,
    },
    {
      method: 'GET', url: KEY_SET_PATH, operationId: 'receiptKeys', tags: ['meta'], roles: null,
      summary: 'The public keys closure receipts are signed with: the current one and every earlier one (rotation keeps old receipts verifiable)',
      responses: { 200: { description: 'The key set', content: { 'application/json': { type: 'object' } } } }, errors: [],
    },
    {
      method: 'POST', url: '/api/plan', operationId: 'planReview', tags: ['plan'], roles: PLAN_ROLES,
      summary: 'Preview every dated event and notice a request will produce, without starting it', body: planBodySchema,
      responses: { 200: { description: 'The plan', schema: planSchema } }, errors: [400],
    },
    {
      method: 'GET', url: '/api/portfolio', operationId: 'portfolio', tags: ['office'], roles: OFFICE_ROLES,
      summary: 'Open reviews by phase with their next deadline; what falls due this week and next; overdue and critical first',
      description: 'From the reviews\' cards (the server\'s copy). Filters: lab, reviewer, phase. Paged: each list holds items [offset, offset + limit) (limit default 100, at most 1000); page.totals gives the lists\' lengths and page.nextOffset the next page (null on the last).',
      querystring: officeQuerySchema, responses: { 200: { description: 'The portfolio', schema: portfolioSchema } }, errors: [400, 503],
    },
    {
      method: 'GET', url: '/api/workload', operationId: 'workload', tags: ['office'], roles: OFFICE_ROLES,
      summary: 'Open assignments per reviewer across reviews, with due dates and overdue counts',
      querystring: officeQuerySchema, responses: { 200: { description: 'Reviewer workload', schema: workloadSchema } }, errors: [400, 503],
    },
    {
      method: 'GET', url: '/api/metrics', operationId: 'metrics', tags: ['office'], roles: OFFICE_ROLES,
      summary: 'Program metrics per month (program office zone): reviews closed by outcome, evaluations on time/late, days from intake to access, critical findings, pauses',
      querystring: officeQuerySchema, responses: { 200: { description: 'Metrics', schema: metricsSchema } }, errors: [400, 503],
    },
    {
      method: 'GET', url: '/api/metrics.csv', operationId: 'metricsCsv', tags: ['office'], roles: OFFICE_ROLES,
      summary: 'The same metrics as CSV (metric, month, series, value)', querystring: officeQuerySchema,
      responses: { 200: { description: 'CSV', content: { 'text/csv': { type: 'string' } } } }, errors: [400, 503],
    },
    {
      method: 'GET', url: '/api/me', operationId: 'whoAmI', tags: ['auth'], roles: READ_ROLES,
      summary: "The token's name, role and scope", responses: { 200: { description: 'The principal', schema: meSchema } }, errors: [],
    },
  ];
  for (const name of Object.keys(UPDATES) as UpdateName[]) {
    // attachEvidence records a file the store holds: only the upload route (evidence-routes.ts) sends it.
    if (name === 'attachEvidence') continue;
    docs.push({
      method: 'POST', url: `/api/reviews/:reviewId/${name}`, operationId: name, tags: ['updates'], roles: UPDATE_ROLES[name],
      summary: UPDATE_DOCS[name], params: reviewIdParams, body: updateBodySchemas[name],
      responses: { 200: { description: 'The status after the change, as the token may see it', schema: statusSchema } },
      errors: [400, 409, ...reviewErrors],
    });
  }
  docs.push(...calendarFeedDocs());
  docs.push(...evidenceDocs({ upload: UPDATE_ROLES.attachEvidence, read: READ_ROLES }, uploadBounds(upload.limits, upload.maxBytes)));
  docs.push({
    method: 'GET', url: '/openapi.json', operationId: 'openApi', tags: ['meta'], roles: null, summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { type: 'object' } } } }, errors: [],
  });
  return docs;
}

export async function createApiServer(o: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: 1024 * 1024,
    ...SERVER_TIMEOUTS,
    ...o.timeouts,
    // Strict: no type coercion, unknown fields rejected (not silently dropped), every problem reported.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  });
  const cache = o.cardCache === false ? undefined : o.cardCache instanceof CardCache ? o.cardCache : new CardCache(o.reviews, o.cardCache ?? {});
  const service = new ReviewService(o.reviews, o.clock, { ...(o.office ?? officeOptionsFromEnv(process.env)), ...(cache ? { cache } : {}) });
  if (cache) {
    cache.start();
    app.addHook('onClose', async () => cache.stop());
  }
  app.decorateRequest('principal', null);

  // Per token, not per address: many people behind one proxy do not share a budget, and a token cannot escape its
  // own by changing address. A request without a valid token — made-up tokens included, and the dashboard's
  // cookie requests, whose session ids could be made up just as well — counts against its address.
  // A root onRequest hook (the plugin's global mode appends its hook after each route's own, so authentication's 401
  // came first and unauthenticated requests were never counted): it runs before the codec's hijack and every route.
  const limit = o.rateLimit ?? RATE_LIMIT;
  await app.register(rateLimit, {
    global: false,
    max: limit.max,
    timeWindow: limit.timeWindowMs,
    keyGenerator: (req) => {
      const bearer = o.tokens.authenticate(bearerOf(req));
      return bearer ? `token:${bearer.tokenHash}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, context) => new ApiError(429, 'rate-limited', `too many requests: at most ${context.max} per ${context.after}; try again in ${Math.ceil(context.ttl / 1000)} s`),
  });
  app.addHook('onRequest', app.rateLimit());
  // JSON (and the dashboard's form posts) only: any other body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  if (o.codec) {
    const tokens = o.tokens;
    const handle = createCodecHandler({ ...o.codec, decodeOnly: (hash) => tokens.hasHash(hash, ['pm', 'director']) });
    app.addHook('onRequest', async (req, reply) => {
      // Only the codec's two paths are hijacked: any other /codec/… is Fastify's 404 (it used to hang, unanswered).
      if (codecAction(req.url) === null) return;
      reply.hijack(); // the handler reads the raw body and writes the raw response
      await handle(req.raw, reply.raw);
    });
  }

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with its form posts, and the
    // dashboard checks Origin on every one. Nothing is sent to other sites either way.
    reply.header('Referrer-Policy', 'same-origin');
    return payload;
  });

  const authenticate = (roles: Role[]) => async (req: FastifyRequest): Promise<void> => {
    const token = bearerOf(req);
    const p = o.tokens.authenticate(token);
    if (!p) throw unauthorized(token ? 'unknown bearer token' : undefined);
    req.principal = p;
    roleAllowed(p, roles, `${req.method} ${req.routeOptions.url}`);
  };
  const principal = (req: FastifyRequest): Principal => {
    if (!req.principal) throw unauthorized();
    return req.principal;
  };

  const keySet = o.keySet ?? loadPublishedKeySet();
  const officeFilter = (req: FastifyRequest): OfficeFilter => {
    const q = req.query as Record<string, string | undefined>;
    return { ...(q.lab?.trim() ? { lab: q.lab.trim() } : {}), ...(q.reviewer?.trim() ? { reviewer: q.reviewer.trim() } : {}), ...(q.phase ? { phase: q.phase } : {}) };
  };
  const zoneFor = (req: FastifyRequest, p: Principal): string => {
    const z = (req.query as { timeZone?: string }).timeZone;
    if (z !== undefined && !isValidTimeZone(z)) throw new ApiError(400, 'validation', `timeZone: "${z}" is not an IANA time zone such as America/New_York`, [{ path: 'timeZone', message: 'must be an IANA time zone' }]);
    return z ?? p.timeZone ?? service.officeTimeZone;
  };
  const portfolioWindow = (req: FastifyRequest): { offset: number; limit: number } => {
    const q = req.query as { offset?: string; limit?: string };
    const limit = q.limit === undefined ? PORTFOLIO_LIMIT.default : Number(q.limit);
    if (limit < 1 || limit > PORTFOLIO_LIMIT.max) throw new ApiError(400, 'validation', `limit: must be from 1 to ${PORTFOLIO_LIMIT.max}`, [{ path: 'limit', message: `must be from 1 to ${PORTFOLIO_LIMIT.max}` }]);
    return { offset: q.offset === undefined ? 0 : Number(q.offset), limit };
  };
  const monthsOf = (req: FastifyRequest): number => {
    const m = (req.query as { months?: string }).months;
    const n = m === undefined ? 12 : Number(m);
    if (n < 1 || n > 36) throw new ApiError(400, 'validation', 'months: must be from 1 to 36', [{ path: 'months', message: 'must be from 1 to 36' }]);
    return n;
  };

  const uploadLimits = o.uploadLimits ?? uploadLimitsFromEnv();
  const docs = routeDocs({ limits: uploadLimits, maxBytes: o.evidence?.config.maxBytes ?? null });
  const openapi = buildOpenApi(docs, { version: VERSION });
  const handlers: Record<string, (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>> = {
    listReviews: async (req, reply) => {
      const q = req.query as { phase?: string; lab?: string; reviewer?: string; dueWithinDays?: string; limit?: string; sort?: RowFilter['sort'] };
      const limit = q.limit === undefined ? LIST_MAX : Number(q.limit);
      if (limit < 1 || limit > LIST_MAX) throw new ApiError(400, 'validation', `limit: must be from 1 to ${LIST_MAX}`, [{ path: 'limit', message: `must be from 1 to ${LIST_MAX}` }]);
      const rows = await service.list(principal(req), {
        phase: q.phase, lab: q.lab, reviewer: q.reviewer, dueWithinDays: q.dueWithinDays === undefined ? undefined : Number(q.dueWithinDays), limit, sort: q.sort,
      });
      // The list is a JSON array (its shape is the contract's): how current it is goes in a header.
      reply.header('X-As-Of', service.asOf());
      return rows;
    },
    startReview: async (req, reply) => {
      const started = await service.start(principal(req), req.body);
      reply.code(201).header('Location', `/api/reviews/${encodeURIComponent(started.reviewId)}`);
      return started;
    },
    getReview: async (req) => service.status(principal(req), (req.params as { reviewId: string }).reviewId),
    exportReview: async (req, reply) => {
      const format = ((req.query as { format?: ExportFormat }).format ?? 'json');
      if (!EXPORT_FORMATS.includes(format)) throw new ApiError(400, 'validation', 'format: must be json, csv or ics', [{ path: 'format', message: 'must be json, csv or ics' }]);
      const x = await service.export(principal(req), (req.params as { reviewId: string }).reviewId, format);
      reply.type(x.contentType).header('Content-Disposition', `attachment; filename="${x.filename}"`);
      return x.body;
    },
    planReview: async (req) => service.plan(principal(req), req.body as { request: unknown; startAt?: string; accessGrantedAt?: string }),
    whoAmI: async (req) => {
      const { name, role, reviewerId, email, labId, lab, timeZone } = principal(req);
      return { name, role, reviewerId, email, labId, lab, timeZone };
    },
    openApi: async () => openapi,
    getReceipt: async (req, reply) => {
      const reviewId = (req.params as { reviewId: string }).reviewId;
      const envelope = await service.receipt(principal(req), reviewId);
      reply.type('application/json; charset=utf-8').header('Content-Disposition', `attachment; filename="${receiptFileName(reviewId)}"`);
      return `${JSON.stringify(envelope, null, 2)}\n`;
    },
    receiptKeys: async (_req, reply) => {
      reply.type('application/json; charset=utf-8').header('Cache-Control', 'public, max-age=300');
      return `${JSON.stringify(keySet, null, 2)}\n`;
    },
    portfolio: async (req) => {
      const p = principal(req);
      const { offset, limit } = portfolioWindow(req);
      return pagePortfolio(await service.portfolio(p, officeFilter(req), zoneFor(req, p)), offset, limit);
    },
    workload: async (req) => {
      const p = principal(req);
      return service.workload(p, officeFilter(req), zoneFor(req, p));
    },
    metrics: async (req) => service.metrics(principal(req), officeFilter(req), monthsOf(req)),
    metricsCsv: async (req, reply) => {
      const m = await service.metrics(principal(req), officeFilter(req), monthsOf(req));
      reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="program-metrics.csv"');
      return metricsCsv(m);
    },
  };
  const feeds = o.feeds ?? new FeedStore();
  Object.assign(handlers, calendarFeedHandlers({
    service, tokens: o.tokens, feeds, clock: o.clock ?? Date.now,
    ...(o.feedRateLimit ? { rateLimit: o.feedRateLimit } : {}), ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
  }));
  for (const name of Object.keys(UPDATES) as UpdateName[]) {
    if (name === 'attachEvidence') continue;
    handlers[name] = async (req) => service.update(principal(req), name, (req.params as { reviewId: string }).reviewId, req.body);
  }

  for (const d of docs) {
    if (d.tags.includes('evidence')) continue; // served by evidence-routes.ts (a raw body, a stream out)
    const response: Record<string, unknown> = { '4xx': errorSchema, '5xx': errorSchema };
    for (const [code, r] of Object.entries(d.responses)) if (r.schema) response[code] = r.schema;
    app.route({
      method: d.method,
      url: d.url,
      schema: {
        ...(d.params ? { params: d.params } : {}),
        ...(d.querystring ? { querystring: d.querystring } : {}),
        ...(d.body ? { body: d.body } : {}),
        response,
      },
      ...(d.roles ? { onRequest: authenticate(d.roles) } : {}),
      handler: handlers[d.operationId],
    });
  }
  // Probes, without a token: /healthz says the process serves; /readyz that Temporal answers and a worker polls.
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const r = await checkReadiness(o.reviews.client, o.reviews.taskQueue);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  let evidenceStore = o.evidence;
  let evidenceConfig = o.evidence?.config;
  const evidence = new EvidenceService(service, o.reviews, () => (evidenceStore ??= evidenceStoreFromEnv()), new UploadLimiter(uploadLimits, o.clock),
    () => (evidenceConfig ??= evidenceStore?.config ?? loadEvidenceConfig()));

  const dashboard = await registerDashboard(app, {
    evidence,
    service, tokens: o.tokens, outboxDir: o.outboxDir, clock: o.clock ?? Date.now, feeds, publicUrl: o.publicUrl,
    ...(o.secureCookies !== undefined ? { secureCookies: o.secureCookies } : {}), ...(o.sessions ? { sessions: o.sessions } : {}),
    ...(o.oidc ? { oidc: o.oidc } : {}), ...(o.tokenSignIn !== undefined ? { tokenSignIn: o.tokenSignIn } : {}),
  });

  const isApi = (req: FastifyRequest): boolean => req.url.startsWith('/api/') || req.url === '/api' || req.url.startsWith('/openapi') || req.url.startsWith('/codec/') || req.url.startsWith('/.well-known/') || req.url.startsWith('/feeds/');
  app.setErrorHandler(async (err, req, reply) => {
    const e = toApiError(err);
    if (e instanceof UploadRateLimitedError) reply.header('Retry-After', String(e.retryAfterSeconds));
    if (e.status >= 500) req.log.error(err);
    if (!isApi(req)) return dashboard.renderError(req, reply, e);
    return reply.code(e.status).type('application/json; charset=utf-8').send(errorBody(e));
  });
  app.setNotFoundHandler(async (req, reply) => {
    const e = new ApiError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`);
    if (!isApi(req)) return dashboard.renderError(req, reply, e);
    return reply.code(404).type('application/json; charset=utf-8').send(errorBody(e));
  });
  // After the error handlers: the upload route's scope takes the handlers in force when it is registered.
  await dashboard.registerEvidenceForm();
  await registerEvidenceApi(app, { evidence, authenticate: { upload: authenticate(UPDATE_ROLES.attachEvidence), read: authenticate(READ_ROLES) }, principal });
  return app;
}
