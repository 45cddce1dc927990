// Errors from the API server, reduced to what callers decide on: the HTTP status, the Status reason and
// a message that is safe to show (no headers, no request bodies).

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

  /** Builds the error from a non-2xx answer, reading the Status object when there is one. */
  static fromReply(res: { status: number; statusText: string; text: string; retryAfter?: string | undefined }, what: string): KubeApiError {
    const text = res.text;
    let reason = res.statusText || 'Unknown';
    let message = `${what}: HTTP ${res.status}`;
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string };
      if (status.reason) reason = status.reason;
      if (status.message) message = `${what}: ${status.message}`;
    } catch {
      // Not a Status object (for example a proxy error page): keep the generic message.
    }
    const retryAfter = Number(res.retryAfter);
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
