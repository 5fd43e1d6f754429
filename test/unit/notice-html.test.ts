/**
 * The HTML side of every notice, days remaining, and the calendar-update variants of the templates.
 * (test/unit/templates.test.ts covers the texts' content per kind.)
 */
import { escapeHtml } from '../../activities/blocks';
import { countdown, renderChatText, renderNotice } from '../../activities/templates';
import { NOTICE_KINDS } from '../../workflows/types';
import type { Audience, NoticeKind, NoticePayload } from '../../workflows/types';

const AUDIENCES: Record<NoticeKind, Audience> = {
  'intake-ack': 'lab', 'access-reminder': 'lab', 'review-lapsed': 'lab', 'clock-started': 'lab', 'reviewer-assigned': 'reviewer:r1',
  'reviewer-reminder': 'reviewer:r1', 'evaluation-overdue': 'pm', 'director-escalation': 'director', 'critical-finding': 'pm',
  'close-reminder': 'lab', 'ready-to-close': 'pm', 'review-closed': 'lab', 'disposal-request': 'lab', 'disposal-overdue': 'pm',
  'evaluated-model-mismatch': 'pm',
};

/** Hostile values everywhere a person's text reaches a notice. */
const EVIL = '<script>alert("x")</script> & Co\'s';

function payload(kind: NoticeKind, over: Partial<NoticePayload> = {}): NoticePayload {
  const audience = AUDIENCES[kind];
  return {
    id: `acme-atlas7-2026-12/${kind}/k/${audience}`, kind, audience,
    to: [{ name: `Sec ${EVIL}`, email: 'security@acme.example' }],
    reviewId: 'acme-atlas7-2026-12', model: { name: `Atlas-7 ${EVIL}`, version: 'rc1' }, labName: `Acme ${EVIL}`,
    recipientTimeZone: audience === 'lab' ? 'America/Los_Angeles' : 'America/New_York', reviewTimeZone: 'America/New_York',
    dates: {
      accessDeadlineAt: '2027-01-15T12:00:00.000-05:00', startedAt: '2027-01-04T09:00:00.000-05:00', windowEndsAt: '2027-02-03T09:00:00.000-05:00',
      dueAt: '2027-01-25T09:00:00.000-05:00', submittedAt: '2027-01-20T14:30:00.000-05:00', closedAt: '2027-02-01T16:45:00.000-05:00',
      disposalDueAt: '2027-02-06T16:45:00.000-05:00',
    },
    facts: {
      now: '2027-01-20T14:30:00.000-05:00', windowDays: 30, daysRemaining: 3, track: 'cyber-offense', reviewerName: `Riley ${EVIL}`, summary: `Found ${EVIL}`,
      tracks: 2, outcome: 'expired', reason: `closed ${EVIL}`, party: 'r1', by: 'Sec Team', severity: 'critical', level: 1,
    },
    ...(kind === 'review-closed' ? { findings: [{ track: 'cyber-offense', severity: 'high', status: 'submitted' }] } : {}),
    ...over,
  };
}

/** The visible text of the HTML body: tags dropped, entities decoded. */
function visible(html: string): string {
  const body = html.slice(html.indexOf('<body'));
  return body.replace(/<li>/g, '\n  - ').replace(/<[^>]+>/g, '\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&').split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\n');
}
const lines = (text: string): string => text.split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\n');

describe.each([...NOTICE_KINDS])('%s: HTML', (kind) => {
  const { text, html, subject } = renderNotice(payload(kind));

  test('no markup from the data gets through: every < is escaped', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s');
  });

  test('says what the text says, paragraph for paragraph', () => {
    expect(visible(html)).toBe(lines(text));
  });

  test('a complete document with the subject as its title', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`<title>${escapeHtml(subject)}</title>`);
    expect(html.trim().endsWith('</html>')).toBe(true);
  });
});

