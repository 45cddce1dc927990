// ClusterSet decisions, pure: which EKS clusters match, what their Argo CD cluster Secrets must look like,
// and what to create, update and delete given the current Secrets. No I/O here.
import { canonical } from '../../runtime/status.js';
import { ARGOCD_SECRET_TYPE_CLUSTER, ARGOCD_SECRET_TYPE_LABEL } from '../../api/argocd/clustersecret.js';
import { parseDuration } from '../../api/duration.js';
import {
  APPLIED_HASH_ANNOTATION,
  CLUSTERSET_LABEL,
  EKS_CLUSTER_ARN_ANNOTATION,
  VERSION_LABEL,
} from '../../api/labels.js';
import type { ClusterSet, ClusterSetSpec } from '../../api/v1alpha1/clusterset.js';
import type { EksCluster } from '../../aws/eks.js';
import type { SecretObject } from '../../kube/remote.js';
import { dnsName, isLabelValue, labelKeyProblem, labelsProblem, shortHash } from '../names.js';

/** Default re-discovery interval. */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000;

/** One awseks generator. */
export type Generator = NonNullable<ClusterSetSpec['generators'][number]['awseks']>;

/** The result of listing EKS: clusters per region, and whether every listing and describe succeeded. */
export interface Discovery {
  /** Every described cluster with the region it was found in. */
  readonly clusters: readonly (EksCluster & { region: string })[];
  /** False when any page or describe failed: nothing may be deleted then. */
  readonly complete: boolean;
  /** What failed, for status. */
  readonly errors: readonly string[];
}

/** One status entry per cluster. */
export interface ClusterEntry {
  name: string;
  version?: string;
  secret?: string;
  state: 'Synced' | 'Skipped' | 'Pruned' | 'Error';
  message?: string;
}

/** What a pass must do. */
export interface ClusterSetPlan {
  /** Secrets to server-side apply (new or different from what is there). */
  readonly apply: readonly SecretObject[];
  /** Names of owned Secrets to delete. */
  readonly delete: readonly string[];
  readonly entries: readonly ClusterEntry[];
}

/** Returns why a spec cannot be acted on, or undefined when it is valid. */
export function validateClusterSet(spec: ClusterSetSpec): string | undefined {
  if (spec.generators.length === 0) return 'spec.generators is empty: add at least one awseks generator';
  const index = spec.generators.findIndex((g) => g.awseks === undefined);
  if (index >= 0) return `spec.generators[${index}] has no awseks generator`;
  if (spec.syncInterval !== undefined && parseDuration(spec.syncInterval) === undefined) {
    return `spec.syncInterval ${JSON.stringify(spec.syncInterval)} is not a duration (for example 30s or 5m)`;
  }
  return versionLabelProblem(spec.versionLabel) ?? labelsProblem(spec.template.metadata.labels ?? {}, 'spec.template.metadata.labels');
}

/**
 * The version label is written last on every Secret, so it would overwrite a label okra or Argo CD keys
 * on: over the secret-type label Argo CD would stop seeing every cluster (and delete their apps), over
 * the ClusterSet label the set would lose its Secrets.
 */
function versionLabelProblem(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (key === ARGOCD_SECRET_TYPE_LABEL || key === CLUSTERSET_LABEL) {
    return `spec.versionLabel ${key} is a label okra writes on every Secret itself (${key === CLUSTERSET_LABEL ? 'which ClusterSet owns it' : 'what makes Argo CD read it as a cluster'}): choose another key, for example ${VERSION_LABEL}`;
  }
  return labelKeyProblem(key, 'spec.versionLabel');
}

/** The re-discovery interval of a ClusterSet. */
export function syncIntervalMs(spec: ClusterSetSpec): number {
  return (spec.syncInterval === undefined ? undefined : parseDuration(spec.syncInterval)) ?? DEFAULT_SYNC_INTERVAL_MS;
}

