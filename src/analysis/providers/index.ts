// The builtin engine's dependencies as okrad wires them: every provider, secrets read on demand.
import type { EngineDeps } from '../engine.js';
import type { RetryPolicy } from '../measure.js';
import { DatadogProvider, type SecretReader } from './datadog.js';
import { PrometheusProvider } from './prometheus.js';
import type { MetricProvider } from './provider.js';
import { WebProvider } from './web.js';

/** Options of the builtin engine. */
export interface EngineOptions {
  readonly readSecret: SecretReader;
  /** okrad's own namespace: where the default `datadog` Secret lives. */
  readonly controllerNamespace: string;
  /** The CloudWatch provider (it holds an SDK client, so its owner closes it). */
  readonly cloudWatch?: MetricProvider | undefined;
  /** Environment for DD_* and ARGO_ROLLOUTS_PROMETHEUS_ADDRESS (default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly retry?: RetryPolicy | undefined;
}

/** Builds the builtin engine's dependencies. */
export function engineDeps(opts: EngineOptions): EngineDeps {
  const env = opts.env ?? process.env;
  return {
    providers: {
      web: new WebProvider(),
      prometheus: new PrometheusProvider(env),
      datadog: new DatadogProvider({ readSecret: opts.readSecret, controllerNamespace: opts.controllerNamespace, env }),
      ...(opts.cloudWatch ? { cloudWatch: opts.cloudWatch } : {}),
    },
    readSecret: async (namespace, name, key) => (await opts.readSecret(namespace, name))?.[key],
    clock: () => new Date(),
    retry: opts.retry,
  };
}
