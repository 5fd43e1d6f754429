import type { ReviewRequest } from '../../workflows/types';

/** A realistic request; each test overrides what it needs. Release far enough out not to cap the window. */
export function request(overrides: Partial<ReviewRequest> = {}): ReviewRequest {
  return {
    reviewId: `acme-atlas7-${Math.random().toString(36).slice(2, 8)}`,
    model: { name: 'Atlas-7', version: 'rc1' },
    lab: { name: 'Acme AI', timeZone: 'America/Los_Angeles', contacts: [{ name: 'Sec Team', email: 'security@acme.example' }] },
    programManager: { name: 'Pat PM', email: 'pm@clearinghouse.example' },
    director: { name: 'Dana Director', email: 'director@clearinghouse.example' },
    evaluations: [
      { track: 'cyber-offense', reviewer: { id: 'r1', name: 'Riley', email: 'riley@clearinghouse.example' }, dueDay: 21 },
    ],
    timeZone: 'America/New_York',
    ...overrides,
  };
}
