/**
 * The closure receipt: an in-toto Statement v1 (subject: the model's digest; predicate type: this project's) in a
 * DSSE envelope signed with the clearinghouse's Ed25519 key. It states the review id, the model, clock start,
 * window end, outcome, the head of the audit chain at close, and that no licence or preclearance applies — what a
 * lab that releases on day 31 can show, checked with the tooling it already uses for build attestations.
 */
import type { ClosureFacts, ReceiptEnvelope } from '../../workflows/record-types';
import { CHAIN_ALGORITHM, CHAIN_CANONICALIZATION, canonicalJson, genesisOf, sha256, verifyChain } from './audit-chain';
import type { ChainEntry } from './audit-chain';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelope } from './dsse';
import type { DsseEnvelope } from './dsse';
import { keyMap } from './keys';
import type { KeySet, SigningKey } from './keys';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** This project's predicate type (a URN: no web page is promised at a URL). */
export const CLOSURE_RECEIPT_PREDICATE = 'urn:frontier-review:predicate:closure-receipt:v1';
export const NO_PRECLEARANCE_STATEMENT =
  'This pre-release review was voluntary. It created no licence, preclearance or permit requirement: no approval from the clearinghouse is needed to release the model.';

export interface ClosurePredicate {
  reviewId: string;
  model: ClosureFacts['model'];
  /** `artifact`: the subject digest is the artifact's; `identifier`: no artifact digest was given (hosted API), so it is the SHA-256 of the model identifier. */
  subjectDigestOf: 'artifact' | 'identifier';
  lab: ClosureFacts['lab'];
  clockStartedAt: string | null;
  windowEndsAt: string | null;
  closedAt: string;
  outcome: ClosureFacts['outcome'];
  auditChain: { algorithm: string; canonicalization: string; genesis: string; events: number; head: string };
  noLicenceOrPreclearance: true;
  statement: string;
  issuer: string;
  issuedAt: string;
}

export interface ClosureStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof CLOSURE_RECEIPT_PREDICATE;
  predicate: ClosurePredicate;
}

const SHA256 = /^sha256:([0-9a-f]{64})$/;

export function buildStatement(facts: ClosureFacts, head: string, issuer: string, issuedAt: string): ClosureStatement {
  const artifact = facts.model.digest ? SHA256.exec(facts.model.digest)?.[1] : undefined;
  const digest = artifact ?? (sha256(facts.model.identifier).slice('sha256:'.length));
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: facts.model.identifier, digest: { sha256: digest } }],
    predicateType: CLOSURE_RECEIPT_PREDICATE,
    predicate: {
      reviewId: facts.reviewId,
      model: facts.model,
      subjectDigestOf: artifact ? 'artifact' : 'identifier',
      lab: facts.lab,
      clockStartedAt: facts.clockStartedAt,
      windowEndsAt: facts.windowEndsAt,
      closedAt: facts.closedAt,
      outcome: facts.outcome,
      auditChain: { algorithm: CHAIN_ALGORITHM, canonicalization: CHAIN_CANONICALIZATION, genesis: genesisOf(facts.reviewId), events: facts.eventCount, head },
      noLicenceOrPreclearance: true,
      statement: NO_PRECLEARANCE_STATEMENT,
      issuer,
      issuedAt,
    },
  };
}

export function signReceipt(statement: ClosureStatement, key: SigningKey): DsseEnvelope {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(canonicalJson(statement), 'utf8'), key);
}

export class ReceiptFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptFormatError';
  }
}

/** An envelope read from a file or a response, checked for shape (not yet for its signature). */
export function parseEnvelope(input: unknown, source: string): ReceiptEnvelope {
  const e = (typeof input === 'object' && input !== null ? input : {}) as Partial<ReceiptEnvelope>;
  const ok = typeof e.payloadType === 'string' && typeof e.payload === 'string' && Array.isArray(e.signatures)
    && e.signatures.every((s) => typeof s === 'object' && s !== null && typeof s.keyid === 'string' && typeof s.sig === 'string');
  if (!ok) throw new ReceiptFormatError(`${source} is not a DSSE envelope ({"payloadType", "payload", "signatures": [{"keyid", "sig"}]})`);
  return e as ReceiptEnvelope;
}

export function statementOf(envelope: ReceiptEnvelope): ClosureStatement {
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  } catch {
    throw new ReceiptFormatError('the envelope payload is not JSON');
  }
  const st = statement as Partial<ClosureStatement>;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE || st._type !== IN_TOTO_STATEMENT_TYPE) throw new ReceiptFormatError('not an in-toto Statement v1');
  if (st.predicateType !== CLOSURE_RECEIPT_PREDICATE || typeof st.predicate !== 'object' || st.predicate === null) {
    throw new ReceiptFormatError(`predicate type ${String(st.predicateType)} is not a frontier-review closure receipt (${CLOSURE_RECEIPT_PREDICATE})`);
  }
  return st as ClosureStatement;
}

/** What `review verify` reports. */
export interface ReceiptVerification {
  ok: boolean;
  signature: { ok: boolean; keyid?: string; reason?: string };
  statement?: ClosureStatement;
  chain?: { ok: boolean; events: number; head: string; problems: string[] };
  problems: string[];
}

/** An export's audit chain, as client/export.ts writes it. */
export interface ChainedExport {
  reviewId: string;
  events: ChainEntry[];
}

/**
 * Checks the signature against the key set and, given an export, the chain: intact, the same review, and its
 * head after the receipt's event count equal to the signed head (events after close may follow).
 */
export function verifyReceipt(envelope: ReceiptEnvelope, keys: KeySet, exported?: ChainedExport): ReceiptVerification {
  const problems: string[] = [];
  const sig = verifyEnvelope(envelope as DsseEnvelope, keyMap(keys));
  const signature = sig.ok ? { ok: true, keyid: sig.keyid } : { ok: false, reason: sig.reason };
  if (!sig.ok) problems.push(`signature: ${sig.reason}`);
  let statement: ClosureStatement | undefined;
  try {
    statement = statementOf(envelope);
  } catch (e) {
    problems.push(`statement: ${(e as Error).message}`);
  }
  let chain: ReceiptVerification['chain'];
  if (exported && statement) {
    const p = statement.predicate;
    const check = verifyChain(exported.reviewId, exported.events);
    const chainProblems = [...check.problems];
    if (exported.reviewId !== p.reviewId) chainProblems.push(`the export is of review ${exported.reviewId}, the receipt of ${p.reviewId}`);
    else if (check.ok) {
      const n = p.auditChain.events;
      if (exported.events.length < n) chainProblems.push(`the receipt covers ${n} events; the export has only ${exported.events.length}`);
      else {
        const head = n === 0 ? genesisOf(p.reviewId) : exported.events[n - 1].hash;
        if (head !== p.auditChain.head) chainProblems.push(`the export's chain after ${n} events ends in ${head}, the receipt signed ${p.auditChain.head}`);
      }
    }
    chain = { ok: chainProblems.length === 0, events: check.count, head: check.head, problems: chainProblems };
    problems.push(...chainProblems.map((x) => `chain: ${x}`));
  }
  return { ok: problems.length === 0, signature, ...(statement ? { statement } : {}), ...(chain ? { chain } : {}), problems };
}

/** File name of a receipt as mailed and downloaded. */
export const receiptFileName = (reviewId: string): string => `${reviewId}.closure-receipt.intoto.json`;
