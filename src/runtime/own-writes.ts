// Remembers, per object, the resourceVersion and status this controller last wrote. Two uses:
// - the next pass may trust the informer cache when it already holds exactly that version (no GET);
// - an update event that is only the echo of our own status write need not queue another pass.
// Anything written by someone else (spec, labels, a status field set by okractl) differs and counts.
import { jsonEqual } from './status.js';

/** What this controller last wrote per key. */
export class OwnWrites {
  private readonly last = new Map<string, { resourceVersion: string; status: unknown }>();

  /** Records the object our status write returned (kept by reference: callers do not mutate it). */
  record(key: string, resourceVersion: string | undefined, status: unknown): void {
    if (resourceVersion) this.last.set(key, { resourceVersion, status: status ?? {} });
  }

  /** True when `resourceVersion` is the version our own last write produced. */
  isOwnVersion(key: string, resourceVersion: string | undefined): boolean {
    return resourceVersion !== undefined && this.last.get(key)?.resourceVersion === resourceVersion;
  }

  /** True when an update carries exactly the status we last wrote and nothing else changed. */
  isEcho(key: string, next: EchoView, old: EchoView): boolean {
    const mine = this.last.get(key);
    if (!mine || mine.resourceVersion !== next.metadata.resourceVersion) return false;
    return jsonEqual(next.status ?? {}, mine.status) && jsonEqual(outsideStatus(next), outsideStatus(old));
  }

  /** Forgets a key (the object was deleted). */
  forget(key: string): void {
    this.last.delete(key);
  }
}

/** The parts of an object an echo check compares. */
export interface EchoView {
  metadata: { resourceVersion?: string | undefined; generation?: number | undefined; labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined; finalizers?: string[] | undefined; deletionTimestamp?: string | undefined };
  status?: unknown;
}

function outsideStatus(obj: EchoView): unknown {
  const { generation, labels, annotations, finalizers, deletionTimestamp } = obj.metadata;
  return { generation, labels, annotations, finalizers, deletionTimestamp };
}
