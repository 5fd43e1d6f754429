/**
 * The driver's Temporal client: every call gets a per-attempt deadline and is retried through server outages
 * until an overall deadline. Errors that are answers (a rejected update, an id already started) are not retried.
 */
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function isAnswer(e: unknown): boolean {
  return e instanceof WorkflowUpdateFailedError || e instanceof WorkflowExecutionAlreadyStartedError
    || e instanceof WorkflowFailedError || e instanceof WorkflowNotFoundError
    // a query the worker cannot answer because the history does not replay: asking again changes nothing
    || (e instanceof Error && e.name === 'QueryNotRegisteredError' && /Nondeterminism/.test(e.message));
}

const short = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0].slice(0, 200);

export interface CallOptions {
  /** Give up (throw) after this instant. */
  deadline: number;
  /** Deadline of one attempt (long polls included). */
  attemptMs?: number;
}

export class RetryingClient {
  readonly stats = { calls: 0, retriedCalls: 0, retries: 0 };
  private inflight = 0;

  private constructor(readonly connection: Connection, readonly client: Client, private readonly log: (line: string) => void) {}

  static async connect(address: string, log: (line: string) => void): Promise<RetryingClient> {
    // No SDK retry interceptor: every failure comes to call()'s loop, which retries within its own deadlines (and
    // no retry timer of the SDK can fire on a closed channel after the run).
    const connection = await Connection.connect({ address, interceptors: [] });
    return new RetryingClient(connection, new Client({ connection, namespace: 'default' }), log);
  }

  /** Runs `fn` until it succeeds or answers; transient failures (server down, timeouts) are retried with backoff. */
  async call<T>(label: string, fn: (attempt: number) => Promise<T>, o: CallOptions): Promise<T> {
    this.stats.calls++;
    this.inflight++;
    try {
      return await this.retry(label, fn, o);
    } finally {
      this.inflight--;
    }
  }

  private async retry<T>(label: string, fn: (attempt: number) => Promise<T>, o: CallOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.connection.withDeadline(Date.now() + (o.attemptMs ?? 15_000), () => fn(attempt));
        if (attempt > 1) this.log(`${label}: succeeded on attempt ${attempt}`);
        return r;
      } catch (e) {
        if (isAnswer(e)) throw e;
        if (Date.now() >= o.deadline) throw new Error(`${label}: still failing after ${attempt} attempts: ${short(e)}`);
        if (attempt === 1) this.stats.retriedCalls++;
        this.stats.retries++;
        this.log(`${label}: attempt ${attempt} failed (${short(e)}); retrying`);
        await sleep(Math.min(2_000, 250 * attempt));
      }
    }
  }

  /** Closes the connection once no call is running (bounded: each attempt has a deadline). */
  async close(): Promise<void> {
    const until = Date.now() + 45_000;
    while (this.inflight > 0 && Date.now() < until) await sleep(100);
    await this.connection.close();
  }
}
