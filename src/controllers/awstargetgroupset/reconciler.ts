// The AWSTargetGroupSet reconciler: observe (selected cluster Secrets, the TargetGroupBindings in each
// workload cluster, the AWSTargetGroups we own) → decide (plan.ts) → apply → report. Each workload
// cluster fails and backs off on its own; its AWSTargetGroups stay until it can be listed again.
import { ARGOCD_SECRET_TYPE_CLUSTER, ARGOCD_SECRET_TYPE_LABEL } from '../../api/argocd/clustersecret.js';
import { TargetGroupBindingType, type TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import { FIELD_MANAGER, TARGETGROUPSET_LABEL } from '../../api/labels.js';
import { CoreTypes } from '../../api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import {
  AWSTargetGroupSetSchema,
  AWSTargetGroupSetType,
  type AWSTargetGroupSet,
  type AWSTargetGroupSetStatus,
} from '../../api/v1alpha1/awstargetgroupset.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import { parseClusterSecret, type RemoteClusters, type SecretObject } from '../../kube/remote.js';
import type { KeyedBackoff } from '../../runtime/backoff.js';
import type { Clock } from '../../runtime/clock.js';
import { settleLimit } from '../../runtime/concurrency.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import { errorMessage } from '../../runtime/errors.js';
import type { EventInput, EventRecorder } from '../../runtime/events.js';
import { metaTime, patchStatusIfChanged, setCondition } from '../../runtime/status.js';
import { rejectSpec, withKind, zodProblem } from '../common.js';
import { planTargetGroups, syncIntervalMs, validateTargetGroupSet, type ClusterListing, type TargetGroupPlan } from './plan.js';

/** The part of an informer's cache a pass reads. */
export type CachedObjects<T extends KubeObject> = Pick<Informer<T>, 'list' | 'get'>;

/** What the reconciler talks to. */
export interface TargetGroupSetDeps {
  readonly client: KubeClient;
  /** Argo CD cluster Secrets (cached); listed on demand when absent. */
  readonly secrets?: CachedObjects<SecretObject> | undefined;
  /** AWSTargetGroups owned by any set (cached); listed on demand when absent. */
  readonly targetGroups?: CachedObjects<AWSTargetGroup> | undefined;
  readonly remote: RemoteClusters;
  readonly backoff: KeyedBackoff;
  readonly events: EventRecorder;
  readonly clock: Clock;
  /** Plan only: write nothing (okra sync awstargetgroupset --dry-run). */
  readonly dryRun?: boolean;
  /** Limit the pass to the cluster Secret of this name (okra sync awstargetgroupset --cluster-name). */
  readonly onlyCluster?: string | undefined;
}

const CLUSTER_CONCURRENCY = 4;

/** Reconciles one AWSTargetGroupSet. */
export async function reconcileTargetGroupSet(
  deps: TargetGroupSetDeps,
  req: Pick<ReconcileRequest, 'name' | 'namespace'>,
): Promise<ReconcileResult & { plan?: TargetGroupPlan }> {
  const raw = await deps.client.get<AWSTargetGroupSet>(AWSTargetGroupSetType, req.name, req.namespace);
  if (!raw || raw.metadata.deletionTimestamp) return {};
  const set = await validated(deps, raw);

  const clusters = await selectedClusters(deps, set);
  const listings = await settleLimit(clusters, CLUSTER_CONCURRENCY, (c) => listCluster(deps, set, c));
  const existing = await ownedTargetGroups(deps, set);
  const plan = planTargetGroups({ set, listings: listings.map(settledListing), existing, partial: deps.onlyCluster !== undefined });
  const events = deps.dryRun ? [] : await applyPlan(deps, plan);
  if (!deps.dryRun) await report(deps, set, plan, events);
  const retryMs = Math.min(syncIntervalMs(set.spec), ...clusters.map((c) => deps.backoff.waitMs(backoffKey(c.secret))).filter((ms) => ms > 0));
  return { requeueAfterMs: retryMs, plan };
}

async function validated(deps: TargetGroupSetDeps, raw: AWSTargetGroupSet): Promise<AWSTargetGroupSet> {
  const parsed = AWSTargetGroupSetSchema.safeParse(raw);
  const problem = parsed.success ? validateTargetGroupSet(parsed.data.spec) : zodProblem(parsed.error.issues);
  if (problem || !parsed.success) {
    return rejectSpec(deps, { type: AWSTargetGroupSetType, obj: raw, message: problem ?? 'invalid', now: deps.clock.now() });
  }
  return parsed.data;
}

