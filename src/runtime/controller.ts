// A level-triggered controller: informer events only enqueue keys of the root object; workers take keys
// from the queue and reconcile them. The reconcile's outcome decides what happens to the key:
//   success                → forget backoff; requeue after `requeueAfterMs` when asked
//   TerminalError          → forget; no retry (the reconciler reported the problem in status)
//   WaitingError           → forget; requeue after the error's own delay
//   409 conflict           → requeue shortly (someone else wrote first), backing off if it repeats
//   anything else          → exponential backoff for that key (a PartialFailureError caps it)
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeObject } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { objectKey, parseKey, type Informer } from '../kube/informer.js';
import { classifyError, errorMessage, PartialFailureError, type WaitingError } from './errors.js';
import { timerDelay, WorkQueue, type BackoffOptions, type Priority } from './workqueue.js';

/** What a reconcile returns when it succeeds. */
export interface ReconcileResult {
  /** Reconcile this key again after this delay (for example when a pause expires). */
  readonly requeueAfterMs?: number | undefined;
  /**
   * The requeue only checks on work already done (a write's read-back): it may wait behind keys with
   * changes to react to. See WorkQueue.
   */
  readonly requeueLowPriority?: boolean | undefined;
}

/** Input of one reconcile. */
export interface ReconcileRequest {
  readonly key: string;
  readonly name: string;
  readonly namespace?: string | undefined;
  /** A child logger carrying the controller, key and a reconcile id. */
  readonly log: Logger;
  /**
   * True when the periodic resync queued this key (and the pass should re-read external state it
   * caches, such as the listener rule in AWS). The decision itself must not depend on it.
   */
  readonly resync?: boolean;
}

/** The reconcile function of a controller. */
export type ReconcileFn = (req: ReconcileRequest) => Promise<ReconcileResult | undefined>;

/** Outcome labels reported to metrics. */
export type ReconcileOutcome = 'success' | 'requeue' | 'terminal' | 'waiting' | 'conflict' | 'error';

/** Where a controller reports what it did (Prometheus in okrad, nothing in tests). */
export interface ControllerMetrics {
  reconciled(controller: string, outcome: ReconcileOutcome, seconds: number): void;
  queueDepth(controller: string, depth: number): void;
}

/** Metrics that record nothing. */
export const noMetrics: ControllerMetrics = { reconciled: () => undefined, queueDepth: () => undefined };

const DEFAULT_WORKERS = 2;

/**
 * Workers that resyncs and read-backs may take while changes are being reconciled: a quarter (at least
 * one), so a burst of changes keeps most workers and the API servers to itself.
 */
export function lowPriorityShare(workers: number): number {
  return Math.max(1, Math.floor(workers / 4));
}

/** Options of a controller. */
export interface ControllerOptions {
  readonly name: string;
  readonly reconcile: ReconcileFn;
  readonly log: Logger;
  /** Parallel workers across keys; one key never runs twice at once. Default 2. */
  readonly workers?: number;
  /**
   * Reconcile every primary object once per this interval as a safety net. Default: never. The keys
   * are spread evenly over the interval, so a resync never hits an external API (AWS) as one burst.
   */
  readonly resyncMs?: number | undefined;
  readonly backoff?: BackoffOptions;
  readonly metrics?: ControllerMetrics;
  /** Delay before retrying after a 409 conflict, doubling while conflicts repeat. Default 100 ms. */
  readonly conflictRetryMs?: number;
}

/** How many slices a resync period is cut into. */
const RESYNC_SLICES = 20;

/** A controller over one root kind. */
export class Controller {
  readonly queue: WorkQueue;
  private readonly primaries: Informer<KubeObject>[] = [];
  private workers: Promise<void>[] = [];
  /** Keys queued by the resync and not yet processed. */
  private readonly resyncKeys = new Set<string>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly sliceTimers = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(private readonly options: ControllerOptions) {
    const workers = options.workers ?? DEFAULT_WORKERS;
    this.queue = new WorkQueue({ backoff: options.backoff, maxLowPriorityInFlight: lowPriorityShare(workers) });
  }

  /** The controller's name (used in logs and metrics). */
  get name(): string {
    return this.options.name;
  }

  /**
   * Watches the root kind: every change enqueues the object's own key, except updates `skipUpdate`
   * recognises as not worth a pass (the echo of the controller's own status write).
   */
  for<T extends KubeObject>(informer: Informer<T>, opts: { skipUpdate?: (obj: T, old: T) => boolean } = {}): this {
    this.primaries.push(informer);
    const enqueue = (obj: T): void => { this.enqueue(objectKey(obj)); };
    informer.addHandlers({
      add: enqueue,
      update: (obj, old) => {
        if (!opts.skipUpdate?.(obj, old)) enqueue(obj);
      },
      delete: enqueue,
    });
    return this;
  }

