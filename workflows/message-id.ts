/** A notice id becomes the e-mail Message-ID: deterministic, so a resent notice is recognisably the same. */
export const DEFAULT_MESSAGE_ID_DOMAIN = 'frontier-review.local';

export function messageIdFor(noticeId: string, domain = DEFAULT_MESSAGE_ID_DOMAIN): string {
  // Keep the local part a valid dot-atom and the mapping one-to-one: escape everything but [A-Za-z0-9_/-],
  // as =XX (UTF-16 code unit up to FF) or =uXXXX (above): fixed widths, so no escape can read as another.
  const local = noticeId.replace(/[^A-Za-z0-9_/-]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `=${code.toString(16).toUpperCase().padStart(2, '0')}` : `=u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
  return `<${local}@${domain}>`;
}
