/**
 * Calendar feeds over HTTP: `GET /feeds/<secret>.ics` for calendar clients (no cookie, no bearer token: the
 * secret in the URL is the credential), and `/api/me/calendar-feed` for a signed-in person to see, issue (or
 * re-issue) and revoke their own. The dashboard's page (client/dashboard/calendar-feed-page.ts) calls the same
 * functions.
 *
 * Cost is bounded: a feed reads the person's reviews through ReviewService.list (LIST_MAX rows, scope first)
 * and the status of the open ones among them, and each feed may be read `FEED_RATE_LIMIT.max` times per window
 * (calendar clients poll every few minutes to a day; a leaked URL hammered in a loop is cut off).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_MESSAGE_ID_DOMAIN } from '../../activities/message-id';
import { isValidTimeZone } from '../../workflows/timeline';
import { feedItemsOf, feedSourceOf, renderFeed } from '../calendar-feed';
import { READ_ROLES } from './access';
import type { Principal, TokenStore } from './auth';
import { principalOfFeed } from './calendar-feeds';
import type { FeedEntry, FeedStore } from './calendar-feeds';
import { ApiError, unauthorized } from './http-errors';
import type { RouteDoc } from './openapi';
import { LIST_MAX } from './service';
import type { ReviewService } from './service';

/** Reads of one feed per window. */
export const FEED_RATE_LIMIT = { max: 60, timeWindowMs: 3_600_000 };
/** Reviews one feed covers at most: the list's own bound. */
export const FEED_REVIEWS_MAX = LIST_MAX;

export interface FeedOptions {
  service: ReviewService;
  tokens: TokenStore;
  feeds: FeedStore;
  /** The domain of the invites' UIDs (the worker's messageIdDomain); default frontier-review.local. */
  uidDomain?: string;
  /** The server's public base URL for the feed links (API_PUBLIC_URL); default: the request's own host. */
  publicUrl?: string;
  rateLimit?: { max: number; timeWindowMs: number };
  clock: () => number;
}

/** The person's feed as text: every event they answer for in their open reviews, as they may see them. */
export async function buildFeed(o: FeedOptions, p: Principal, feed: FeedEntry): Promise<string> {
  // The reviews' facts from their cards (the server's copy): no status query per review. Scope as for lists.
  const read = await o.service.visible(p, { phases: ['awaiting-access', 'in-review', 'paused', 'disposal'], limit: FEED_REVIEWS_MAX });
  const statuses = read.flatMap((e) => (e.facts ? [feedSourceOf(e.facts)] : []));
  const viewer = { role: p.role, ...(p.reviewerId ? { reviewerId: p.reviewerId } : {}) };
  const items = statuses.flatMap((s) => feedItemsOf(viewer, s, feed.timeZone, o.uidDomain ?? DEFAULT_MESSAGE_ID_DOMAIN));
  return renderFeed(`frontier-review: ${p.name}`, feed.timeZone, items, new Date(o.clock()));
}

