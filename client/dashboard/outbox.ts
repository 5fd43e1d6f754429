/** The local SMTP sink's .eml files (npm start keeps every notice under .data/mail/), newest first. */
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface OutboxEntry {
  file: string;
  receivedAt: string;
  size: number;
}

export interface OutboxMessage {
  file: string;
  subject: string;
  from: string;
  to: string;
  date: string | null;
  messageId: string | null;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
}

const NAME = /^[A-Za-z0-9._-]{1,200}\.eml$/;

export async function listOutbox(dir: string, limit = 200): Promise<OutboxEntry[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => NAME.test(n));
  } catch {
    return [];
  }
  const entries = await Promise.all(names.map(async (file) => {
    const st = await stat(path.join(dir, file));
    return { file, receivedAt: st.mtime.toISOString(), size: st.size };
  }));
  return entries.sort((a, b) => b.file.localeCompare(a.file)).slice(0, limit);
}

const addresses = (a: AddressObject | AddressObject[] | undefined): string => (a === undefined ? '' : (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', '));

/** One message, parsed; null for a name that is not an .eml file of the directory (no path traversal). */
export async function readOutbox(dir: string, file: string): Promise<OutboxMessage | null> {
  if (!NAME.test(file)) return null;
  let rawMail: Buffer;
  try {
    rawMail = await readFile(path.join(dir, file));
  } catch {
    return null;
  }
  const m = await simpleParser(rawMail);
  return {
    file,
    subject: m.subject ?? '(no subject)',
    from: addresses(m.from),
    to: addresses(m.to),
    date: m.date ? m.date.toISOString() : null,
    messageId: m.messageId ?? null,
    text: m.text ?? '',
    attachments: m.attachments.map((a) => ({ filename: a.filename ?? '(unnamed)', contentType: a.contentType, size: a.size })),
  };
}

/** Subject and recipients for the list, read from each file's headers. */
export async function summarizeOutbox(dir: string, entries: OutboxEntry[]): Promise<(OutboxEntry & { subject: string; to: string })[]> {
  return Promise.all(entries.map(async (e) => {
    const m = await readOutbox(dir, e.file);
    return { ...e, subject: m?.subject ?? '(unreadable)', to: m?.to ?? '' };
  }));
}
