/**
 * nodemailer reads transport options from the connection URL's query (`?pool=true&maxConnections=5`), so a
 * pooled transport needs no code change in activities/: only SMTP_URL. The benchmark measures both.
 */
export function withPooling(smtpUrl: string, maxConnections = 5): string {
  return `${smtpUrl}${smtpUrl.includes('?') ? '&' : '?'}pool=true&maxConnections=${maxConnections}`;
}
