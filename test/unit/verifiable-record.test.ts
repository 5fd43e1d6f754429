/**
 * The verifiable record's pure parts: the audit hash chain, the DSSE/in-toto closure receipt and its keys, the
 * access package's completeness, the evaluation record and the Inspect log import.
 */
import { chainHead, chained, verifyChain } from '../../shared/record/audit-chain';
import type { ChainEntry } from '../../shared/record/audit-chain';
import { pae } from '../../shared/record/dsse';
import { generateSigningKey, keyMap, parseKeySet, publish, withKey, KEY_SET_ISSUER } from '../../shared/record/keys';
import type { KeySet } from '../../shared/record/keys';
import { buildStatement, signReceipt, statementOf, verifyReceipt } from '../../shared/record/receipt';
import { recordFromInspectLog } from '../../client/inspect-log';
import { mergePackage, missingItems, viewPackage } from '../../workflows/access-package';
import type { AccessPackage } from '../../workflows/access-package';
import { modelMismatch } from '../../workflows/evaluation-record';
import type { ClosureFacts } from '../../workflows/record-types';
import { parseCompletePackage, parseReviewRequest, parseSubmitEvaluation, ValidationError } from '../../workflows/validation';
import { request } from '../support/fixtures';

const REVIEW = 'acme-atlas7-2026-12';
const EVENTS = [
  { at: '2027-01-01T09:00:00.000-05:00', type: 'review-started', by: 'pm', detail: 'Atlas-7 rc1 from Acme AI' },
  { at: '2027-01-02T09:00:00.000-05:00', type: 'access-granted', by: 'Sec Team', detail: 'clock started' },
  { at: '2027-01-09T09:00:00.000-05:00', type: 'evaluation-submitted', by: 'r1', detail: 'cyber-offense: severity low' },
  { at: '2027-01-10T09:00:00.000-05:00', type: 'review-closed', by: 'Pat PM', detail: 'outcome completed' },
];
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('audit hash chain', () => {
  const entries = (): ChainEntry[] => chained(REVIEW, EVENTS);

  test('an untouched chain verifies and ends in the head', () => {
    const check = verifyChain(REVIEW, entries());
    expect(check).toMatchObject({ ok: true, count: 4, head: chainHead(REVIEW, EVENTS) });
    expect(entries()[1].prev).toBe(entries()[0].hash);
  });

  test('a changed event fails, naming it', () => {
    const x = entries();
    x[2] = { ...x[2], detail: 'cyber-offense: severity none' };
    expect(verifyChain(REVIEW, x)).toMatchObject({ ok: false, problems: [expect.stringMatching(/event 3 of 4 \(evaluation-submitted\) was changed/)] });
  });

  test('a removed event fails', () => {
    const x = entries();
    x.splice(1, 1);
    expect(verifyChain(REVIEW, x)).toMatchObject({ ok: false, problems: [expect.stringMatching(/event 2 of 3 .*does not follow/)] });
  });

  test('reordered events fail', () => {
    const x = entries();
    [x[1], x[2]] = [x[2], x[1]];
    expect(verifyChain(REVIEW, x).ok).toBe(false);
  });

  test("another review's trail does not verify as this one's", () => {
    expect(verifyChain('other-review', entries()).ok).toBe(false);
  });

  test('withheld events keep the chain verifiable; a withheld entry cannot hide a change to the event before it', () => {
    const partial = chained(REVIEW, EVENTS, (e, i) => (i === 1 ? null : i === 2 ? { at: e.at, type: e.type, by: e.by } : e));
    expect(partial[1]).toEqual({ withheld: true, digest: expect.stringMatching(/^sha256:/), prev: expect.any(String), hash: expect.any(String) });
    expect(JSON.stringify(partial)).not.toContain('severity low');
    expect(verifyChain(REVIEW, partial)).toMatchObject({ ok: true, head: chainHead(REVIEW, EVENTS) });
    // Change the first event and re-link the withheld one after it: the withheld entry's hash is bound to its prev.
    const forged = partial.map((e) => ({ ...e }));
    forged[0] = { ...forged[0], detail: 'forged' };
    const again = chained(REVIEW, [{ ...EVENTS[0], detail: 'forged' }]);
    forged[0].hash = again[0].hash;
    forged[1].prev = again[0].hash;
    expect(verifyChain(REVIEW, forged).ok).toBe(false);
  });
});

