/**
 * The dashboard's evidence upload: the form of evidence-section.ts posts multipart/form-data here, in a scope of
 * its own (the multipart parser exists nowhere else: the JSON API keeps answering 415 to anything but JSON).
 *
 * The file streams from the multipart parser into the same EvidenceService as the API's upload (scope, limits,
 * upload budget, the store's size bound) — never held whole. The form's own fields come before the file field, so
 * the CSRF token is read before a byte of the file is taken; the Origin check of every dashboard form (routes.ts)
 * has run before. A refusal drains what the browser is still sending and shows the review page again with the
 * reason and the limit named, at the refusal's status (429 with Retry-After for a used-up budget).
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EvidenceService } from '../api/evidence';
import type { Principal } from '../api/auth';
import { ApiError, toApiError } from '../api/http-errors';
import { UploadRateLimitedError } from '../api/upload-limit';
import type { FormFields } from './forms';

export interface EvidenceFormDeps {
  evidence: EvidenceService;
  /** The signed-in principal (401 otherwise). */
  session: (req: FastifyRequest) => Principal;
  /** Whether `token` is the request's session's CSRF token. */
  csrfOk: (req: FastifyRequest, token: string) => boolean;
  /** The review page again, at `status`, with the error and what was chosen in the form. */
  renderFailed: (req: FastifyRequest, reply: FastifyReply, p: Principal, reviewId: string, e: ApiError, values: FormFields) => Promise<FastifyReply>;
}

/** The form's text fields: few and small; everything else in a multipart body is the one file. */
const FIELD_LIMITS = { fields: 6, fieldSize: 4096, fieldNameSize: 100, files: 1, parts: 8, headerPairs: 50 };

const csrfRefused = (): ApiError => new ApiError(403, 'forbidden', 'the form expired or came from elsewhere; reload the page and try again');

export async function registerEvidenceForm(app: FastifyInstance, deps: EvidenceFormDeps): Promise<void> {
  const checked = (req: FastifyRequest, values: FormFields): boolean => deps.csrfOk(req, values._csrf ?? '');
  await app.register(async (scope) => {
    // No throw at the parser's fileSize: the store's meter sees the byte past the bound and names the limit.
    await scope.register(multipart, { limits: FIELD_LIMITS, throwFileSizeLimit: false });
    scope.post('/reviews/:reviewId/evidence', async (req, reply) => {
      const p = deps.session(req);
      const { reviewId } = req.params as { reviewId: string };
      if (!req.isMultipart()) throw new ApiError(415, 'unsupported-media-type', 'the upload form posts multipart/form-data; reload the page and try again');
      const bounds = deps.evidence.bounds();
      const values: FormFields = {};
      let uploaded = false;
      try {
        // One byte past the bound reaches the store's meter, which refuses with the limit named.
        for await (const part of req.parts({ limits: { ...FIELD_LIMITS, fileSize: bounds.maxBytes + 1 } })) {
          if (part.type === 'field') {
            if (typeof part.value === 'string') values[part.fieldname] = part.value;
            continue;
          }
          if (uploaded || part.fieldname !== 'file' || !checked(req, values)) {
            part.file.resume();
            if (!checked(req, values)) throw csrfRefused();
            continue;
          }
          if (!part.filename) {
            part.file.resume();
            continue; // the file field left empty: said below
          }
          uploaded = true;
          const mediaType = (values.mediaType ?? '').trim().toLowerCase() || part.mimetype;
          await deps.evidence.upload(p, reviewId, {
            name: part.filename, mediaType, body: part.file,
            ...(values.visibleTo ? { visibleTo: values.visibleTo } : {}), ...(values.track ? { track: values.track } : {}),
          });
        }
        if (!checked(req, values)) throw csrfRefused();
        if (!uploaded) throw new ApiError(400, 'validation', 'file: choose a file to upload', [{ path: 'file', message: 'choose a file to upload' }]);
        return reply.redirect(`/reviews/${encodeURIComponent(reviewId)}?done=attachEvidence#evidence-section`, 303);
      } catch (e) {
        req.raw.resume(); // whatever the browser is still sending: drained, so it reads the answer rather than a reset
        const err = toApiError(e);
        if (err.status >= 500 || err.status === 401 || err.status === 403 || err.status === 404) throw err;
        if (err instanceof UploadRateLimitedError) reply.header('Retry-After', String(err.retryAfterSeconds));
        return deps.renderFailed(req, reply, p, reviewId, err, values);
      }
    });
  });
}
