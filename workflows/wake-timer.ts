/**
 * The main loop's timer (patch review-core-v3): one timer per instant, kept while the next instant stays the same.
 * Before, every wake-up (an update, a settled notice) cancelled the timer and started another for the same
 * instant: two history events per update that changed nothing the timeline waits for.
 */
import { CancellationScope, sleep } from '@temporalio/workflow';

export class WakeTimer {
  private at: number | null = null;
  private scope: CancellationScope | null = null;
  /** The timer reached its instant (until it is aimed again). */
  fired = false;

  constructor(private readonly onFire: (at: number) => void) {}

  /** Waits for `at` (null: for nothing); a timer already waiting for that instant is kept. */
  aim(at: number | null, now: number): void {
    if (at === this.at && !this.fired) return;
    this.scope?.cancel();
    this.scope = null;
    this.at = at;
    this.fired = false;
    if (at === null) return;
    const scope = new CancellationScope();
    this.scope = scope;
    scope.run(() => sleep(Math.max(1, at - now))).then(
      () => {
        if (this.scope !== scope) return;
        this.scope = null;
        this.fired = true;
        this.onFire(at);
      },
      () => undefined, // cancelled: aimed elsewhere
    );
  }
}
