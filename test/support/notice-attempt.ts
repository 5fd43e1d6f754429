/**
 * One attempt of the sendNotice activity in a process of its own: a second worker host in the ledger tests. The
 * ledger, SMTP server and lease come from the environment as for a worker (NOTICE_LEDGER_URL or
 * NOTICE_LEDGER_PATH, SMTP_URL, NOTICE_CLAIM_LEASE_SECONDS); argv[2] is `{ notice, attempt }` as JSON.
 * Prints one JSON line: `{"ok": result}` or `{"error": message, "type": failure type}`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { NoticePayload } from '../../workflows/types';

const { notice, attempt } = JSON.parse(process.argv[2] ?? '{}') as { notice: NoticePayload; attempt: number };
const env = new MockActivityEnvironment({ attempt, activityId: 'notice-child', startToCloseTimeoutMs: 120_000 }, { logger: new DefaultLogger('ERROR') });
const activities = createActivities({ smtpPool: false });
env.run(activities.sendNotice, notice).then(
  (ok) => { console.log(JSON.stringify({ ok })); process.exit(0); },
  (e: unknown) => {
    console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e), type: e instanceof ApplicationFailure ? e.type : undefined }));
    process.exit(0);
  },
);
