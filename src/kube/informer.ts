// An informer: a local cache of one resource type kept current by list + watch, with handlers for
// changes. Unlike client-node's ListWatch (which stops for good on any non-410 error), it never gives up:
// - a watch that ends cleanly (server timeout) is resumed from the last resource version;
// - 410 Gone / "too old resource version" relists and reports the difference to the handlers;
// - any other failure (apiserver restart, network) retries with capped backoff;
// - a watch that goes silent past its timeout is aborted by a watchdog and resumed.
import type { Logger } from 'pino';
import type { ResourceType } from '../api/resource.js';
import { sleep } from '../runtime/clock.js';
import type { KubeClient, KubeObject, ListOptions, WatchEvent } from './client.js';
import { KubeApiError, isGone } from './errors.js';

/** Change handlers; `update` also gets the previous object. */
export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

/** Tuning knobs (tests shorten them). */
export interface InformerOptions extends ListOptions {
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Server-side watch timeout range; a random value in it spreads reconnects. */
  readonly watchTimeoutSeconds?: readonly [number, number];
  /**
   * A watch that delivers nothing for this long (not even the bookmark the API server sends about once a
   * minute) is taken as dead and reopened from the last resourceVersion. Default 150 s.
   */
  readonly watchIdleMs?: number;
  /** Longest wait for a watch's response head (default 30 s). */
  readonly watchHeaderTimeoutMs?: number;
}

const DEFAULT_WATCH_IDLE_MS = 150_000;
/** A watch that ends sooner than this having delivered nothing counts as a failure (client-go's "very short watch"). */
const SHORT_WATCH_MS = 1_000;

/** `namespace/name`, or `name` for cluster-scoped objects: the cache and queue key. */
export function objectKey(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** Splits a key back into namespace and name. */
export function parseKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The retry state of one informer's list/watch loop. */
interface Pace {
  backoffMs: number;
  /** 410 answers since the last watch that ended normally. */
  goneInARow: number;
}

/** A cache of one resource type, fed by list + watch. */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  // Namespace → key → object: list(namespace) is on every Cell pass and every mapped watch event, and
  // copying then filtering the whole cache there made a burst of N changes cost N² at scale.
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion = '';
  private stopped = true;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private currentWatch: { stop(): void } | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly options: InformerOptions,
    private readonly log: Logger,
  ) {}

  /** Registers change handlers; objects already cached are replayed as adds. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    for (const obj of this.cache.values()) handlers.add?.(obj);
  }

  /** Starts the list/watch loop. An informer runs once: after stop() create a new one. */
  start(): void {
    if (this.abort.signal.aborted) throw new Error(`informer for ${this.type.plural} was stopped`);
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops watching; the cache keeps its last state. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.currentWatch?.stop();
    await this.loop;
  }

  /** True once the first list has been loaded. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been loaded. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** A cached object by namespace and name. */
  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Cached objects, optionally in one namespace. */
  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.cache.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  private store(key: string, obj: T): void {
    this.cache.set(key, obj);
    const namespace = obj.metadata.namespace ?? '';
    let inNamespace = this.byNamespace.get(namespace);
    if (!inNamespace) this.byNamespace.set(namespace, (inNamespace = new Map<string, T>()));
    inNamespace.set(key, obj);
  }

  private forget(key: string): T | undefined {
    const old = this.cache.get(key);
    this.cache.delete(key);
    const namespace = old?.metadata.namespace ?? '';
    const inNamespace = this.byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
    return old;
  }

  private async run(): Promise<void> {
    const pace: Pace = { backoffMs: this.minBackoffMs(), goneInARow: 0 };
    while (!this.isStopped()) {
      try {
        if (this.resourceVersion === '') await this.relist();
        if (await this.watchOnce()) {
          pace.backoffMs = this.minBackoffMs();
          pace.goneInARow = 0;
        } else {
          // Ended at once with nothing (a proxy closing the stream): back off rather than reconnect in a loop.
          await this.backOff(pace);
        }
      } catch (err) {
        if (this.isStopped()) break;
        await this.afterFailure(err, pace);
      }
    }
  }

  private async afterFailure(err: unknown, pace: Pace): Promise<void> {
    if (isGone(err)) {
      this.resourceVersion = '';
      // One relist at once is the answer to a compacted resourceVersion; a watch that keeps answering 410
      // after fresh lists must not turn into a loop of full LISTs (client-go backs off here too).
      if (pace.goneInARow++ > 0) await this.backOff(pace);
      return;
    }
    this.log.warn({ err: describe(err), resource: this.type.plural, retryInMs: pace.backoffMs }, 'list/watch failed, retrying');
    await this.backOff(pace);
  }

  private async backOff(pace: Pace): Promise<void> {
    await sleep(pace.backoffMs, this.abort.signal);
    pace.backoffMs = Math.min(pace.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
  }

  private minBackoffMs(): number {
    return this.options.minBackoffMs ?? 500;
  }

  // A method, not the field, so the compiler does not assume the flag cannot change across awaits.
  private isStopped(): boolean {
    return this.stopped;
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.list<T>(this.type, this.options);
    const fresh = new Map(items.map((obj) => [objectKey(obj), obj]));
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.forget(key);
        this.emit('delete', old);
      }
    }
    for (const [key, obj] of fresh) this.upsert(key, obj);
    this.resourceVersion = resourceVersion;
    this.markSynced();
  }

  /** One watch until it ends; false when it ended at once having delivered nothing. */
  private async watchOnce(): Promise<boolean> {
    const [min, max] = this.options.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.floor(min + Math.random() * (max - min));
    const started = Date.now();
    let events = 0;
    let lastEventAt = started;
    const handle = await this.client.watch(
      this.type,
      { ...this.options, resourceVersion: this.resourceVersion, timeoutSeconds, signal: this.abort.signal, headerTimeoutMs: this.options.watchHeaderTimeoutMs },
      (event) => {
        events++;
        lastEventAt = Date.now();
        this.onEvent(event);
      },
    );
    this.currentWatch = handle;
    // The server ends the stream after timeoutSeconds, and sends a bookmark about once a minute before
    // that; a stream silent for much longer is a dead connection.
    const idleMs = this.options.watchIdleMs ?? DEFAULT_WATCH_IDLE_MS;
    const watchdog = setInterval(() => {
      if (Date.now() - lastEventAt >= idleMs) handle.stop();
    }, Math.max(10, Math.min(idleMs / 4, 15_000)));
    try {
      await handle.done;
    } finally {
      clearInterval(watchdog);
      handle.stop();
      this.currentWatch = undefined;
    }
    return events > 0 || Date.now() - started >= SHORT_WATCH_MS;
  }

  private onEvent(event: WatchEvent): void {
    const obj = event.object as T;
    if (event.type === 'ERROR') {
      const status = event.object;
      throw new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? 'watch error');
    }
    if (event.type === 'DELETED') {
      const key = objectKey(obj);
      const old = this.forget(key);
      this.emit('delete', old ?? obj);
    } else if (event.type !== 'BOOKMARK') {
      this.upsert(objectKey(obj), obj);
    }
    this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
  }

  private upsert(key: string, obj: T): void {
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.store(key, obj);
    if (old) this.emit('update', obj, old);
    else this.emit('add', obj);
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'update') h.update?.(obj, old ?? obj);
        else h[kind]?.(obj);
      } catch (err) {
        this.log.error({ err: describe(err), resource: this.type.plural }, 'informer handler failed');
      }
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
