/**
 * `review verify <receipt> [--export <file>] [--keys <file|url>]`: checks a closure receipt offline — the DSSE
 * signature against the published key set (a file, or the API's keys.json fetched once), and, given the review's
 * JSON export, its hash chain up to the head the receipt signed (shared/record/receipt.ts decides; this reads files).
 */
import { readFileSync } from 'node:fs';
import { KeyConfigError, parseKeySet } from '../shared/record/keys';
import type { KeySet } from '../shared/record/keys';
import { parseEnvelope, ReceiptFormatError, verifyReceipt } from '../shared/record/receipt';
import type { ChainedExport, ReceiptVerification } from '../shared/record/receipt';
import { ReviewError } from './errors';
import { readJsonFile } from './input-files';

/** Key sets and receipts are small; a larger answer is not one. */
const MAX_KEYS_BYTES = 1024 * 1024;

export function parseKeySetFile(file: string): KeySet {
  try {
    return parseKeySet(readJsonFile(file, 'key set'), file);
  } catch (e) {
    if (e instanceof KeyConfigError) throw new ReviewError('validation', e.message);
    throw e;
  }
}

async function fetchKeySet(url: string): Promise<KeySet> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    throw new ReviewError('unavailable', `cannot fetch the key set from ${url}: ${(e as Error).message}`);
  }
  if (text.length > MAX_KEYS_BYTES) throw new ReviewError('validation', `${url} answered more than ${MAX_KEYS_BYTES} bytes: not a key set`);
  try {
    return parseKeySet(JSON.parse(text), url);
  } catch (e) {
    throw new ReviewError('validation', e instanceof KeyConfigError ? e.message : `${url} is not JSON: ${(e as Error).message}`);
  }
}

export async function loadKeys(source: string | undefined): Promise<KeySet> {
  const from = source ?? process.env.RECEIPT_KEYS_FILE;
  if (!from) throw new ReviewError('validation', 'no key set: give --keys <keys.json|url> or set RECEIPT_KEYS_FILE');
  return /^https?:\/\//i.test(from) ? fetchKeySet(from) : parseKeySetFile(from);
}

function readExport(file: string): ChainedExport {
  const x = readJsonFile(file, 'export') as Partial<ChainedExport>;
  if (typeof x !== 'object' || x === null || typeof x.reviewId !== 'string' || !Array.isArray(x.events)) {
    throw new ReviewError('validation', `${file} is not a review export in JSON (review export <id> --format json)`);
  }
  return x as ChainedExport;
}

export async function verifyFiles(receiptFile: string, o: { export?: string; keys?: string }): Promise<ReceiptVerification> {
  let envelope;
  try {
    envelope = parseEnvelope(JSON.parse(readFileSync(receiptFile, 'utf8')), receiptFile);
  } catch (e) {
    if (e instanceof ReceiptFormatError) throw new ReviewError('validation', e.message);
    throw new ReviewError('validation', `cannot read receipt ${receiptFile}: ${(e as Error).message}`);
  }
  const keys = await loadKeys(o.keys);
  const exported = o.export !== undefined ? readExport(o.export) : undefined;
  return verifyReceipt(envelope, keys, exported);
}

export function formatVerification(r: ReceiptVerification): string {
  const p = r.statement?.predicate;
  return [
    `Signature:  ${r.signature.ok ? `valid (key ${r.signature.keyid})` : `INVALID — ${r.signature.reason}`}`,
    ...(p ? [
      `Review:     ${p.reviewId} — ${p.model.identifier}${p.model.digest ? ` ${p.model.digest}` : p.model.apiVersion ? ` (API ${p.model.apiVersion})` : ''}`,
      `Window:     clock started ${p.clockStartedAt ?? 'never (access not granted)'}; window end ${p.windowEndsAt ?? '—'}; closed ${p.closedAt}, outcome ${p.outcome}`,
      `Statement:  ${p.statement}`,
      `Chain head: ${p.auditChain.head} after ${p.auditChain.events} events`,
    ] : []),
    ...(r.chain ? [`Export:     ${r.chain.ok ? `chain intact, ${r.chain.events} events; matches the signed head` : `DOES NOT MATCH — ${r.chain.problems.join('; ')}`}`] : ['Export:     not checked (give --export <file.json>)']),
    r.ok ? 'Verified.' : `NOT verified: ${r.problems.join('; ')}`,
  ].join('\n');
}
