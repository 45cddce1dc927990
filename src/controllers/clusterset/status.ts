// ClusterSet status and Events, pure: computed from what discovery found and what the pass did.
import type { Condition } from '../../api/schema.js';
import type { ClusterSet, ClusterSetStatus } from '../../api/v1alpha1/clusterset.js';
import type { EventInput } from '../../runtime/events.js';
import { metaTime, setCondition } from '../../runtime/status.js';
import type { ClusterEntry, Discovery } from './plan.js';

/** What one pass observed and did. */
export interface PassResult {
  readonly discovery: Discovery;
  readonly entries: readonly ClusterEntry[];
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
}

/** The status after a pass. */
export function clusterSetStatus(cs: ClusterSet, pass: PassResult, now: Date): ClusterSetStatus {
  const generation = cs.metadata.generation;
  const errors = pass.entries.filter((e) => e.state === 'Error');
  const ready = readyCondition(pass, errors);
  let conditions: Condition[] = setCondition(cs.status?.conditions, ready, now, generation);
  conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: 'SpecValid', message: 'the spec is valid' }, now, generation);
  return {
    ...(cs.status ?? {}),
    phase: ready.status === 'True' ? 'Synced' : 'Error',
    reason: ready.reason,
    message: ready.message,
    lastSyncTime: metaTime(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions,
    clusters: {
      // A skipped cluster that has a Secret (kept while it updates) still has its apps.
      names: pass.entries.filter((e) => e.state === 'Synced' || (e.state === 'Skipped' && e.secret !== undefined)).map((e) => e.name),
      items: pass.entries.map((e) => ({ ...e })),
    },
  };
}

function readyCondition(pass: PassResult, errors: readonly ClusterEntry[]): Omit<Condition, 'lastTransitionTime'> {
  if (!pass.discovery.complete) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'DiscoveryFailed',
      message: `EKS listing incomplete, no Secret deleted: ${pass.discovery.errors.join('; ')}`,
    };
  }
  if (errors.length > 0) {
    return { type: 'Ready', status: 'False', reason: 'SecretError', message: errors.map((e) => `${e.name}: ${e.message ?? ''}`).join('; ') };
  }
  const synced = pass.entries.filter((e) => e.state === 'Synced').length;
  const skipped = pass.entries.filter((e) => e.state === 'Skipped').length;
  return {
    type: 'Ready',
    status: 'True',
    reason: 'Synced',
    message: `${synced} cluster Secret(s) in sync${skipped > 0 ? `, ${skipped} cluster(s) not ACTIVE yet` : ''}`,
  };
}

/** Events for what changed between the previous status and this pass. */
export function clusterSetEvents(previous: ClusterSetStatus | undefined, next: ClusterSetStatus, pass: PassResult): EventInput[] {
  const events: EventInput[] = [
    ...pass.created.map((s) => ({ type: 'Normal' as const, reason: 'SecretCreated', message: `created Argo CD cluster Secret ${s}` })),
    ...pass.updated.map((s) => ({ type: 'Normal' as const, reason: 'SecretUpdated', message: `updated Argo CD cluster Secret ${s}` })),
    ...pass.deleted.map((s) => ({ type: 'Normal' as const, reason: 'SecretDeleted', message: `deleted Argo CD cluster Secret ${s}: its cluster no longer matches` })),
  ];
  return [...events, ...entryEvents(previous, pass.entries), ...discoveryEvents(previous, next)];
}

/** Events for clusters whose state or message changed to Skipped or Error. */
function entryEvents(previous: ClusterSetStatus | undefined, entries: readonly ClusterEntry[]): EventInput[] {
  const before = new Map((previous?.clusters?.items ?? []).map((e) => [e.name, e]));
  return entries
    .filter((e) => e.state === 'Skipped' || e.state === 'Error')
    .filter((e) => before.get(e.name)?.state !== e.state || before.get(e.name)?.message !== e.message)
    .map((e) =>
      e.state === 'Skipped'
        ? { type: 'Normal' as const, reason: 'ClusterSkipped', message: `${e.name}: ${e.message ?? ''}` }
        : { type: 'Warning' as const, reason: 'SecretError', message: `${e.name}: ${e.message ?? ''}` },
    );
}

/** A Warning when discovery starts failing. */
function discoveryEvents(previous: ClusterSetStatus | undefined, next: ClusterSetStatus): EventInput[] {
  const oldReady = previous?.conditions?.find((c) => c.type === 'Ready');
  const newReady = next.conditions?.find((c) => c.type === 'Ready');
  return newReady?.reason === 'DiscoveryFailed' && oldReady?.reason !== 'DiscoveryFailed'
    ? [{ type: 'Warning', reason: 'DiscoveryFailed', message: newReady.message }]
    : [];
}
