/** Notice texts (one template per kind) and Message-IDs. Payloads are built by hand, as the workflow would. */
import { DEFAULT_MESSAGE_ID_DOMAIN, messageIdFor } from '../../activities/message-id';
import { renderNotice } from '../../activities/templates';
import { noticeWebhookBody } from '../../activities/notice-webhooks';
import { NOTICE_KINDS } from '../../workflows/types';
import type { Audience, NoticeKind, NoticePayload } from '../../workflows/types';

const REVIEW_ID = 'acme-atlas7-2026-12';
const REVIEW_ZONE = 'America/New_York';
const LAB_ZONE = 'America/Los_Angeles';

/**
 * The instants a notice may refer to, and how each reads in New York and Los Angeles (worked out by hand:
 * 2027-01-01 is a Friday; January and February are EST −05:00 / PST −08:00).
 */
const DATES = {
  accessDeadlineAt: { iso: '2027-01-15T12:00:00.000-05:00', ny: 'Fri 15 Jan 2027, 12:00 EST (America/New_York)', la: 'Fri 15 Jan 2027, 09:00 PST (America/Los_Angeles)' },
  releaseAt: { iso: '2027-02-20T12:00:00.000-05:00', ny: 'Sat 20 Feb 2027, 12:00 EST (America/New_York)', la: 'Sat 20 Feb 2027, 09:00 PST (America/Los_Angeles)' },
  startedAt: { iso: '2027-01-04T09:00:00.000-05:00', ny: 'Mon 4 Jan 2027, 09:00 EST (America/New_York)', la: 'Mon 4 Jan 2027, 06:00 PST (America/Los_Angeles)' },
  windowEndsAt: { iso: '2027-02-03T09:00:00.000-05:00', ny: 'Wed 3 Feb 2027, 09:00 EST (America/New_York)', la: 'Wed 3 Feb 2027, 06:00 PST (America/Los_Angeles)' },
  dueAt: { iso: '2027-01-25T09:00:00.000-05:00', ny: 'Mon 25 Jan 2027, 09:00 EST (America/New_York)', la: 'Mon 25 Jan 2027, 06:00 PST (America/Los_Angeles)' },
  submittedAt: { iso: '2027-01-20T14:30:00.000-05:00', ny: 'Wed 20 Jan 2027, 14:30 EST (America/New_York)', la: 'Wed 20 Jan 2027, 11:30 PST (America/Los_Angeles)' },
  closedAt: { iso: '2027-02-01T16:45:00.000-05:00', ny: 'Mon 1 Feb 2027, 16:45 EST (America/New_York)', la: 'Mon 1 Feb 2027, 13:45 PST (America/Los_Angeles)' },
  disposalDueAt: { iso: '2027-02-06T16:45:00.000-05:00', ny: 'Sat 6 Feb 2027, 16:45 EST (America/New_York)', la: 'Sat 6 Feb 2027, 13:45 PST (America/Los_Angeles)' },
} as const;
type DateKey = keyof typeof DATES;

