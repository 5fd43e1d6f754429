/** The HTTP API and dashboard on a free port, over a review test environment (real server, worker, SMTP sink). */
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../../shared/encryption';
import { makeToken, TokenStore } from '../../client/api/auth';
import type { TokenEntry } from '../../client/api/auth';
import { createApiServer } from '../../client/api/server';
import type { ApiServerOptions } from '../../client/api/server';
import { ReviewClient } from '../../client/review-client';
import type { ReviewEnv } from './review-env';

export type Who = 'pm' | 'director' | 'r1' | 'r2' | 'lab' | 'otherLab';

const PRINCIPALS: Record<Who, Omit<TokenEntry, 'sha256'>> = {
  pm: { name: 'Pat PM', role: 'pm', timeZone: 'America/New_York' },
  director: { name: 'Dana Director', role: 'director' },
  r1: { name: 'Riley Reviewer', role: 'reviewer', reviewerId: 'r1', email: 'riley@clearinghouse.example' },
  r2: { name: 'Robin Reviewer', role: 'reviewer', reviewerId: 'r2', email: 'robin@clearinghouse.example' },
  lab: { name: 'Acme Security', role: 'lab', labId: 'acme', timeZone: 'America/Los_Angeles' },
  otherLab: { name: 'Other Security', role: 'lab', labId: 'other-lab' },
};

export interface ApiEnv {
  app: FastifyInstance;
  url: string;
  tokens: Record<Who, string>;
  reviews: ReviewClient;
  /** fetch against the server with `who`'s bearer token (none: no Authorization header). */
  call(who: Who | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  close(): Promise<void>;
}

/** How the server's client reaches Temporal: payload encryption (default: `t`'s data converter), its keys (the lab search attribute is then a pseudonym) and its ids. */
export interface ApiEnvClient {
  dataConverter?: DataConverter;
  keyRing?: KeyRing;
  opaqueWorkflowIds?: boolean;
}

export async function createApiEnv(t: ReviewEnv, extra: Partial<ApiServerOptions> = {}, client: ApiEnvClient = {}): Promise<ApiEnv> {
  const made = Object.fromEntries(Object.entries(PRINCIPALS).map(([k, p]) => [k, makeToken(p)])) as Record<Who, ReturnType<typeof makeToken>>;
  const tokens = Object.fromEntries(Object.entries(made).map(([k, m]) => [k, m.token])) as Record<Who, string>;
  const store = new TokenStore(Object.values(made).map((m) => m.entry));
  const reviews = new ReviewClient(new Client({ connection: t.env.connection, namespace: t.env.namespace ?? 'default', dataConverter: client.dataConverter ?? t.dataConverter }), {
    taskQueue: t.taskQueue, callTimeoutMs: 60_000, keyRing: client.keyRing ?? null, opaqueWorkflowIds: client.opaqueWorkflowIds ?? false,
  });
  const app = await createApiServer({ reviews, tokens: store, ...extra });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app, url, tokens, reviews,
    async call(who, method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (CSV, iCalendar, HTML)
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    async close() {
      await app.close();
    },
  };
}
