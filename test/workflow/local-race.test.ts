/**
 * Two local activities in flight at once must not make a history that replay cannot follow (found by the cluster run; workflows/notice-dispatch.ts runLocal): at the close
 * the PM's batch (slow, then failing: its activity takes over) and the closure receipt (signed at once).
 */
import { Worker } from '@temporalio/worker';
import { generateSigningKey } from '../../shared/record/keys';
import { closeReviewUpdate, grantAccessUpdate } from '../../workflows/messages';
import { act } from '../support/act';
import { noticesOf, settled } from '../support/assertions';
import { request } from '../support/fixtures';
import { createReviewEnv } from '../support/review-env';
import type { ReviewEnv } from '../support/review-env';

const { pem } = generateSigningKey();
let t: ReviewEnv;
beforeAll(async () => { t = await createReviewEnv('time-skipping', { activities: { receipts: { signingKeyPem: pem, issuer: 'test clearinghouse' } } }); });
afterAll(async () => { await t?.teardown(); });

test('a close whose first batch fails slowly while the receipt signs at once replays', async () => {
  const req = request();
  const h = await t.start(req);
  await act(h, grantAccessUpdate, { by: 'Sec Team' });
  await settled(t, req.reviewId);
  // Every DATA reply held 1.5 s, and the PM deferred: the update's batch fails after the receipt has been signed.
  t.sink.faults = { stallMs: 1500, deferRecipients: [req.programManager.email] };
  await act(h, closeReviewUpdate, { by: 'Pat PM' });
  await new Promise((r) => setTimeout(r, 4000));
  t.sink.faults = {};
  await t.env.sleep('15 minutes');
  const s = await settled(t, req.reviewId, 30_000);
  expect(noticesOf(s, 'review-closed').every((n) => n.state === 'sent')).toBe(true);
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, await h.fetchHistory(), h.workflowId);
});
