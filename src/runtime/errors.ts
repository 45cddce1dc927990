// Typed errors that decide what the work queue does after a failed reconcile:
// TerminalError → no retry (the object itself is wrong; a condition says why),
// WaitingError → retry after its own delay, no backoff, not counted as a failure,
// anything else → transient, exponential backoff per key.

/** The input is invalid and retrying cannot help until it changes. */
export class TerminalError extends Error {
  constructor(
    message: string,
    /** CamelCase reason for conditions and Events. */
    readonly reason = 'InvalidSpec',
  ) {
    super(message);
    this.name = 'TerminalError';
  }
}

/** Something the object depends on is not ready; check again after `requeueAfterMs`. */
export class WaitingError extends Error {
  constructor(
    message: string,
    readonly requeueAfterMs: number,
    readonly reason = 'Waiting',
  ) {
    super(message);
    this.name = 'WaitingError';
  }
}

/**
 * Part of a pass failed (one region, one cluster) while the rest was done: retry with backoff as for
 * any transient failure, but never later than `retryWithinMs`, the object's regular interval, so a
 * failure that persists does not slow down the work that succeeds.
 */
export class PartialFailureError extends Error {
  constructor(
    message: string,
    readonly retryWithinMs: number,
  ) {
    super(message);
    this.name = 'PartialFailureError';
  }
}

/** How the queue treats a failure. */
export type ErrorClass = 'terminal' | 'waiting' | 'transient';

/** Classifies an error thrown by a reconcile. */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof TerminalError) return 'terminal';
  if (err instanceof WaitingError) return 'waiting';
  return 'transient';
}

/** A one-line message for conditions, Events and CLI output: no stack, no request dumps, no query strings. */
export function errorMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  return sanitize(raw);
}

/** Strips what must never reach status or Events: URL query strings (presigned URLs) and bearer tokens. */
export function sanitize(text: string): string {
  return text
    .replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, '$1?…')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1…')
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, 'k8s-aws-v1.…')
    .split('\n', 1)
    .join('')
    .slice(0, 1000);
}
