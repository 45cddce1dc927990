// Which rollout a CLI waiting on a Cell (okractl watch cell, okra run cell) waits for, when that rollout
// is over without completing (pure), and the --for-version flag both take. A Cell's Completed only says
// which version serves 100% now:
// when the version in flight is blocklisted or loses its target groups, the controller moves traffic
// back and the Cell is Completed on the old version. Judged by the phase alone that reads as success, so
// a waiter remembers the version it follows and judges the outcome by that version.
import semver from 'semver';
import type { CellStatus } from '../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../api/v1alpha1/versionblocklist.js';
import { CliError } from './common.js';

/** The version a waiter follows, and whether the Cell has been seen rolling it out (as desiredVersion). */
export interface Followed {
  readonly version: string;
  readonly seen: boolean;
}

/** The version in flight: desired but not stable (an aborted one too: its outcome is its Degraded). */
export function inFlight(status: CellStatus): string | undefined {
  const { desiredVersion, stableVersion } = status;
  return desiredVersion !== undefined && desiredVersion !== stableVersion ? desiredVersion : undefined;
}

/**
 * What to follow after seeing `status`: the version already followed (seen once the Cell rolls it out),
 * else the version in flight, so a waiter started before the controller noticed a new version still
 * follows it once it shows; undefined while nothing is in flight and no version was asked for.
 */
export function follow(prev: Followed | undefined, status: CellStatus): Followed | undefined {
  if (prev === undefined) {
    const version = inFlight(status);
    return version === undefined ? undefined : { version, seen: true };
  }
  return prev.seen || status.desiredVersion !== prev.version ? prev : { ...prev, seen: true };
}

/** `--for-version`: strict semver, as the Cell's versions are; any other value would be waited for in vain. */
export function forVersionFlag(value: string): string {
  if (semver.valid(value) !== value) throw new CliError(`--for-version ${JSON.stringify(value)} is not a strict semantic version (for example 2.0.0)`);
  return value;
}

/** What `--for-version` asks to follow: not seen until the Cell rolls it out. */
export function asked(forVersion: string | undefined): Followed | undefined {
  return forVersion === undefined ? undefined : { version: forVersion, seen: false };
}

/** What a status says about the followed version. */
export type FollowedOutcome =
  /** About the followed version (or none is followed): its phase is the outcome. */
  | { readonly kind: 'current' }
  /** About another version while the followed one may still come: keep waiting. */
  | { readonly kind: 'waiting' }
  /** The followed version completed (it is stable) and the Cell has moved on to a newer one. */
  | { readonly kind: 'completed'; readonly message: string }
  /** The followed version will not complete; the message says where the Cell is instead. */
  | { readonly kind: 'stopped'; readonly message: string };

/** Whether judging the status needs the Cell's VersionBlocklist (only when the Cell is not on the followed version). */
export function blocklistMatters(followed: Followed | undefined, status: CellStatus): boolean {
  return followed !== undefined && status.desiredVersion !== followed.version;
}

/**
 * The followed version's outcome in a settled status (weights read back, so "back on" the stable version
 * is true of the traffic). It did not complete when:
 * - the Cell rolled it out and is now on another version (blocklisted or its target groups gone, so
 *   back on stable; or superseded by a newer version before completing);
 * - the Cell holds it, pinned by spec.version, because it is blocklisted (Pending, VersionBlocked);
 * - it never showed and is blocklisted, so it never will.
 * A version not seen yet and not blocklisted may still come: that keeps waiting.
 */
export function judgeFollowed(followed: Followed | undefined, status: CellStatus, blocklist: readonly BlockedVersion[] = []): FollowedOutcome {
  if (followed === undefined) return { kind: 'current' };
  const { version } = followed;
  if (status.desiredVersion === version) return status.reason === 'VersionBlocked' ? stopped(`${version} did not complete: ${where(status, followed)}`) : { kind: 'current' };
  if (status.stableVersion === version) return { kind: 'completed', message: `${version} is stable; ${where(status, followed)}` };
  const entry = blocklist.find((b) => b.version === version);
  const blocked = entry ? `it is in the VersionBlocklist (${entry.cause}); ` : '';
  if (followed.seen) return stopped(`${version} did not complete: ${blocked}${where(status, followed)}`);
  return entry ? stopped(`${version} will not roll out: ${blocked}${where(status, followed)}`) : { kind: 'waiting' };
}

function stopped(message: string): FollowedOutcome {
  return { kind: 'stopped', message };
}

/** Where the Cell is instead of on the followed version, with its phase and message (which often say why). */
function where(status: CellStatus, followed: Followed): string {
  const state = `(${status.phase ?? 'no phase yet'}: ${status.message ?? ''})`;
  const other = inFlight(status);
  if (other !== undefined && other !== followed.version) return `the Cell now rolls out ${other} ${state}`;
  const stable = status.stableVersion;
  if (stable === undefined) return `the Cell has no stable version ${state}`;
  // "back on" only when traffic went to the followed version and came back.
  const back = followed.seen && below(stable, followed.version);
  return `the Cell ${back ? 'is back on' : 'stays on'} ${stable} ${state}`;
}

function below(a: string, b: string): boolean {
  return semver.valid(a) !== null && semver.valid(b) !== null && semver.lt(a, b);
}
