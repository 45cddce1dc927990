// The AWSTargetGroupSet reconciler: observe (selected cluster Secrets, the TargetGroupBindings in each
// workload cluster, every AWSTargetGroup in the namespace) → decide (plan.ts) → apply → report. Each
// workload cluster fails and backs off on its own; its AWSTargetGroups stay until it can be listed again.
// Each write stands alone: one the API server refuses is named in status and blocks no other.
import { ARGOCD_SECRET_TYPE_CLUSTER, ARGOCD_SECRET_TYPE_LABEL } from '../../api/argocd/clustersecret.js';
import { TargetGroupBindingType, type TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import { FIELD_MANAGER } from '../../api/labels.js';
import { CoreTypes } from '../../api/resource.js';
import type { Condition } from '../../api/schema.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import {
  AWSTargetGroupSetSchema,
  AWSTargetGroupSetType,
  type AWSTargetGroupSet,
  type AWSTargetGroupSetStatus,
} from '../../api/v1alpha1/awstargetgroupset.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { isForbidden, isInvalid, KubeApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import { InvalidClusterSecretError, parseClusterSecret, type RemoteClusters, type SecretObject } from '../../kube/remote.js';
import type { KeyedBackoff } from '../../runtime/backoff.js';
import type { Clock } from '../../runtime/clock.js';
import { settleLimit } from '../../runtime/concurrency.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import { errorMessage } from '../../runtime/errors.js';
import type { EventInput, EventRecorder } from '../../runtime/events.js';
import { metaTime, patchStatusIfChanged, setCondition } from '../../runtime/status.js';
import { rejectSpec, withKind, zodProblem } from '../common.js';
import { planTargetGroups, syncIntervalMs, validateTargetGroupSet, withFailedWrites, type ClusterListing, type FailedWrites, type TargetGroupPlan } from './plan.js';

/** The part of an informer's cache a pass reads. */
export type CachedObjects<T extends KubeObject> = Pick<Informer<T>, 'list' | 'get'>;

