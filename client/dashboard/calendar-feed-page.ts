/**
 * The dashboard's calendar feed page: whether the person has a feed, and buttons to issue (or re-issue) and
 * revoke it. A new URL is shown once, right after it is issued: only its hash is kept.
 */
import type { FeedEntry } from '../api/calendar-feeds';
import { html, whenWords } from './html';
import { layout } from './pages';
import type { PageCtx } from './pages';

export interface FeedPageState {
  issued?: { url: string; webcal: string };
  revoked?: boolean;
}

export function calendarFeedPage(ctx: PageCtx, feed: FeedEntry | null, st: FeedPageState = {}): string {
  const form = (intent: 'issue' | 'revoke', label: string, danger = false): ReturnType<typeof html> => html`<form method="post" action="/calendar-feed" class="inline-form">
<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="intent" value="${intent}">
${intent === 'issue' ? html`<input type="hidden" name="tz" value="${ctx.zone}">` : ''}<button type="submit" class="${danger ? 'danger' : ''}">${label}</button></form>`;
  return layout(ctx, 'Calendar feed', html`<h1>Calendar feed</h1>
<p>A private subscription URL for Outlook, Google Calendar or Apple Calendar with every dated event you are responsible for in your open reviews —
access deadlines, window ends, evaluation due dates, planned releases, disposal due dates — updated as dates move (the same events as the invites you get by mail).
Anyone who has the URL can read the feed: keep it private, and revoke it if it leaks.</p>
${st.revoked ? html`<div class="flash ok" role="status">The feed was revoked: its URL no longer works.</div>` : ''}
${st.issued ? html`<section class="card" aria-labelledby="h-new-feed" id="new-feed"><h2 id="h-new-feed">Your new feed</h2>
<div class="flash ok" role="status">Copy this URL now: it is shown only once. Any earlier feed URL no longer works.</div>
<label for="feed-url">Feed URL</label><input id="feed-url" type="text" readonly value="${st.issued.url}">
<p><a href="${st.issued.webcal}">Subscribe in your calendar app (webcal link)</a>. In Google Calendar: <em>Other calendars → From URL</em>; in Outlook: <em>Add calendar → Subscribe from web</em>.</p></section>` : ''}
<section aria-labelledby="h-feed-state"><h2 id="h-feed-state">Status</h2>
${feed ? html`<p id="feed-state">Active since ${whenWords(feed.createdAt, ctx.zone)}; descriptions give dates in ${feed.timeZone}.</p>` : html`<p id="feed-state">You have no calendar feed.</p>`}
<div class="actions">${form('issue', feed ? 'Issue a new URL (the old one stops working)' : 'Issue a calendar feed URL')}${feed ? form('revoke', 'Revoke the feed', true) : ''}</div>
</section>`);
}
