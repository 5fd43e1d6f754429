/**
 * One JSON error shape for every API response that is not a success:
 *
 *   { "error": { "code": "validation", "message": "lab.timeZone: must be an IANA time zone …",
 *                "issues": [ { "path": "lab.timeZone", "message": "must be an IANA time zone …" } ] } }
 *
 * `issues` (field paths as in the CLI: `evaluations[0].reviewer.email`) is present on 400s and on rejected
 * updates that name a field. The codec endpoint mounted on the same server answers the same shape.
 */
import type { ValidationIssue } from '../../workflows/validation';
import { ReviewError } from '../errors';

export type ApiErrorCode =
  | 'unauthorized' | 'forbidden' | 'validation' | 'not-found' | 'conflict' | 'rejected' | 'unavailable' | 'internal'
  | 'payload-too-large' | 'unsupported-media-type' | 'method-not-allowed' | 'rate-limited' | 'gone';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, readonly issues: ValidationIssue[] = []) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; issues?: ValidationIssue[] };
}

export const errorBody = (e: ApiError): ErrorBody => ({
  error: { code: e.code, message: e.message, ...(e.issues.length || e.status === 400 ? { issues: e.issues } : {}) },
});

const STATUS_OF_KIND: Record<ReviewError['kind'], [number, ApiErrorCode]> = {
  validation: [400, 'validation'],
  'not-found': [404, 'not-found'],
  conflict: [409, 'conflict'],
  rejected: [409, 'rejected'],
  unavailable: [503, 'unavailable'],
};

export const unauthorized = (message = 'a valid bearer token is required (Authorization: Bearer <token>)'): ApiError => new ApiError(401, 'unauthorized', message);
export const forbidden = (message: string): ApiError => new ApiError(403, 'forbidden', message);

/** Only the message part a person needs: "invalid X: " prefixes are kept, stack traces never. */
export function fromReviewError(e: ReviewError): ApiError {
  const [status, code] = STATUS_OF_KIND[e.kind];
  return new ApiError(status, code, e.message, e.issues);
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** JSON pointer `/evaluations/0/reviewer/email` → `evaluations[0].reviewer.email`. */
export function pointerToPath(pointer: string, prefix = ''): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.reduce<string>((acc, k) => (/^\d+$/.test(k) ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), prefix);
}

const join = (a: string, b: string): string => (a ? `${a}.${b}` : b);

/** Fastify/ajv schema errors as issues with the field path and a message in the project's words. */
export function issuesFromAjv(errors: AjvIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const e of errors) {
    const at = pointerToPath(e.instancePath);
    switch (e.keyword) {
      case 'required':
        out.push({ path: join(at, String(e.params.missingProperty)), message: 'is required' });
        break;
      case 'additionalProperties': {
        const name = String(e.params.additionalProperty);
        out.push({ path: at, message: `unknown field ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)}` });
        break;
      }
      case 'type':
        out.push({ path: at, message: `must be ${String(e.params.type).replace(',', ' or ')}` });
        break;
      case 'enum':
        out.push({ path: at, message: `must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}` });
        break;
      default:
        out.push({ path: at, message: e.message ?? 'is invalid' });
    }
  }
  // ajv with allErrors may report the same field twice (e.g. type and pattern).
  return out.filter((i, n) => out.findIndex((j) => j.path === i.path && j.message === i.message) === n);
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

/** Any error thrown while handling a request, as an ApiError; `internal` ones keep their message out of the body. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ReviewError) return fromReviewError(err);
  const e = err as FastifyLikeError;
  if (e && Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'body';
    const issues = issuesFromAjv(e.validation).map((i) => (where === 'querystring' || where === 'params' ? { ...i, path: i.path || where } : i));
    return new ApiError(400, 'validation', `invalid ${where === 'querystring' ? 'query' : where}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new ApiError(413, 'payload-too-large', 'the request body is too large');
  if (status === 415) return new ApiError(415, 'unsupported-media-type', 'send the body as application/json');
  if (status === 404) return new ApiError(404, 'not-found', e.message);
  if (status === 405) return new ApiError(405, 'method-not-allowed', e.message);
  if (status >= 400 && status < 500) {
    // Malformed JSON, an empty JSON body, a bad header: the body as a whole is the "field".
    return new ApiError(400, 'validation', e.message, [{ path: '', message: e.message }]);
  }
  return new ApiError(500, 'internal', 'internal error; the server log has the details');
}
