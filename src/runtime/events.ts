// Kubernetes Events, emitted on transitions only (never every pass). The recorder is a port: okrad writes
// core/v1 Events, tests can collect them in memory. Recording never fails a reconcile.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CoreTypes } from '../api/resource.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { sanitize } from './errors.js';

/** An event about one object. */
export interface EventInput {
  readonly type: 'Normal' | 'Warning';
  /** CamelCase reason, for example RolloutStarted. */
  readonly reason: string;
  readonly message: string;
}

/** Records Events about objects. */
export interface EventRecorder {
  record(obj: KubeObject, event: EventInput): Promise<void>;
}

/** A recorder that can be told when an Event happened. */
export interface TimedEventRecorder extends EventRecorder {
  recordAt(obj: KubeObject, event: EventInput, at: Date): Promise<void>;
}

/** Writes core/v1 Events through the API server, each as it is recorded. */
export class KubeEventRecorder implements TimedEventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
  ) {}

  record(obj: KubeObject, event: EventInput): Promise<void> {
    return this.recordAt(obj, event, new Date());
  }

  /** Records an Event that happened at `at` (it may be sent later than it happened). */
  async recordAt(obj: KubeObject, event: EventInput, at: Date): Promise<void> {
    const { name = '', namespace = 'default', uid, resourceVersion } = obj.metadata;
    const now = at.toISOString();
    try {
      await this.client.create(CoreTypes.event, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion },
        type: event.type,
        reason: event.reason,
        message: sanitize(event.message),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as KubeObject);
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err), reason: event.reason }, 'could not record event');
    }
  }
}

/** Settings of a BackgroundEventRecorder. */
export interface BackgroundEventOptions {
  /** Events held before new ones are dropped (client-go keeps 1000 too). */
  readonly maxQueued?: number;
  /** Events sent at once. */
  readonly senders?: number;
}

/** Default queue bound and senders: a 500-Cell rollout's Events keep up, a burst stays a trickle. */
export const DEFAULT_BACKGROUND_EVENTS = { maxQueued: 1000, senders: 4 } as const;

/**
 * Sends Events from a queue in the background, a few at a time in the order recorded, like client-go's event
 * broadcaster. A reconcile only queues its Events, so a burst of transitions (a new version reaching
 * 100 Cells) does not add a burst of Event writes to the API server while the traffic and status writes
 * of the same burst still wait on it. The time of each Event is taken when it is queued, and only the
 * involved object's reference is kept, not the object.
 */
export class BackgroundEventRecorder implements EventRecorder {
  private readonly queue: { obj: KubeObject; event: EventInput; at: Date }[] = [];
  private readonly senders = new Set<Promise<void>>();
  private dropped = 0;
  private readonly options: Required<BackgroundEventOptions>;

  constructor(
    private readonly sink: TimedEventRecorder,
    private readonly log: Logger,
    options: BackgroundEventOptions = {},
  ) {
    this.options = { ...DEFAULT_BACKGROUND_EVENTS, ...options };
  }

  record(obj: KubeObject, event: EventInput): Promise<void> {
    if (this.queue.length >= this.options.maxQueued) {
      // Events are best-effort; never let an unreachable API server grow the queue without bound.
      if (this.dropped++ === 0) this.log.warn({ queued: this.queue.length, reason: event.reason }, 'event queue full: dropping events');
      return Promise.resolve();
    }
    this.queue.push({ obj: reference(obj), event, at: new Date() });
    if (this.senders.size < this.options.senders) {
      const sender: Promise<void> = this.send().finally(() => this.senders.delete(sender));
      this.senders.add(sender);
    }
    return Promise.resolve();
  }

  /** Resolves once every queued Event was sent (or failed), or after `timeoutMs`; used at shutdown. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.senders.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.all(this.senders), timeout]);
    clearTimeout(timer);
  }

  /** One sender: takes queued Events until none is left. */
  private async send(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.sink.recordAt(next.obj, next.event, next.at);
    }
    this.dropped = 0;
  }
}

/** What an Event needs of its object. */
function reference(obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion } = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, namespace, uid, resourceVersion } };
}

/** Keeps Events in memory, for tests and the standalone CLI. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: (EventInput & { object: string })[] = [];

  record(obj: KubeObject, event: EventInput): Promise<void> {
    this.events.push({ ...event, object: `${obj.kind ?? ''}/${obj.metadata.name ?? ''}` });
    return Promise.resolve();
  }
}