  /** Watches a related kind: `map` turns a changed object into the keys of the roots it affects. */
  watches<T extends KubeObject>(informer: Informer<T>, map: (obj: T) => readonly string[]): this {
    const enqueue = (obj: T): void => {
      for (const key of map(obj)) this.enqueue(key);
    };
    informer.addHandlers({
      add: enqueue,
      update: (obj, old) => {
        enqueue(obj);
        enqueue(old);
      },
      delete: enqueue,
    });
    return this;
  }

  /** Queues a key for reconciliation. */
  enqueue(key: string, priority: Priority = 'normal'): void {
    this.queue.add(key, priority);
    this.options.metrics?.queueDepth(this.name, this.queue.length);
  }

  /** Starts the workers and the resync timer; every cached root object is reconciled once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.queue.reopen();
    this.resyncAll();
    const workers = this.options.workers ?? DEFAULT_WORKERS;
    this.workers = Array.from({ length: workers }, () => this.work());
    const resyncMs = this.options.resyncMs;
    if (resyncMs) {
      this.resyncTimer = setInterval(() => { this.resyncSpread(resyncMs); }, timerDelay(resyncMs));
      this.resyncTimer.unref();
    }
  }

  /** Stops handing out keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    for (const timer of this.sliceTimers) clearTimeout(timer);
    this.sliceTimers.clear();
    this.queue.shutdown();
    await Promise.all(this.workers);
  }

  private resyncAll(): void {
    for (const key of this.primaryKeys()) this.resyncKey(key);
  }

  /** Queues every key once over `periodMs`, in evenly spaced slices. */
  private resyncSpread(periodMs: number): void {
    const keys = this.primaryKeys();
    const slices = Math.min(RESYNC_SLICES, keys.length);
    for (let s = 0; s < slices; s++) {
      const timer = setTimeout(() => {
        this.sliceTimers.delete(timer);
        for (let i = s; i < keys.length; i += slices) this.resyncKey(keys[i] ?? '');
      }, timerDelay((s * periodMs) / slices));
      timer.unref();
      this.sliceTimers.add(timer);
    }
  }

  private primaryKeys(): string[] {
    return this.primaries.flatMap((informer) => informer.list().map(objectKey));
  }

  // Resyncs are a safety net: low priority, so a sweep never delays a reaction to a real change.
  private resyncKey(key: string): void {
    this.resyncKeys.add(key);
    this.enqueue(key, 'low');
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
        this.options.metrics?.queueDepth(this.name, this.queue.length);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const started = performance.now();
    const log = this.options.log.child({ controller: this.name, key, reconcileId: randomBytes(4).toString('hex') });
    let outcome: ReconcileOutcome;
    try {
      const resync = this.resyncKeys.delete(key);
      const result = await this.options.reconcile({ key, ...parseKey(key), log, resync });
      this.queue.forget(key);
      outcome = this.requeueIfAsked(key, result);
    } catch (err) {
      outcome = this.handleFailure(key, err, log);
    }
    this.options.metrics?.reconciled(this.name, outcome, (performance.now() - started) / 1000);
  }

  private requeueIfAsked(key: string, result: ReconcileResult | undefined): ReconcileOutcome {
    if (result?.requeueAfterMs === undefined) return 'success';
    this.queue.addAfter(key, result.requeueAfterMs, result.requeueLowPriority === true ? 'low' : 'normal');
    return 'requeue';
  }

  private handleFailure(key: string, err: unknown, log: Logger): ReconcileOutcome {
    const kind = classifyError(err);
    if (kind === 'terminal') {
      this.queue.forget(key);
      log.info({ reason: errorMessage(err) }, 'reconcile stopped on invalid input');
      return 'terminal';
    }
    if (kind === 'waiting') {
      this.queue.forget(key);
      this.queue.addAfter(key, (err as WaitingError).requeueAfterMs);
      log.debug({ reason: errorMessage(err) }, 'waiting');
      return 'waiting';
    }
    if (isConflict(err)) {
      // Soon, since someone else simply wrote first; but growing, since a conflict that repeats means a
      // stale cache (a stalled watch) and retrying it ten times a second only loads the API server.
      this.queue.addRateLimited(key, this.options.conflictRetryMs ?? 100);
      log.debug('conflict, retrying');
      return 'conflict';
    }
    const retryInMs = this.queue.addRateLimited(key, undefined, err instanceof PartialFailureError ? err.retryWithinMs : undefined);
    log.warn({ err: errorMessage(err), retryInMs, failures: this.queue.failureCount(key) }, 'reconcile failed');
    return 'error';
  }
}
