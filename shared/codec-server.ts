/**
 * The codec endpoint (`/codec/encode`, `/codec/decode`) that lets an authorised person read encrypted
 * payloads in the Temporal Web UI: bearer-token authentication, CORS for the UI's origin. A plain
 * request handler so any HTTP server (the API, `npm start`) can mount it.
 *
 * Locked down (issue 13, finding 5): the codec tokens (FRONTIER_REVIEW_CODEC_TOKENS) may encode and decode;
 * API tokens (PM, director) may only decode, which is all the web UI needs to show a history. Errors say what
 * kind of problem it was and nothing about the keys (no key ids). CORS answers the UI's origin without
 * `Allow-Credentials`: the UI sends a bearer token, never cookies, so credentialed requests are not needed.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CodecHandlerOptions {
  codec: PayloadCodec;
  /** Bearer tokens that may encode and decode, stored as SHA-256 hashes. */
  tokenHashes: Buffer[];
  /** Whether a token's hash may decode (only): the API's PM and director tokens, looked up per request. */
  decodeOnly?: (hash: Buffer) => boolean;
  /** Origins allowed by CORS, e.g. the Temporal Web UI at http://localhost:8233. */
  allowedOrigins: string[];
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Tokens from FRONTIER_REVIEW_CODEC_TOKENS (comma-separated); origins from FRONTIER_REVIEW_CODEC_ORIGINS. */
export function codecOptionsFromEnv(codec: PayloadCodec, env: NodeJS.ProcessEnv = process.env): CodecHandlerOptions {
  const tokens = (env.FRONTIER_REVIEW_CODEC_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const origins = (env.FRONTIER_REVIEW_CODEC_ORIGINS ?? 'http://localhost:8233,http://127.0.0.1:8233').split(',').map((o) => o.trim()).filter(Boolean);
  return { codec, tokenHashes: tokens.map(hashToken), allowedOrigins: origins };
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toPayload = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const fromPayload = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Handles the request and returns true when the path is the codec's; false lets the caller route it. */
/** The codec's action for a path, or null: the caller routes anything else (a 404, never a hang). */
export function codecAction(rawUrl: string | undefined): 'encode' | 'decode' | null {
  const path = new URL(rawUrl ?? '/', 'http://localhost').pathname;
  return path === '/codec/encode' ? 'encode' : path === '/codec/decode' ? 'decode' : null;
}

export function createCodecHandler(o: CodecHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const limit = o.maxBodyBytes ?? 4 * 1024 * 1024;
  return async (req, res) => {
    const action = codecAction(req.url);
    if (!action) return false;
    const origin = req.headers.origin;
    if (origin && o.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.writeHead(204).end();
      return true;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: { code: 'method-not-allowed', message: `use POST on /codec/${action}` } });
      return true;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const presented = token && token.length <= 512 ? hashToken(token) : null;
    let full = false;
    for (const h of o.tokenHashes) if (presented && timingSafeEqual(h, presented)) full = true;
    const decoder = !full && presented !== null && (o.decodeOnly?.(presented) ?? false);
    if (!full && !decoder) {
      send(res, 401, { error: { code: 'unauthorized', message: 'a valid bearer token is required for the codec endpoint' } });
      return true;
    }
    if (action === 'encode' && !full) {
      send(res, 403, { error: { code: 'forbidden', message: 'this token may decode only' } });
      return true;
    }
    let payloads: JsonPayload[];
    try {
      const body = JSON.parse(await readBody(req, limit)) as { payloads?: unknown };
      if (!Array.isArray(body.payloads)) throw new Error('body.payloads must be an array');
      payloads = body.payloads as JsonPayload[];
    } catch (e) {
      const tooLarge = /exceeds/.test((e as Error).message);
      send(res, tooLarge ? 413 : 400, { error: { code: tooLarge ? 'payload-too-large' : 'bad-request', message: tooLarge ? `request body exceeds ${limit} bytes` : 'the body must be JSON: {"payloads": [...]}' } });
      return true;
    }
    try {
      const out = await o.codec[action](payloads.map(toPayload));
      send(res, 200, { payloads: out.map(fromPayload) });
    } catch {
      // Generic on purpose: the codec's own messages name key ids (which keys exist, which one is active).
      send(res, 400, { error: { code: 'codec-failed', message: `cannot ${action} these payloads with the configured keys` } });
    }
    return true;
  };
}
