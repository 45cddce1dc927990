// The ClusterSet reconciler: observe (EKS, current Secrets) → decide (plan.ts) → apply (server-side
// apply and guarded deletes) → report (status patched once, Events on changes). Also used once by
// `okra sync clusterset`.
import { CoreTypes } from '../../api/resource.js';
import { CLUSTERSET_LABEL, FIELD_MANAGER } from '../../api/labels.js';
import { ClusterSetSchema, ClusterSetType, type ClusterSet } from '../../api/v1alpha1/clusterset.js';
import type { EksPort } from '../../aws/eks.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import type { SecretObject } from '../../kube/remote.js';
import type { Clock } from '../../runtime/clock.js';
import { settleLimit } from '../../runtime/concurrency.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import { errorMessage, PartialFailureError } from '../../runtime/errors.js';
import type { EventRecorder } from '../../runtime/events.js';
import { patchStatusIfChanged } from '../../runtime/status.js';
import { matchingGenerator, planClusterSecrets, regionsOf, secretNameFor, syncIntervalMs, validateClusterSet, type ClusterEntry, type Discovery } from './plan.js';
import { rejectSpec, withKind, zodProblem } from '../common.js';
import { clusterSetEvents, clusterSetStatus, type PassResult } from './status.js';

/** What the reconciler talks to. */
export interface ClusterSetDeps {
  readonly client: KubeClient;
  /** Secrets carrying the clusterset label; undefined in one-shot CLI runs (then they are listed). */
  readonly secrets?: Informer<SecretObject> | undefined;
  readonly eks: (region: string) => EksPort;
  readonly defaultRegion: string;
  readonly events: EventRecorder;
  readonly clock: Clock;
  /** Plan only: write nothing (okra sync clusterset --dry-run). */
  readonly dryRun?: boolean;
}

const DESCRIBE_CONCURRENCY = 8;

