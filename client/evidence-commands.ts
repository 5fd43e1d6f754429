/**
 * `review evidence upload | list | get`: the CLI reaches reviews as every other command does — straight to
 * Temporal through ReviewClient, as the operator — and the evidence store as the API reaches it: the store the
 * environment configures (EVIDENCE_STORE, FRONTIER_REVIEW_KEYS / the directory's own key) through the API's
 * EvidenceService, so the checks (review open, limits, media types, size, who may see which file) are the API's.
 * The operator acts with the program manager's rights; the per-token upload budget is the API's defence against
 * its tokens and does not apply to whoever holds the Temporal connection.
 */
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { evidenceStoreFromEnv } from '../shared/evidence';
import { EvidenceConfigError } from '../shared/evidence/config';
import { EVIDENCE_AUDIENCES } from '../workflows/evidence';
import type { EvidenceView } from '../workflows/evidence';
import type { Principal } from './api/auth';
import { EvidenceService } from './api/evidence';
import type { EvidenceList } from './api/evidence';
import { ApiError } from './api/http-errors';
import { ReviewService } from './api/service';
import { formatBytes } from './api/upload-limit';
import { ReviewError } from './errors';
import type { ReviewErrorKind } from './errors';
import { formatTime, table } from './format';
import type { ReviewClient } from './review-client';

/** Media types by file extension, for an upload without --type (Inspect's `.eval` logs are zip archives). */
const BY_EXTENSION: Record<string, string> = {
  '.pdf': 'application/pdf', '.txt': 'text/plain', '.log': 'text/plain', '.md': 'text/markdown', '.csv': 'text/csv', '.json': 'application/json',
  '.ndjson': 'application/x-ndjson', '.jsonl': 'application/x-ndjson', '.zip': 'application/zip', '.eval': 'application/zip', '.gz': 'application/gzip',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
};

export function mediaTypeOf(file: string, given: string | undefined): string {
  if (given !== undefined) return given.trim().toLowerCase();
  const type = BY_EXTENSION[path.extname(file).toLowerCase()];
  if (!type) throw new ReviewError('validation', `${file}: cannot tell its media type from the name; give --type (e.g. --type application/pdf)`);
  return type;
}

const KIND_OF_STATUS: Record<number, ReviewErrorKind> = { 400: 'validation', 403: 'validation', 404: 'not-found', 409: 'rejected', 410: 'not-found', 413: 'validation', 415: 'validation', 429: 'unavailable' };

/** The service's HTTP-shaped refusals as the CLI's errors (exit codes by kind). */
function asCliError(e: unknown): unknown {
  if (e instanceof ApiError) return new ReviewError(KIND_OF_STATUS[e.status] ?? 'unavailable', e.message, e.issues);
  if (e instanceof EvidenceConfigError) return new ReviewError('validation', e.message);
  return e;
}

export function formatEvidenceList(l: EvidenceList, zone?: string): string {
  const rows = l.evidence.map((e: EvidenceView) => [
    e.name, e.mediaType, formatBytes(e.size), e.digest, `${e.party}${e.by ? ` (${e.by})` : ''}`, formatTime(e.attachedAt, zone),
    e.deletedAt ? `deleted at retention end ${formatTime(e.deletedAt, zone)}` : `stored, visible to ${e.visibleTo}`,
  ]);
  const r = l.retention;
  return [
    `Evidence of ${l.reviewId}: ${l.evidence.length} file${l.evidence.length === 1 ? '' : 's'}`,
    ...(rows.length ? table(['NAME', 'TYPE', 'SIZE', 'DIGEST', 'FROM', 'UPLOADED', 'STATE'], rows) : []),
    ...(r ? [r.deletedAt ? `Deleted from the store ${formatTime(r.deletedAt, zone)} (retention ${r.days} days); the digests stay.` : r.deleteAt ? `The store deletes them ${formatTime(r.deleteAt, zone)} (retention ${r.days} days after close).` : `The store deletes them ${r.days} days after close.`] : []),
    `Uploads: at most ${formatBytes(l.maxBytes)} per file; ${l.mediaTypes.join(', ')}.`,
  ].join('\n');
}

interface Globals {
  json?: boolean;
}

