/** Reading what the SMTP sink received: parsed mails and the calendar events they carry (parsed with ical.js). */
import ICAL from 'ical.js';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import type { SmtpSink } from '../../shared/smtp-sink';

export interface ParsedInvite {
  method: string;
  uid: string;
  sequence: number;
  start: string;
  status: string;
  attendees: string[];
  summary: string;
}

export async function mailWith(sink: SmtpSink, messageId: string | undefined, timeoutMs = 20_000): Promise<ParsedMail> {
  if (!messageId) throw new Error('no Message-ID: the notice was not sent');
  await sink.waitFor((ms) => ms.some((m) => m.messageId === messageId), timeoutMs);
  return simpleParser(sink.messages.find((m) => m.messageId === messageId)?.raw ?? '');
}

export function parseInvite(content: string): ParsedInvite {
  const cal = new ICAL.Component(ICAL.parse(content));
  const vevent = cal.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('calendar without VEVENT');
  const ev = new ICAL.Event(vevent);
  return {
    method: String(cal.getFirstPropertyValue('method')),
    uid: ev.uid,
    sequence: ev.sequence,
    start: ev.startDate.toJSDate().toISOString(),
    status: String(vevent.getFirstPropertyValue('status')),
    attendees: ev.attendees.map((a) => String(a.getFirstValue()).replace(/^mailto:/i, '').toLowerCase()),
    summary: ev.summary,
  };
}

/** Every calendar a mail carries, once each (nodemailer puts the invitation in twice: inline and as a file). */
export function invitesOf(mail: ParsedMail): ParsedInvite[] {
  const seen = new Set<string>();
  const out: ParsedInvite[] = [];
  for (const a of mail.attachments) {
    if (a.contentType !== 'text/calendar') continue;
    const content = a.content.toString('utf8');
    if (seen.has(content)) continue;
    seen.add(content);
    out.push(parseInvite(content));
  }
  return out;
}

/** An instant as a calendar file writes it: UTC, whole seconds (DTSTART has no fractions). */
export const utc = (iso: string | number | null): string => new Date(Math.floor(new Date(iso as string).getTime() / 1000) * 1000).toISOString();