/** A fixed window per feed; the map is swept when a window ends, so it holds at most the feeds read in one window. */
class FeedLimiter {
  private counts = new Map<string, number>();
  private windowStart = 0;
  constructor(private readonly limit: { max: number; timeWindowMs: number }, private readonly clock: () => number) {}
  /** Seconds to wait, or 0 when this read is allowed. */
  take(key: string): number {
    const now = this.clock();
    if (now - this.windowStart >= this.limit.timeWindowMs) {
      this.counts.clear();
      this.windowStart = now;
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.limit.max ? Math.ceil((this.windowStart + this.limit.timeWindowMs - now) / 1000) : 0;
  }
}

export function feedUrls(o: Pick<FeedOptions, 'publicUrl'>, req: FastifyRequest, secret: string): { url: string; webcal: string } {
  const base = (o.publicUrl ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`).replace(/\/+$/, '');
  const url = `${base}/feeds/${secret}.ics`;
  return { url, webcal: url.replace(/^https?:/, 'webcal:') };
}

/** The zone a new feed uses: the one asked for, else the token's, else UTC; a bad one is a 400 naming it. */
export function feedZone(p: Principal, asked: unknown): string {
  if (asked === undefined || asked === null || asked === '') return p.timeZone ?? 'UTC';
  if (typeof asked !== 'string' || !isValidTimeZone(asked)) {
    throw new ApiError(400, 'validation', 'timeZone: must be an IANA time zone such as America/New_York', [{ path: 'timeZone', message: 'must be an IANA time zone' }]);
  }
  return asked;
}

const feedStateSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    active: { type: 'boolean' }, createdAt: { type: ['string', 'null'] }, timeZone: { type: ['string', 'null'] },
    url: { type: 'string', description: 'Only in the answer that issued it: the secret is not kept.' }, webcal: { type: 'string' }, revoked: { type: 'boolean' },
  },
  required: ['active'],
};

export function calendarFeedDocs(): RouteDoc[] {
  return [
    {
      method: 'GET', url: '/api/me/calendar-feed', operationId: 'getCalendarFeed', tags: ['calendar'], roles: READ_ROLES,
      summary: "Whether the token's person has a calendar feed (the URL itself is shown only when issued)",
      responses: { 200: { description: 'Feed state', schema: feedStateSchema } }, errors: [],
    },
    {
      method: 'POST', url: '/api/me/calendar-feed', operationId: 'issueCalendarFeed', tags: ['calendar'], roles: READ_ROLES,
      summary: 'Issue a private calendar feed URL (.ics), replacing any earlier one', description: 'Optional JSON body `{ "timeZone": "America/New_York" }`: the zone the events\' descriptions use (default the token\'s, else UTC). The answer holds the URL once; only its hash is kept.',
      responses: { 201: { description: 'The new feed', schema: feedStateSchema } }, errors: [400],
    },
    {
      method: 'DELETE', url: '/api/me/calendar-feed', operationId: 'revokeCalendarFeed', tags: ['calendar'], roles: READ_ROLES,
      summary: 'Revoke the calendar feed: its URL answers 404 from now on', responses: { 200: { description: 'Revoked (or there was none)', schema: feedStateSchema } }, errors: [],
    },
    {
      method: 'GET', url: '/feeds/:file', operationId: 'calendarFeed', tags: ['calendar'], roles: null,
      summary: 'A calendar feed (for calendar clients: the secret in the URL is the credential)',
      description: 'Every dated event the person answers for in their open reviews: access deadline, window end, evaluation due dates, planned release, disposal due; by role and scope. 404 for a revoked or unknown feed; 429 past the per-feed rate limit.',
      params: { type: 'object', properties: { file: { type: 'string', maxLength: 100, description: '<secret>.ics' } }, required: ['file'] },
      responses: { 200: { description: 'iCalendar', content: { 'text/calendar': { type: 'string' } } } }, errors: [404],
    },
  ];
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function calendarFeedHandlers(o: FeedOptions): Record<string, Handler> {
  const limiter = new FeedLimiter(o.rateLimit ?? FEED_RATE_LIMIT, o.clock);
  const principal = (req: FastifyRequest): Principal => {
    if (!req.principal) throw unauthorized();
    return req.principal;
  };
  const state = (f: FeedEntry | null): Record<string, unknown> => ({ active: f !== null, createdAt: f?.createdAt ?? null, timeZone: f?.timeZone ?? null });
  return {
    getCalendarFeed: async (req) => state(o.feeds.of(principal(req))),
    issueCalendarFeed: async (req, reply) => {
      const p = principal(req);
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const unknown = Object.keys(body).filter((k) => k !== 'timeZone');
      if (unknown.length) throw new ApiError(400, 'validation', `${unknown[0]}: unknown field (only timeZone)`, [{ path: unknown[0], message: 'unknown field' }]);
      const { secret, entry } = o.feeds.issue(p, feedZone(p, body.timeZone));
      reply.code(201).header('Cache-Control', 'no-store');
      return { ...state(entry), ...feedUrls(o, req, secret) };
    },
    revokeCalendarFeed: async (req) => ({ ...state(null), revoked: o.feeds.revoke(principal(req)) }),
    calendarFeed: async (req, reply) => {
      const file = (req.params as { file: string }).file;
      const secret = file.endsWith('.ics') ? file.slice(0, -4) : file;
      const missing = (): FastifyReply => reply.code(404).type('text/plain; charset=utf-8').header('Cache-Control', 'no-store').send('no such calendar feed (revoked, replaced, or never issued)\n');
      const feed = o.feeds.lookup(secret);
      if (!feed) return missing();
      const wait = limiter.take(feed.sha256);
      if (wait > 0) {
        return reply.code(429).header('Retry-After', String(wait)).type('text/plain; charset=utf-8').send(`too many reads of this feed; try again in ${wait} s\n`);
      }
      const p = principalOfFeed(o.tokens, feed, o.clock());
      if (!p) return missing(); // the person's API token was revoked or expired (or their sign-in lapsed): so is the feed
      const body = await buildFeed(o, p, feed);
      return reply.type('text/calendar; charset=utf-8').header('Cache-Control', 'private, no-store').header('Content-Disposition', 'inline; filename="frontier-review.ics"').send(body);
    },
  };
}
