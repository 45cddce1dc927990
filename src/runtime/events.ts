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

/** Events a BackgroundEventRecorder holds before it drops new ones (client-go keeps 1000 too). */
export const MAX_QUEUED_EVENTS = 1000;

/**
 * Sends Events from a queue, one at a time and in order, as client-go's event broadcaster does. A
 * reconcile only queues its Events, and a burst of transitions (a new version reaching 100 Cells) does
 * not add a burst of Event writes to the API server while the traffic writes of the same burst still
 * wait on it. The time of each Event is taken when it is queued.
 */
export class BackgroundEventRecorder implements EventRecorder {
  private readonly queue: { obj: KubeObject; event: EventInput; at: Date }[] = [];
  private draining: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly sink: TimedEventRecorder,
    private readonly log: Logger,
    private readonly maxQueued = MAX_QUEUED_EVENTS,
  ) {}

  record(obj: KubeObject, event: EventInput): Promise<void> {
    if (this.queue.length >= this.maxQueued) {
      // Events are best-effort; never let an unreachable API server grow the queue without bound.
      if (this.dropped++ === 0) this.log.warn({ queued: this.queue.length, reason: event.reason }, 'event queue full: dropping events');
      return Promise.resolve();
    }
    this.queue.push({ obj, event, at: new Date() });
    this.draining ??= this.drain();
    return Promise.resolve();
  }

  /** Resolves once every queued Event was sent (or failed), or after `timeoutMs`; used at shutdown. */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.draining) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([this.draining, timeout]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.sink.recordAt(next.obj, next.event, next.at);
    }
    this.dropped = 0;
    this.draining = undefined;
  }
}

/** Keeps Events in memory, for tests and the standalone CLI. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: (EventInput & { object: string })[] = [];

  record(obj: KubeObject, event: EventInput): Promise<void> {
    this.events.push({ ...event, object: `${obj.kind ?? ''}/${obj.metadata.name ?? ''}` });
    return Promise.resolve();
  }
}
