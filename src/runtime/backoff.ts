// Per-key exponential backoff for things a reconcile fans out to (one workload cluster out of many):
// a failing cluster is retried ever less often without holding up the healthy ones.

/** Tracks failures and next-retry times per key. */
export class KeyedBackoff {
  private readonly state = new Map<string, { failures: number; retryAt: number }>();

  constructor(
    private readonly baseMs = 1_000,
    private readonly maxMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the key may be tried now. */
  ready(key: string): boolean {
    return (this.state.get(key)?.retryAt ?? 0) <= this.now();
  }

  /** Milliseconds until the key may be tried again (0 when it may be tried now). */
  waitMs(key: string): number {
    return Math.max(0, (this.state.get(key)?.retryAt ?? 0) - this.now());
  }

  /** Records a failure; returns the delay before the next try. */
  failure(key: string): number {
    const failures = (this.state.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (failures - 1));
    this.state.set(key, { failures, retryAt: this.now() + delay });
    return delay;
  }

  /** Clears a key after a success. */
  success(key: string): void {
    this.forget(key);
  }

  /** Forgets a key's failures because what it names changed (a fixed Secret deserves a try at once). */
  forget(key: string): void {
    this.state.delete(key);
  }
}
