/** After a jest run: remove the workflow bundle the shared global setup wrote to the temp directory (3-4 MB a run). */
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const bundle = process.env.FRONTIER_REVIEW_TEST_BUNDLE;
  if (bundle) rmSync(bundle, { force: true });
}