/** What the reconciler talks to. */
export interface TargetGroupSetDeps {
  readonly client: KubeClient;
  /** Argo CD cluster Secrets (cached); listed on demand when absent. */
  readonly secrets?: CachedObjects<SecretObject> | undefined;
  /** Every AWSTargetGroup, whoever owns it (cached); listed on demand when absent. */
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

/** One pass as it was carried out; `retry` is a write failure that was not a refusal (a timeout, a 5xx). */
export interface TargetGroupSetPass {
  readonly plan: TargetGroupPlan;
  /** Writes that failed, by AWSTargetGroup name (a failed apply is also named as a skipped binding). */
  readonly failedWrites: FailedWrites;
  readonly requeueAfterMs?: number;
  readonly retry?: Error;
}

/** Reconciles one AWSTargetGroupSet; a transient write failure is thrown so the controller backs off. */
export async function reconcileTargetGroupSet(deps: TargetGroupSetDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ReconcileResult> {
  const pass = await syncTargetGroupSet(deps, req);
  // A refusal stays until someone changes the binding, the spec or the policy: the next syncInterval
  // tries again. Anything else (a timeout, a 5xx, a conflict) is retried now, with the controller's backoff.
  if (pass?.retry !== undefined) throw pass.retry;
  return pass?.requeueAfterMs === undefined ? {} : { requeueAfterMs: pass.requeueAfterMs };
}

/**
 * One pass over an AWSTargetGroupSet (the controller's, and `okra sync awstargetgroupset`'s): every write
 * is tried and reported, and a transient failure is returned rather than thrown, so a caller can still
 * say what was written. Undefined when the set is gone.
 */
export async function syncTargetGroupSet(deps: TargetGroupSetDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<TargetGroupSetPass | undefined> {
  const raw = await deps.client.get<AWSTargetGroupSet>(AWSTargetGroupSetType, req.name, req.namespace);
  if (!raw || raw.metadata.deletionTimestamp) return undefined;
  const set = await validated(deps, raw);

  const clusters = await selectedClusters(deps, set);
  const listings = await settleLimit(clusters, CLUSTER_CONCURRENCY, (c) => listCluster(deps, set, c));
  const existing = await namespaceTargetGroups(deps, set.metadata.namespace ?? '');
  const plan = planTargetGroups({ set, listings: listings.map(settledListing), existing, partial: deps.onlyCluster !== undefined });
  if (deps.dryRun) return { plan, failedWrites: { failedApplies: new Map(), failedDeletes: new Map() } };
  const writes = await applyPlan(deps, plan);
  const done = withFailedWrites(plan, writes);
  await report(deps, set, done, writes);
  const failedWrites = { failedApplies: writes.failedApplies, failedDeletes: writes.failedDeletes };
  if (writes.transient !== undefined) return { plan: done, failedWrites, retry: writes.transient };
  const retryMs = Math.min(syncIntervalMs(set.spec), ...clusters.map((c) => deps.backoff.waitMs(backoffKey(c.secret))).filter((ms) => ms > 0));
  return { plan: done, failedWrites, requeueAfterMs: retryMs };
}

async function validated(deps: TargetGroupSetDeps, raw: AWSTargetGroupSet): Promise<AWSTargetGroupSet> {
  const parsed = AWSTargetGroupSetSchema.safeParse(raw);
  const problem = parsed.success ? validateTargetGroupSet(parsed.data) : zodProblem(parsed.error.issues);
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
  if (err instanceof InvalidClusterSecretError) return `invalid cluster Secret: ${errorMessage(err)}`;
  return `unreachable: ${errorMessage(err)}`;
}

function settledListing(result: PromiseSettledResult<ClusterListing>, index: number): ClusterListing {
  return result.status === 'fulfilled' ? result.value : { cluster: `cluster-${index}`, ok: false, error: errorMessage(result.reason) };
}

/** Every AWSTargetGroup in the namespace: the plan must see names other sets (or people) already hold. */
async function namespaceTargetGroups(deps: TargetGroupSetDeps, namespace: string): Promise<AWSTargetGroup[]> {
  if (deps.targetGroups) return deps.targetGroups.list(namespace);
  return (await deps.client.list<AWSTargetGroup>(AWSTargetGroupType, { namespace })).items;
}

/** What the writes of a pass did. */
interface Writes extends FailedWrites {
  /** Normal Events for what was written. */
  readonly events: readonly EventInput[];
  /** The first failure that was not a refusal of the object itself, to retry with backoff. */
  readonly transient?: Error;
}

/** The API server refused the object or the request as such: the same write would fail again. */
function refused(err: unknown): boolean {
  return isInvalid(err) || isForbidden(err) || (err instanceof KubeApiError && err.status === 400);
}

/** Each write stands alone: one the API server refuses must not keep the others from being made. */
async function applyPlan(deps: TargetGroupSetDeps, plan: TargetGroupPlan): Promise<Writes> {
  const events: EventInput[] = [];
  const failedApplies = new Map<string, string>();
  const failedDeletes = new Map<string, string>();
  let transient: Error | undefined;
  const fail = (failed: Map<string, string>, tg: AWSTargetGroup, err: unknown): void => {
    failed.set(tg.metadata.name ?? '', errorMessage(err));
    if (!refused(err)) transient ??= err instanceof Error ? err : new Error(errorMessage(err));
  };
  for (const tg of plan.apply) {
    try {
      await deps.client.apply(AWSTargetGroupType, tg, { fieldManager: FIELD_MANAGER });
      events.push({ type: 'Normal', reason: 'TargetGroupApplied', message: `applied AWSTargetGroup ${tg.metadata.name ?? ''} (${tg.spec.arn})` });
    } catch (err) {
      fail(failedApplies, tg, err);
    }
  }
  for (const tg of plan.delete) {
    try {
      await deps.client.delete(AWSTargetGroupType, { name: tg.metadata.name ?? '', namespace: tg.metadata.namespace }, { uid: tg.metadata.uid ?? '' });
      events.push({ type: 'Normal', reason: 'TargetGroupDeleted', message: `deleted AWSTargetGroup ${tg.metadata.name ?? ''}: its binding is gone` });
    } catch (err) {
      fail(failedDeletes, tg, err);
    }
  }
  return { events, failedApplies, failedDeletes, ...(transient === undefined ? {} : { transient }) };
}

/** Every write of the pass that failed, one line each naming the object and the API server's message. */
export function failedWriteLines(writes: Pick<Writes, 'failedApplies' | 'failedDeletes'>): string[] {
  const lines = (verb: string, failed: ReadonlyMap<string, string>): string[] => [...failed].map(([name, message]) => `could not ${verb} AWSTargetGroup ${name}: ${message}`);
  return [...lines('apply', writes.failedApplies), ...lines('delete', writes.failedDeletes)];
}

/** Ready: unreachable clusters first, then writes the API server refused, else how much is in sync. */
const NO_CLUSTERS_MESSAGE = `0 clusters: no Secret labelled ${ARGOCD_SECRET_TYPE_LABEL}=${ARGOCD_SECRET_TYPE_CLUSTER} in this namespace matches a generator's clusterSelector`;

function readyCondition(plan: TargetGroupPlan, failedWrites: readonly string[]): Omit<Condition, 'lastTransitionTime'> {
  const failing = plan.clusters.filter((c) => c.error !== undefined);
  const problems = [...failing.map((c) => `${c.name}: ${c.error ?? ''}`), ...failedWrites];
  if (problems.length > 0) return { type: 'Ready', status: 'False', reason: failing.length > 0 ? 'ClusterUnreachable' : 'WriteFailed', message: problems.join('; ') };
  // The original okra selected any Secret; okra reads only Argo CD cluster Secrets, so a migrated set
  // whose Secrets lack that label must say why it sees nothing.
  if (plan.clusters.length === 0) return { type: 'Ready', status: 'True', reason: 'NoClusters', message: NO_CLUSTERS_MESSAGE };
  const total = plan.clusters.reduce((n, c) => n + c.targetGroups, 0);
  return { type: 'Ready', status: 'True', reason: 'Synced', message: `${plan.clusters.length} cluster(s), ${total} target group(s)` };
}

/** The status after a pass; `failedWrites` are the writes the API server refused. */
export function targetGroupSetStatus(set: AWSTargetGroupSet, plan: TargetGroupPlan, now: Date, failedWrites: readonly string[] = []): AWSTargetGroupSetStatus {
  const generation = set.metadata.generation;
  const ready = readyCondition(plan, failedWrites);
  let conditions = setCondition(set.status?.conditions, ready, now, generation);
  conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: 'SpecValid', message: 'the spec is valid' }, now, generation);
  return {
    ...(set.status ?? {}),
    phase: ready.status === 'True' ? 'Synced' : 'Error',
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

/**
 * A Warning for each failed delete not already named in the last status (a refused apply is named with
 * its binding, in the BindingSkipped Event), so a write that keeps failing is reported once.
 */
function failedDeleteEvents(previous: AWSTargetGroupSetStatus | undefined, failedDeletes: ReadonlyMap<string, string>): EventInput[] {
  const before = previous?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
  const lines = failedWriteLines({ failedApplies: new Map(), failedDeletes });
  return lines.filter((line) => !before.includes(line)).map((message) => ({ type: 'Warning', reason: 'DeleteFailed', message }));
}

async function report(deps: TargetGroupSetDeps, set: AWSTargetGroupSet, plan: TargetGroupPlan, writes: Writes): Promise<void> {
  const next = targetGroupSetStatus(set, plan, deps.clock.now(), failedWriteLines(writes));
  await patchStatusIfChanged(deps.client, AWSTargetGroupSetType, set, next);
  const events = [...writes.events, ...clusterEvents(set.status, next), ...failedDeleteEvents(set.status, writes.failedDeletes)];
  for (const event of events) await deps.events.record(withKind(set, AWSTargetGroupSetType), event);
}
