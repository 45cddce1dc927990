// A controller work queue with client-go's guarantees:
// - a key waiting in the queue is held once, however often it is added (de-duplication);
// - a key being processed is never handed to a second worker; if it is added meanwhile it is queued
//   again when the first worker calls done() (so the newest state is always reconciled once more);
// - failures back off exponentially per key, and forget() resets that key's backoff;
// - addAfter() timers collapse to the earliest deadline per key.
// And two priorities, as in controller-runtime's priority queue: `low` keys (periodic resyncs, checks
// that a write already sent shows up) are handed out only when no `normal` key (a change to react to)
// waits, or once they have waited `maxLowPriorityWaitMs`, so a burst of changes is not queued behind
// bookkeeping and bookkeeping is never starved. While normal keys are being processed, at most
// `maxLowPriorityInFlight` low keys run beside them: the checks then share the API servers that the
// burst's own writes are waiting on, instead of taking every worker in the gaps between its keys.

/** How urgent a queued key is. */
export type Priority = 'normal' | 'low';

/** Backoff settings for failed keys. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Default backoff: 500 ms doubling to 5 minutes. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 300_000 };

/** Default longest wait of a low-priority key while normal keys keep arriving. */
export const DEFAULT_MAX_LOW_PRIORITY_WAIT_MS = 2_000;

/** Settings of a work queue. */
export interface WorkQueueOptions {
  readonly backoff?: BackoffOptions | undefined;
  /** A low-priority key that has waited this long is handed out before normal ones. */
  readonly maxLowPriorityWaitMs?: number | undefined;
  /** Low-priority keys processed at once while a normal key is processed too (default: no limit). */
  readonly maxLowPriorityInFlight?: number | undefined;
}

/**
 * The longest delay Node's timers keep: a longer one fires after 1 ms (TimeoutOverflowWarning), which
 * would turn a `pause: {duration: 720h}` into a hot loop. Longer delays wait this long; the pass that
 * then runs early computes what is left and asks again.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A delay Node's timers can hold (see MAX_TIMER_DELAY_MS). */
export function timerDelay(ms: number): number {
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}

const rank = (p: Priority): number => (p === 'normal' ? 1 : 0);
const higher = (a: Priority, b: Priority): Priority => (rank(a) >= rank(b) ? a : b);

/** A de-duplicating, per-key exclusive queue of string keys with two priorities. */
export class WorkQueue {
  private readonly normal: string[] = [];
  private readonly low: { key: string; since: number }[] = [];
  /** Keys waiting (in a lane, or to be re-queued when their pass ends) and their priority. */
  private readonly dirty = new Map<string, Priority>();
  /** Keys being processed, with the priority they were handed out at. */
  private readonly processing = new Map<string, Priority>();
  private lowInFlight = 0;
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout; priority: Priority }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: BackoffOptions;
  private readonly maxLowWaitMs: number;
  private readonly maxLowInFlight: number;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxLowWaitMs = options.maxLowPriorityWaitMs ?? DEFAULT_MAX_LOW_PRIORITY_WAIT_MS;
    this.maxLowInFlight = options.maxLowPriorityInFlight ?? Number.POSITIVE_INFINITY;
  }

  /** Queues a key unless it is already waiting; a normal add raises a waiting low key to normal. */
  add(key: string, priority: Priority = 'normal'): void {
    if (this.shuttingDown) return;
    const waiting = this.dirty.get(key);
    if (waiting !== undefined) {
      if (waiting === 'low' && priority === 'normal') {
        this.raise(key);
        this.dispatch();
      }
      return;
    }
    this.dirty.set(key, priority);
    if (this.processing.has(key)) return;
    if (priority === 'normal') this.normal.push(key);
    else this.low.push({ key, since: Date.now() });
    this.dispatch();
  }

  /** Hands waiting keys to idle workers, as far as the priorities allow. */
  private dispatch(): void {
    while (this.waiters.length > 0) {
      const next = this.next();
      if (next === undefined) return;
      this.waiters.shift()?.(this.take(next));
    }
  }

  /** Moves a key handed out by next() from waiting to processing. */
  private take({ key, priority }: { key: string; priority: Priority }): string {
    this.dirty.delete(key);
    this.processing.set(key, priority);
    if (priority === 'low') this.lowInFlight++;
    return key;
  }

  private raise(key: string): void {
    this.dirty.set(key, 'normal');
    const i = this.low.findIndex((entry) => entry.key === key);
    if (i < 0) return; // being processed: done() re-queues it as normal
    this.low.splice(i, 1);
    this.normal.push(key);
  }

  /** Queues a key after `delayMs`; an earlier pending deadline for the same key wins, at the higher priority. */
  addAfter(key: string, delayMs: number, priority: Priority = 'normal'): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key, priority);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) {
      pending.priority = higher(pending.priority, priority);
      return;
    }
    if (pending) clearTimeout(pending.timer);
    const fire = (): void => {
      const due = this.timers.get(key);
      this.timers.delete(key);
      this.add(key, due?.priority ?? priority);
    };
    const timer = setTimeout(fire, timerDelay(delayMs));
    timer.unref();
    this.timers.set(key, { at, timer, priority: pending ? higher(pending.priority, priority) : priority });
  }

  /**
   * Queues a failed key after its backoff delay, which doubles with every consecutive failure from
   * `baseMs` (the queue's own base unless given) up to `maxMs` (the queue's own cap unless given).
   */
  addRateLimited(key: string, baseMs = this.backoff.baseMs, maxMs = this.backoff.maxMs): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = Math.min(maxMs, this.backoff.maxMs, baseMs * 2 ** (failures - 1));
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears a key's failure count (call after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for a key. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Waits for the next key; undefined once the queue shuts down, even with keys still waiting: a replica
   * that lost its lease must stop acting at once, not work through its backlog beside the new leader.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const next = this.next();
    if (next !== undefined) return Promise.resolve(this.take(next));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * The oldest low key once it waited too long, or when nothing normal waits and the low share of the
   * workers is not used up; else the next normal key. A low key held back here is handed out by the
   * dispatch() of the next done(), so it is never stranded.
   */
  private next(): { key: string; priority: Priority } | undefined {
    const oldestLow = this.low[0];
    if (oldestLow && (Date.now() - oldestLow.since >= this.maxLowWaitMs || (this.normal.length === 0 && this.lowMayRun()))) {
      this.low.shift();
      return { key: oldestLow.key, priority: 'low' };
    }
    const key = this.normal.shift();
    return key === undefined ? undefined : { key, priority: 'normal' };
  }

  /** True unless normal keys are being processed and the low keys beside them reached their share. */
  private lowMayRun(): boolean {
    return this.lowInFlight < this.maxLowInFlight || this.processing.size === this.lowInFlight;
  }

  /** Marks a key as processed; re-queues it if it was added while being processed. */
  done(key: string): void {
    if (this.processing.get(key) === 'low') this.lowInFlight--;
    this.processing.delete(key);
    const priority = this.dirty.get(key);
    if (priority !== undefined) {
      this.dirty.delete(key);
      this.add(key, priority);
    } else {
      this.dispatch();
    }
  }

  /** Keys waiting to be processed (for the work-queue depth metric). */
  get length(): number {
    return this.normal.length + this.low.length;
  }

  /** True while any key is being processed. */
  get busy(): boolean {
    return this.processing.size > 0;
  }

  /** Hands out keys again after shutdown() (a controller started again, for example on regaining a lease). */
  reopen(): void {
    this.shuttingDown = false;
  }

  /** Stops handing out keys; pending get() calls resolve with undefined. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
