/** Search attributes for listing reviews. No personal data here: search attributes are not encrypted. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';

export const PHASE_SA = defineSearchAttributeKey('ReviewPhase', SearchAttributeType.KEYWORD);
export const LAB_SA = defineSearchAttributeKey('ReviewLab', SearchAttributeType.KEYWORD);
export const WINDOW_ENDS_SA = defineSearchAttributeKey('ReviewWindowEndsAt', SearchAttributeType.DATETIME);
export const OUTCOME_SA = defineSearchAttributeKey('ReviewOutcome', SearchAttributeType.KEYWORD);

/** For servers that must be told about custom attributes by name (temporal CLI `--search-attribute`, operator API). */
export const SEARCH_ATTRIBUTES = {
  ReviewPhase: 'KEYWORD',
  ReviewLab: 'KEYWORD',
  ReviewWindowEndsAt: 'DATETIME',
  ReviewOutcome: 'KEYWORD',
} as const;

/** What a review's start sets besides ReviewLab: the phase it starts in (the workflow then has nothing to upsert at intake). */
export const STARTING_SEARCH_ATTRIBUTES: SearchAttributePair[] = [{ key: PHASE_SA, value: 'awaiting-access' }];

export const ALL_SEARCH_ATTRIBUTE_KEYS = [PHASE_SA, LAB_SA, WINDOW_ENDS_SA, OUTCOME_SA];
