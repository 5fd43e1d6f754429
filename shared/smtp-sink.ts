/**
 * A local SMTP server that accepts every message and keeps it: in memory (tests) and optionally as .eml
 * files (the `npm start` outbox). Faults can be switched on to rehearse outages: refuse with 421, reject a
 * recipient with 550, stall the reply to DATA, or stop listening altogether (`down()` / `up()`).
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
  /** The SMTP session (one client connection) it came over: tells kept connections from new ones. */
  connectionId?: string;
  /** The name the client gave in EHLO/HELO (nodemailer's `name` option): tells several senders apart. */
  clientName?: string;
}

export interface SinkFaults {
  /** Answer every MAIL FROM with this temporary error (e.g. 421) until cleared. */
  temporaryFailure?: number;
  /** Recipients refused with 550 at RCPT TO. */
  rejectRecipients?: string[];
  /** Recipients refused for now with 450 at RCPT TO (until cleared), the reply naming the address (as real servers do). */
  deferRecipients?: string[];
  /**
   * Hold the reply to DATA this long (a slow or overloaded server). The message counts as accepted only if the
   * client is still connected when the reply goes out: one that hung up meanwhile delivered nothing.
   */
  stallMs?: number;
}

/** How often each fault struck (for tallies). */
export interface SinkStats {
  /** MAIL FROM answered with `temporaryFailure`, by code. */
  temporaryFailures: Record<number, number>;
  /** RCPT TO answered 550. */
  rejectedRecipients: number;
  /** Replies to DATA held back by `stallMs`. */
  stalledReplies: number;
  /** Of those, messages accepted (their client waited for the reply). */
  stalledAccepted: number;
  /** Messages whose client hung up before the (stalled) reply: not accepted, not stored. */
  abandoned: number;
  /** Client connections that failed mid-transaction (e.g. ECONNRESET from a killed sender). */
  connectionErrors: number;
  /** Client connections accepted (a pooled sender opens few, one per mail otherwise). */
  connections: number;
}

export class SmtpSink {
  readonly messages: StoredMail[] = [];
  faults: SinkFaults = {};
  readonly stats: SinkStats = { temporaryFailures: {}, rejectedRecipients: 0, stalledReplies: 0, stalledAccepted: 0, abandoned: 0, connectionErrors: 0, connections: 0 };
  private server: SMTPServer;
  private waiters: (() => void)[] = [];
  private closedSessions = new Set<string>();
  private listenArgs: { port: number; host: string } | undefined;

  constructor(private readonly options: { mailDir?: string } = {}) {
    if (options.mailDir) mkdirSync(options.mailDir, { recursive: true });
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onConnect: (_session, cb) => {
        this.stats.connections++;
        cb();
      },
      onMailFrom: (_addr, _session, cb) => {
        const code = this.faults.temporaryFailure;
        if (code) this.stats.temporaryFailures[code] = (this.stats.temporaryFailures[code] ?? 0) + 1;
        if (code) return cb(Object.assign(new Error('Service temporarily unavailable, try again later'), { responseCode: code }));
        cb();
      },
      onRcptTo: (addr, _session, cb) => {
        if (this.faults.rejectRecipients?.includes(addr.address.toLowerCase())) {
          this.stats.rejectedRecipients++;
          return cb(Object.assign(new Error(`Mailbox unavailable: ${addr.address}`), { responseCode: 550 }));
        }
        if (this.faults.deferRecipients?.includes(addr.address.toLowerCase())) {
          this.stats.temporaryFailures[450] = (this.stats.temporaryFailures[450] ?? 0) + 1;
          return cb(Object.assign(new Error(`<${addr.address}>: Recipient address rejected: mailbox busy, try again later`), { responseCode: 450 }));
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        const stallMs = this.faults.stallMs ?? 0;
        const accept = (): void => {
          if (this.closedSessions.has(session.id)) {
            this.stats.abandoned++; // the client is gone: it never saw the reply, so nothing was accepted
            return;
          }
          if (stallMs > 0) this.stats.stalledAccepted++;
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '';
          const mail = { messageId, envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, receivedAt: new Date(), connectionId: session.id, clientName: session.hostNameAppearsAs };
          this.messages.push(mail);
          if (this.options.mailDir) {
            const name = `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9-]+/g, '_').slice(0, 120)}.eml`;
            writeFileSync(path.join(this.options.mailDir, name), raw);
          }
          for (const w of this.waiters.splice(0)) w();
          cb();
        };
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (stallMs <= 0) return accept();
          this.stats.stalledReplies++;
          setTimeout(accept, stallMs);
        });
      },
      onClose: (session) => {
        this.closedSessions.add(session.id);
      },
    });
    // smtp-server re-emits a client's socket error (ECONNRESET when the sender dies mid-transaction) on the server:
    // without a listener that is an uncaught exception that takes the whole process down.
    this.server.on('error', () => {
      this.stats.connectionErrors++;
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.listenArgs = { port: this.port, host };
    return this.port;
  }

  /**
   * Stops listening: new connections are refused until `up()`, and open ones are closed, as when the server
   * process is gone (a pooled sender would otherwise go on over its kept connections). Stored mail is kept.
   */
  down(): void {
    if (this.server.server.listening) this.server.server.close();
    this.dropConnections();
  }

  /**
   * Closes every open client connection without a word, as a server restarting or timing out idle sessions does.
   * A message already stored has had its reply written first (both happen in one tick), so nothing is lost twice.
   */
  dropConnections(): number {
    const open = [...(this.server.connections as Set<{ close(): void }>)];
    for (const c of open) c.close();
    return open.length;
  }

  /** Listens again on the same address and port after `down()`. */
  async up(): Promise<void> {
    if (this.server.server.listening || !this.listenArgs) return;
    const { port, host } = this.listenArgs;
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.server.listen(port, host, () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo | null)?.port ?? (this.listenArgs?.port as number);
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
    await this.up();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // smtp-server waits up to 30 s for open sessions to end, and a pooled sender keeps its sessions open.
      this.dropConnections();
    });
  }
}
