/**
 * The Temporal CLI dev server that can be stopped and started again on the same SQLite file and the same port,
 * so reviews (and the worker's and the driver's connections) carry on where they were.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';

export interface Outage {
  at: number;
  until: number | null;
}

export { freePort } from '../../shared/time-skipping-server';

export class RestartableDevServer {
  readonly outages: Outage[] = [];
  readonly stats = { starts: 0, stops: 0, startRetries: 0 };
  private env: TestWorkflowEnvironment | undefined;

  constructor(private readonly o: { cli: string; port: number; dbFilename: string }) {}

  get address(): string {
    return `127.0.0.1:${this.o.port}`;
  }

  get running(): boolean {
    return this.env !== undefined;
  }

  async start(): Promise<void> {
    if (this.env) return;
    for (let attempt = 1; ; attempt++) {
      try {
        this.env = await TestWorkflowEnvironment.createLocal({
          server: {
            executable: { type: 'existing-path', path: this.o.cli },
            ip: '127.0.0.1',
            port: this.o.port,
            dbFilename: this.o.dbFilename,
            searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS,
            log: { format: 'pretty', level: 'error' },
          },
        });
        break;
      } catch (e) {
        if (attempt >= 5) throw new Error(`the dev server did not start on ${this.address} after ${attempt} attempts: ${(e as Error).message}`);
        this.stats.startRetries++;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    this.stats.starts++;
    const open = this.outages[this.outages.length - 1];
    if (open && open.until === null) open.until = Date.now();
  }

  async stop(): Promise<void> {
    const env = this.env;
    if (!env) return;
    this.env = undefined;
    this.outages.push({ at: Date.now(), until: null });
    this.stats.stops++;
    await env.teardown();
  }
}
