/** The evidence store the environment configures (config.ts): directory by default, S3-compatible when named. */
import type { KeyRing } from '../encryption';
import { loadEvidenceConfig } from './config';
import type { EvidenceConfig } from './config';
import { DirectoryEvidenceStore } from './directory-store';
import { evidenceKeyRing } from './keys';
import { S3EvidenceStore } from './s3-store';
import type { EvidenceStore } from './types';

export * from './types';
export { loadEvidenceConfig } from './config';
export type { EvidenceConfig } from './config';

export interface ConfiguredStore {
  store: EvidenceStore;
  config: EvidenceConfig;
  /** True when no key ring is configured and the directory's own key is used (keys.ts). */
  localKey: boolean;
}

export function createEvidenceStore(config: EvidenceConfig, ring: KeyRing): EvidenceStore {
  const l = config.location;
  return l.kind === 's3' ? new S3EvidenceStore(l, ring, config) : new DirectoryEvidenceStore(l.dir, ring, config);
}

export function evidenceStoreFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfiguredStore {
  const config = loadEvidenceConfig(env, cwd);
  const { ring, local } = evidenceKeyRing(config.location, env);
  return { store: createEvidenceStore(config, ring), config, localKey: local };
}
