/**
 * A person's calendar feed (RFC 5545, read by Outlook, Google and Apple calendars by subscription): every dated
 * event they are responsible for across their reviews. Pure: the statuses come in already cut to what the person
 * may see (client/api/visibility.ts), and this module picks the events their role answers for.
 *
 * UIDs are the calendar invites' own (activities/calendar.ts: review + deadline key), so the window end and a
 * track's due date are the same event in the feed as in the mail invite, and a date that moves moves the event
 * in place. Times are written in UTC (every calendar shows them in its own zone; no VTIMEZONE needed); the feed
 * names the person's zone (X-WR-TIMEZONE) and each description gives the date in words in that zone.
 */
import ical, { ICalEventStatus, ICalEventTransparency } from 'ical-generator';
import { eventUid } from '../activities/calendar';
import { inZone } from '../shared/zone-time';
import { dueEventKey, WINDOW_END_EVENT } from '../workflows/calendar-events';
import { toIso } from '../workflows/timeline';
import type { EvaluationView, ReviewStatus } from '../workflows/types';
import type { Role } from './api/auth';
import type { ReviewFacts } from './read-model/facts';

export type FeedKind = 'access-deadline' | 'window-end' | 'evaluation-due' | 'planned-release' | 'disposal-due';

export interface FeedItem {
  uid: string;
  reviewId: string;
  kind: FeedKind;
  at: string;
  summary: string;
  description: string;
}

/** Who reads the feed: the role decides which events are theirs; a reviewer answers only for its own tracks. */
export interface FeedViewer {
  role: Role;
  reviewerId?: string;
}

/** Minutes a deadline blocks in the calendar (shown as free time, as the invites do). */
const EVENT_MINUTES = 30;

const words = (iso: string, zone: string): string => `${inZone(iso, zone, 'words') ?? iso} (${zone})`;

/** What a feed reads of a review: fields every party may see (visibility.ts), so a status or a card's facts will do. */
export type FeedSource = Pick<ReviewStatus, 'reviewId' | 'model' | 'timeZone' | 'phase' | 'outcome' | 'closedAt' | 'plannedReleaseAt' | 'disposalDueAt'> & {
  lab: { name: string };
  clock: Pick<ReviewStatus['clock'], 'accessDeadlineAt' | 'windowEndsAt'>;
  evaluations: Pick<EvaluationView, 'track' | 'reviewerId' | 'dueAt' | 'status' | 'severity'>[];
  disposal: { party: string; confirmedAt: string | null }[];
};

/** A review's facts (from its card: no query) as a feed reads them; instants in the review's zone, as the status gives them. */
export function feedSourceOf(f: ReviewFacts): FeedSource {
  const iso = (at: number | null): string | null => (at === null ? null : toIso(at, f.timeZone));
  return {
    reviewId: f.reviewId, model: f.model, lab: { name: f.lab.name }, timeZone: f.timeZone, phase: f.phase, outcome: f.outcome,
    closedAt: iso(f.closedAt), plannedReleaseAt: iso(f.plannedReleaseAt), disposalDueAt: iso(f.disposalDueAt),
    clock: { accessDeadlineAt: iso(f.accessDeadlineAt), windowEndsAt: iso(f.windowEndsAt) },
    evaluations: f.evaluations.map((e) => ({ track: e.track, reviewerId: e.reviewerId, dueAt: iso(e.dueAt), status: e.status, severity: e.severity })),
    // Only whether a party confirmed matters here.
    disposal: f.disposal.map((d) => ({ party: d.party, confirmedAt: d.confirmed ? 'confirmed' : null })),
  };
}

