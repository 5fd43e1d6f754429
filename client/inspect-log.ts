/**
 * An Inspect (UK AISI) evaluation log read into an evaluation record: `review submit --inspect-log <file>` and the
 * API's `inspectLog`. Only the JSON log format, and only its header (`eval`, `plan`): task, model, solver/plan,
 * generation config, seeds, `eval.revision` (git commit), `eval.packages` (inspect_ai's version), `eval.run_id`.
 * The configuration digest is SHA-256 over the canonical JSON (RFC 8785) of what decides the result — task and its
 * arguments, solver and plan, generation configs, eval config — so two runs with the same digest were set up alike.
 */
import { canonicalJson, sha256 } from '../shared/record/audit-chain';
import type { EvaluationRecord } from '../workflows/evaluation-record';
import { SHA256_DIGEST } from '../workflows/record-validation';
import { ReviewError } from './errors';

/** Larger logs carry their samples: export the header (`inspect log dump --header-only`, or the JSON log without samples). */
export const MAX_INSPECT_LOG_BYTES = 64 * 1024 * 1024;

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : {});
const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined);
const cut = (x: string | undefined, max: number): string | undefined => (x === undefined ? undefined : x.slice(0, max));

/**
 * The record from a parsed log. `options.modelDigest`: the digest of the model evaluated, which Inspect does not
 * know (a model name is all it records); `logDigest`: the log file's own SHA-256, kept as the record's source.
 */
export function recordFromInspectLog(log: unknown, options: { modelDigest?: string; apiVersion?: string; logDigest?: string } = {}): EvaluationRecord {
  const root = obj(log);
  const spec = obj(root.eval);
  const plan = obj(root.plan);
  const task = str(spec.task);
  const model = str(spec.model);
  if (!task || !model) throw new ReviewError('validation', 'not an Inspect evaluation log: its header has no eval.task and eval.model (JSON log format expected; convert .eval logs with `inspect log convert --to json`)');
  const revision = obj(spec.revision);
  const packages = obj(spec.packages);
  const steps = Array.isArray(plan.steps) ? plan.steps.map((st) => str(obj(st).solver)).filter((x): x is string => x !== undefined) : [];
  const solver = str(spec.solver) ?? (steps.length ? steps.join(' → ') : str(plan.name));
  const seeds = [obj(spec.model_generate_config).seed, obj(plan.config).seed, obj(spec.config).seed, obj(spec.config).sample_shuffle]
    .filter((x): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
  const commit = str(revision.commit);
  const configDigest = sha256(canonicalJson({
    task, task_version: spec.task_version ?? null, task_args: spec.task_args ?? {}, solver: spec.solver ?? null, solver_args: spec.solver_args ?? null,
    plan: { name: plan.name ?? null, steps: plan.steps ?? [], finish: plan.finish ?? null, config: plan.config ?? {} },
    model_generate_config: spec.model_generate_config ?? {}, model_args: spec.model_args ?? {}, config: spec.config ?? {},
  }));
  if (options.modelDigest !== undefined && !SHA256_DIGEST.test(options.modelDigest)) {
    throw new ReviewError('validation', '--model-digest: must be sha256: followed by 64 lowercase hex digits');
  }
  return {
    harness: {
      name: 'inspect_ai',
      ...(str(packages.inspect_ai) ? { version: cut(str(packages.inspect_ai), 100) } : {}),
      ...(commit && /^[0-9a-f]{7,64}$/.test(commit) ? { commit } : {}),
    },
    task: cut(task, 200),
    ...(solver ? { solver: cut(solver, 200) } : {}),
    configDigest,
    ...(seeds.length ? { seeds: [...new Set(seeds)].slice(0, 20) } : {}),
    ...(str(spec.run_id) ? { runIds: [cut(str(spec.run_id), 100) as string] } : {}),
    model: { identifier: cut(model, 200) as string, ...(options.modelDigest ? { digest: options.modelDigest } : {}), ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}) },
    ...(options.logDigest ? { source: { format: 'inspect-json' as const, digest: options.logDigest } } : {}),
  };
}

/** A log file's bytes, bounded, parsed: the record, with the file's digest as its source. */
export function recordFromInspectLogBytes(bytes: Buffer, file: string, options: { modelDigest?: string; apiVersion?: string } = {}): EvaluationRecord {
  if (bytes.length > MAX_INSPECT_LOG_BYTES) {
    throw new ReviewError('validation', `${file} is ${bytes.length} bytes, more than ${MAX_INSPECT_LOG_BYTES}; give a header-only log (e.g. \`inspect log dump --header-only\`)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ReviewError('validation', `${file} is not a JSON Inspect log: ${(e as Error).message} (convert .eval logs with \`inspect log convert --to json\`)`);
  }
  return recordFromInspectLog(json, { ...options, logDigest: sha256(bytes) });
}
