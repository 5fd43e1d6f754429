/**
 * The evidence endpoints of the JSON API (bearer tokens, the same rate limit as every route, and for uploads a
 * budget of their own: upload-limit.ts):
 *
 * - `POST /api/reviews/{reviewId}/evidence` — the file as the raw body, its media type as Content-Type, its name in
 *   `X-Evidence-Name` (percent-encoded UTF-8); query `party`, `visibleTo`, `track`. Streams into the store (never
 *   held whole), answers 201 with the digest and the review's status as the token may see it.
 * - `GET /api/reviews/{reviewId}/evidence` — the files the token may see, the retention, and the store's bounds.
 * - `GET /api/reviews/{reviewId}/evidence/{digest}` — the file, to whoever may see it (404 otherwise); 410 once its
 *   retention ended and the store deleted it.
 *
 * A raw body rather than multipart: a script sends a file with one curl line (`--data-binary @report.pdf`), and the
 * server needs no parser for it. The dashboard's form posts multipart to its own route (dashboard/evidence-form.ts).
 *
 * Documented in /openapi.json by evidenceDocs(), whose parameter schemas are the ones these routes validate with.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Principal, Role } from './auth';
import { contentDisposition } from './evidence';
import type { EvidenceService } from './evidence';
import { ApiError } from './http-errors';
import type { RouteDoc } from './openapi';
import { evidenceDigestParams, evidenceListSchema, evidenceUploadHeadersSchema, evidenceUploadQuerySchema, reviewIdParams, uploadedEvidenceSchema } from './schemas';

export const EVIDENCE_NAME_HEADER = 'x-evidence-name';

export interface EvidenceRouteDeps {
  evidence: EvidenceService;
  /** The API's own authentication for uploads and for reads: sets the request's principal, or throws 401/403. */
  authenticate: { upload: (req: FastifyRequest) => Promise<void>; read: (req: FastifyRequest) => Promise<void> };
  principal: (req: FastifyRequest) => Principal;
}

function headerName(req: FastifyRequest): string {
  const raw = req.headers[EVIDENCE_NAME_HEADER];
  if (typeof raw !== 'string' || raw === '') throw new ApiError(400, 'validation', 'X-Evidence-Name: the file name is required (percent-encoded UTF-8)', [{ path: 'name', message: 'is required' }]);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'validation', 'X-Evidence-Name: not valid percent-encoded UTF-8', [{ path: 'name', message: 'not valid percent-encoded UTF-8' }]);
  }
}

/** The headers every evidence download carries: a download, never a page of this origin. */
export function sendEvidence(reply: FastifyReply, entry: { name: string; mediaType: string; size: number; digest: string }, body: Readable): FastifyReply {
  return reply
    .type(entry.mediaType)
    .header('Content-Length', String(entry.size))
    .header('Content-Disposition', contentDisposition(entry.name))
    .header('Content-Security-Policy', "sandbox; default-src 'none'")
    .header('Cache-Control', 'private, no-store')
    .header('X-Evidence-Digest', entry.digest)
    .send(body);
}

/** The operations these routes serve, for the OpenAPI document (server.ts adds them to the route table's docs). */
export function evidenceDocs(roles: { upload: Role[]; read: Role[] }, bounds: string): RouteDoc[] {
  return [
    {
      method: 'POST', url: '/api/reviews/:reviewId/evidence', operationId: 'uploadEvidence', tags: ['evidence'], roles: roles.upload,
      summary: 'Upload an evidence file (report, log, transcript) and attach it to the review',
      description: `The raw file is the body, its media type the Content-Type, its name X-Evidence-Name. Stored encrypted outside the workflow's history; the review records digest, size, media type and name. ${bounds}`,
      params: reviewIdParams, querystring: evidenceUploadQuerySchema, headers: evidenceUploadHeadersSchema,
      bodyContent: { description: 'The file, as raw bytes (curl --data-binary @file).', content: { '*/*': { type: 'string', format: 'binary' } } },
      responses: { 201: { description: 'Stored and attached: the file\'s digest, and the status as the token may see it', schema: uploadedEvidenceSchema } },
      errors: [400, 404, 409, 413, 415, 429, 503],
    },
    {
      method: 'GET', url: '/api/reviews/:reviewId/evidence', operationId: 'listEvidence', tags: ['evidence'], roles: roles.read,
      summary: 'The evidence files of a review the token may see, when the store deletes them, and the upload bounds',
      params: reviewIdParams, responses: { 200: { description: 'The evidence list', schema: evidenceListSchema } }, errors: [404, 503],
    },
    {
      method: 'GET', url: '/api/reviews/:reviewId/evidence/:digest', operationId: 'downloadEvidence', tags: ['evidence'], roles: roles.read,
      summary: 'Download an evidence file (as an attachment; the digest is in X-Evidence-Digest)', params: evidenceDigestParams,
      responses: { 200: { description: 'The file, with the media type it was uploaded with', content: { '*/*': { type: 'string', format: 'binary' } } } },
      errors: [400, 404, 410, 503],
    },
  ];
}

export async function registerEvidenceApi(app: FastifyInstance, deps: EvidenceRouteDeps): Promise<void> {
  await app.register(async (scope) => {
    // In this scope only: any body is the file, handed on as a stream (the store bounds it, not Fastify's bodyLimit).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    scope.post('/api/reviews/:reviewId/evidence', { onRequest: deps.authenticate.upload, schema: { params: reviewIdParams, querystring: evidenceUploadQuerySchema } }, async (req, reply) => {
      const { reviewId } = req.params as { reviewId: string };
      const q = req.query as Record<string, string | undefined>;
      const mediaType = req.headers['content-type'];
      if (!mediaType) throw new ApiError(415, 'unsupported-media-type', 'Content-Type: the file\'s media type is required', [{ path: 'mediaType', message: 'is required' }]);
      const length = req.headers['content-length'];
      const uploaded = await deps.evidence.upload(deps.principal(req), reviewId, {
        name: headerName(req), mediaType, body: req.body as Readable,
        ...(length !== undefined && /^\d+$/.test(length) ? { declaredBytes: Number(length) } : {}),
        ...(q.party !== undefined ? { party: q.party } : {}), ...(q.visibleTo !== undefined ? { visibleTo: q.visibleTo } : {}),
        ...(q.track !== undefined ? { track: q.track } : {}),
      });
      return reply.code(201).header('Location', `/api/reviews/${encodeURIComponent(reviewId)}/evidence/${uploaded.evidence.digest}`).send(uploaded);
    });
  });

  app.get('/api/reviews/:reviewId/evidence', { onRequest: deps.authenticate.read, schema: { params: reviewIdParams } }, async (req) => {
    const { reviewId } = req.params as { reviewId: string };
    return deps.evidence.list(deps.principal(req), reviewId);
  });

  app.get('/api/reviews/:reviewId/evidence/:digest', { onRequest: deps.authenticate.read, schema: { params: evidenceDigestParams } }, async (req, reply) => {
    const { reviewId, digest } = req.params as { reviewId: string; digest: string };
    const { entry, body } = await deps.evidence.download(deps.principal(req), reviewId, digest);
    return sendEvidence(reply, entry, body);
  });
}