/** The events of one review that `viewer` answers for, from its status (or its card's facts) as the viewer may see it. */
export function feedItemsOf(viewer: FeedViewer, s: FeedSource, zone: string, domain: string): FeedItem[] {
  const items: FeedItem[] = [];
  const model = `${s.model.name} ${s.model.version}`;
  const clearinghouse = viewer.role === 'pm' || viewer.role === 'director';
  const lab = viewer.role === 'lab';
  const ownTracks = s.evaluations.filter((e) => clearinghouse || (viewer.role === 'reviewer' && e.reviewerId === viewer.reviewerId));
  const closed = s.closedAt ? Date.parse(s.closedAt) : null;
  /** A deadline still ahead at the close was cancelled then (the invites say so too): it leaves the feed. */
  const cancelled = (at: string): boolean => closed !== null && Date.parse(at) > closed;
  const add = (kind: FeedKind, key: string, at: string | null, summary: string, what: string): void => {
    if (!at || !Number.isFinite(Date.parse(at))) return;
    items.push({
      uid: eventUid(s.reviewId, key, domain), reviewId: s.reviewId, kind, at, summary: `${summary} — ${model}, ${s.lab.name}`,
      description: `${what}\nWhen: ${words(at, zone)}; review zone ${s.timeZone}.\nReview ${s.reviewId}: ${model} from ${s.lab.name}; phase ${s.phase}${s.outcome ? ` (${s.outcome})` : ''}.`,
    });
  };

  if ((clearinghouse || lab) && s.phase === 'awaiting-access') {
    add('access-deadline', 'access-deadline', s.clock.accessDeadlineAt, 'Access deadline', 'Access must be granted by then, or the review lapses.');
  }
  const windowEnd = s.clock.windowEndsAt;
  if (windowEnd && !cancelled(windowEnd) && (clearinghouse || lab || ownTracks.length > 0)) {
    add('window-end', WINDOW_END_EVENT, windowEnd, 'Review window ends', lab
      ? 'End of the voluntary pre-release review window. No preclearance or approval is needed to release the model.'
      : 'End of the review window: the review closes then whatever is pending.');
  }
  for (const e of ownTracks) {
    if (!e.dueAt || cancelled(e.dueAt)) continue;
    const state = e.status === 'overdue' ? 'OVERDUE: ' : e.status === 'submitted' ? 'Submitted: ' : '';
    add('evaluation-due', dueEventKey(e.track), e.dueAt, `${state}Evaluation due: ${e.track}`,
      `The "${e.track}" evaluation (reviewer ${e.reviewerId}) is due; status ${e.status}${e.severity ? `, severity ${e.severity}` : ''}.`);
  }
  if (clearinghouse || lab) add('planned-release', 'planned-release', s.plannedReleaseAt, "Lab's planned release", 'The lab plans to release the model then; the window ends by then at the latest.');
  const disposalParty = s.disposal.some((d) => d.confirmedAt === null && (clearinghouse || (lab && d.party === 'lab') || (viewer.role === 'reviewer' && d.party === viewer.reviewerId)));
  if (disposalParty) add('disposal-due', 'disposal-due', s.disposalDueAt, 'Disposal confirmations due', 'Access revocation and artifact disposal must be confirmed by then.');
  return items;
}

/** The feed's text. `ttlSeconds`: how often calendars are asked to refresh (REFRESH-INTERVAL, X-PUBLISHED-TTL). */
export function renderFeed(name: string, zone: string, items: FeedItem[], stamp: Date, ttlSeconds = 3600): string {
  const calendar = ical({ name, ttl: ttlSeconds, prodId: { company: 'frontier-review', product: 'calendar-feed', language: 'EN' } });
  for (const it of [...items].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const start = new Date(it.at);
    calendar.createEvent({
      id: it.uid, stamp, start, end: new Date(start.getTime() + EVENT_MINUTES * 60_000), summary: it.summary, description: it.description,
      status: ICalEventStatus.CONFIRMED, transparency: ICalEventTransparency.TRANSPARENT, categories: [{ name: it.kind }],
    });
  }
  // X-WR-TIMEZONE among the calendar's own properties, before the events, as RFC 5545's grammar has it
  // (ical-generator writes its `x` properties last). The zone is an IANA name checked when the feed was issued.
  // Inserted before the first event (or the end), never inside a folded line.
  return calendar.toString().replace(/\r\n(BEGIN:VEVENT|END:VCALENDAR)/, (_m, next: string) => `\r\nX-WR-TIMEZONE:${zone}\r\n${next}`);
}
