// AWSTargetGroupSet decisions, pure: the AWSTargetGroup each TargetGroupBinding becomes, which bindings
// are skipped and why, and which AWSTargetGroups to delete. A cluster that could not be listed keeps
// every AWSTargetGroup it had, and an AWSTargetGroup this set does not own is never written.
import { parseDuration } from '../../api/duration.js';
import type { TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import {
  APPLIED_HASH_ANNOTATION,
  BINDING_CLUSTER_LABEL,
  BINDING_NAME_LABEL,
  BINDING_NAMESPACE_LABEL,
  TARGETGROUPSET_LABEL,
  VERSION_LABEL,
} from '../../api/labels.js';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import type { AWSTargetGroupSet, AWSTargetGroupSetSpec, AWSTargetGroupSetStatus } from '../../api/v1alpha1/awstargetgroupset.js';
import { canonical } from '../../runtime/status.js';
import { dnsName, isLabelValue, labelsProblem, labelValue, shortHash } from '../names.js';

/** Default re-listing interval. */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000;

/** An ALB target group ARN. */
export const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;

/** What was found in one cluster. */
export type ClusterListing =
  | { readonly cluster: string; readonly ok: true; readonly bindings: readonly TargetGroupBinding[] }
  | { readonly cluster: string; readonly ok: false; readonly error: string };

/** One cluster's entry in the status. */
export type ClusterResult = NonNullable<AWSTargetGroupSetStatus['clusters']>[number];

/** Where an applied AWSTargetGroup comes from, to name a failed write in its cluster's status. */
export interface TargetGroupSource {
  readonly cluster: string;
  /** namespace/name of the binding. */
  readonly binding: string;
}

/** What a pass must do. */
export interface TargetGroupPlan {
  readonly apply: readonly AWSTargetGroup[];
  readonly delete: readonly AWSTargetGroup[];
  readonly clusters: readonly ClusterResult[];
  /** The cluster and binding of every AWSTargetGroup in `apply`, by name. */
  readonly sources: ReadonlyMap<string, TargetGroupSource>;
}

/** Returns why a set cannot be acted on, or undefined. */
export function validateTargetGroupSet(set: Pick<AWSTargetGroupSet, 'metadata' | 'spec'>): string | undefined {
  const { spec } = set;
  const index = spec.generators.findIndex((g) => g.awseks === undefined);
  if (index >= 0) return `spec.generators[${index}] has no awseks generator`;
  if (spec.syncInterval !== undefined && parseDuration(spec.syncInterval) === undefined) {
    return `spec.syncInterval ${JSON.stringify(spec.syncInterval)} is not a duration (for example 30s or 5m)`;
  }
  // The set's name is the value of the owner label on every AWSTargetGroup: the API server would
  // refuse each of them.
  const name = set.metadata.name ?? '';
  if (!isLabelValue(name)) return `metadata.name ${name} is longer than 63 characters, too long for the ${TARGETGROUPSET_LABEL} label on its AWSTargetGroups`;
  return labelsProblem(spec.template?.metadata?.labels ?? {}, 'spec.template.metadata.labels') ?? selectorsProblem(spec);
}

/**
 * Why a generator's selectors could never match, or undefined. A binding selector goes to each cluster's
 * API server, which refuses a bad one: left to that, it would read as the cluster being unreachable.
 */
function selectorsProblem(spec: AWSTargetGroupSetSpec): string | undefined {
  for (const [i, generator] of spec.generators.entries()) {
    for (const selector of ['clusterSelector', 'bindingSelector'] as const) {
      const problem = labelsProblem(generator.awseks?.[selector]?.matchLabels ?? {}, `spec.generators[${i}].awseks.${selector}.matchLabels`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** The re-listing interval. */
export function syncIntervalMs(spec: AWSTargetGroupSetSpec): number {
  return (spec.syncInterval === undefined ? undefined : parseDuration(spec.syncInterval)) ?? DEFAULT_SYNC_INTERVAL_MS;
}

/** The AWSTargetGroup name for a binding: carries the cluster, so equal bindings in two clusters differ. */
export function targetGroupName(cluster: string, binding: TargetGroupBinding): string {
  return dnsName([cluster, binding.metadata.namespace ?? '', binding.metadata.name ?? '']);
}

/** Why a binding cannot become an AWSTargetGroup, or undefined. */
export function bindingProblem(binding: TargetGroupBinding, versionLabel: string): string | undefined {
  const arn = binding.spec.targetGroupARN;
  if (!arn) return 'spec.targetGroupARN is empty';
  if (!TARGET_GROUP_ARN.test(arn)) return `spec.targetGroupARN ${arn} is not a target group ARN`;
  if (!binding.metadata.labels?.[versionLabel]) return `no ${versionLabel} label`;
  return undefined;
}

/** Builds the AWSTargetGroup for a binding. */
export function desiredTargetGroup(set: AWSTargetGroupSet, cluster: string, binding: TargetGroupBinding): AWSTargetGroup {
  const body = {
    labels: {
      ...(binding.metadata.labels ?? {}),
      ...(set.spec.template?.metadata?.labels ?? {}),
      [TARGETGROUPSET_LABEL]: set.metadata.name ?? '',
      [BINDING_CLUSTER_LABEL]: labelValue(cluster),
      [BINDING_NAMESPACE_LABEL]: binding.metadata.namespace ?? '',
      [BINDING_NAME_LABEL]: labelValue(binding.metadata.name ?? ''),
    },
    arn: binding.spec.targetGroupARN ?? '',
  };
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'AWSTargetGroup',
    metadata: {
      name: targetGroupName(cluster, binding),
      namespace: set.metadata.namespace,
      labels: body.labels,
      annotations: { [APPLIED_HASH_ANNOTATION]: shortHash(canonical(body), 16) },
      ownerReferences: [
        { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'AWSTargetGroupSet', name: set.metadata.name ?? '', uid: set.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { arn: body.arn },
  };
}

/** True when applying `desired` over `existing` would change nothing. */
export function targetGroupUpToDate(existing: AWSTargetGroup, desired: AWSTargetGroup): boolean {
  const has = (have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean =>
    Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  return (
    existing.spec.arn === desired.spec.arn &&
    has(existing.metadata.labels, desired.metadata.labels) &&
    has(existing.metadata.annotations, desired.metadata.annotations)
  );
}

interface PlanInput {
  readonly set: AWSTargetGroupSet;
  /** Every cluster the set selects, listed or not. */
  readonly listings: readonly ClusterListing[];
  /**
   * Every AWSTargetGroup in the set's namespace, whoever owns it: a name this set would write may
   * already belong to another set or to someone who created it by hand.
   */
  readonly existing: readonly AWSTargetGroup[];
  /** The listings cover only some of the set's clusters (okra sync --cluster-name): delete nothing outside them. */
  readonly partial?: boolean;
}

/** A binding that may become an AWSTargetGroup, with the cluster it was listed in. */
interface Candidate {
  readonly cluster: string;
  readonly binding: TargetGroupBinding;
  readonly desired: AWSTargetGroup;
}

/** True when `tg` is one of this set's AWSTargetGroups (the set label is how the original okra marks them). */
export function ownedBySet(tg: AWSTargetGroup, set: AWSTargetGroupSet): boolean {
  return tg.metadata.labels?.[TARGETGROUPSET_LABEL] === set.metadata.name;
}

/** Decides which AWSTargetGroups to apply and delete. */
export function planTargetGroups({ set, listings, existing, partial = false }: PlanInput): TargetGroupPlan {
  const versionLabel = set.spec.versionLabel ?? VERSION_LABEL;
  const owned = existing.filter((tg) => ownedBySet(tg, set));
  const byName = new Map(existing.map((tg) => [tg.metadata.name ?? '', tg]));
  const candidates: Candidate[] = [];
  const skipped = new Map<string, { binding: string; reason: string }[]>();
  /** Names that must survive this pass untouched: a binding we skip still has its AWSTargetGroup. */
  const kept = new Set<string>();
  const skip = (c: Pick<Candidate, 'cluster' | 'binding'>, reason: string): void => {
    kept.add(targetGroupName(c.cluster, c.binding));
    skipped.set(c.cluster, [...(skipped.get(c.cluster) ?? []), { binding: bindingRef(c.binding), reason }]);
  };
  for (const listing of listings.filter((l) => l.ok)) {
    for (const binding of listing.bindings) {
      const problem = bindingProblem(binding, versionLabel);
      if (problem) skip({ cluster: listing.cluster, binding }, problem);
      else candidates.push({ cluster: listing.cluster, binding, desired: desiredTargetGroup(set, listing.cluster, binding) });
    }
  }
  const wanted = new Map<string, Candidate>();
  for (const [name, group] of groupByName(candidates)) {
    const clash = collision(set, group, byName.get(name));
    if (clash) for (const c of group) skip(c, clash);
    else if (group[0]) wanted.set(name, group[0]);
  }
  const apply = [...wanted.values()].map((c) => c.desired).filter((tg) => {
    const have = byName.get(tg.metadata.name ?? '');
    return !have || !targetGroupUpToDate(have, tg);
  });
  // Delete only what a complete listing of its cluster no longer has, or what belongs to a cluster the
  // set no longer selects at all; an unreachable cluster keeps its target groups, and so does a binding
  // that is skipped (a typo in a live binding must not pull its traffic). A cluster is known by its Argo
  // CD name, which people edit: one renamed while it cannot be listed looks like an unselected cluster
  // under its old name, so while any listing fails, unselected clusters keep theirs until the next
  // complete pass.
  const unreachable = listings.filter((l) => !l.ok).map((l) => l.cluster);
  const listed = listings.filter((l) => l.ok).map((l) => l.cluster);
  const completePass = !partial && unreachable.length === 0;
  const toDelete = owned.filter((tg) => {
    const name = tg.metadata.name ?? '';
    if (wanted.has(name) || kept.has(name) || unreachable.some((c) => fromCluster(tg, c))) return false;
    return completePass || listed.some((c) => fromCluster(tg, c));
  });
  const clusters = listings.map((listing): ClusterResult => {
    if (!listing.ok) return { name: listing.cluster, targetGroups: owned.filter((tg) => fromCluster(tg, listing.cluster)).length, error: listing.error };
    const skips = skipped.get(listing.cluster) ?? [];
    const count = [...wanted.values()].filter((c) => c.cluster === listing.cluster).length;
    return { name: listing.cluster, targetGroups: count, ...(skips.length > 0 ? { skipped: skips } : {}) };
  });
  const sources = new Map(apply.map((tg) => [tg.metadata.name ?? '', sourceOf(wanted.get(tg.metadata.name ?? ''))]));
  return { apply, delete: toDelete, clusters: clusters.sort((a, b) => a.name.localeCompare(b.name)), sources };
}

function sourceOf(c: Candidate | undefined): TargetGroupSource {
  return { cluster: c?.cluster ?? '', binding: c ? bindingRef(c.binding) : '' };
}

/** Writes the API server refused, by AWSTargetGroup name, with its message. */
export interface FailedWrites {
  readonly failedApplies: ReadonlyMap<string, string>;
  readonly failedDeletes: ReadonlyMap<string, string>;
}

/**
 * The plan as it was carried out: an AWSTargetGroup the API server refused is not counted for its
 * cluster, and its binding is named with the server's message, as any other binding that could not be
 * mirrored; a delete that failed is no longer listed as done.
 */
export function withFailedWrites(plan: TargetGroupPlan, { failedApplies: failed, failedDeletes }: FailedWrites): TargetGroupPlan {
  const deleted = plan.delete.filter((tg) => !failedDeletes.has(tg.metadata.name ?? ''));
  if (failed.size === 0) return { ...plan, delete: deleted };
  const byCluster = new Map<string, { binding: string; reason: string }[]>();
  for (const [name, message] of failed) {
    const source = plan.sources.get(name);
    if (!source) continue;
    byCluster.set(source.cluster, [...(byCluster.get(source.cluster) ?? []), { binding: source.binding, reason: `AWSTargetGroup ${name} was refused: ${message}` }]);
  }
  const clusters = plan.clusters.map((c): ClusterResult => {
    const refused = byCluster.get(c.name) ?? [];
    if (refused.length === 0) return c;
    return { ...c, targetGroups: c.targetGroups - refused.length, skipped: [...(c.skipped ?? []), ...refused] };
  });
  return { ...plan, apply: plan.apply.filter((tg) => !failed.has(tg.metadata.name ?? '')), delete: deleted, clusters };
}

function bindingRef(binding: TargetGroupBinding): string {
  return `${binding.metadata.namespace ?? ''}/${binding.metadata.name ?? ''}`;
}

function groupByName(candidates: readonly Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const name = c.desired.metadata.name ?? '';
    groups.set(name, [...(groups.get(name) ?? []), c]);
  }
  return groups;
}

/**
 * Why bindings that map to one AWSTargetGroup name cannot have it, or undefined. Names join cluster,
 * namespace and binding with '-', so `team-web/api` and `team/web-api` in one cluster meet; an existing
 * object of that name may mirror another binding (of a cluster unreachable now); and it may belong to
 * another set (two sets selecting the same cluster and binding) or to no set at all (made by hand).
 * None may take the name over: that would point a Cell at the wrong target group, or move it between
 * two Cells' selections on every pass.
 */
function collision(set: AWSTargetGroupSet, group: readonly Candidate[], existing: AWSTargetGroup | undefined): string | undefined {
  const name = group[0]?.desired.metadata.name ?? '';
  const fix = 'rename one of the bindings';
  if (group.length > 1) return `AWSTargetGroup name ${name} would be shared by ${group.map((c) => `${c.cluster}:${bindingRef(c.binding)}`).join(' and ')}; ${fix}`;
  const only = group[0];
  if (!only || !existing) return undefined;
  if (!ownedBySet(existing, set)) return foreignOwner(name, existing);
  if (sameProvenance(existing, only.desired)) return undefined;
  const owner = PROVENANCE_LABELS.map((l) => existing.metadata.labels?.[l] ?? '?');
  return `AWSTargetGroup ${name} already mirrors ${owner[0] ?? '?'}:${owner[1] ?? '?'}/${owner[2] ?? '?'}; ${fix}`;
}

/** Why an AWSTargetGroup this set does not own is left alone, naming who has it. */
function foreignOwner(name: string, existing: AWSTargetGroup): string {
  const other = existing.metadata.labels?.[TARGETGROUPSET_LABEL];
  return other
    ? `AWSTargetGroup ${name} belongs to AWSTargetGroupSet ${other}, which mirrors a binding to the same name; narrow one set's clusterSelector or bindingSelector`
    : `AWSTargetGroup ${name} exists and belongs to no AWSTargetGroupSet (made by hand?); delete it to let this set manage it`;
}

const PROVENANCE_LABELS = [BINDING_CLUSTER_LABEL, BINDING_NAMESPACE_LABEL, BINDING_NAME_LABEL] as const;

function sameProvenance(a: AWSTargetGroup, b: AWSTargetGroup): boolean {
  return PROVENANCE_LABELS.every((l) => a.metadata.labels?.[l] === b.metadata.labels?.[l]);
}

function fromCluster(tg: AWSTargetGroup, cluster: string): boolean {
  return tg.metadata.labels?.[BINDING_CLUSTER_LABEL] === labelValue(cluster);
}
