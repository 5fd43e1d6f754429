/** Side effects of a review: notices over SMTP. `createActivities` is the contract's factory. */
import { ApplicationFailure, log } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { NoticePayload, NoticeResult } from '../workflows/types';
import { DEFAULT_MESSAGE_ID_DOMAIN, messageIdFor } from './message-id';
import { renderNotice } from './templates';

export interface ActivitiesOptions {
  /** nodemailer connection URL, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example:465. Default: $SMTP_URL, else smtp://127.0.0.1:2525. */
  smtpUrl?: string;
  /** From address. Default: $MAIL_FROM, else "frontier-review <noreply@frontier-review.local>". */
  mailFrom?: string;
  /** Domain part of Message-IDs. */
  messageIdDomain?: string;
  /** Seconds before a silent SMTP server counts as failed (then the activity retries). */
  smtpTimeoutSeconds?: number;
}

export const PERMANENT_REJECTION = 'SmtpPermanentRejection';

export function createActivities(options: ActivitiesOptions = {}) {
  const smtpUrl = options.smtpUrl ?? process.env.SMTP_URL ?? 'smtp://127.0.0.1:2525';
  const mailFrom = options.mailFrom ?? process.env.MAIL_FROM ?? 'frontier-review <noreply@frontier-review.local>';
  const domain = options.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN;
  const timeout = (options.smtpTimeoutSeconds ?? 30) * 1000;
  let transport: Transporter | undefined;
  const getTransport = (): Transporter =>
    (transport ??= nodemailer.createTransport(smtpUrl, { connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout }));

  return {
    async sendNotice(notice: NoticePayload): Promise<NoticeResult> {
      const { subject, text } = renderNotice(notice);
      const messageId = messageIdFor(notice.id, domain);
      try {
        const info = await getTransport().sendMail({
          from: mailFrom,
          to: notice.to.map((p) => ({ name: p.name, address: p.email })),
          subject,
          text,
          messageId,
          headers: { 'X-Frontier-Review-Notice': notice.id, 'X-Frontier-Review-Kind': notice.kind },
        });
        const addr = (a: unknown): string => (typeof a === 'string' ? a : (a as { address: string }).address);
        return { messageId, accepted: info.accepted.map(addr), rejected: info.rejected.map(addr), response: info.response };
      } catch (err) {
        const e = err as Error & { responseCode?: number };
        if (typeof e.responseCode === 'number' && e.responseCode >= 500) {
          log.warn('notice rejected permanently', { notice: notice.id, code: e.responseCode });
          throw ApplicationFailure.nonRetryable(`SMTP rejected ${notice.kind} notice ${notice.id} permanently: ${e.message}`, PERMANENT_REJECTION);
        }
        throw err; // transient (connection refused, 4xx, timeout): Temporal retries with backoff
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
