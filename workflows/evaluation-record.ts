/**
 * The evaluation record: how a submitted result can be reproduced — harness, version and commit, task, solver,
 * configuration digest, seeds, run ids and the model actually evaluated. Field for field what UK AISI's Inspect
 * keeps in an evaluation log's header (eval.task, eval.model, plan, generation config, seeds, eval.revision,
 * eval.packages, eval.run_id), so that a log can be read into it (client/inspect-log.ts). Pure.
 */
import type { AccessPackage } from './access-package';

export interface EvaluationRecord {
  harness: { name: string; version?: string; commit?: string };
  /** The evaluation task, e.g. Inspect's `eval.task` ("cyber/intercode_ctf"). */
  task?: string;
  /** Solver or plan name. */
  solver?: string;
  /** `sha256:…` of the canonical configuration (task args, plan, generation config). */
  configDigest?: string;
  seeds?: number[];
  runIds?: string[];
  /** The model as evaluated: its identifier and its artifact digest or API version. */
  model: { identifier: string; digest?: string; apiVersion?: string };
  /** Where the record came from, when imported: the log's own digest. */
  source?: { format: 'inspect-json'; digest: string };
}

/**
 * Why the evaluated model is not the one in the package, or null. Compared only where both sides say something:
 * the artifact digests, else the API versions.
 */
export function modelMismatch(p: AccessPackage | undefined, r: EvaluationRecord | undefined): string | null {
  if (!p || !r) return null;
  if (p.artifactDigest && r.model.digest && p.artifactDigest !== r.model.digest) return `evaluated ${r.model.digest}, the package names ${p.artifactDigest}`;
  if (!r.model.digest && p.apiVersion && r.model.apiVersion && p.apiVersion !== r.model.apiVersion) return `evaluated API version ${r.model.apiVersion}, the package names ${p.apiVersion}`;
  return null;
}
