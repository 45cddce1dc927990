// Status writing: compute the whole new status, then send only the difference as a JSON merge patch to
// the status subresource, guarded by the resourceVersion it was computed from. Nothing is sent when
// nothing changed, so an idle resync costs no writes.
import type { ResourceType } from '../api/resource.js';
import type { Condition } from '../api/schema.js';
import type { KubeClient, KubeObject } from '../kube/client.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep equality of JSON values, ignoring key order and treating absent and undefined alike (as
 * JSON.stringify does). Walks both values instead of serialising them: status diffs run on every pass.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  if (isRecord(a) && isRecord(b)) return recordsEqual(a, b);
  // In arrays JSON turns undefined into null; elsewhere only identical scalars are equal.
  return false;
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => jsonEqual(item ?? null, b[i] ?? null));
}

function recordsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = (r: Record<string, unknown>): string[] => Object.keys(r).filter((k) => r[k] !== undefined);
  const aKeys = keys(a);
  if (aKeys.length !== keys(b).length) return false;
  return aKeys.every((k) => b[k] !== undefined && jsonEqual(a[k], b[k]));
}

/** JSON text with object keys sorted and undefined members dropped. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = sortKeys(value[key]);
  return out;
}

/**
 * The RFC 7386 merge patch that turns `from` into `to`, or undefined when they are equal. Removed
 * keys become null; arrays are replaced whole, as merge patch defines.
 */
export function createMergePatch(from: unknown, to: unknown): Json | undefined {
  if (jsonEqual(from, to)) return undefined;
  if (!isRecord(from) || !isRecord(to)) return (to ?? null) as Json;
  const patch: Record<string, Json> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (to[key] === undefined) {
      if (from[key] !== undefined) patch[key] = null;
      continue;
    }
    const child = createMergePatch(from[key], to[key]);
    if (child !== undefined) patch[key] = child;
  }
  return patch;
}

/** An object with a status. */
export type WithStatus<S> = KubeObject & { status?: S | undefined };

/**
 * Patches `obj`'s status to `next` if it differs. The patch carries the resourceVersion `obj` was read
 * at, so a concurrent change (for example `okractl promote`) makes it fail with a conflict instead of
 * being overwritten; the reconcile is then simply retried. Returns the updated object when a patch was
 * sent, undefined when nothing changed.
 */
export async function patchStatusIfChanged<T extends WithStatus<unknown>>(
  client: KubeClient,
  type: ResourceType,
  obj: T,
  next: NonNullable<T['status']>,
): Promise<T | undefined> {
  const patch = createMergePatch(obj.status ?? {}, next);
  if (patch === undefined) return undefined;
  const ref = { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace };
  const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: patch };
  // Kinds without a status subresource (Argo Rollouts' AnalysisRun) take status on the main resource.
  return client.mergePatch<T>(type, ref, body, type.statusSubresource === false ? {} : { subresource: 'status' });
}

/** Kubernetes metav1.Time precision: whole seconds. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A condition without its bookkeeping fields. */
export type ConditionInput = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * Returns `conditions` with `input` set. lastTransitionTime changes only when the status flips, so a
 * condition's age tells how long it has held; observedGeneration is stamped from the object.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now: Date,
  generation?: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    ...input,
    lastTransitionTime: previous?.status === input.status ? previous.lastTransitionTime : metaTime(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** Finds a condition by type. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