interface SelectedCluster {
  readonly secret: SecretObject;
  /** Label selectors of the generators that chose this cluster. */
  readonly bindingSelectors: readonly string[];
}

function selectorString(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Argo CD cluster Secrets in a namespace, from the cache when there is one. */
async function clusterSecrets(deps: TargetGroupSetDeps, namespace: string): Promise<SecretObject[]> {
  if (deps.secrets) return deps.secrets.list(namespace);
  const labelSelector = `${ARGOCD_SECRET_TYPE_LABEL}=${ARGOCD_SECRET_TYPE_CLUSTER}`;
  return (await deps.client.list<SecretObject>(CoreTypes.secret, { namespace, labelSelector })).items;
}

async function selectedClusters(deps: TargetGroupSetDeps, set: AWSTargetGroupSet): Promise<SelectedCluster[]> {
  const secrets = await clusterSecrets(deps, set.metadata.namespace ?? '');
  const chosen = new Map<string, { secret: SecretObject; bindingSelectors: string[] }>();
  for (const generator of set.spec.generators) {
    const match = generator.awseks?.clusterSelector?.matchLabels ?? {};
    const bindingSelector = selectorString(generator.awseks?.bindingSelector?.matchLabels);
    for (const secret of secrets.filter((s) => selects(match, s, deps.onlyCluster))) {
      const entry = chosen.get(secret.metadata.name ?? '') ?? { secret, bindingSelectors: [] };
      entry.bindingSelectors.push(bindingSelector);
      chosen.set(secret.metadata.name ?? '', entry);
    }
  }
  return [...chosen.values()];
}

/** As in the original okra, an empty cluster selector selects no cluster (never "all"). */
function selects(match: Record<string, string>, secret: SecretObject, onlyCluster: string | undefined): boolean {
  if (Object.keys(match).length === 0) return false;
  if (onlyCluster && secret.metadata.name !== onlyCluster) return false;
  return Object.entries(match).every(([k, v]) => secret.metadata.labels?.[k] === v);
}

function backoffKey(secret: SecretObject): string {
  return `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
}

/** The cluster name used in AWSTargetGroup names and labels: the Argo CD cluster name. */
function clusterName(secret: SecretObject): string {
  const name = secret.data?.name;
  return name ? Buffer.from(name, 'base64').toString('utf8') : (secret.metadata.name ?? '');
}

async function listCluster(deps: TargetGroupSetDeps, set: AWSTargetGroupSet, selected: SelectedCluster): Promise<ClusterListing> {
  const cluster = clusterName(selected.secret);
  const key = backoffKey(selected.secret);
  if (!deps.backoff.ready(key)) return stillBackingOff(set, cluster);
  if (secretDeleted(deps, selected.secret)) return { cluster, ok: false, error: 'cluster Secret deleted' };
  try {
    const client = deps.remote.client(parseClusterSecret(selected.secret));
    const bindings = new Map<string, TargetGroupBinding>();
    for (const labelSelector of new Set(selected.bindingSelectors)) {
      const { items } = await client.list<TargetGroupBinding>(TargetGroupBindingType, labelSelector ? { labelSelector } : {});
      for (const b of items) bindings.set(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`, b);
    }
    deps.backoff.success(key);
    return { cluster, ok: true, bindings: [...bindings.values()] };
  } catch (err) {
    deps.backoff.failure(key);
    return { cluster, ok: false, error: describeClusterError(err) };
  }
}

/** Still backing off: the last error unchanged (a countdown would rewrite status every pass). */
function stillBackingOff(set: AWSTargetGroupSet, cluster: string): ClusterListing {
  const previous = set.status?.clusters?.find((c) => c.name === cluster)?.error;
  return { cluster, ok: false, error: previous ?? 'unreachable: waiting to retry' };
}

/** Listings run a few at a time: a Secret deleted meanwhile must not get a client that nothing drops. */
function secretDeleted(deps: TargetGroupSetDeps, secret: SecretObject): boolean {
  const { name = '', namespace, uid } = secret.metadata;
  return deps.secrets !== undefined && deps.secrets.get(name, namespace)?.metadata.uid !== uid;
}

/** A message a person can act on for a cluster that could not be listed. */
export function describeClusterError(err: unknown): string {
  if (err instanceof KubeApiError && err.status === 401) return 'unauthorized: the cluster rejected our credentials';
  if (err instanceof KubeApiError && err.status === 403) return `forbidden: ${err.message}`;
  if (err instanceof KubeApiError && err.status === 404) return 'TargetGroupBinding API not found: is the AWS Load Balancer Controller installed?';
  return `unreachable: ${errorMessage(err)}`;
}

