// Errors from the API server, reduced to what callers decide on: the HTTP status, the Status reason and
// a message that is safe to show (no headers, no request bodies).
import type { Response } from 'node-fetch';

/** A failed API call. `message` comes from the server's Status and is safe for conditions and Events. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** Builds the error from a non-2xx response, reading the Status object when there is one. */
  static async fromResponse(res: Response, what: string): Promise<KubeApiError> {
    const text = await res.text().catch(() => '');
    let reason = res.statusText || 'Unknown';
    let message = `${what}: HTTP ${res.status}`;
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string };
      if (status.reason) reason = status.reason;
      if (status.message) message = `${what}: ${status.message}`;
    } catch {
      // Not a Status object (for example a proxy error page): keep the generic message.
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    return new KubeApiError(res.status, reason, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.status : undefined;
}

/** The object does not exist. */
export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
/** The write lost an optimistic-concurrency race (stale resourceVersion) or an apply conflict. */
export const isConflict = (err: unknown): boolean => statusOf(err) === 409 && !isAlreadyExists(err);
/** A create found the name taken. */
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists';
/** The resource version is too old to watch from. */
export const isGone = (err: unknown): boolean => statusOf(err) === 410;
/** The request was refused as invalid (for example by CRD validation). */
export const isInvalid = (err: unknown): boolean => statusOf(err) === 422;
/** The caller may not do this. */
export const isForbidden = (err: unknown): boolean => statusOf(err) === 403 || statusOf(err) === 401;
