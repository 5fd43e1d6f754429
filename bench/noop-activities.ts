/** Activities of the floor workflows (bench/noop-workflow.ts). */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { withPooling } from './smtp-url';

export interface NoopActivitiesOptions {
  /** Plain SMTP URL of the sink (no pool query). */
  smtpUrl: string;
  mailFrom: string;
}

export function createNoopActivities(o: NoopActivitiesOptions) {
  let single: Transporter | undefined;
  let pooled: Transporter | undefined;
  return {
    async noop(): Promise<void> {
      // nothing: the floor
    },
    /** One small mail; `pooled` picks a pooled transport (kept connections) over one connection per mail. */
    async mailOne(m: { subject: string; to: string; pooled: boolean }): Promise<string> {
      const t = m.pooled ? (pooled ??= nodemailer.createTransport(withPooling(o.smtpUrl))) : (single ??= nodemailer.createTransport(o.smtpUrl));
      const info = await t.sendMail({ from: o.mailFrom, to: m.to, subject: m.subject, text: 'ping' });
      return String(info.messageId);
    },
  };
}

export type NoopActivities = ReturnType<typeof createNoopActivities>;