describe('days remaining', () => {
  const p = payload('close-reminder');

  test.each([
    ['2027-02-03T09:00:00.000-05:00', 'in 14 days'],
    ['2027-01-21T08:00:00.000-05:00', 'tomorrow'],
    ['2027-01-20T23:00:00.000-05:00', 'today'], // 20:00 in Los Angeles, the same calendar day there
    ['2027-01-18T09:00:00.000-05:00', '2 days ago'],
  ])('%s → %s (calendar days in the recipient\'s zone, from the notice time)', (iso, expected) => {
    expect(countdown(iso, p)).toBe(expected);
  });

  test('a deadline shows its countdown after both zones', () => {
    expect(renderNotice(p).text).toContain('Wed 3 Feb 2027, 06:00 PST (America/Los_Angeles) = Wed 3 Feb 2027, 09:00 EST (America/New_York), in 14 days');
  });

  test('the recipient\'s calendar decides: 23:30 in New York is already tomorrow in Sydney', () => {
    const sydney = payload('close-reminder', { recipientTimeZone: 'Australia/Sydney', facts: { now: '2027-01-20T07:30:00.000-05:00' } });
    // now = 23:30 AEDT on 20 Jan; the window end 01:00 AEDT on 4 Feb: 15 calendar days in Sydney (14 in New York).
    expect(countdown('2027-02-03T09:00:00.000-05:00', sydney)).toBe('in 15 days');
    expect(countdown('2027-02-03T09:00:00.000-05:00', { ...sydney, recipientTimeZone: 'America/New_York' })).toBe('in 14 days');
  });
});

describe('calendar variants', () => {
  test('window end moved: new and old date, the update replaces the earlier event', () => {
    const p = payload('clock-started', { facts: { now: '2027-01-10T09:00:00.000-05:00', update: true }, dates: { windowEndsAt: '2027-01-28T09:00:00.000-05:00', previousAt: '2027-02-03T09:00:00.000-05:00' } });
    const { subject, text } = renderNotice(p);
    expect(subject).toContain('Review window end moved: now Thu 28 Jan 2027, 06:00 PST');
    expect(text).toContain('now closes at Thu 28 Jan 2027, 06:00 PST (America/Los_Angeles) = Thu 28 Jan 2027, 09:00 EST (America/New_York), in 18 days');
    expect(text).toContain('It was Wed 3 Feb 2027, 06:00 PST');
    expect(text).toMatch(/no approval from the clearinghouse is needed/i);
  });

  test('due date moved', () => {
    const p = payload('reviewer-assigned', { facts: { now: '2027-01-10T09:00:00.000-05:00', track: 'cyber-offense', update: true }, dates: { dueAt: '2027-01-22T09:00:00.000-05:00', previousAt: '2027-01-25T09:00:00.000-05:00' } });
    const { subject, text } = renderNotice(p);
    expect(subject).toContain('Due date moved: cyber-offense evaluation now due Fri 22 Jan 2027, 09:00 EST');
    expect(text).toContain('It was due Mon 25 Jan 2027, 09:00 EST (America/New_York).');
  });

  test('unassigned: the reviewer is released and told the event is cancelled', () => {
    const { subject, text } = renderNotice(payload('reviewer-assigned', { facts: { track: 'cyber-offense', unassigned: true } }));
    expect(subject).toContain('Evaluation reassigned: cyber-offense');
    expect(text).toMatch(/no longer need to submit it/);
    expect(text).toMatch(/calendar event .* is cancelled/);
  });

  test('assignment in business days names the rule', () => {
    const { text } = renderNotice(payload('reviewer-assigned', { facts: { now: '2027-01-04T09:00:00.000-05:00', track: 'cyber-offense', dueBusinessDays: 10 } }));
    expect(text).toContain('by Mon 25 Jan 2027, 09:00 EST (America/New_York), in 21 days (10 business days after the clock start)');
  });

  test('closure with cancelled events says so', () => {
    const withCancel = renderNotice(payload('review-closed', { invites: [{ key: 'window-end', sequence: 1, method: 'CANCEL', at: '2027-02-03T09:00:00.000-05:00' }] })).text;
    expect(withCancel).toMatch(/calendar events .* are cancelled/);
    expect(renderNotice(payload('review-closed')).text).not.toMatch(/calendar events/);
  });
});

test('the webhook text: subject line, audience, the body without greeting or footer', () => {
  const chat = renderChatText(payload('evaluation-overdue'));
  expect(chat.split('\n')[0]).toBe('[acme-atlas7-2026-12] Overdue: cyber-offense evaluation (to pm)');
  expect(chat).toContain('Escalation level 1');
  expect(chat).not.toContain('Hello');
  expect(chat).not.toContain('— frontier-review');
});