describe('DSSE', () => {
  test('PAE as the DSSE spec gives it', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });
});

const facts = (over: Partial<ClosureFacts> = {}): ClosureFacts => ({
  reviewId: REVIEW, model: { name: 'Atlas-7', version: 'rc1', identifier: 'acme/atlas-7-rc1', digest: DIGEST },
  lab: { id: 'acme', name: 'Acme AI' }, clockStartedAt: '2027-01-02T09:00:00.000-05:00', windowEndsAt: '2027-02-01T09:00:00.000-05:00',
  closedAt: '2027-01-10T09:00:00.000-05:00', outcome: 'completed', eventCount: 4, ...over,
});

describe('closure receipt', () => {
  const old = generateSigningKey().key;
  const current = generateSigningKey().key;
  const keySet = (...keys: typeof old[]): KeySet => keys.reduce<KeySet>((set, k, i) => withKey(set, publish(k.publicKey), `2027-0${i + 1}-01T00:00:00Z`), { issuer: KEY_SET_ISSUER, keys: [] });
  const receipt = (key = current, f = facts()) => signReceipt(buildStatement(f, chainHead(REVIEW, EVENTS, f.eventCount), 'test clearinghouse', '2027-01-10T09:00:01Z'), key);
  const exported = () => ({ reviewId: REVIEW, events: chained(REVIEW, [...EVENTS, { at: '2027-01-11T09:00:00.000-05:00', type: 'disposal-confirmed', by: 'lab', detail: 'lab' }]) });

  test('an in-toto Statement v1 about the model digest, in a DSSE envelope, that verifies with the export', () => {
    const envelope = receipt();
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    const st = statementOf(envelope);
    expect(st).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'acme/atlas-7-rc1', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'urn:frontier-review:predicate:closure-receipt:v1',
      predicate: { reviewId: REVIEW, outcome: 'completed', noLicenceOrPreclearance: true, subjectDigestOf: 'artifact', auditChain: { events: 4, head: chainHead(REVIEW, EVENTS) } },
    });
    expect(st.predicate.statement).toMatch(/no licence, preclearance or permit/);
    expect(verifyReceipt(envelope, keySet(current), exported())).toMatchObject({ ok: true, signature: { ok: true, keyid: current.keyid }, chain: { ok: true } });
  });

  test('a receipt signed by another key fails', () => {
    const stranger = generateSigningKey().key;
    const r = verifyReceipt(receipt(stranger), keySet(current));
    expect(r.ok).toBe(false);
    expect(r.problems.join()).toMatch(/not in the key set/);
    // The same key id with another key's signature: the signature itself fails.
    const envelope = receipt(stranger);
    envelope.signatures[0].keyid = current.keyid;
    expect(verifyReceipt(envelope, keySet(current)).problems.join()).toMatch(/does not match the content/);
  });

  test('a receipt changed after signing fails', () => {
    const envelope = receipt();
    const st = statementOf(envelope);
    st.predicate.outcome = 'expired';
    envelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    expect(verifyReceipt(envelope, keySet(current)).signature.ok).toBe(false);
  });

  test('a receipt survives key rotation: the old key stays in the set, retired', () => {
    const signedBefore = receipt(old);
    const rotated = keySet(old, current);
    expect(rotated.keys.map((k) => [k.keyid, k.retiredAt !== undefined])).toEqual([[old.keyid, true], [current.keyid, false]]);
    const reparsed = parseKeySet(JSON.parse(JSON.stringify(rotated)), 'keys.json');
    expect(verifyReceipt(signedBefore, reparsed, exported()).ok).toBe(true);
    expect(verifyReceipt(receipt(current), reparsed).ok).toBe(true);
    expect(keyMap(reparsed).size).toBe(2);
  });

  test('an export whose events were changed, removed or reordered does not match the receipt', () => {
    const envelope = receipt();
    const changed = exported();
    changed.events[1] = { ...changed.events[1], by: 'someone else' };
    expect(verifyReceipt(envelope, keySet(current), changed)).toMatchObject({ ok: false, signature: { ok: true }, chain: { ok: false } });
    const removed = exported();
    removed.events.splice(3, 1);
    expect(verifyReceipt(envelope, keySet(current), removed).ok).toBe(false);
    const reordered = exported();
    [reordered.events[0], reordered.events[1]] = [reordered.events[1], reordered.events[0]];
    expect(verifyReceipt(envelope, keySet(current), reordered).ok).toBe(false);
    // A consistent chain rebuilt over altered events is intact, but its head is not the signed one.
    const rebuilt = { reviewId: REVIEW, events: chained(REVIEW, EVENTS.map((e, i) => (i === 2 ? { ...e, detail: 'cyber-offense: severity none' } : e))) };
    expect(verifyReceipt(envelope, keySet(current), rebuilt).problems.join()).toMatch(/the receipt signed/);
  });

  test('a key set whose key id does not match its key is refused', () => {
    const set = keySet(current);
    set.keys[0] = { ...set.keys[0], keyid: old.keyid };
    expect(() => parseKeySet(set, 'keys.json')).toThrow(/does not match its public key/);
  });

  test('hosted API access without an artifact digest: the subject digest is the identifier\'s, and says so', () => {
    const st = statementOf(receipt(current, facts({ model: { name: 'Atlas-7', version: 'rc1', identifier: 'acme/atlas-7', apiVersion: '2027-01-01' } })));
    expect(st.predicate.subjectDigestOf).toBe('identifier');
    expect(st.subject[0].digest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

const PACKAGE: AccessPackage = {
  access: 'weights-transfer', modelIdentifier: 'acme/atlas-7-rc1', artifactDigest: DIGEST,
  documentation: { modelCard: { present: true, reference: 'https://acme.example/atlas-7/model-card' }, systemCard: { present: false } },
  dataHandling: { retentionDays: 30, noTrainingOnOutputs: true },
};

describe('access package', () => {
  test('completeness lists what is missing', () => {
    expect(missingItems(PACKAGE)).toEqual(['systemCard', 'intendedUse', 'mitigations', 'knownLimitations', 'storageLocation', 'clearedPersonnelOnly', 'outageContact']);
    expect(missingItems({ access: 'hosted-api', modelIdentifier: 'acme/atlas-7' })).toContain('apiVersion');
    expect(missingItems({ access: 'hosted-api', modelIdentifier: 'acme/atlas-7', apiVersion: 'v1' })).not.toContain('apiVersion');
  });

  test('completing merges section by section; a complete package says so', () => {
    const done = mergePackage(PACKAGE, {
      documentation: { systemCard: { present: true, reference: 'doc-2' }, intendedUse: { present: true, reference: 'doc-3' }, mitigations: { present: true, reference: 'doc-4' }, knownLimitations: { present: true, reference: 'doc-5' } },
      dataHandling: { storageLocation: 'US enclave', clearedPersonnelOnly: true },
      outageContact: { name: 'Ops', email: 'ops@acme.example' },
    });
    expect(done.documentation?.modelCard?.reference).toBe('https://acme.example/atlas-7/model-card');
    expect(done.dataHandling).toEqual({ retentionDays: 30, noTrainingOnOutputs: true, storageLocation: 'US enclave', clearedPersonnelOnly: true });
    expect(viewPackage(done, 1)).toMatchObject({ complete: true, missing: [], updates: 1 });
  });

  test('validation names the field', () => {
    expect(() => parseReviewRequest({ ...request(), package: { ...PACKAGE, artifactDigest: 'md5:abc' } }, Date.now())).toThrow(/package.artifactDigest: must be sha256:/);
    expect(() => parseReviewRequest({ ...request(), package: { modelIdentifier: 'x' } }, Date.now())).toThrow(/package.access: must be one of hosted-api/);
    expect(() => parseCompletePackage({ dataHandling: { retentionDays: -1 } })).toThrow(/dataHandling.retentionDays: must be at least 0/);
    expect(() => parseCompletePackage({ documentation: { modelCard: { present: 'yes' } } })).toThrow(/documentation.modelCard.present: Invalid input: expected boolean/);
    expect(() => parseCompletePackage({ by: 'lab' })).toThrow(ValidationError);
    expect(() => parseCompletePackage({ documentation: { pressRelease: { present: true } } })).toThrow(/unknown field\(s\) "pressRelease"/);
    expect(parseReviewRequest({ ...request(), package: PACKAGE }, Date.now()).package).toEqual(PACKAGE);
  });
});

const INSPECT_LOG = {
  version: 2, status: 'success',
  eval: {
    run_id: 'Gq7qJ2s4Yf3Zk9', created: '2027-01-08T10:00:00+00:00', task: 'cyber/intercode_ctf', task_version: 1, task_args: { shuffle: false },
    model: 'acme/atlas-7-rc1', model_generate_config: { temperature: 0.5, seed: 42 }, config: { epochs: 3 },
    revision: { type: 'git', origin: 'https://git.example/evals', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' },
    packages: { inspect_ai: '0.3.140' }, dataset: { name: 'ctf', samples: 80 },
  },
  plan: { name: 'plan', steps: [{ solver: 'system_message', params: {} }, { solver: 'basic_agent', params: { max_attempts: 3 } }], config: { seed: 7 } },
  samples: [{ id: 1 }],
};

describe('evaluation record', () => {
  test('an Inspect log header reads into the record', () => {
    const r = recordFromInspectLog(INSPECT_LOG, { modelDigest: DIGEST, logDigest: `sha256:${'cd'.repeat(32)}` });
    expect(r).toEqual({
      harness: { name: 'inspect_ai', version: '0.3.140', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' },
      task: 'cyber/intercode_ctf', solver: 'system_message → basic_agent', configDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      seeds: [42, 7], runIds: ['Gq7qJ2s4Yf3Zk9'], model: { identifier: 'acme/atlas-7-rc1', digest: DIGEST },
      source: { format: 'inspect-json', digest: `sha256:${'cd'.repeat(32)}` },
    });
    // The same configuration gives the same digest; another temperature another one. The samples do not count.
    expect(recordFromInspectLog({ ...INSPECT_LOG, samples: [] }).configDigest).toBe(r.configDigest);
    expect(recordFromInspectLog({ ...INSPECT_LOG, eval: { ...INSPECT_LOG.eval, model_generate_config: { temperature: 1, seed: 42 } } }).configDigest).not.toBe(r.configDigest);
    expect(() => parseSubmitEvaluation({ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok', record: r })).not.toThrow();
  });

  test('something that is not an Inspect log is refused clearly', () => {
    expect(() => recordFromInspectLog({ results: {} })).toThrow(/no eval.task and eval.model/);
  });

  test('record validation names the field', () => {
    const base = { track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok' };
    expect(() => parseSubmitEvaluation({ ...base, record: { harness: { name: 'inspect_ai', commit: 'xyz' }, model: { identifier: 'm' } } })).toThrow(/record.harness.commit: must be a commit id/);
    expect(() => parseSubmitEvaluation({ ...base, record: { harness: { name: 'h' }, model: { identifier: 'm' }, seeds: Array.from({ length: 21 }, (_, i) => i) } })).toThrow(/record.seeds: must list at most 20 seeds/);
    expect(() => parseSubmitEvaluation({ ...base, record: { harness: { name: 'h' } } })).toThrow(/record.model: is required/);
  });

  test('a mismatch is the digest, else the API version, where both sides name one', () => {
    const record = (model: { identifier: string; digest?: string; apiVersion?: string }) => ({ harness: { name: 'h' }, model });
    expect(modelMismatch(PACKAGE, record({ identifier: 'x', digest: DIGEST }))).toBeNull();
    expect(modelMismatch(PACKAGE, record({ identifier: 'x', digest: `sha256:${'00'.repeat(32)}` }))).toMatch(/package names sha256:abab/);
    expect(modelMismatch(PACKAGE, record({ identifier: 'x' }))).toBeNull();
    expect(modelMismatch({ access: 'hosted-api', modelIdentifier: 'm', apiVersion: 'v2' }, record({ identifier: 'm', apiVersion: 'v1' }))).toMatch(/API version v1/);
    expect(modelMismatch(undefined, record({ identifier: 'x', digest: DIGEST }))).toBeNull();
  });
});

test('the README examples are valid inputs', () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const pkg = require('../../examples/access-package.json') as unknown;
  const record = require('../../examples/evaluation-record.json') as unknown;
  /* eslint-enable @typescript-eslint/no-require-imports */
  expect(() => parseCompletePackage(pkg)).not.toThrow();
  expect(missingItems(parseReviewRequest({ ...request(), package: pkg }, Date.now()).package as AccessPackage)).toEqual(['intendedUse', 'knownLimitations']);
  expect(() => parseSubmitEvaluation({ track: 'cyber-offense', reviewerId: 'r1', severity: 'low', summary: 'ok', record })).not.toThrow();
});
