/** Shapes of the weekly digest (digestWorkflow and its activities). */
import type { Person, Phase } from './types';

/** Where the program office is when nobody says: digest dates and the Monday schedule. */
export const DEFAULT_PROGRAM_OFFICE_ZONE = 'America/New_York';

export interface DigestInput {
  /** The program office's IANA zone: dates in the digest are written there. Default America/New_York. */
  timeZone?: string;
  /** How far ahead "this week" reaches. Default 7 days. */
  days?: number;
}

export interface DigestDeadline {
  /** "window ends", "cyber-offense evaluation due (Riley)", … */
  label: string;
  /** ISO with offset. */
  at: string;
}

/** One open review as the listing activity found it: every upcoming deadline, this week or not. */
export interface DigestReview {
  reviewId: string;
  model: { name: string; version: string };
  labName: string;
  phase: Phase;
  programManager: Person;
  deadlines: DigestDeadline[];
}

export interface DigestEntry {
  reviewId: string;
  model: { name: string; version: string };
  labName: string;
  phase: Phase;
  /** Deadlines inside the digest's week, earliest first. */
  dueThisWeek: DigestDeadline[];
  /** The first deadline after the week, if any. */
  next: DigestDeadline | null;
}

export interface DigestMail {
  /** `digest/<yyyy-MM-dd>/<pm e-mail>`: the ledger sends each PM one digest a day at most. */
  id: string;
  to: Person;
  timeZone: string;
  from: string;
  until: string;
  reviews: DigestEntry[];
}

export interface DigestResult {
  week: string;
  programManagers: number;
  reviews: number;
}