/** Who gets each kind (as the workflow sends them) and which dates its text must show. */
const AUDIENCES: Record<NoticeKind, Audience[]> = {
  'intake-ack': ['lab', 'pm'],
  'access-reminder': ['lab', 'pm'],
  'review-lapsed': ['lab', 'pm'],
  'clock-started': ['lab', 'pm'],
  'reviewer-assigned': ['reviewer:r1'],
  'reviewer-reminder': ['reviewer:r1'],
  'evaluation-overdue': ['pm', 'reviewer:r1'],
  'director-escalation': ['director'],
  'critical-finding': ['lab', 'pm', 'director'],
  'close-reminder': ['lab'],
  'ready-to-close': ['pm'],
  'review-closed': ['lab', 'pm', 'reviewer:r1'],
  'disposal-request': ['lab', 'reviewer:r1'],
  'disposal-overdue': ['lab', 'reviewer:r1', 'pm', 'director'],
  'evaluated-model-mismatch': ['pm'],
};
const SHOWN: Record<NoticeKind, DateKey[]> = {
  'intake-ack': ['accessDeadlineAt'],
  'access-reminder': ['accessDeadlineAt'],
  'review-lapsed': ['accessDeadlineAt'],
  'clock-started': ['startedAt', 'windowEndsAt'],
  'reviewer-assigned': ['dueAt', 'windowEndsAt'],
  'reviewer-reminder': ['dueAt'],
  'evaluation-overdue': ['dueAt', 'windowEndsAt'],
  'director-escalation': ['dueAt', 'windowEndsAt'],
  'critical-finding': ['submittedAt', 'windowEndsAt'], // not for the lab: see below
  'close-reminder': ['windowEndsAt'],
  'ready-to-close': ['windowEndsAt'],
  'review-closed': ['closedAt'],
  'disposal-request': ['disposalDueAt'],
  'disposal-overdue': ['disposalDueAt'],
  'evaluated-model-mismatch': ['submittedAt', 'windowEndsAt'],
};
const shown = (kind: NoticeKind, audience: Audience): DateKey[] => (kind === 'critical-finding' && audience === 'lab' ? [] : SHOWN[kind]);

const SUMMARY = 'Generates working exploits for two known CVE classes without assistance.';

function recipientsOf(audience: Audience): { to: NoticePayload['to']; zone: string } {
  if (audience === 'lab') return { to: [{ name: 'Sec Team', email: 'security@acme.example' }, { name: 'Ops', email: 'ops@acme.example' }], zone: LAB_ZONE };
  if (audience === 'pm') return { to: [{ name: 'Pat PM', email: 'pm@clearinghouse.example' }], zone: REVIEW_ZONE };
  if (audience === 'director') return { to: [{ name: 'Dana Director', email: 'director@clearinghouse.example' }], zone: REVIEW_ZONE };
  return { to: [{ name: 'Riley', email: 'riley@clearinghouse.example' }], zone: REVIEW_ZONE };
}

function payload(kind: NoticeKind, audience: Audience, over: Partial<NoticePayload> = {}): NoticePayload {
  const { to, zone } = recipientsOf(audience);
  const dates: Record<string, string> = {};
  for (const [k, v] of Object.entries(DATES)) dates[k] = v.iso;
  return {
    id: `${REVIEW_ID}/${kind}/key/${audience}`,
    kind,
    audience,
    to,
    reviewId: REVIEW_ID,
    model: { name: 'Atlas-7', version: 'rc1' },
    labName: 'Acme AI',
    recipientTimeZone: zone,
    reviewTimeZone: REVIEW_ZONE,
    dates,
    facts: {
      windowDays: 30, daysRemaining: 3, track: 'cyber-offense', reviewerName: 'Riley', summary: SUMMARY, tracks: 2, outcome: 'expired',
      reason: 'the review window ended', party: 'r1', by: 'Sec Team', severity: 'critical', level: 1, now: '2027-01-20T14:30:00.000-05:00',
      mismatch: 'evaluated sha256:1111, the package names sha256:2222',
    },
    ...(kind === 'review-closed'
      ? { findings: [{ track: 'cyber-offense', severity: 'high', status: 'submitted' }, { track: 'bio', severity: null, status: 'not-completed' }] }
      : {}),
    ...over,
  };
}

const ALL: [NoticeKind, Audience][] = NOTICE_KINDS.flatMap((k) => AUDIENCES[k].map((a): [NoticeKind, Audience] => [k, a]));

/** Wording that would tell a lab it needs permission to release: the order creates no preclearance. */
const PRECLEARANCE_PHRASES: RegExp[] = [
  /approved for release/i,
  /must wait for (the |clearinghouse )?approval/i,
  /await(ing)? (the |our )?approval/i,
  /(cleared|clearance (is )?granted) (for|to) release/i,
  /\b(may|must|can) ?not (yet )?release/i,
  /\bdo not release/i,
  /\bpreclearance (is )?required/i,
  /release (is )?(blocked|on hold|not permitted)/i,
  /(may|can) release (only )?(when|after|once) the (review|window)/i,
  /(before|until) (the )?(review|window) (closes|ends|is closed)[^.]*(release|publish)/i,
];