/** The regions a ClusterSet lists, given the controller's default region. */
export function regionsOf(spec: ClusterSetSpec, defaultRegion: string): string[] {
  return [...new Set(spec.generators.map((g) => g.awseks?.region ?? defaultRegion))];
}

/** True when the cluster carries every tag of `matchTags` with exactly that value. */
export function matchesTags(cluster: EksCluster, matchTags: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(matchTags ?? {}).every(([k, v]) => cluster.tags[k] === v);
}

/** The first generator that selects the cluster (a cluster selected by any generator belongs to the set). */
export function matchingGenerator(spec: ClusterSetSpec, cluster: EksCluster & { region: string }, defaultRegion: string): Generator | undefined {
  return spec.generators
    .map((g) => g.awseks)
    .find((g): g is Generator => g !== undefined && (g.region ?? defaultRegion) === cluster.region && matchesTags(cluster, g.selector?.matchTags));
}

/** Why a cluster cannot have a Secret yet, or undefined when it can. */
export function notReadyReason(cluster: EksCluster): string | undefined {
  if (cluster.status !== 'ACTIVE') return `cluster is ${cluster.status}: no Secret until it is ACTIVE`;
  if (!cluster.endpoint) return 'cluster has no endpoint yet';
  if (!cluster.caData) return 'cluster has no certificate authority yet';
  return undefined;
}

/** The Secret name for an EKS cluster (EKS allows upper case and underscores; Secret names do not). */
export function secretNameFor(clusterName: string): string {
  return dnsName([clusterName], 253);
}

/** The version taken from the generator's versionFromTag, and whether it can be a label value. */
function clusterVersion(cluster: EksCluster, generator: Generator): { version?: string; valid: boolean } {
  const version = generator.versionFromTag ? cluster.tags[generator.versionFromTag] : undefined;
  return version === undefined ? { valid: false } : { version, valid: isLabelValue(version) };
}

/** The Argo CD `config` JSON for an EKS cluster. */
function clusterConfig(cluster: EksCluster, generator: Generator): object {
  return {
    awsAuthConfig: { clusterName: cluster.name, ...(generator.roleARN ? { roleARN: generator.roleARN } : {}) },
    tlsClientConfig: { insecure: false, caData: cluster.caData },
  };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** How a cluster Secret is labelled and where it goes, independent of any ClusterSet. */
export interface SecretTemplate {
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Label key for the version from `generator.versionFromTag`. */
  readonly versionLabel?: string | undefined;
  /** Secret name; derived from the cluster name when absent. */
  readonly name?: string | undefined;
  readonly owner?: NonNullable<SecretObject['metadata']['ownerReferences']>[number] | undefined;
}

/** Labels, annotations and data of a cluster Secret: what the applied-hash covers. */
function secretBody(template: SecretTemplate, cluster: EksCluster, generator: Generator, version: string | undefined) {
  const versionLabels: Record<string, string> = version ? { [template.versionLabel ?? VERSION_LABEL]: version } : {};
  const arnAnnotation: Record<string, string> = cluster.arn ? { [EKS_CLUSTER_ARN_ANNOTATION]: cluster.arn } : {};
  return {
    labels: { ...template.labels, [ARGOCD_SECRET_TYPE_LABEL]: ARGOCD_SECRET_TYPE_CLUSTER, ...versionLabels },
    annotations: { ...template.annotations, ...arnAnnotation },
    data: {
      name: b64(cluster.name),
      server: b64((cluster.endpoint ?? '').replace(/\/+$/, '')),
      config: b64(JSON.stringify(clusterConfig(cluster, generator))),
    },
  };
}

/** Builds the Argo CD cluster Secret for an ACTIVE EKS cluster. */
export function buildClusterSecret(template: SecretTemplate, cluster: EksCluster, generator: Generator): { secret: SecretObject; version?: string; note?: string } {
  const { version, valid: versionOk } = clusterVersion(cluster, generator);
  const body = secretBody(template, cluster, generator, versionOk ? version : undefined);
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: template.name ?? secretNameFor(cluster.name),
      namespace: template.namespace,
      labels: body.labels,
      annotations: { ...body.annotations, [APPLIED_HASH_ANNOTATION]: shortHash(canonical(body), 16) },
      ...(template.owner ? { ownerReferences: [template.owner] } : {}),
    },
    data: body.data,
  };
  const note = version !== undefined && !versionOk ? `tag ${generator.versionFromTag ?? ''}=${version} is not a valid label value; no version label` : undefined;
  return { secret, ...(versionOk ? { version } : {}), ...(note ? { note } : {}) };
}

