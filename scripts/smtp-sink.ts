/**
 * A local SMTP server that accepts every message and keeps it: in memory (tests) and optionally as .eml
 * files (the `npm start` outbox). Faults can be switched on to rehearse outages: refuse with 421, reject a
 * recipient with 550.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface StoredMail {
  messageId: string;
  envelopeTo: string[];
  raw: string;
  receivedAt: Date;
}

export interface SinkFaults {
  /** Answer every MAIL FROM with this temporary error (e.g. 421) until cleared. */
  temporaryFailure?: number;
  /** Recipients refused with 550 at RCPT TO. */
  rejectRecipients?: string[];
}

export class SmtpSink {
  readonly messages: StoredMail[] = [];
  faults: SinkFaults = {};
  private server: SMTPServer;
  private waiters: (() => void)[] = [];

  constructor(private readonly options: { mailDir?: string } = {}) {
    if (options.mailDir) mkdirSync(options.mailDir, { recursive: true });
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onMailFrom: (_addr, _session, cb) => {
        const code = this.faults.temporaryFailure;
        if (code) return cb(Object.assign(new Error('Service temporarily unavailable, try again later'), { responseCode: code }));
        cb();
      },
      onRcptTo: (addr, _session, cb) => {
        if (this.faults.rejectRecipients?.includes(addr.address.toLowerCase())) {
          return cb(Object.assign(new Error(`Mailbox unavailable: ${addr.address}`), { responseCode: 550 }));
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '';
          const mail = { messageId, envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, receivedAt: new Date() };
          this.messages.push(mail);
          if (this.options.mailDir) {
            const name = `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9-]+/g, '_').slice(0, 120)}.eml`;
            writeFileSync(path.join(this.options.mailDir, name), raw);
          }
          for (const w of this.waiters.splice(0)) w();
          cb();
        });
      },
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves once `predicate` holds over the stored messages; rejects after `timeoutMs`. */
  async waitFor(predicate: (m: StoredMail[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for mail; have ${this.messages.map((m) => m.messageId).join(', ') || 'none'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