test('every notice kind is covered here', () => {
  expect(Object.keys(AUDIENCES).sort()).toEqual([...NOTICE_KINDS].sort());
  expect(NOTICE_KINDS).toHaveLength(15);
});

describe.each(ALL)('%s to %s', (kind, audience) => {
  const p = payload(kind, audience);
  const { subject, text } = renderNotice(p);

  test('the subject carries the review id', () => {
    expect(subject).toContain(`[${REVIEW_ID}]`);
    expect(subject).not.toMatch(/[\r\n]/);
  });

  test('the text names the model and greets every recipient', () => {
    expect(text).toContain('Atlas-7 rc1');
    expect(text).toContain(REVIEW_ID);
    for (const r of p.to) expect(text).toContain(r.name);
  });

  test('dates in the recipient zone, and for the lab also in the review zone', () => {
    for (const key of shown(kind, audience)) {
      if (audience === 'lab') {
        expect(text).toContain(`${DATES[key].la} = ${DATES[key].ny}`);
      } else {
        expect(text).toContain(DATES[key].ny);
      }
    }
    if (audience !== 'lab') expect(text).not.toContain(LAB_ZONE);
  });

  test('nothing is left unfilled', () => {
    for (const s of [subject, text]) {
      expect(s).not.toMatch(/undefined|NaN|Invalid DateTime|not set|\[object Object\]/);
    }
  });

  test('nothing implies a preclearance or an approval to release', () => {
    for (const re of PRECLEARANCE_PHRASES) {
      expect(subject).not.toMatch(re);
      expect(text).not.toMatch(re);
    }
  });
});

