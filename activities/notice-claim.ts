/**
 * The claim on a notice (see ledger.ts): taken before an attempt talks SMTP, renewed while it works, released
 * when it is done. A concurrent attempt that finds it held fails with a retryable `NoticeClaimed` and comes back
 * when the lease would run out; by then the holder has written its entry, which the retry finds.
 *
 * The lease lasts half the activity's start-to-close timeout (1 minute for sendNotice) unless configured: a
 * holder killed with the process stops renewing, and the retry that Temporal starts after that timeout finds the
 * lease expired. A live holder renews every third of the lease, so a slow SMTP server never lets a second
 * attempt in while the first still waits for its 250.
 */
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import type { Info } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Ledger } from './ledger';

export const NOTICE_CLAIMED = 'NoticeClaimed';
const DEFAULT_LEASE_MS = 60_000;

export interface HeldClaim {
  holder: string;
  /** Stops renewing and gives the lease up; never throws (an unreleased lease runs out by itself). */
  release(): Promise<void>;
}

/** The attempt's info; undefined when called outside an activity (a direct call in a unit test). */
function currentInfo(): Info | undefined {
  try {
    return activityInfo();
  } catch {
    return undefined;
  }
}

/** Lease length: the configured one, else half the attempt's start-to-close timeout. */
export function leaseMsFor(configuredMs: number | undefined): number {
  if (configuredMs !== undefined) return configuredMs;
  const timeout = currentInfo()?.startToCloseTimeoutMs ?? 0;
  return timeout > 0 ? Math.max(1_000, Math.floor(timeout / 2)) : DEFAULT_LEASE_MS;
}

/** This attempt's name in the claims table: which activity attempt, on which host and process. */
function holderName(): string {
  const info = currentInfo();
  return `${info ? `${info.activityId}#${info.attempt}` : 'direct'}@${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

/** Takes the claim or throws the retryable NoticeClaimed. */
export async function claimNotice(ledger: Ledger, noticeId: string, runKey: string, leaseMs: number): Promise<HeldClaim> {
  const holder = holderName();
  const got = await ledger.claim(noticeId, runKey, holder, leaseMs);
  if (!got.granted) {
    throw ApplicationFailure.create({
      type: NOTICE_CLAIMED,
      message: `notice ${noticeId} is being sent by another attempt (${got.holder || 'just released'}); retrying when its lease runs out`,
      // Back when the holder's lease would run out (or sooner): by then it has recorded the outcome or died.
      nextRetryDelay: Math.min(Math.max(Math.ceil(got.remainingMs) + 500, 1_000), leaseMs + 1_000),
    });
  }
  const renew = setInterval(() => {
    ledger.claim(noticeId, runKey, holder, leaseMs).then(
      (r) => { if (!r.granted) log.warn('the claim on a notice was taken over while this attempt still held it', { notice: noticeId, by: r.holder }); },
      (e: unknown) => log.warn('could not renew the claim on a notice', { notice: noticeId, error: String(e) }),
    );
  }, Math.max(200, Math.floor(leaseMs / 3)));
  renew.unref();
  return {
    holder,
    async release() {
      clearInterval(renew);
      await ledger.release(noticeId, runKey, holder).catch((e: unknown) => log.warn('could not release the claim on a notice; its lease will run out', { notice: noticeId, error: String(e) }));
    },
  };
}
