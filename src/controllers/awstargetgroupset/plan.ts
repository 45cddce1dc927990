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
}

/** Decides which AWSTargetGroups to apply and delete. */
export function planTargetGroups({ set, listings, existing }: PlanInput): TargetGroupPlan {
  const versionLabel = set.spec.versionLabel ?? VERSION_LABEL;
  const current = new Map(existing.map((tg) => [tg.metadata.name ?? '', tg]));
  const wanted = new Map<string, AWSTargetGroup>();
  const clusters: ClusterResult[] = [];
  for (const listing of listings) {
    if (!listing.ok) {
      clusters.push({ name: listing.cluster, targetGroups: existing.filter((tg) => fromCluster(tg, listing.cluster)).length, error: listing.error });
      continue;
    }
    const skipped: { binding: string; reason: string }[] = [];
    for (const binding of listing.bindings) {
      const problem = bindingProblem(binding, versionLabel);
      if (problem) skipped.push({ binding: `${binding.metadata.namespace ?? ''}/${binding.metadata.name ?? ''}`, reason: problem });
      else wanted.set(targetGroupName(listing.cluster, binding), desiredTargetGroup(set, listing.cluster, binding));
    }
    const count = [...wanted.values()].filter((tg) => fromCluster(tg, listing.cluster)).length;
    clusters.push({ name: listing.cluster, targetGroups: count, ...(skipped.length > 0 ? { skipped } : {}) });
  }
  const unreachable = new Set(listings.filter((l) => !l.ok).map((l) => l.cluster));
  const apply = [...wanted.values()].filter((tg) => {
    const have = current.get(tg.metadata.name ?? '');
    return !have || !targetGroupUpToDate(have, tg);
  });
  // Delete only what a complete listing of its cluster no longer has, or what belongs to a cluster the
  // set no longer selects at all; an unreachable cluster keeps its target groups.
  const toDelete = existing.filter((tg) => !wanted.has(tg.metadata.name ?? '') && ![...unreachable].some((c) => fromCluster(tg, c)));
  return { apply, delete: toDelete, clusters: clusters.sort((a, b) => a.name.localeCompare(b.name)) };
}

function fromCluster(tg: AWSTargetGroup, cluster: string): boolean {
  return tg.metadata.labels?.[BINDING_CLUSTER_LABEL] === labelValue(cluster);
}
