// Counts every AWS SDK call by service, operation and outcome, via the SDK's middleware stack, so
// the Prometheus metrics and the benchmark see exactly what okra sends to AWS.
import type { InitializeMiddleware, MetadataBearer, MiddlewareStack } from '@smithy/types';

/** Receives one record per AWS call (after the SDK's own retries). */
export type AwsCallObserver = (call: { service: string; operation: string; outcome: string }) => void;

/** Adds the observer to a client; returns the client for chaining. */
export function instrument<C extends { middlewareStack: MiddlewareStack<object, MetadataBearer> }>(
  client: C,
  service: string,
  observer?: AwsCallObserver,
): C {
  if (!observer) return client;
  const middleware: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    try {
      const result = await next(args);
      observer({ service, operation, outcome: 'success' });
      return result;
    } catch (err) {
      observer({ service, operation, outcome: err instanceof Error ? err.name : 'Error' });
      throw err;
    }
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'okraCallObserver', override: true });
  return client;
}
