/**
 * Calendar invites (RFC 5545 / iTIP RFC 5546) for a review's deadlines, written with ical-generator. The
 * workflow decides which event, its SEQUENCE and REQUEST or CANCEL (workflows/calendar-events.ts); this
 * module only writes the file. Times are UTC (no VTIMEZONE needed); every calendar shows them in its own
 * zone. UID = review + deadline, so an update or cancellation replaces the event people already have.
 */
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus, ICalEventTransparency } from 'ical-generator';
import type { InviteSpec, NoticePayload } from '../workflows/types';
import { messageIdFor } from './message-id';
import { modelLine } from './templates';

export interface RenderedInvite {
  method: InviteSpec['method'];
  filename: string;
  content: string;
}

/** Minutes the event block lasts from the deadline (a marker, shown as free time). */
const EVENT_MINUTES = 30;

/** Stable per review and deadline; the same escaping as Message-IDs keeps it injective and a valid addr-spec. */
export function eventUid(reviewId: string, key: string, domain: string): string {
  return messageIdFor(`${reviewId}/calendar/${key}`, domain).slice(1, -1);
}

function describe(p: NoticePayload, invite: InviteSpec): { summary: string; description: string } {
  const model = modelLine(p);
  if (invite.key === 'window-end') {
    return {
      summary: `Review window ends: ${p.model.name} ${p.model.version}`,
      description: p.audience === 'lab'
        ? `End of the voluntary pre-release review window for ${model}. Government access ends then at the latest. No preclearance or approval is needed to release the model.`
        : `End of the pre-release review window for ${model} from ${p.labName}. Pending evaluations are recorded as not completed.`,
    };
  }
  return {
    summary: `Evaluation due: ${invite.track ?? invite.key} — ${p.model.name} ${p.model.version}`,
    description: `Due date of the "${invite.track ?? invite.key}" evaluation of ${model} from ${p.labName}.`,
  };
}

/**
 * A CN parameter cannot hold a double quote (RFC 5545 §3.2); ical-generator writes it backslash-escaped,
 * which parsers read as the end of the value. Use a single quote instead.
 */
const cn = (name: string): string => name.replace(/"/g, "'");

export function renderInvite(p: NoticePayload, invite: InviteSpec, organizer: { name: string; email: string }, domain: string): RenderedInvite {
  const start = new Date(invite.at);
  const { summary, description } = describe(p, invite);
  const cancel = invite.method === 'CANCEL';
  const calendar = ical({
    prodId: { company: 'frontier-review', product: 'notices', language: 'EN' },
    method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
    events: [{
      id: eventUid(p.reviewId, invite.key, domain),
      sequence: invite.sequence,
      // DTSTAMP: when the workflow issued the notice, so a resend is byte-identical.
      stamp: p.facts.now ? new Date(p.facts.now) : start,
      start,
      end: new Date(start.getTime() + EVENT_MINUTES * 60_000),
      summary: cancel ? `Cancelled: ${summary}` : summary,
      description,
      status: cancel ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      transparency: ICalEventTransparency.TRANSPARENT,
      organizer: { ...organizer, name: cn(organizer.name) },
      attendees: p.to.map((t) => ({
        email: t.email, name: cn(t.name), rsvp: false, role: ICalAttendeeRole.REQ, status: ICalAttendeeStatus.NEEDSACTION,
      })),
    }],
  });
  const base = invite.key.replace(/[^A-Za-z0-9-]+/g, '-');
  return { method: invite.method, filename: `${cancel ? 'cancel-' : ''}${base}.ics`, content: calendar.toString() };
}
