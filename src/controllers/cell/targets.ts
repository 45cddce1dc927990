// Which AWSTargetGroups belong to a Cell, their versions, and how weight is split across them. Pure.
import semver from 'semver';
import { DEFAULT_VERSION_LABEL, type Cell } from '../../api/v1alpha1/cell.js';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';

/** A target group with its version. */
export interface VersionedTargetGroup {
  readonly name: string;
  readonly arn: string;
  readonly version: string;
}

/** A target group with a weight, as written to the rule and shown in status. */
export interface WeightedTargetGroup extends VersionedTargetGroup {
  readonly weight: number;
}

/** The Cell's target groups grouped by version, and those ignored with the reason. */
export interface TargetSelection {
  /** Version → target groups, each list sorted by name. */
  readonly byVersion: ReadonlyMap<string, readonly VersionedTargetGroup[]>;
  readonly ignored: readonly { name: string; reason: string }[];
}

/** The selector and version labels of a Cell's ALB ingress. */
function selectorOf(cell: Cell): { matchLabels: Record<string, string>; versionLabels: readonly string[] } {
  const selector = cell.spec.ingress.awsApplicationLoadBalancer?.targetGroupSelector;
  const labels = selector?.versionLabels?.length ? selector.versionLabels : [DEFAULT_VERSION_LABEL];
  return { matchLabels: selector?.matchLabels ?? {}, versionLabels: labels };
}

/** True when an AWSTargetGroup carries every label of the Cell's selector. */
export function selectsTargetGroup(cell: Cell, tg: AWSTargetGroup): boolean {
  return Object.entries(selectorOf(cell).matchLabels).every(([k, v]) => tg.metadata.labels?.[k] === v);
}

/** Groups the Cell's target groups by strict semver version; anything else is ignored with a reason. */
export function selectTargetGroups(cell: Cell, all: readonly AWSTargetGroup[]): TargetSelection {
  const { versionLabels } = selectorOf(cell);
  const byVersion = new Map<string, VersionedTargetGroup[]>();
  const ignored: { name: string; reason: string }[] = [];
  // One target group, one weight (ALB takes each ARN once): of the objects claiming an ARN, the one whose
  // version status already records for it keeps it, else the oldest. A copy with another version must
  // never move the traffic the ARN already has to that version.
  const claimedBy = new Map<string, string>();
  const recorded = new Map((cell.status?.targetGroups ?? []).map((t) => [t.arn, t.version]));
  const rank = (tg: AWSTargetGroup): number => (recorded.get(tg.spec.arn) === rawVersion(tg, versionLabels) ? 0 : 1);
  const selected = all
    .filter((t) => t.metadata.namespace === cell.metadata.namespace && selectsTargetGroup(cell, t))
    .sort((a, b) => rank(a) - rank(b) || byAge(a, b));
  for (const tg of selected) {
    const name = tg.metadata.name ?? '';
    const version = strictVersion(tg, versionLabels);
    const owner = claimedBy.get(tg.spec.arn);
    if (typeof version !== 'string') ignored.push({ name, reason: version.problem });
    else if (!tg.spec.arn) ignored.push({ name, reason: 'spec.arn is empty' });
    else if (owner !== undefined) ignored.push({ name, reason: `spec.arn is already the ARN of AWSTargetGroup ${owner}` });
    else {
      claimedBy.set(tg.spec.arn, name);
      byVersion.set(version, [...(byVersion.get(version) ?? []), { name, arn: tg.spec.arn, version }]);
    }
  }
  for (const [version, tgs] of byVersion) byVersion.set(version, [...tgs].sort((a, b) => a.name.localeCompare(b.name)));
  return { byVersion, ignored: ignored.sort((a, b) => a.name.localeCompare(b.name)) };
}

/** The target group's strict semver version, or why it has none. */
function strictVersion(tg: AWSTargetGroup, versionLabels: readonly string[]): string | { problem: string } {
  const raw = rawVersion(tg, versionLabels);
  if (raw === undefined) return { problem: `no version label (${versionLabels.join(', ')})` };
  return semver.valid(raw, { loose: false }) === raw ? raw : { problem: `version ${JSON.stringify(raw)} is not strict semver` };
}

/** The first non-empty version label. */
function rawVersion(tg: AWSTargetGroup, versionLabels: readonly string[]): string | undefined {
  return versionLabels.map((k) => tg.metadata.labels?.[k]).find((v) => v !== undefined && v !== '');
}

/** Oldest first (by creation, then name), so the object that claimed an ARN first keeps it. */
function byAge(a: AWSTargetGroup, b: AWSTargetGroup): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Versions present, highest first. */
export function versionsDescending(selection: TargetSelection): string[] {
  return [...selection.byVersion.keys()].sort(semver.rcompare);
}

/** The blocklist entry for a version, if any. */
export function blocked(blocklist: readonly BlockedVersion[], version: string): BlockedVersion | undefined {
  return blocklist.find((b) => b.version === version);
}

/**
 * Splits `total` percent evenly across target groups (sorted by name); the remainder goes to the last,
 * as in the original okra: 100 over 3 → 33, 33, 34.
 */
export function splitWeights(total: number, tgs: readonly VersionedTargetGroup[]): WeightedTargetGroup[] {
  if (tgs.length === 0) return [];
  const each = Math.floor(total / tgs.length);
  return tgs.map((tg, i) => ({ ...tg, weight: i === tgs.length - 1 ? total - each * (tgs.length - 1) : each }));
}

/** Compares two versions (semver precedence). */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}