/** Reconciles one ClusterSet; an incomplete EKS discovery is thrown so the controller backs off (up to syncInterval). */
export async function reconcileClusterSet(deps: ClusterSetDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ReconcileResult> {
  const pass = await syncClusterSet(deps, req);
  if (pass?.retry !== undefined) throw pass.retry;
  return pass === undefined ? {} : { requeueAfterMs: pass.requeueAfterMs };
}

/** One pass as it was carried out; `retry` says why EKS could not be listed in full. */
export interface ClusterSetPass extends PassResult {
  readonly requeueAfterMs: number;
  readonly retry?: Error;
}

/**
 * One pass over a ClusterSet (the controller's, and `okra sync clusterset`'s). An incomplete discovery
 * is returned rather than thrown, so a caller can still say what was written. Undefined when it is gone.
 */
export async function syncClusterSet(deps: ClusterSetDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ClusterSetPass | undefined> {
  const raw = await deps.client.get<ClusterSet>(ClusterSetType, req.name, req.namespace);
  if (!raw || raw.metadata.deletionTimestamp) return undefined;
  const cs = await validated(deps, raw);
  const discovery = await discover(deps, cs);
  const existing = await observeSecrets(deps, cs, discovery);
  const plan = planClusterSecrets({ cs, discovery, existing, defaultRegion: deps.defaultRegion });
  const pass: PassResult = { discovery, ...(await applyPlan(deps, cs, plan, existing)) };
  if (!deps.dryRun) await report(deps, cs, pass);
  const requeueAfterMs = syncIntervalMs(cs.spec);
  if (!discovery.complete) return { ...pass, requeueAfterMs, retry: new PartialFailureError(`EKS discovery incomplete: ${discovery.errors.join('; ')}`, requeueAfterMs) };
  return { ...pass, requeueAfterMs };
}

async function validated(deps: ClusterSetDeps, raw: ClusterSet): Promise<ClusterSet> {
  const parsed = ClusterSetSchema.safeParse(raw);
  const problem = parsed.success ? validateClusterSet(parsed.data.spec) : zodProblem(parsed.error.issues);
  if (!problem && parsed.success) return parsed.data;
  return rejectSpec(deps, { type: ClusterSetType, obj: raw, message: problem ?? 'invalid', now: deps.clock.now() });
}

async function discover(deps: ClusterSetDeps, cs: ClusterSet): Promise<Discovery> {
  const clusters: Discovery['clusters'][number][] = [];
  const errors: string[] = [];
  for (const region of regionsOf(cs.spec, deps.defaultRegion)) {
    const eks = deps.eks(region);
    let names: string[];
    try {
      names = await eks.listClusterNames();
    } catch (err) {
      errors.push(`ListClusters in ${region}: ${errorMessage(err)}`);
      continue;
    }
    const described = await settleLimit(names, DESCRIBE_CONCURRENCY, (n) => eks.describeCluster(n));
    described.forEach((result, i) => {
      if (result.status === 'rejected') errors.push(`DescribeCluster ${names[i] ?? ''} in ${region}: ${errorMessage(result.reason)}`);
      else if (result.value) clusters.push({ ...result.value, region });
    });
  }
  return { clusters, complete: errors.length === 0, errors };
}

/** Owned Secrets from the cache (or a list), plus any Secret already holding a name we would write. */
async function observeSecrets(deps: ClusterSetDeps, cs: ClusterSet, discovery: Discovery): Promise<SecretObject[]> {
  const namespace = cs.metadata.namespace ?? '';
  const owned = deps.secrets
    ? deps.secrets.list(namespace).filter((s) => s.metadata.labels?.[CLUSTERSET_LABEL] === cs.metadata.name)
    : (await deps.client.list<SecretObject>(CoreTypes.secret, { namespace, labelSelector: `${CLUSTERSET_LABEL}=${cs.metadata.name ?? ''}` })).items;
  const known = new Set(owned.map((s) => s.metadata.name));
  // Only a cluster this set would write can collide with a Secret it does not own.
  const wanted = discovery.clusters.filter((c) => matchingGenerator(cs.spec, c, deps.defaultRegion) !== undefined);
  const unknownNames = [...new Set(wanted.map((c) => secretNameFor(c.name)))].filter((n) => !known.has(n));
  const others = await Promise.all(unknownNames.map((n) => deps.client.get<SecretObject>(CoreTypes.secret, n, namespace)));
  return [...owned, ...others.filter((s): s is SecretObject => s !== undefined)];
}

async function applyPlan(
  deps: ClusterSetDeps,
  cs: ClusterSet,
  plan: ReturnType<typeof planClusterSecrets>,
  existing: readonly SecretObject[],
): Promise<Omit<PassResult, 'discovery'>> {
  const current = new Map(existing.map((s) => [s.metadata.name ?? '', s]));
  const failed = new Map<string, string>();
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const secret of plan.apply) {
    const name = secret.metadata.name ?? '';
    try {
      if (!deps.dryRun) await deps.client.apply(CoreTypes.secret, secret, { fieldManager: FIELD_MANAGER });
      (current.has(name) ? updated : created).push(name);
    } catch (err) {
      failed.set(name, `could not write Secret ${name}: ${errorMessage(err)}`);
    }
  }
  for (const name of plan.delete) {
    try {
      if (!deps.dryRun) await deps.client.delete(CoreTypes.secret, { name, namespace: cs.metadata.namespace }, { uid: current.get(name)?.metadata.uid ?? '' });
      deleted.push(name);
    } catch (err) {
      failed.set(name, `could not delete Secret ${name}: ${errorMessage(err)}`);
    }
  }
  const entries = plan.entries.map((e): ClusterEntry => {
    const problem = e.secret === undefined ? undefined : failed.get(e.secret);
    return problem ? { ...e, state: 'Error', message: problem } : e;
  });
  return { entries, created, updated, deleted };
}

async function report(deps: ClusterSetDeps, cs: ClusterSet, pass: PassResult): Promise<void> {
  const next = clusterSetStatus(cs, pass, deps.clock.now());
  await patchStatusIfChanged(deps.client, ClusterSetType, cs, next);
  for (const event of clusterSetEvents(cs.status, next, pass)) await deps.events.record(withKind(cs, ClusterSetType), event);
}
