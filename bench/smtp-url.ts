/**
 * SMTP URLs of the benchmark's transports. The project's activities pool by default (activities/smtp-transport.ts),
 * so the sink's plain URL is the pooled transport and `?pool=false` the former default, a connection per mail. The
 * floor's plain nodemailer transports (noop-activities.ts) pool only when asked in the URL.
 */
export function withPooling(smtpUrl: string, maxConnections = 5): string {
  // A URL that already names its pool size keeps it (the storm's floor worker gets the storm's size that way).
  const size = /[?&]maxConnections=/.test(smtpUrl) ? '' : `&maxConnections=${maxConnections}`;
  return `${smtpUrl}${smtpUrl.includes('?') ? '&' : '?'}pool=true${size}`;
}

export function perMail(smtpUrl: string): string {
  return `${smtpUrl}${smtpUrl.includes('?') ? '&' : '?'}pool=false`;
}
