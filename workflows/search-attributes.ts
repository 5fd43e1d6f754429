/** Search attributes for listing reviews. No personal data here: search attributes are not encrypted. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';

export const PHASE_SA = defineSearchAttributeKey('ReviewPhase', SearchAttributeType.KEYWORD);
export const LAB_SA = defineSearchAttributeKey('ReviewLab', SearchAttributeType.KEYWORD);
export const WINDOW_ENDS_SA = defineSearchAttributeKey('ReviewWindowEndsAt', SearchAttributeType.DATETIME);
export const OUTCOME_SA = defineSearchAttributeKey('ReviewOutcome', SearchAttributeType.KEYWORD);
/**
 * Reviewer ids of a review (current, requested, former; set since review-card): a reviewer's scope is a query. Ids
 * are in plain text, like the phase: they are staff identifiers the office chooses (tokens bind to them), not names
 * or addresses; the workflow holds no key to pseudonymise them (docs/SECURITY.md).
 */
export const REVIEWERS_SA = defineSearchAttributeKey('ReviewReviewers', SearchAttributeType.KEYWORD_LIST);
/**
 * When the review's card last changed (the workflow's clock; set since compact-history): a reader that keeps the
 * cards lists only the reviews changed since its last look, instead of all of them.
 */
export const UPDATED_AT_SA = defineSearchAttributeKey('ReviewUpdatedAt', SearchAttributeType.DATETIME);

/** For servers that must be told about custom attributes by name (temporal CLI `--search-attribute`, operator API). */
export const SEARCH_ATTRIBUTES = {
  ReviewPhase: 'KEYWORD',
  ReviewLab: 'KEYWORD',
  ReviewWindowEndsAt: 'DATETIME',
  ReviewOutcome: 'KEYWORD',
  ReviewReviewers: 'KEYWORD_LIST',
  ReviewUpdatedAt: 'DATETIME',
} as const;

/** What a review's start sets besides ReviewLab: the phase it starts in (the workflow then has nothing to upsert at intake). */
export const STARTING_SEARCH_ATTRIBUTES: SearchAttributePair[] = [{ key: PHASE_SA, value: 'awaiting-access' }];

/** Since review-card, with the request's reviewer ids too: the workflow then writes ReviewReviewers only when they change. */
export function startingSearchAttributes(request: { evaluations: { reviewer: { id: string } }[] }): SearchAttributePair[] {
  const ids = [...new Set(request.evaluations.map((e) => e.reviewer.id))].sort();
  return [...STARTING_SEARCH_ATTRIBUTES, ...(ids.length > 0 ? [{ key: REVIEWERS_SA, value: ids }] : [])];
}

export const ALL_SEARCH_ATTRIBUTE_KEYS = [PHASE_SA, LAB_SA, WINDOW_ENDS_SA, OUTCOME_SA, REVIEWERS_SA, UPDATED_AT_SA];
