/**
 * Shapes of the review's verifiable record shared by the workflow, the activities and the client: what the
 * workflow hands the receipt activity at close, and the signed receipt it keeps (a DSSE envelope, small).
 */
import type { Outcome } from './types';

/** What the closure receipt states, as the workflow knows it at close (the activity adds the chain head). */
export interface ClosureFacts {
  reviewId: string;
  model: { name: string; version: string; identifier: string; digest?: string; apiVersion?: string };
  lab: { id?: string; name: string };
  clockStartedAt: string | null;
  windowEndsAt: string | null;
  closedAt: string;
  outcome: Outcome;
  /** Audit events at close: the receipt's chain head covers events[0..eventCount). */
  eventCount: number;
}

/** A DSSE envelope (shared/record/dsse.ts), as the status carries it. */
export interface ReceiptEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** The receipt in the review's state: signed, or why not (no key configured; signing failed). */
export type ReceiptState = { envelope: ReceiptEnvelope; keyid: string; head: string; eventCount: number } | { error: string };