export function addEvidenceCommands(program: Command, withClient: <T>(cmd: Command, fn: (c: ReviewClient) => Promise<T>) => Promise<T>): void {
  const operator = (by: string | undefined): Principal => ({ name: by ?? 'operator', role: 'pm', tokenHash: 'cli' });
  const run = async <T>(cmd: Command, fn: (e: EvidenceService) => Promise<T>): Promise<T> => {
    try {
      return await withClient(cmd, (c) => fn(new EvidenceService(new ReviewService(c), c, () => evidenceStoreFromEnv())));
    } catch (e) {
      throw asCliError(e);
    }
  };
  const print = (cmd: Command, data: unknown, human: () => string): void => {
    process.stdout.write(`${cmd.optsWithGlobals<Globals>().json ? JSON.stringify(data, null, 2) : human()}\n`);
  };

  const evidence = program.command('evidence').description('evidence files (reports, logs, transcripts): stored encrypted in the evidence store (EVIDENCE_STORE), recorded in the review by digest');

  evidence.command('upload').description('upload a file and attach it to a review (before close)').argument('<id>', 'review id').argument('<file>', 'the file')
    .option('--type <media/type>', 'its media type (default: from the file name: .pdf, .txt, .md, .csv, .json, .ndjson, .zip, .eval, .gz, .png, .jpg)')
    .option('--party <party>', 'whose evidence it is: "lab", "clearinghouse" (default) or a reviewer id')
    .addOption(new Option('--visible-to <audience>', "who else may see it (default: a lab's file the reviewers too, anyone else's the clearinghouse only)").choices(EVIDENCE_AUDIENCES))
    .option('--track <track>', 'the evaluation track it belongs to')
    .option('--by <name>', 'who uploads it (audit trail; default "operator")')
    .action(async (id: string, file: string, o: { type?: string; party?: string; visibleTo?: string; track?: string; by?: string }, cmd: Command) => {
      const mediaType = mediaTypeOf(file, o.type);
      let size: number;
      try {
        const st = statSync(file);
        if (!st.isFile()) throw new ReviewError('validation', `cannot read ${file}: not a regular file`);
        size = st.size;
      } catch (e) {
        if (e instanceof ReviewError) throw e;
        throw new ReviewError('validation', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      const uploaded = await run(cmd, (e) => e.upload(operator(o.by), id, {
        name: path.basename(file), mediaType, body: createReadStream(file), declaredBytes: size,
        ...(o.party !== undefined ? { party: o.party } : {}), ...(o.visibleTo !== undefined ? { visibleTo: o.visibleTo } : {}), ...(o.track !== undefined ? { track: o.track } : {}),
      }));
      const x = uploaded.evidence;
      print(cmd, uploaded, () => `Attached ${x.name} to ${id}: ${x.digest}, ${formatBytes(x.size)}, ${x.mediaType}; party ${x.party}, visible to ${x.visibleTo}.`);
    });

  evidence.command('list').description("a review's evidence files: name, media type, size, digest, who uploaded them when, and whether the store still holds them")
    .argument('<id>', 'review id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const list = await run(cmd, (e) => e.list(operator(undefined), id));
      print(cmd, list, () => formatEvidenceList(list));
    });

  evidence.command('get').description('download an evidence file (checked against its digest as it is decrypted)').argument('<id>', 'review id')
    .argument('<digest>', 'sha256:<64 hex>, as `review evidence list` shows it')
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .action(async (id: string, digest: string, o: { output?: string }, cmd: Command) => {
      await run(cmd, async (e) => {
        const { entry, body } = await e.download(operator(undefined), id, digest);
        try {
          await pipeline(body, o.output ? createWriteStream(o.output, { mode: 0o600 }) : process.stdout);
        } catch (err) {
          if (o.output) rmSync(o.output, { force: true }); // no partial copy that looks like the file
          throw new ReviewError('unavailable', `${entry.name} (${digest.slice(0, 19)}…) could not be read: ${(err as Error).message}`);
        }
        if (o.output) process.stderr.write(`wrote ${o.output}: ${entry.name}, ${formatBytes(entry.size)}, ${entry.mediaType}\n`);
      });
    });
}
