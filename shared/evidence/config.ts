/**
 * Where evidence is stored and what it may be, from the environment (API and worker read the same):
 *
 * - EVIDENCE_STORE: unset or `dir:<path>` / a plain path: a directory (default `.data/evidence`);
 *   `s3://<bucket>[/<prefix>]?endpoint=<url>&region=<r>&forcePathStyle=true` an S3-compatible bucket, credentials
 *   from the usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, …).
 * - EVIDENCE_MAX_BYTES: largest file accepted (default 50 MiB, at most 1 GiB).
 * - EVIDENCE_MEDIA_TYPES: comma-separated allowed media types (default DEFAULT_MEDIA_TYPES).
 */
import path from 'node:path';
import { wholeNumberFromEnv } from '../env-number';

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const MAX_MAX_BYTES = 1024 * 1024 * 1024;
/** Reports, logs and transcripts: documents, text, structured logs, archives of logs (Inspect's `.eval` is a zip), images. */
export const DEFAULT_MEDIA_TYPES: readonly string[] = [
  'application/pdf', 'text/plain', 'text/markdown', 'text/csv', 'application/json', 'application/x-ndjson', 'application/zip', 'application/gzip',
  'image/png', 'image/jpeg',
];

export type EvidenceLocation =
  | { kind: 'directory'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region: string; forcePathStyle: boolean };

export interface EvidenceConfig {
  location: EvidenceLocation;
  maxBytes: number;
  mediaTypes: readonly string[];
}

export class EvidenceConfigError extends Error {
  override name = 'EvidenceConfigError';
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

export function parseLocation(value: string | undefined, cwd = process.cwd()): EvidenceLocation {
  const v = value?.trim();
  if (!v) return { kind: 'directory', dir: path.resolve(cwd, '.data/evidence') };
  if (v.startsWith('s3://')) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new EvidenceConfigError(`EVIDENCE_STORE: "${v}" is not a valid s3://bucket[/prefix]?endpoint=… URL`);
    }
    const bucket = url.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new EvidenceConfigError(`EVIDENCE_STORE: bucket "${bucket}" is not a valid S3 bucket name`);
    const prefix = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
    const known = new Set(['endpoint', 'region', 'forcePathStyle']);
    for (const k of url.searchParams.keys()) if (!known.has(k)) throw new EvidenceConfigError(`EVIDENCE_STORE: unknown parameter "${k}" (known: ${[...known].join(', ')})`);
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) throw new EvidenceConfigError(`EVIDENCE_STORE: endpoint "${endpoint}" must be an http(s) URL`);
    const style = url.searchParams.get('forcePathStyle');
    if (style !== null && style !== 'true' && style !== 'false') throw new EvidenceConfigError('EVIDENCE_STORE: forcePathStyle must be true or false');
    return {
      kind: 's3', bucket, prefix, ...(endpoint ? { endpoint } : {}), region: url.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
      // A custom endpoint (Versity S3 Gateway, Ceph RGW, other S3-compatible services) usually has no per-bucket host names.
      forcePathStyle: style === null ? endpoint !== undefined : style === 'true',
    };
  }
  const dir = v.startsWith('dir:') ? v.slice(4) : v;
  if (!dir) throw new EvidenceConfigError('EVIDENCE_STORE: "dir:" needs a path');
  return { kind: 'directory', dir: path.resolve(cwd, dir) };
}

const wholeNumber = (env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number =>
  wholeNumberFromEnv(env, name, fallback, min, max, EvidenceConfigError);

export function loadEvidenceConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): EvidenceConfig {
  const types = env.EVIDENCE_MEDIA_TYPES?.trim();
  const mediaTypes = types ? types.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean) : DEFAULT_MEDIA_TYPES;
  for (const t of mediaTypes) if (!MEDIA_TYPE.test(t)) throw new EvidenceConfigError(`EVIDENCE_MEDIA_TYPES: "${t}" is not a media type (type/subtype)`);
  return {
    location: parseLocation(env.EVIDENCE_STORE, cwd),
    maxBytes: wholeNumber(env, 'EVIDENCE_MAX_BYTES', DEFAULT_MAX_BYTES, 1, MAX_MAX_BYTES),
    mediaTypes,
  };
}
