/**
 * The workflow's side of evidence (the rules are in evidence.ts): recording an attachment, and the retention timer —
 * after close the review waits, durably, until the lab's retention period ends, has the worker delete the files
 * from the store, and records that in the audit trail. A timer in the review rather than a schedule: the review
 * already knows its close and its lab's terms, stays queryable while it waits, and needs nothing outside it.
 */
import { condition, proxyActivities, sleep } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { attachEvidence, describeEvidence, filesToDelete, markDeleted, retentionDaysOf, retentionEndsAt } from './evidence';
import type { AttachEvidenceInput } from './evidence';
import { audit } from './transitions';
import type { ReviewContext } from './transitions';

const { deleteEvidence } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  // A store that is down is retried for as long as it is down: the deletion is owed to the lab.
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

export function recordAttachment(c: ReviewContext, a: AttachEvidenceInput): void {
  c.evidenceRecord?.();
  const e = attachEvidence(c.s, a, c.now());
  audit(c, 'evidence-attached', a.by, `${e.party}: ${describeEvidence(e)}${e.track ? ` for ${e.track}` : ''}; visible to ${e.visibleTo === 'clearinghouse' ? 'the clearinghouse' : e.visibleTo === 'all' ? 'the lab and the reviewers' : `the ${e.visibleTo}`}${e.party === 'clearinghouse' || e.party === 'lab' ? '' : ' and that reviewer'}`);
}

export class EvidenceRetention {
  private task: Promise<void> | null = null;

  /** `changed`: wakes the main loop after the deletion was recorded. */
  constructor(private readonly c: ReviewContext, private readonly changed: () => void) {}

  /** Call once, after the handlers are registered: waits (no command) until the review closes with files in the store. */
  start(): void {
    this.task = this.run();
  }

  private async run(): Promise<void> {
    const { s } = this.c;
    await condition(() => retentionEndsAt(s) !== null);
    if (!this.c.evidenceRecord?.()) return;
    const at = retentionEndsAt(s) as number;
    if (at > this.c.now()) await sleep(at - this.c.now());
    const refs = filesToDelete(s);
    const result = await deleteEvidence({ reviewId: s.request.reviewId, refs });
    markDeleted(s, refs, this.c.now());
    audit(this.c, 'evidence-deleted', 'system',
      `the lab's retention period (${retentionDaysOf(s)} days after close) ended: ${result.deleted} evidence file(s) deleted from the store${result.missing ? `, ${result.missing} already gone` : ''}; their digests stay in this record`);
    this.changed();
  }

  /** Before the review completes: wait for the deletion if files are still owed one. */
  async finish(): Promise<void> {
    if (this.task && filesToDelete(this.c.s).length > 0) await this.task;
  }
}
