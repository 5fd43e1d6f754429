/** The weekly digest e-mail: one program manager's open reviews, what falls due this week first. */
import type { DigestDeadline, DigestMail } from '../workflows/digest-types';
import type { Block } from './blocks';
import { renderHtml, renderText } from './blocks';
import { formatDate } from './templates';

export function renderDigest(d: DigestMail): { subject: string; text: string; html: string } {
  const when = (x: DigestDeadline): string => `${formatDate(x.at, d.timeZone)}: ${x.label}`;
  const dueCount = d.reviews.reduce((n, r) => n + r.dueThisWeek.length, 0);
  const blocks: Block[] = [
    `Your open reviews, ${d.reviews.length} in all. Falling due between ${formatDate(d.from, d.timeZone)} and ${formatDate(d.until, d.timeZone)}: ${dueCount === 0 ? 'nothing' : `${dueCount} deadline${dueCount === 1 ? '' : 's'}`}.`,
  ];
  for (const r of d.reviews) {
    blocks.push(`${r.model.name} ${r.model.version} from ${r.labName} — review ${r.reviewId} (${r.phase})`);
    const lines = [
      ...(r.dueThisWeek.length ? r.dueThisWeek.map((x) => `this week: ${when(x)}`) : ['nothing due this week']),
      ...(r.next ? [`next after that: ${when(r.next)}`] : []),
    ];
    blocks.push({ list: lines });
  }
  const subject = `Weekly review digest: ${dueCount} deadline${dueCount === 1 ? '' : 's'} this week in ${d.reviews.length} open review${d.reviews.length === 1 ? '' : 's'}`;
  const message = { greeting: `Hello ${d.to.name},`, blocks, footer: `— frontier-review weekly digest ${d.id}.` };
  return { subject, text: renderText(message), html: renderHtml(message, subject) };
}