describe('specific notices', () => {
  test('closure notice to the lab: no preclearance, access ends, severity per track', () => {
    const { subject, text } = renderNotice(payload('review-closed', 'lab'));
    expect(subject).toMatch(/closed/i);
    expect(text).toMatch(/no licen[cs]e, preclearance or permit/i);
    expect(text).toMatch(/no approval from the clearinghouse is needed to release/i);
    expect(text).toMatch(/access to the model ends/i);
    expect(text).toMatch(/you may proceed with the release/i);
    expect(text).toContain('cyber-offense: severity high');
    expect(text).toContain('bio: not completed');
    expect(text).toContain('expired');
  });

  test('closure notice to the program manager lists the tracks but is not the lab\'s go-ahead', () => {
    const { text } = renderNotice(payload('review-closed', 'pm'));
    expect(text).toContain('cyber-offense: severity high');
    expect(text).toContain('bio: not completed');
    expect(text).not.toMatch(/you may proceed/i);
    expect(text).toMatch(/dispos/i);
  });

  test('every notice to the lab that could be read as a hold says no approval is needed', () => {
    for (const kind of ['intake-ack', 'clock-started', 'close-reminder', 'critical-finding', 'review-closed'] as NoticeKind[]) {
      expect(renderNotice(payload(kind, 'lab')).text).toMatch(/no approval from the clearinghouse is needed/i);
    }
  });

  test('intake acknowledgement to the lab: deadline for access and the planned release when known', () => {
    const withRelease = renderNotice(payload('intake-ack', 'lab')).text;
    expect(withRelease).toContain(`${DATES.releaseAt.la} = ${DATES.releaseAt.ny}`);
    expect(withRelease).toContain('30 days');
    expect(withRelease).toMatch(/lapses/);
    const dates = { accessDeadlineAt: DATES.accessDeadlineAt.iso };
    const withoutRelease = renderNotice(payload('intake-ack', 'lab', { dates })).text;
    expect(withoutRelease).not.toMatch(/planned public release/i);
    expect(withoutRelease).not.toContain('Sat 20 Feb 2027');
  });

  test('days remaining: singular and plural', () => {
    const one = renderNotice(payload('close-reminder', 'lab', { facts: { daysRemaining: 1 } }));
    expect(one.subject).toContain('1 day');
    expect(one.subject).not.toContain('1 days');
    expect(renderNotice(payload('close-reminder', 'lab', { facts: { daysRemaining: 7 } })).subject).toContain('7 days');
  });

  test('a lab in the review zone sees each date once', () => {
    const { text } = renderNotice(payload('close-reminder', 'lab', { recipientTimeZone: REVIEW_ZONE }));
    expect(text).toContain(DATES.windowEndsAt.ny);
    expect(text).not.toContain(' = ');
    expect(text).not.toContain(LAB_ZONE);
  });

  test('a lab in Sydney sees its own calendar day first', () => {
    // 2027-02-03 09:00 EST = 14:00Z = 2027-02-04 01:00 in Sydney (AEDT, +11:00).
    const { text } = renderNotice(payload('close-reminder', 'lab', { recipientTimeZone: 'Australia/Sydney' }));
    expect(text).toMatch(/Thu 4 Feb 2027, 01:00 \S+ \(Australia\/Sydney\) = Wed 3 Feb 2027, 09:00 EST \(America\/New_York\)/);
  });

  test('summer dates use daylight time', () => {
    const dates = { windowEndsAt: '2027-07-14T09:00:00.000-04:00' };
    const { text } = renderNotice(payload('close-reminder', 'lab', { dates }));
    // 2027-07-14 is a Wednesday; 09:00 EDT = 06:00 PDT.
    expect(text).toContain('Wed 14 Jul 2027, 06:00 PDT (America/Los_Angeles) = Wed 14 Jul 2027, 09:00 EDT (America/New_York)');
  });

  test('a critical finding reaches the program manager with the summary, the lab without it', () => {
    expect(renderNotice(payload('critical-finding', 'pm')).text).toContain(SUMMARY);
    expect(renderNotice(payload('critical-finding', 'director')).text).toContain(SUMMARY);
    expect(renderNotice(payload('critical-finding', 'lab')).text).not.toContain(SUMMARY);
  });

  test('disposal overdue names the missing party', () => {
    expect(renderNotice(payload('disposal-overdue', 'director', { facts: { party: 'r1' } })).text).toContain('reviewer r1');
    expect(renderNotice(payload('disposal-overdue', 'pm', { facts: { party: 'lab' } })).text).toContain('Acme AI');
  });

  test('the footer carries the notice id', () => {
    const p = payload('ready-to-close', 'pm');
    expect(renderNotice(p).text).toContain(`notice ${p.id}`);
  });
});

