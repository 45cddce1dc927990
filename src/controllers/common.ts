// What every okra reconciler does the same way: report a spec it cannot act on, and decorate objects
// with their kind for Events.
import type { ResourceType } from '../api/resource.js';
import type { Condition, ObjectMeta } from '../api/schema.js';
import type { KubeClient } from '../kube/client.js';
import { TerminalError } from '../runtime/errors.js';
import type { EventRecorder } from '../runtime/events.js';
import { jsonEqual, patchStatusIfChanged, setCondition } from '../runtime/status.js';

/** The metadata a pass reads from its root object: anything else an update changes (status) needs no pass. */
interface PassInputs {
  metadata: Pick<ObjectMeta, 'generation' | 'labels' | 'annotations' | 'finalizers' | 'deletionTimestamp'>;
}

/**
 * True when an update changed only status (usually the echo of the controller's own status write): such
 * an update needs no pass. Without it, a pass that moves lastSyncTime queues the next one at once, so AWS
 * or the workload clusters are listed back to back instead of once per syncInterval, and error backoff
 * never applies.
 */
export function statusOnlyUpdate(next: PassInputs, old: PassInputs): boolean {
  const inputs = ({ metadata: m }: PassInputs): unknown => [m.generation, m.labels, m.annotations, m.finalizers, m.deletionTimestamp];
  return jsonEqual(inputs(next), inputs(old));
}

/** The status fields every okra kind shares. */
export interface SyncStatus {
  phase?: string | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  observedGeneration?: number | undefined;
  conditions?: Condition[] | undefined;
}

/** An okra object as read from the API server. */
export interface OkraObject<S extends SyncStatus> {
  metadata: ObjectMeta;
  status?: S | undefined;
}

/** The object with apiVersion and kind set, as Events need them. */
export function withKind<T extends { metadata: ObjectMeta }>(obj: T, type: ResourceType): T & { apiVersion: string; kind: string } {
  return { ...obj, apiVersion: `${type.group}/${type.version}`, kind: type.kind };
}

/** Status of an object whose spec cannot be acted on: Stalled=True and Ready=False naming the problem. */
export function invalidSpecStatus<S extends SyncStatus>(obj: OkraObject<S>, message: string, now: Date, phase = 'Invalid'): S {
  const generation = obj.metadata.generation;
  let conditions = setCondition(obj.status?.conditions, { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message }, now, generation);
  conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message }, now, generation);
  return {
    ...(obj.status ?? {}),
    phase,
    reason: 'InvalidSpec',
    message,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions,
  } as S;
}

/** Writes the invalid-spec status (and an Event when it is new), then stops the reconcile for good. */
export async function rejectSpec<S extends SyncStatus>(
  deps: { client: KubeClient; events: EventRecorder; dryRun?: boolean | undefined },
  { type, obj, message, now }: { type: ResourceType; obj: OkraObject<S>; message: string; now: Date },
): Promise<never> {
  if (!deps.dryRun) {
    const changed = await patchStatusIfChanged(deps.client, type, obj, invalidSpecStatus(obj, message, now));
    if (changed) await deps.events.record(withKind(obj, type), { type: 'Warning', reason: 'InvalidSpec', message });
  }
  throw new TerminalError(message);
}

/** The first zod issue as `path: message`. */
export function zodProblem(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  return issue ? `${issue.path.map(String).join('.') || 'object'}: ${issue.message}` : 'invalid object';
}
