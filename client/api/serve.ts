/**
 * `review serve`: the API and the dashboard for a Temporal server or cluster configured as for the CLI
 * (TEMPORAL_*, TASK_QUEUE, FRONTIER_REVIEW_KEYS). Tokens: FRONTIER_REVIEW_API_TOKENS_FILE or
 * FRONTIER_REVIEW_API_TOKENS (required). With encryption keys, /codec/* serves the Temporal web UI too.
 */
import { codecOptionsFromEnv } from '../../shared/codec-server';
import { EncryptionCodec, loadKeyRing } from '../../shared/encryption';
import { ReviewError } from '../errors';
import { ReviewClient } from '../review-client';
import { loadTokenStore, neverExpiring, TokenConfigError } from './auth';
import { sessionLimitsFromEnv } from '../dashboard/sessions';
import { dashboardSignInFromEnv } from '../dashboard/oidc';
import { createApiServer } from './server';
import { FeedStore, feedsFileFromEnv, feedSsoDaysFromEnv } from './calendar-feeds';
import { uploadLimitsFromEnv } from './upload-limit';

export interface ServeOptions {
  port: number;
  host: string;
  outboxDir?: string;
  connectTimeoutMs?: number;
  callTimeoutMs?: number;
}

export async function serve(o: ServeOptions): Promise<void> {
  let tokens;
  try {
    tokens = loadTokenStore();
  } catch (e) {
    if (e instanceof TokenConfigError) throw new ReviewError('validation', e.message);
    throw e;
  }
  if (!tokens || tokens.size === 0) {
    throw new ReviewError('validation', 'no API tokens configured: set FRONTIER_REVIEW_API_TOKENS_FILE (make tokens with `review api-token --role pm --name "…" --file tokens.json`)');
  }
  const forever = neverExpiring(tokens.entries);
  if (forever.length > 0) {
    process.stderr.write(`review serve: ${forever.length} token(s) never expire (${forever.slice(0, 5).join(', ')}${forever.length > 5 ? ', …' : ''}): replace them with tokens made by \`review api-token\` (90 days by default) or give them an expiresAt\n`);
  }
  const reviews = await ReviewClient.connect({ connectTimeoutMs: o.connectTimeoutMs, callTimeoutMs: o.callTimeoutMs });
  const ring = loadKeyRing();
  const codec = ring ? codecOptionsFromEnv(new EncryptionCodec(ring)) : undefined;
  let sessions;
  let signIn;
  let uploadLimits;
  try {
    sessions = sessionLimitsFromEnv();
    signIn = dashboardSignInFromEnv();
    uploadLimits = uploadLimitsFromEnv();
  } catch (e) {
    throw new ReviewError('validation', (e as Error).message);
  }
  // API_SECURE_COOKIES: 1 always, 0 never (plain HTTP on a trusted network); unset: unless served on loopback.
  const secure = process.env.API_SECURE_COOKIES?.trim();
  const publicUrl = process.env.API_PUBLIC_URL?.trim();
  const app = await createApiServer({
    reviews, tokens, outboxDir: o.outboxDir, logger: process.env.API_LOG === '1', sessions, ...signIn, uploadLimits,
    feeds: new FeedStore(feedsFileFromEnv(), Date.now, 1000, feedSsoDaysFromEnv()), ...(publicUrl ? { publicUrl } : {}),
    ...(secure === '1' || secure === '0' ? { secureCookies: secure === '1' } : {}),
    ...(codec ? { codec } : {}),
  });
  const address = await app.listen({ port: o.port, host: o.host });
  process.stderr.write(`review serve: dashboard ${address}/${signIn.oidc ? ` (single sign-on: ${signIn.oidc.issuer.href})` : ''}  API ${address}/api  OpenAPI ${address}/openapi.json${codec ? `  codec ${address}/codec` : ''}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  await reviews.close();
}
