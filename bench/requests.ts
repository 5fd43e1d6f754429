/** Review requests for the benchmark: realistic (like test/support/fixtures.ts), with deterministic ids. */
import type { ReviewRequest } from '../workflows/types';

export const TRACK_NAMES = ['cyber-offense', 'bio-uplift', 'autonomy', 'persuasion', 'model-weights-security'];

export const reviewer = (i: number): { id: string; name: string; email: string } => ({ id: `r${i}`, name: `Reviewer ${i}`, email: `reviewer${i}@clearinghouse.example` });

export function benchRequest(reviewId: string, tracks = 1, overrides: Partial<ReviewRequest> = {}): ReviewRequest {
  return {
    reviewId,
    model: { name: 'Atlas-7', version: 'rc1' },
    lab: { name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' },
    director: { name: 'Dana Director', email: 'director@clearinghouse.example' },
    evaluations: Array.from({ length: tracks }, (_, i) => ({ track: TRACK_NAMES[i] ?? `track-${i + 1}`, reviewer: reviewer(i + 1), dueDay: 21 })),
    timeZone: 'America/New_York',
    ...overrides,
  };
}
