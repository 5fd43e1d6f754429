/**
 * One message body, two renderings: plain text and HTML. Templates build a list of blocks (paragraphs and
 * bullet lists of plain strings); only this module turns them into HTML, escaping every string, so no
 * template or activity ever concatenates markup.
 */
export type Block = string | { list: string[] };

export interface Message {
  greeting: string;
  blocks: Block[];
  footer: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export function renderText(m: Message): string {
  const body = m.blocks.map((b) => (typeof b === 'string' ? b : b.list.map((i) => `  - ${i}`).join('\n')));
  return [m.greeting, '', ...body.flatMap((b) => [b, '']), m.footer, ''].join('\n');
}

export function renderHtml(m: Message, title: string): string {
  const body = m.blocks.map((b) => (typeof b === 'string' ? `<p>${escapeHtml(b)}</p>` : `<ul>${b.list.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`));
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.45; color: #1a1a1a; max-width: 44em">',
    `<p>${escapeHtml(m.greeting)}</p>`,
    ...body,
    `<hr><p style="color: #666; font-size: 12px">${escapeHtml(m.footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}
