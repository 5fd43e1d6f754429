/** The OpenAPI 3.1 document, built from the same route table and JSON Schemas Fastify validates with. */
import type { Role } from './auth';
import { errorSchema } from './schemas';
import type { JsonSchema } from './schemas';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** null: no authentication. */
  roles: Role[] | null;
  params?: JsonSchema;
  querystring?: JsonSchema;
  /** Request headers the operation reads (an object schema: name → schema). */
  headers?: JsonSchema;
  body?: JsonSchema;
  /** A body that is not JSON: media type → schema (an upload's raw bytes). */
  bodyContent?: { description: string; content: Record<string, JsonSchema> };
  /** Success responses: status → schema (JSON) or a media-type map for non-JSON bodies. */
  responses: Record<number, { description: string; schema?: JsonSchema; content?: Record<string, JsonSchema> }>;
  /** Error statuses this operation can answer, besides 401/403 for authenticated routes. */
  errors: number[];
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `issues` names each field path.',
  401: 'Missing or unknown bearer token.',
  403: 'The token\'s role or scope does not allow this.',
  404: 'No such review.',
  409: 'Conflict: the review already exists, has finished, or the workflow rejected the change in its current state (code `rejected`).',
  410: 'Gone: the evidence file was deleted when its retention ended; its digest stays in the review.',
  413: 'Body too large.',
  415: 'Body is not JSON (an upload: a media type the store does not accept).',
  429: 'Too many requests, or (evidence uploads) the upload budget of the token or the review is used up: `Retry-After` says when to try again.',
  503: 'Temporal or the worker is unavailable.',
};

interface ObjectSchema {
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

function parameters(where: 'path' | 'query' | 'header', schema: JsonSchema | undefined): JsonSchema[] {
  const s = (schema ?? {}) as ObjectSchema;
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({
    name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: p,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}

export function buildOpenApi(routes: RouteDoc[], info: { version: string; serverUrl?: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const errors = [...new Set([...(r.roles ? [401, 403] : []), ...r.errors])].sort();
    const responses: Record<string, JsonSchema> = {};
    for (const [code, res] of Object.entries(r.responses)) {
      responses[code] = {
        description: res.description,
        ...(res.schema ? { content: { 'application/json': { schema: res.schema } } } : {}),
        ...(res.content ? { content: Object.fromEntries(Object.entries(res.content).map(([t, s]) => [t, { schema: s }])) } : {}),
      };
    }
    for (const code of errors) responses[String(code)] = { description: ERROR_TEXT[code] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    paths[path] = {
      ...(paths[path] ?? {}),
      [r.method.toLowerCase()]: {
        operationId: r.operationId,
        summary: r.summary,
        ...(r.description ? { description: r.description } : {}),
        tags: r.tags,
        ...(r.roles ? { security: [{ bearer: [] }], 'x-roles': r.roles } : { security: [] }),
        parameters: [...parameters('path', r.params), ...parameters('query', r.querystring), ...parameters('header', r.headers)],
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
        ...(r.bodyContent ? { requestBody: { required: true, description: r.bodyContent.description, content: Object.fromEntries(Object.entries(r.bodyContent.content).map(([t, schema]) => [t, { schema }])) } } : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'frontier-review API',
      version: info.version,
      description: [
        'Voluntary 30-day pre-release reviews of frontier AI models. Every update of the review workflow, its status,',
        'the list of reviews, exports and the plan preview. Authenticate with `Authorization: Bearer <token>`; the',
        "token's role decides what you may do: `pm` everything; `director` read all; `reviewer` (one reviewer id) its",
        'own assignments; `lab` (one lab) its reviews without reviewers\' internal notes. Errors share one shape',
        '(`Error`); 400s name each field path.',
      ].join(' '),
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token configured (as its SHA-256) in FRONTIER_REVIEW_API_TOKENS_FILE.' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
