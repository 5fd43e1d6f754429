/** Reading the CLI's input files, with errors that name the file and the problem. */
import { readFileSync } from 'node:fs';
import type { ReviewRequest } from '../workflows/types';
import { ReviewError } from './errors';
import { withAbsoluteReleaseDate } from './relative-date';
import { validateRequest } from './review-client';

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ReviewError('validation', `cannot read ${what} ${file}: ${why}`);
  }
}

/** A file's bytes, with errors that name the file. */
export function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReviewError('validation', `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

/** Any JSON file, with errors that name the file. */
export function readJsonFile(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ReviewError('validation', `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * A ReviewRequest from a JSON file, validated as the workflow would (field paths in the message). A relative
 * `plannedReleaseAt` (`+60d`, relative-date.ts) is made absolute from `now`: the instant "in the future" is checked
 * against (a plan may be made for a later start).
 */
export function readRequestFile(file: string, now = Date.now()): ReviewRequest {
  const text = readText(file, 'review request');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReviewError('validation', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return validateRequest(withAbsoluteReleaseDate(json, now), now);
  } catch (e) {
    if (e instanceof ReviewError) throw new ReviewError(e.kind, `${file}: ${e.message}`, e.issues, { cause: e });
    throw e;
  }
}
