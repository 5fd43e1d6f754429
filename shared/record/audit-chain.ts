/**
 * The audit trail as a hash chain: each event's hash covers the hash of the one before and the event itself,
 * over canonical JSON (RFC 8785, `canonicalize`). Changing, removing or reordering an event changes every hash
 * after it, so the head — which the signed closure receipt names — commits to the whole trail up to close.
 *
 * Why the chain is computed here, from the workflow's event list, and not inside the workflow: workflow code has
 * no node:crypto, and the list itself is already deterministic and append-only (Temporal's history reproduces it
 * on every replay), so hashing it at export or signing time gives the same hashes every time without a hash
 * function in the sandbox, and without 130 bytes of hashes per event in the history and in every status.
 *
 * Exports for a lab or a reviewer withhold events (client/api/visibility.ts): such an entry keeps its hash and the
 * hash before it, and nothing else, so the chain still verifies and no hidden text leaks.
 */
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';

export const CHAIN_ALGORITHM = 'sha256';
export const CHAIN_CANONICALIZATION = 'RFC 8785 (JSON Canonicalization Scheme)';

/** An event as the chain sees it: any JSON object (the status's `{ at, type, by, detail }`, and whatever fields later code adds). */
export type ChainEvent = Record<string, unknown>;

/**
 * One entry of an exported chain. A withheld entry has `withheld: true`, the event's digest instead of the event
 * (for a fact: also `at`/`type`/`by`, for display only), and its hashes.
 */
export type ChainEntry = ChainEvent & { prev: string; hash: string; withheld?: true; digest?: string };

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

export const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The hash "before" the first event: binds the chain to its review, so a trail cannot be passed off as another review's. */
export const genesisOf = (reviewId: string): string => sha256(canonicalJson({ chain: 'frontier-review/audit/v1', reviewId }));

/** The digest of one event; an entry's hash covers it and the hash before, so a withheld entry (digest only) is bound too. */
export const eventDigest = (event: ChainEvent): string => sha256(canonicalJson(event));
export const linkHash = (prev: string, digest: string): string => sha256(canonicalJson({ prev, event: digest }));
export const entryHash = (prev: string, event: ChainEvent): string => linkHash(prev, eventDigest(event));

/** Hash of every event, in order: hashes[i] is the chain head after events[0..i]. */
export function chainHashes(reviewId: string, events: readonly ChainEvent[]): string[] {
  const out: string[] = [];
  let prev = genesisOf(reviewId);
  for (const e of events) {
    prev = entryHash(prev, e);
    out.push(prev);
  }
  return out;
}

/** The head after the first `count` events (the genesis when there are none). */
export function chainHead(reviewId: string, events: readonly ChainEvent[], count = events.length): string {
  if (!Number.isInteger(count) || count < 0 || count > events.length) throw new Error(`the trail has ${events.length} events, not ${count}`);
  const hashes = chainHashes(reviewId, events.slice(0, count));
  return hashes.length ? hashes[hashes.length - 1] : genesisOf(reviewId);
}

/**
 * The events with their chain: `prev` and `hash` on each. `show(e, i)` says what of each event the reader may
 * see: the event, a shortened copy (a fact with its text withheld: only the fields given are kept), or null
 * (withheld entirely). A withheld or shortened entry cannot be recomputed by the reader; its hashes are given.
 */
export function chained<E extends ChainEvent>(reviewId: string, events: readonly E[], show: (e: E, i: number) => ChainEvent | null = (e) => e): ChainEntry[] {
  const hashes = chainHashes(reviewId, events);
  return events.map((e, i) => {
    const prev = i === 0 ? genesisOf(reviewId) : hashes[i - 1];
    const shown = show(e, i);
    if (shown === e) return { ...e, prev, hash: hashes[i] };
    return { ...(shown ?? {}), withheld: true, digest: eventDigest(e), prev, hash: hashes[i] };
  });
}

export interface ChainCheck {
  ok: boolean;
  /** Entries checked, and the head after the last. */
  count: number;
  head: string;
  /** What is wrong, naming the first entry that breaks the chain. */
  problems: string[];
}

/**
 * Checks an exported chain: each entry must follow the one before (`prev`), and each entry shown in full must hash
 * to its `hash`. Stops at the first break (everything after it depends on it).
 */
export function verifyChain(reviewId: string, entries: readonly ChainEntry[]): ChainCheck {
  let prev = genesisOf(reviewId);
  for (const [i, entry] of entries.entries()) {
    const where = `event ${i + 1} of ${entries.length}${typeof entry.type === 'string' ? ` (${entry.type})` : ''}`;
    if (typeof entry.prev !== 'string' || typeof entry.hash !== 'string') return broken(i, prev, `${where} carries no prev/hash`);
    if (entry.prev !== prev) return broken(i, prev, `${where} does not follow the event before it (removed, inserted or reordered events)`);
    let digest: string;
    if (entry.withheld === true) {
      if (typeof entry.digest !== 'string') return broken(i, prev, `${where} is withheld but carries no digest`);
      digest = entry.digest;
    } else {
      const { prev: _prev, hash: _hash, ...event } = entry;
      digest = eventDigest(event);
    }
    if (linkHash(prev, digest) !== entry.hash) return broken(i, prev, `${where} was changed: its content does not match its hash`);
    prev = entry.hash;
  }
  return { ok: true, count: entries.length, head: prev, problems: [] };
}

function broken(index: number, head: string, problem: string): ChainCheck {
  return { ok: false, count: index, head, problems: [problem] };
}
