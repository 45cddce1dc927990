// Coalesces reads of single keys into batched calls. Keys asked for while fewer than `maxCallsInFlight`
// calls are running go out together at the next turn of the event loop; once that many are running, new
// keys wait and go out together as soon as one returns. So a quiet controller reads at once, and a busy
// one (a hundred Cells writing together, a slow or throttling API) sends a few large calls instead of
// queueing many small ones behind each other: fewer calls is what keeps latency down there.
//
// Urgent keys (the describe a write needs first, an abort's included) go first into any call, and when
// every regular call is taken they have one more of their own: slow reads never hold them up.
//
// Every load is answered by a call that started after it was asked for, never by one already running:
// callers rely on that to read what AWS holds now (read-back after a write, the describe before one).

/** What one batched call came to for each of its keys. */
export type BatchAnswer<V> = ReadonlyMap<string, PromiseSettledResult<V>>;

/** Options of a batcher. */
export interface KeyBatcherOptions {
  /** Keys per call. */
  readonly maxKeysPerCall: number;
  /** Calls running at once, besides the one kept for urgent keys; a hung call holds up only its own keys. */
  readonly maxCallsInFlight: number;
}

type Waiter<V> = { resolve: (value: V) => void; reject: (err: unknown) => void };
type Pending<V> = { waiters: Waiter<V>[]; urgent: boolean };

/** Batches loads of single keys into calls of `call`. */
export class KeyBatcher<V> {
  private readonly pending = new Map<string, Pending<V>>();
  private inFlight = 0;
  private urgentInFlight = false;
  private scheduled = false;

  constructor(
    private readonly call: (keys: readonly string[]) => Promise<BatchAnswer<V>>,
    private readonly options: KeyBatcherOptions,
  ) {}

  /** The value of one key, from the next call that includes it; `urgent` keys go first. */
  load(key: string, opts: { urgent?: boolean } = {}): Promise<V> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(key) ?? { waiters: [], urgent: false };
      entry.waiters.push({ resolve, reject });
      entry.urgent ||= opts.urgent === true;
      this.pending.set(key, entry);
      this.schedule();
    });
  }

  /** Dispatches at the next turn, so loads asked for in this one share a call, if a call may start. */
  private schedule(): void {
    if (this.scheduled || !this.mayDispatch()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private mayDispatch(): boolean {
    if (this.pending.size === 0) return false;
    return this.inFlight < this.options.maxCallsInFlight || (!this.urgentInFlight && this.hasUrgent());
  }

  private hasUrgent(): boolean {
    for (const entry of this.pending.values()) if (entry.urgent) return true;
    return false;
  }

  private dispatch(): void {
    while (this.pending.size > 0 && this.inFlight < this.options.maxCallsInFlight) {
      this.inFlight++;
      this.start(this.take(false), () => { this.inFlight--; });
    }
    if (!this.urgentInFlight && this.hasUrgent()) {
      this.urgentInFlight = true;
      this.start(this.take(true), () => { this.urgentInFlight = false; });
    }
  }

  private start(chunk: [string, Pending<V>][], done: () => void): void {
    void this.run(chunk).finally(() => {
      done();
      this.schedule();
    });
  }

  /** Takes up to maxKeysPerCall keys off the pending map, urgent ones first, oldest first within each. */
  private take(urgentOnly: boolean): [string, Pending<V>][] {
    const chunk: [string, Pending<V>][] = [];
    const pick = (urgent: boolean): void => {
      for (const entry of this.pending) {
        if (chunk.length === this.options.maxKeysPerCall) return;
        if (entry[1].urgent === urgent) chunk.push(entry);
      }
    };
    pick(true);
    if (!urgentOnly) pick(false);
    for (const [key] of chunk) this.pending.delete(key);
    return chunk;
  }

  /** One call for a chunk: each key's outcome goes to its waiters, the call's own failure to all of them. */
  private async run(chunk: readonly (readonly [string, Pending<V>])[]): Promise<void> {
    try {
      const answer = await this.call(chunk.map(([key]) => key));
      for (const [key, { waiters }] of chunk) for (const w of waiters) settle(w, answer.get(key), key);
    } catch (err) {
      for (const [, { waiters }] of chunk) for (const w of waiters) w.reject(err);
    }
  }
}

/** Hands one key's outcome to a waiter; a key the call left unanswered is an error, never a value. */
function settle<V>(waiter: Waiter<V>, outcome: PromiseSettledResult<V> | undefined, key: string): void {
  if (outcome?.status === 'fulfilled') waiter.resolve(outcome.value);
  else waiter.reject(outcome ? outcome.reason : new Error(`the batched call gave no answer for ${key}`));
}
