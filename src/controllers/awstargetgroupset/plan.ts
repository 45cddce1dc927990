// AWSTargetGroupSet decisions, pure: the AWSTargetGroup each TargetGroupBinding becomes, which bindings
// are skipped and why, and which AWSTargetGroups to delete. A cluster that could not be listed keeps
// every AWSTargetGroup it had.
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
import { dnsName, labelValue, shortHash } from '../names.js';

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

/** What a pass must do. */
export interface TargetGroupPlan {
  readonly apply: readonly AWSTargetGroup[];
  readonly delete: readonly AWSTargetGroup[];
  readonly clusters: readonly ClusterResult[];
}

/** Returns why a spec cannot be acted on, or undefined. */
export function validateTargetGroupSet(spec: AWSTargetGroupSetSpec): string | undefined {
  const index = spec.generators.findIndex((g) => g.awseks === undefined);
  if (index >= 0) return `spec.generators[${index}] has no awseks generator`;
  if (spec.syncInterval !== undefined && parseDuration(spec.syncInterval) === undefined) {
    return `spec.syncInterval ${JSON.stringify(spec.syncInterval)} is not a duration (for example 30s or 5m)`;
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
  /** AWSTargetGroups this set owns now. */
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

/** Decides which AWSTargetGroups to apply and delete. */
export function planTargetGroups({ set, listings, existing, partial = false }: PlanInput): TargetGroupPlan {
  const versionLabel = set.spec.versionLabel ?? VERSION_LABEL;
  const current = new Map(existing.map((tg) => [tg.metadata.name ?? '', tg]));
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
  const wanted = new Map<string, AWSTargetGroup>();
  for (const [name, group] of groupByName(candidates)) {
    const clash = collision(group, current.get(name));
    if (clash) for (const c of group) skip(c, clash);
    else if (group[0]) wanted.set(name, group[0].desired);
  }
  const apply = [...wanted.values()].filter((tg) => {
    const have = current.get(tg.metadata.name ?? '');
    return !have || !targetGroupUpToDate(have, tg);
  });
  // Delete only what a complete listing of its cluster no longer has, or what belongs to a cluster the
  // set no longer selects at all; an unreachable cluster keeps its target groups, and so does a binding
  // that is skipped (a typo in a live binding must not pull its traffic).
  const unreachable = listings.filter((l) => !l.ok).map((l) => l.cluster);
  const listed = listings.filter((l) => l.ok).map((l) => l.cluster);
  const toDelete = existing.filter((tg) => {
    const name = tg.metadata.name ?? '';
    if (wanted.has(name) || kept.has(name) || unreachable.some((c) => fromCluster(tg, c))) return false;
    return !partial || listed.some((c) => fromCluster(tg, c));
  });
  const clusters = listings.map((listing): ClusterResult => {
    if (!listing.ok) return { name: listing.cluster, targetGroups: existing.filter((tg) => fromCluster(tg, listing.cluster)).length, error: listing.error };
    const skips = skipped.get(listing.cluster) ?? [];
    const count = [...wanted.values()].filter((tg) => fromCluster(tg, listing.cluster)).length;
    return { name: listing.cluster, targetGroups: count, ...(skips.length > 0 ? { skipped: skips } : {}) };
  });
  return { apply, delete: toDelete, clusters: clusters.sort((a, b) => a.name.localeCompare(b.name)) };
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
 * namespace and binding with '-', so `team-web/api` and `team/web-api` in one cluster meet; and an
 * existing object of that name may mirror another binding (of a cluster unreachable now). Neither may
 * take the name over: that would point a Cell at the wrong target group.
 */
function collision(group: readonly Candidate[], existing: AWSTargetGroup | undefined): string | undefined {
  const name = group[0]?.desired.metadata.name ?? '';
  const fix = 'rename one of the bindings';
  if (group.length > 1) return `AWSTargetGroup name ${name} would be shared by ${group.map((c) => `${c.cluster}:${bindingRef(c.binding)}`).join(' and ')}; ${fix}`;
  const only = group[0];
  if (!only || !existing || sameProvenance(existing, only.desired)) return undefined;
  const owner = PROVENANCE_LABELS.map((l) => existing.metadata.labels?.[l] ?? '?');
  return `AWSTargetGroup ${name} already mirrors ${owner[0] ?? '?'}:${owner[1] ?? '?'}/${owner[2] ?? '?'}; ${fix}`;
}

const PROVENANCE_LABELS = [BINDING_CLUSTER_LABEL, BINDING_NAMESPACE_LABEL, BINDING_NAME_LABEL] as const;

function sameProvenance(a: AWSTargetGroup, b: AWSTargetGroup): boolean {
  return PROVENANCE_LABELS.every((l) => a.metadata.labels?.[l] === b.metadata.labels?.[l]);
}

function fromCluster(tg: AWSTargetGroup, cluster: string): boolean {
  return tg.metadata.labels?.[BINDING_CLUSTER_LABEL] === labelValue(cluster);
}
