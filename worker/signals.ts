/**
 * The SDK's runtime drains the worker on the first SIGINT/SIGTERM and then removes its own listener. Without
 * a listener of ours a repeated signal — tsx relays the terminal's Ctrl-C a second time, impatient users
 * press it twice — would kill the process before the worker has drained and the servers are stopped.
 * Repeats within a few seconds are ignored; a later one forces the exit.
 */
const GRACE_MS = 3_000;

export function holdShutdownSignals(name: string): void {
  let first = 0;
  const handler = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (first === 0) {
      first = now;
      return;
    }
    if (now - first > GRACE_MS) {
      console.error(`${name}: ${signal} again, exiting without waiting for a clean shutdown`);
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** The useful part of a connection error (tonic's are long debug dumps). */
export function shortConnectError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return /message: "([^"]+)"/.exec(msg)?.[1] ?? /ConnectError\("([^"]+)"/.exec(msg)?.[1] ?? msg;
}

/**
 * Under `npm start`/`npm run worker`, a SIGTERM to npm ends npm and its shell but not this process (npm does
 * not forward it that far), which would leave the worker and the dev server running unowned. When the
 * parent that npm started us under goes away, stop as if signalled. Only under npm: a process started
 * directly and detached on purpose must outlive its shell.
 */
export function stopWhenOrphaned(name: string): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer); // once: a repeated signal would force the exit mid-shutdown
    console.error(`${name}: npm exited; shutting down`);
    process.kill(process.pid, 'SIGTERM');
  }, 1_000);
  timer.unref();
}
