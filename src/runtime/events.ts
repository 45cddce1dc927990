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

/** Writes core/v1 Events through the API server. */
export class KubeEventRecorder implements EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
  ) {}

  async record(obj: KubeObject, event: EventInput): Promise<void> {
    const { name = '', namespace = 'default', uid, resourceVersion } = obj.metadata;
    const now = new Date().toISOString();
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

/** Keeps Events in memory, for tests and the standalone CLI. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: (EventInput & { object: string })[] = [];

  record(obj: KubeObject, event: EventInput): Promise<void> {
    this.events.push({ ...event, object: `${obj.kind ?? ''}/${obj.metadata.name ?? ''}` });
    return Promise.resolve();
  }
}
