/** A real HTTP server on loopback that records webhook POSTs; it can answer errors or stall to rehearse outages. */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed JSON body. */
  json: Record<string, unknown>;
  at: number;
  /** The status this server answered. */
  status: number;
}

export class HookServer {
  readonly received: ReceivedHook[] = [];
  private failures: number[] = [];
  private stalls: number[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const stall = this.stalls.shift();
        const status = this.failures.shift() ?? 200;
        const answer = (): void => {
          let json: Record<string, unknown> = {};
          try { json = JSON.parse(body) as Record<string, unknown>; } catch { /* not JSON: kept as text */ }
          this.received.push({ path: req.url ?? '', headers: req.headers, body, json, at: Date.now(), status });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
        };
        if (stall) setTimeout(answer, stall).unref();
        else answer();
      });
    });
  }

  static async start(): Promise<HookServer> {
    const hooks = new HookServer();
    await new Promise<void>((resolve) => hooks.server.listen(0, '127.0.0.1', resolve));
    return hooks;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The next `n` requests are answered with `status`. */
  failNext(n: number, status = 500): void {
    this.failures.push(...Array.from({ length: n }, () => status));
  }

  stallNext(n: number, ms: number): void {
    this.stalls.push(...Array.from({ length: n }, () => ms));
  }

  /** Requests answered 2xx. */
  get accepted(): ReceivedHook[] {
    return this.received.filter((r) => r.status < 300);
  }

  reset(): void {
    this.received.length = 0;
    this.failures = [];
    this.stalls = [];
  }

  async waitFor(predicate: (r: ReceivedHook[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for webhooks; have ${this.received.map((r) => `${r.status} ${String(r.json.id)}`).join(', ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