describe('messageIdFor', () => {
  // RFC 5322 msg-id with a dot-atom local part and domain.
  const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
  const MSG_ID = new RegExp(`^<${ATEXT}+(\\.${ATEXT}+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*>$`);
  const realistic = `${REVIEW_ID}/close-reminder/close-reminder:7d:2027-02-03/lab`;

  test('deterministic', () => {
    expect(messageIdFor(realistic)).toBe(messageIdFor(realistic));
  });

  test('a realistic notice id: ":" escaped, the rest kept', () => {
    // ':' is 0x3A.
    expect(messageIdFor(realistic)).toBe(`<${REVIEW_ID}/close-reminder/close-reminder=3A7d=3A2027-02-03/lab@${DEFAULT_MESSAGE_ID_DOMAIN}>`);
  });

  test('the domain can be chosen', () => {
    expect(messageIdFor('abc', 'mail.clearinghouse.example')).toBe('<abc@mail.clearinghouse.example>');
  });

  test.each([
    realistic, 'a b', 'x@y.example', '<tag>', '"quoted"', '..', '.lead', 'trail.', 'a\r\nBcc: x@y', 'é', '日本', '🙂', 'reviewer:r.1',
  ])('valid <local@domain> shape for %j', (id) => {
    expect(messageIdFor(id)).toMatch(MSG_ID);
  });

  test('ids differing only in ":" and "." map to different Message-IDs', () => {
    expect(messageIdFor('a:b')).not.toBe(messageIdFor('a.b'));
    expect(messageIdFor(`${REVIEW_ID}/reviewer-reminder/x:r1/reviewer:r1`)).not.toBe(messageIdFor(`${REVIEW_ID}/reviewer-reminder/x.r1/reviewer.r1`));
  });

  test('an id that looks like an escape does not collide with the escaped character', () => {
    expect(messageIdFor('a=3Ab')).not.toBe(messageIdFor('a:b'));
    expect(messageIdFor('a=2Eb')).not.toBe(messageIdFor('a.b'));
  });

  test('one-to-one over every short string of a tricky alphabet (incl. characters above U+00FF)', () => {
    const alphabet = ['a', '0', '1', 'A', 'u', ':', '.', '=', '-', '\u0010', '\u0100', '\u2603'];
    const inputs = new Set<string>(['']);
    let frontier = [''];
    for (let len = 1; len <= 3; len++) {
      frontier = frontier.flatMap((s) => alphabet.map((c) => s + c));
      for (const s of frontier) inputs.add(s);
    }
    const seen = new Map<string, string>();
    for (const s of inputs) {
      const id = messageIdFor(s);
      const other = seen.get(id);
      if (other !== undefined) throw new Error(`${JSON.stringify(s)} and ${JSON.stringify(other)} both map to ${id}`);
      seen.set(id, s);
    }
    expect(seen.size).toBe(inputs.size);
  });
});

test('webhook copies of a critical finding carry a link to the review, never the finding (issue 13, finding 4)', () => {
  for (const audience of ['pm', 'director', 'lab'] as const) {
    const body = noticeWebhookBody(payload('critical-finding', audience), 'https://review.example.gov');
    expect(JSON.stringify(body)).not.toContain(SUMMARY);
    expect(body.link).toBe(`https://review.example.gov/reviews/${REVIEW_ID}`);
    expect(body.text).toContain(`https://review.example.gov/reviews/${REVIEW_ID}`);
  }
  expect(noticeWebhookBody(payload('critical-finding', 'pm')).text).toMatch(/Summary: not in this copy/);
  expect(renderNotice(payload('critical-finding', 'pm')).text).toContain(SUMMARY); // the e-mail still has it
});

describe('the verifiable record in notices', () => {
  test('the acknowledgement and access reminders list what the access package lacks; without gaps they say nothing of it', () => {
    for (const kind of ['intake-ack', 'access-reminder'] as const) {
      const text = renderNotice(payload(kind, 'lab', { facts: { ...payload(kind, 'lab').facts, packageMissing: ['system card', 'outage contact'] } })).text;
      expect(text).toMatch(/The access package is incomplete. Still missing:/);
      expect(text).toMatch(/system card/);
      expect(text).toMatch(/review complete-package/);
      expect(renderNotice(payload(kind, 'lab')).text).not.toMatch(/access package/);
    }
  });

  test("the lab's closure notice says the signed receipt is attached only when it is", () => {
    const receipt = { payloadType: 'application/vnd.in-toto+json', payload: 'e30=', signatures: [{ keyid: 'ed25519:00', sig: 'AA==' }] };
    expect(renderNotice(payload('review-closed', 'lab', { receipt })).text).toMatch(/Attached: the closure receipt, signed by the clearinghouse/);
    expect(renderNotice(payload('review-closed', 'lab')).text).not.toMatch(/closure receipt/);
  });

  test('the model-mismatch flag names track, reviewer and both digests', () => {
    const text = renderNotice(payload('evaluated-model-mismatch', 'pm')).text;
    expect(text).toMatch(/Riley submitted the "cyber-offense" evaluation/);
    expect(text).toMatch(/evaluated sha256:1111, the package names sha256:2222/);
  });
});
