// One measurement of one metric: ask its provider (retrying rate limits and transient failures with
// backoff), judge the result with the metric's conditions as Argo Rollouts does, and record any failure
// as an Error measurement, which counts toward consecutiveErrorLimit and never as a failed measurement.
import pRetry from 'p-retry';
import type { AnalysisPhase, Measurement, Metric } from '../api/rollouts/analysis.js';
import { sanitize } from '../runtime/errors.js';
import { evaluateCondition, type Value } from './expr.js';
import { redact } from './metric-args.js';
import { TransientError, type MetricProvider, type ObserveContext } from './providers/provider.js';

/** Providers by their key under `metric.provider`. */
export type ProviderSet = Partial<Record<'web' | 'prometheus' | 'datadog' | 'cloudWatch', MetricProvider>>;

/** How hard to retry a transient failure within one measurement. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly factor: number;
}

/** Three attempts within about a second and a half: enough for a blip, short enough to keep the pass quick. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, minTimeoutMs: 300, factor: 3 };

/**
 * The phase of a result under the metric's conditions (Argo Rollouts' EvaluateResult): no conditions
 * is Successful; with only one, the other is its negation; neither true is Inconclusive. An expression
 * that cannot be parsed or evaluated throws.
 */
export function evaluateResult(result: Value, metric: Pick<Metric, 'successCondition' | 'failureCondition'>): AnalysisPhase {
  const { successCondition: success, failureCondition: failure } = metric;
  if (!success && !failure) return 'Successful';
  let succeeded = success ? evaluateCondition(success, result) : false;
  let failed = failure ? evaluateCondition(failure, result) : false;
  if (!failure) failed = !succeeded;
  if (!success) succeeded = !failed;
  if (failed) return 'Failed';
  return succeeded ? 'Successful' : 'Inconclusive';
}

/** The provider key of a metric (exactly one is set; validation made sure). */
function providerKey(metric: Metric): keyof ProviderSet | undefined {
  const keys = ['web', 'prometheus', 'datadog', 'cloudWatch'] as const;
  return keys.find((k) => metric.provider[k] !== undefined);
}

/** Takes one measurement; never throws. Secret values are redacted from the message. */
export async function takeMeasurement(
  providers: ProviderSet,
  metric: Metric,
  ctx: ObserveContext & { readonly secrets: readonly string[]; readonly retry?: RetryPolicy | undefined; readonly clock: () => Date },
): Promise<Measurement> {
  const startedAt = ctx.clock().toISOString();
  const key = providerKey(metric);
  const provider = key ? providers[key] : undefined;
  try {
    if (!provider) throw new Error(`no provider configured for metric ${metric.name}`);
    const retry = ctx.retry ?? DEFAULT_RETRY;
    const observation = await pRetry(() => provider.observe(metric, ctx), {
      retries: retry.retries,
      minTimeout: retry.minTimeoutMs,
      factor: retry.factor,
      shouldRetry: ({ error }) => error instanceof TransientError,
    });
    const phase = observation.evaluate === false ? 'Successful' : evaluateResult(observation.result, metric);
    return {
      phase,
      value: observation.value,
      startedAt,
      finishedAt: ctx.clock().toISOString(),
      ...(observation.metadata ? { metadata: observation.metadata } : {}),
    };
  } catch (err) {
    return { phase: 'Error', message: sanitize(redact(err instanceof Error ? err.message : String(err), ctx.secrets)), startedAt, finishedAt: ctx.clock().toISOString() };
  }
}