/** Builds the Secret a ClusterSet owns for an ACTIVE cluster. */
export function desiredSecret(cs: ClusterSet, cluster: EksCluster, generator: Generator): { secret: SecretObject; version?: string; note?: string } {
  return buildClusterSecret(
    {
      namespace: cs.metadata.namespace ?? '',
      labels: { ...cs.spec.template.metadata.labels, [CLUSTERSET_LABEL]: cs.metadata.name ?? '' },
      annotations: cs.spec.template.metadata.annotations,
      versionLabel: cs.spec.versionLabel,
      // The owner reference makes deleting the ClusterSet delete its Secrets (and Argo CD the apps on
      // those clusters): only when the set may prune at all.
      owner: cs.spec.prune === false ? undefined : ownerReference(cs),
    },
    cluster,
    generator,
  );
}

function ownerReference(cs: ClusterSet): NonNullable<SecretObject['metadata']['ownerReferences']>[number] {
  return { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'ClusterSet', name: cs.metadata.name ?? '', uid: cs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** True when `existing` already has everything `desired` sets (so applying would change nothing). */
export function secretUpToDate(existing: SecretObject, desired: SecretObject): boolean {
  const has = (have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean =>
    Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  return (
    has(existing.metadata.labels, desired.metadata.labels) &&
    has(existing.metadata.annotations, desired.metadata.annotations) &&
    has(existing.data, desired.data) &&
    ownerUpToDate(existing.metadata.ownerReferences ?? [], desired.metadata.ownerReferences?.[0])
  );
}

/** The wanted ClusterSet owner reference is there, or (none wanted) no ClusterSet owner reference is. */
function ownerUpToDate(have: NonNullable<SecretObject['metadata']['ownerReferences']>, want: { uid: string } | undefined): boolean {
  return want ? have.some((o) => o.uid === want.uid) : !have.some((o) => o.kind === 'ClusterSet');
}

/** True when a Secret belongs to this ClusterSet. */
export function ownedBy(secret: SecretObject, cs: ClusterSet): boolean {
  return secret.metadata.labels?.[CLUSTERSET_LABEL] === cs.metadata.name;
}

interface PlanInput {
  readonly cs: ClusterSet;
  readonly discovery: Discovery;
  /** Secrets currently in the ClusterSet's namespace that carry the clusterset label or a desired name. */
  readonly existing: readonly SecretObject[];
  readonly defaultRegion: string;
}

/** Decides the Secrets to apply and delete, and the status entry of every cluster. */
export function planClusterSecrets({ cs, discovery, existing, defaultRegion }: PlanInput): ClusterSetPlan {
  const byName = new Map(existing.map((s) => [s.metadata.name ?? '', s]));
  const apply: SecretObject[] = [];
  const entries: ClusterEntry[] = [];
  const keep = new Set<string>();
  const selected = discovery.clusters.flatMap((cluster) => {
    const generator = matchingGenerator(cs.spec, cluster, defaultRegion);
    return generator ? [{ cluster, generator }] : [];
  });
  const regionsByName = new Map<string, string[]>();
  for (const { cluster } of selected) regionsByName.set(secretNameFor(cluster.name), [...(regionsByName.get(secretNameFor(cluster.name)) ?? []), cluster.region]);
  for (const { cluster, generator } of selected) {
    const name = secretNameFor(cluster.name);
    keep.add(name);
    const regions = regionsByName.get(name) ?? [];
    // EKS names are unique per region only; one Secret cannot point at two clusters, and alternating
    // between them would make Argo CD move the apps back and forth. Write neither; keep what exists.
    const entry =
      regions.length > 1
        ? { name: cluster.name, secret: name, state: 'Error' as const, message: `EKS clusters named ${cluster.name} exist in ${regions.sort().join(' and ')}; one Argo CD Secret cannot name both: narrow the generators' regions or tags (this one is in ${cluster.region})` }
        : planOne({ cs, cluster, generator, current: byName.get(name), complete: discovery.complete }, apply);
    entries.push(entry);
  }
  const prune = cs.spec.prune !== false && discovery.complete;
  const toDelete = existing
    .filter((s) => ownedBy(s, cs) && !keep.has(s.metadata.name ?? ''))
    .map((s) => s.metadata.name ?? '');
  if (prune) {
    for (const name of toDelete) entries.push({ name: clusterNameOf(byName.get(name)) ?? name, secret: name, state: 'Pruned', message: 'cluster no longer matches' });
  }
  return { apply, delete: prune ? toDelete : [], entries: entries.sort((a, b) => a.name.localeCompare(b.name)) };
}

interface ClusterInput {
  readonly cs: ClusterSet;
  readonly cluster: EksCluster;
  readonly generator: Generator;
  readonly current: SecretObject | undefined;
  /** Every region was listed and every cluster described this pass. */
  readonly complete: boolean;
}

function planOne(input: ClusterInput, apply: SecretObject[]): ClusterEntry {
  const { cs, cluster, generator, current } = input;
  const name = secretNameFor(cluster.name);
  const held = heldBack(input, name);
  if (held) return held;
  const { secret, version, note } = desiredSecret(cs, cluster, generator);
  if (!current || !secretUpToDate(current, secret)) apply.push(secret);
  return { name: cluster.name, secret: name, state: 'Synced', ...(version ? { version } : {}), ...(note ? { message: note } : {}) };
}

/** Why the cluster's Secret is not written this pass (with its status entry), or undefined. */
function heldBack({ cs, cluster, current, complete }: ClusterInput, name: string): ClusterEntry | undefined {
  if (current && !ownedBy(current, cs)) {
    return { name: cluster.name, secret: name, state: 'Error', message: `Secret ${name} exists and is not owned by this ClusterSet; left untouched` };
  }
  const notReady = notReadyReason(cluster);
  // An UPDATING cluster (a Kubernetes version upgrade) keeps serving: its Secret stays as it was.
  if (notReady && current) return { name: cluster.name, secret: name, state: 'Skipped', message: `cluster is ${cluster.status}: its Secret is kept unchanged until it is ACTIVE` };
  if (notReady) return { name: cluster.name, state: 'Skipped', message: notReady };
  const previous = current?.metadata.annotations?.[EKS_CLUSTER_ARN_ANNOTATION];
  // Repointing a Secret moves Argo CD's apps to another cluster, as a delete and a create would. A
  // partial listing may simply have missed the cluster it points at (or the same name in a second
  // region, which a full listing refuses), so like a delete it waits for a complete one.
  if (!complete && previous !== undefined && cluster.arn !== undefined && previous !== cluster.arn) {
    return { name: cluster.name, secret: name, state: 'Skipped', message: `Secret ${name} points at ${previous}; not moved to ${cluster.arn} until EKS is listed in full` };
  }
  return undefined;
}

function clusterNameOf(secret: SecretObject | undefined): string | undefined {
  const name = secret?.data?.name;
  return name === undefined ? undefined : Buffer.from(name, 'base64').toString('utf8');
}
