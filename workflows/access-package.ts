/**
 * The access package: what the lab hands over for a review (how access is given, which model exactly, the
 * documentation, its data-handling terms, whom to call in an outage), and what is still missing. Pure: the
 * workflow, the notices, the dashboard and `review plan` all ask this module, so they cannot disagree on what
 * "complete" means.
 */
import type { Person } from './types';

export const ACCESS_MODES = ['hosted-api', 'weights-transfer', 'secure-enclave'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export const DOCUMENTATION_ITEMS = ['modelCard', 'systemCard', 'intendedUse', 'mitigations', 'knownLimitations'] as const;
export type DocumentationItem = (typeof DOCUMENTATION_ITEMS)[number];

/** One document: handed over (`present`) with a reference (URL, document id), or not. */
export interface DocumentationEntry {
  present: boolean;
  reference?: string;
}

export interface DataHandlingTerms {
  /** Days the clearinghouse may keep model outputs and evidence after close. */
  retentionDays?: number;
  noTrainingOnOutputs?: boolean;
  /** Where copies may be kept, e.g. "US government enclave, us-east". */
  storageLocation?: string;
  clearedPersonnelOnly?: boolean;
}

export interface AccessPackage {
  access: AccessMode;
  /** The model as the lab names it, e.g. "acme/atlas-7-rc1". */
  modelIdentifier: string;
  /** `sha256:<64 hex>` of the weights or image handed over. */
  artifactDigest?: string;
  /** For hosted API access: the API (model) version the evaluators call. */
  apiVersion?: string;
  documentation?: Partial<Record<DocumentationItem, DocumentationEntry>>;
  dataHandling?: DataHandlingTerms;
  outageContact?: Person;
}

/** completePackage's argument: any part of the package; what is given replaces what was there, section by section. */
export interface CompletePackageInput {
  access?: AccessMode;
  modelIdentifier?: string;
  artifactDigest?: string;
  apiVersion?: string;
  documentation?: Partial<Record<DocumentationItem, DocumentationEntry>>;
  dataHandling?: DataHandlingTerms;
  outageContact?: Person;
  by?: string;
}

const LABELS: Record<string, string> = {
  artifactDigest: 'artifact digest (sha256)', apiVersion: 'API version or artifact digest',
  modelCard: 'model card', systemCard: 'system card', intendedUse: 'intended use', mitigations: 'mitigations', knownLimitations: 'known limitations',
  retentionDays: 'retention period (days)', noTrainingOnOutputs: 'no-training-on-outputs term', storageLocation: 'storage location',
  clearedPersonnelOnly: 'cleared-personnel-only term', outageContact: 'outage contact',
};
export const itemLabel = (item: string): string => LABELS[item] ?? item;

/** The items still missing, in a fixed order (machine names; itemLabel() words them). */
export function missingItems(p: AccessPackage): string[] {
  const missing: string[] = [];
  if (p.access === 'hosted-api') {
    if (!p.apiVersion && !p.artifactDigest) missing.push('apiVersion');
  } else if (!p.artifactDigest) missing.push('artifactDigest');
  for (const item of DOCUMENTATION_ITEMS) {
    const d = p.documentation?.[item];
    if (!d?.present || !d.reference) missing.push(item);
  }
  const terms = p.dataHandling ?? {};
  if (terms.retentionDays === undefined) missing.push('retentionDays');
  if (terms.noTrainingOnOutputs === undefined) missing.push('noTrainingOnOutputs');
  if (terms.storageLocation === undefined) missing.push('storageLocation');
  if (terms.clearedPersonnelOnly === undefined) missing.push('clearedPersonnelOnly');
  if (!p.outageContact) missing.push('outageContact');
  return missing;
}

export interface PackageView extends AccessPackage {
  complete: boolean;
  missing: string[];
  /** Accepted completePackage calls (bounded: limits.ts). */
  updates: number;
}

export const viewPackage = (p: AccessPackage, updates: number): PackageView => {
  const missing = missingItems(p);
  return { ...p, complete: missing.length === 0, missing, updates };
};

/** The package after a completePackage call: each section given replaces the same section; documents merge item by item. */
export function mergePackage(p: AccessPackage | undefined, a: CompletePackageInput): AccessPackage {
  const { by: _by, documentation, dataHandling, ...top } = a;
  const base: AccessPackage = p ?? { access: a.access as AccessMode, modelIdentifier: a.modelIdentifier as string };
  return {
    ...base,
    ...top,
    ...(documentation ? { documentation: { ...(base.documentation ?? {}), ...documentation } } : {}),
    ...(dataHandling ? { dataHandling: { ...(base.dataHandling ?? {}), ...dataHandling } } : {}),
  };
}

/** What a completePackage call changed, in words, for the audit trail ("model card, outage contact; still missing: …"). */
export function describeCompletion(before: AccessPackage | undefined, after: AccessPackage, a: CompletePackageInput): string {
  const given = [
    ...(['access', 'modelIdentifier', 'artifactDigest', 'apiVersion', 'outageContact'] as const).filter((k) => a[k] !== undefined).map((k) => (k === 'access' ? 'access mode' : k === 'modelIdentifier' ? 'model identifier' : itemLabel(k))),
    ...Object.keys(a.documentation ?? {}).map(itemLabel),
    ...Object.keys(a.dataHandling ?? {}).map(itemLabel),
  ];
  const digestMoved = before?.artifactDigest && a.artifactDigest && before.artifactDigest !== a.artifactDigest ? `; artifact digest changed from ${before.artifactDigest}` : '';
  const missing = missingItems(after);
  return `${given.join(', ') || 'nothing'} given${digestMoved}; ${missing.length ? `still missing: ${missing.map(itemLabel).join(', ')}` : 'the package is complete'}`;
}