function settledListing(result: PromiseSettledResult<ClusterListing>, index: number): ClusterListing {
  return result.status === 'fulfilled' ? result.value : { cluster: `cluster-${index}`, ok: false, error: errorMessage(result.reason) };
}

async function ownedTargetGroups(deps: TargetGroupSetDeps, set: AWSTargetGroupSet): Promise<AWSTargetGroup[]> {
  const namespace = set.metadata.namespace ?? '';
  const all = deps.targetGroups
    ? deps.targetGroups.list(namespace)
    : (await deps.client.list<AWSTargetGroup>(AWSTargetGroupType, { namespace, labelSelector: `${TARGETGROUPSET_LABEL}=${set.metadata.name ?? ''}` })).items;
  return all.filter((tg) => tg.metadata.labels?.[TARGETGROUPSET_LABEL] === set.metadata.name);
}

async function applyPlan(deps: TargetGroupSetDeps, plan: TargetGroupPlan): Promise<EventInput[]> {
  const events: EventInput[] = [];
  for (const tg of plan.apply) {
    await deps.client.apply(AWSTargetGroupType, tg, { fieldManager: FIELD_MANAGER });
    events.push({ type: 'Normal', reason: 'TargetGroupApplied', message: `applied AWSTargetGroup ${tg.metadata.name ?? ''} (${tg.spec.arn})` });
  }
  for (const tg of plan.delete) {
    await deps.client.delete(AWSTargetGroupType, { name: tg.metadata.name ?? '', namespace: tg.metadata.namespace }, { uid: tg.metadata.uid ?? '' });
    events.push({ type: 'Normal', reason: 'TargetGroupDeleted', message: `deleted AWSTargetGroup ${tg.metadata.name ?? ''}: its binding is gone` });
  }
  return events;
}

/** The status after a pass. */
export function targetGroupSetStatus(set: AWSTargetGroupSet, plan: TargetGroupPlan, now: Date): AWSTargetGroupSetStatus {
  const generation = set.metadata.generation;
  const failing = plan.clusters.filter((c) => c.error !== undefined);
  const total = plan.clusters.reduce((n, c) => n + c.targetGroups, 0);
  const ready =
    failing.length > 0
      ? { type: 'Ready', status: 'False' as const, reason: 'ClusterUnreachable', message: failing.map((c) => `${c.name}: ${c.error ?? ''}`).join('; ') }
      : { type: 'Ready', status: 'True' as const, reason: 'Synced', message: `${plan.clusters.length} cluster(s), ${total} target group(s)` };
  let conditions = setCondition(set.status?.conditions, ready, now, generation);
  conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: 'SpecValid', message: 'the spec is valid' }, now, generation);
  return {
    ...(set.status ?? {}),
    phase: failing.length > 0 ? 'Error' : 'Synced',
    reason: ready.reason,
    message: ready.message,
    lastSyncTime: metaTime(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions,
    clusters: plan.clusters.map((c) => ({ ...c })),
  };
}

type ClusterStatus = NonNullable<AWSTargetGroupSetStatus['clusters']>[number];

function clusterEvents(previous: AWSTargetGroupSetStatus | undefined, next: AWSTargetGroupSetStatus): EventInput[] {
  const before = new Map((previous?.clusters ?? []).map((c) => [c.name, c]));
  return (next.clusters ?? []).flatMap((cluster) => changedClusterEvents(before.get(cluster.name), cluster));
}

function changedClusterEvents(old: ClusterStatus | undefined, cluster: ClusterStatus): EventInput[] {
  const events: EventInput[] = [];
  if (cluster.error && cluster.error !== old?.error) {
    events.push({ type: 'Warning', reason: 'ClusterUnreachable', message: `${cluster.name}: ${cluster.error}; its AWSTargetGroups are kept` });
  }
  const skipped = cluster.skipped ?? [];
  if (skipped.length > 0 && JSON.stringify(skipped) !== JSON.stringify(old?.skipped ?? [])) {
    events.push({ type: 'Warning', reason: 'BindingSkipped', message: skipped.map((s) => `${cluster.name} ${s.binding}: ${s.reason}`).join('; ') });
  }
  return events;
}

async function report(deps: TargetGroupSetDeps, set: AWSTargetGroupSet, plan: TargetGroupPlan, applied: EventInput[]): Promise<void> {
  const next = targetGroupSetStatus(set, plan, deps.clock.now());
  await patchStatusIfChanged(deps.client, AWSTargetGroupSetType, set, next);
  for (const event of [...applied, ...clusterEvents(set.status, next)]) await deps.events.record(withKind(set, AWSTargetGroupSetType), event);
}
