// The builtin analysis engine: one evaluation pass over an AnalysisRun, as Argo Rollouts' analysis
// controller does it: resolve args and validate, take the measurements that are due, assess every metric
// and the run, trim measurement history, and say when to look again. The pass returns the new status; it
// does not write it (the controller patches it once, only if it changed).
import type { AnalysisPhase, AnalysisRun, AnalysisRunStatus, Metric, MetricResult } from '../api/rollouts/analysis.js';
import { errorMessage } from '../runtime/errors.js';
import { assessRun, completed, dryRunMetrics, dueMetrics, metricsProblem, nextReconcile, recordMeasurement, retentionLimits, trimMeasurements } from './assess.js';
import { takeMeasurement, type ProviderSet, type RetryPolicy } from './measure.js';
import { ArgumentError, redact, resolveArgValues, resolveMetricArgs, type SecretKeyReader } from './metric-args.js';

/** What the engine talks to. */
export interface EngineDeps {
  readonly providers: ProviderSet;
  readonly readSecret: SecretKeyReader;
  readonly clock: () => Date;
  readonly retry?: RetryPolicy | undefined;
}

/** An Event to record on the run, as Argo Rollouts records them. */
export interface RunEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The outcome of one pass. */
export interface EnginePass {
  readonly status: AnalysisRunStatus;
  /** When a measurement is next due; undefined when nothing is scheduled. */
  readonly requeueAt?: Date | undefined;
  readonly events: RunEvent[];
}

const eventType = (phase: AnalysisPhase): RunEvent['type'] => (phase === 'Error' || phase === 'Failed' ? 'Warning' : 'Normal');

function finished(run: AnalysisRun, phase: AnalysisPhase, message: string, now: Date): EnginePass {
  const status: AnalysisRunStatus = { ...run.status, phase, message, completedAt: run.status?.completedAt ?? now.toISOString() };
  return { status, events: [{ type: eventType(phase), reason: `AnalysisRun${phase}`, message: `Analysis Completed. Result: ${phase}` }] };
}

/** Metrics with `{{args.x}}` resolved, secrets replaced by a placeholder; throws with Argo's message. */
async function resolveForValidation(run: AnalysisRun): Promise<Metric[]> {
  try {
    const { args } = await resolveArgValues(run.spec.args ?? [], run.metadata.namespace ?? '');
    return run.spec.metrics.map((m) => resolveMetricArgs(m, args));
  } catch (err) {
    // No Secret is read here (placeholders stand in): every failure is the spec's.
    throw new RunError(`Unable to resolve metric arguments: ${errorMessage(err)}`);
  }
}

/** A problem that ends the run in Error. */
class RunError extends Error {}

/** Runs one evaluation pass. */
export async function evaluateRun(deps: EngineDeps, run: AnalysisRun): Promise<EnginePass> {
  if (completed(run.status?.phase)) return { status: run.status ?? {}, events: [] };
  const now = deps.clock();
  try {
    const metrics = await resolveForValidation(run);
    const problem = metricsProblem(metrics);
    if (problem) throw new RunError(`Analysis spec invalid: ${problem}`);
    const { dryRun, retention } = ruleSets(run, metrics);
    const started: AnalysisRun = { ...run, status: { ...run.status, metricResults: run.status?.metricResults ?? [], startedAt: run.status?.startedAt ?? now.toISOString() } };
    const measured = await measureDue(deps, started, { metrics, dryRun, now });
    return assess(started, measured, { metrics, dryRun, retention, now });
  } catch (err) {
    if (err instanceof RunError) return finished(run, 'Error', err.message, now);
    throw err;
  }
}

function ruleSets(run: AnalysisRun, metrics: readonly Metric[]): { dryRun: Set<string>; retention: Map<string, number> } {
  try {
    return { dryRun: dryRunMetrics(run, metrics), retention: retentionLimits(run, metrics) };
  } catch (err) {
    throw new RunError(`Analysis spec invalid: ${errorMessage(err)}`);
  }
}

/** Takes the due measurements (in parallel) and returns the metric results with them recorded. */
async function measureDue(deps: EngineDeps, run: AnalysisRun, ctx: { metrics: readonly Metric[]; dryRun: ReadonlySet<string>; now: Date }): Promise<MetricResult[]> {
  const results = [...(run.status?.metricResults ?? [])];
  const due = dueMetrics(run, ctx.metrics, ctx.now);
  if (due.length === 0) return results;
  const namespace = run.metadata.namespace ?? '';
  let resolved: { args: { name: string; value: string }[]; secrets: string[] };
  try {
    resolved = await resolveArgValues(run.spec.args ?? [], namespace, deps.readSecret);
  } catch (err) {
    // A missing Secret or key ends the run as in Argo Rollouts; an API server that failed to answer
    // is retried with backoff, since ending the run in Error would roll back and blocklist the version.
    if (!(err instanceof ArgumentError)) throw err;
    throw new RunError(`Unable to resolve metric arguments: ${errorMessage(err)}`);
  }
  const measurements = await Promise.all(
    due.map(async (metric) => {
      const withSecrets = resolveMetricArgs(run.spec.metrics.find((m) => m.name === metric.name) ?? metric, resolved.args);
      const measurement = await takeMeasurement(deps.providers, withSecrets, { namespace, now: ctx.now, secrets: resolved.secrets, retry: deps.retry, clock: deps.clock });
      return { metric: withSecrets, measurement };
    }),
  );
  for (const { metric, measurement } of measurements) {
    const index = results.findIndex((r) => r.name === metric.name);
    const previous = index < 0 ? undefined : results[index];
    const recorded = recordMeasurement(previous, metric.name, measurement, ctx.dryRun.has(metric.name));
    const withMetadata = previous ? recorded : { ...recorded, ...resultMetadata(metric, resolved.secrets) };
    if (index < 0) results.push(withMetadata);
    else results[index] = withMetadata;
  }
  return results;
}

/** What Argo Rollouts puts in a new metric result's metadata: the resolved Prometheus query. */
function resultMetadata(metric: Metric, secrets: readonly string[]): Pick<MetricResult, 'metadata'> {
  const query = metric.provider.prometheus?.query;
  return query ? { metadata: { ResolvedPrometheusQuery: redact(query, secrets) } } : {};
}

function assess(
  run: AnalysisRun,
  results: MetricResult[],
  ctx: { metrics: readonly Metric[]; dryRun: ReadonlySet<string>; retention: ReadonlyMap<string, number>; now: Date },
): EnginePass {
  const measured: AnalysisRun = { ...run, status: { ...run.status, metricResults: results } };
  const verdict = assessRun(measured, ctx.metrics, ctx.dryRun);
  const events = metricEvents(results, verdict.results);
  const status: AnalysisRunStatus = {
    ...measured.status,
    metricResults: trimMeasurements(verdict.results, ctx.retention).map((r) => withoutZeros(r)),
    // As Argo Rollouts writes them: an all-zero runSummary never shows up, dryRunSummary always does.
    dryRunSummary: withoutZeros({ ...verdict.dryRunSummary }),
  };
  const runSummary = withoutZeros({ ...verdict.runSummary });
  if (Object.keys(runSummary).length > 0) status.runSummary = runSummary;
  else delete status.runSummary;
  if (verdict.phase !== (run.status?.phase ?? '')) {
    status.phase = verdict.phase;
    status.message = verdict.message;
    if (completed(verdict.phase)) {
      status.completedAt ??= ctx.now.toISOString();
      events.push({ type: eventType(verdict.phase), reason: `AnalysisRun${verdict.phase}`, message: `Analysis Completed. Result: ${verdict.phase}` });
    }
  }
  if (!status.message) delete status.message;
  const after: AnalysisRun = { ...run, status };
  return { status, requeueAt: completed(status.phase) ? undefined : nextReconcile(after, ctx.metrics, ctx.now), events };
}

const COUNTERS = ['count', 'successful', 'failed', 'inconclusive', 'error', 'consecutiveError', 'consecutiveSuccess'] as const;

/** Drops zero counters, as Argo Rollouts' Go types do (omitempty), so both engines write the same shape. */
function withoutZeros<T extends Partial<Record<(typeof COUNTERS)[number], number | undefined>>>(counters: T): T {
  const zero = new Set<string>(COUNTERS.filter((key) => counters[key] === 0));
  return Object.fromEntries(Object.entries(counters).filter(([key]) => !zero.has(key))) as T;
}

/** One Event per metric that completed in this pass. */
function metricEvents(before: readonly MetricResult[], after: readonly MetricResult[]): RunEvent[] {
  return after
    .filter((r) => completed(r.phase) && before.find((b) => b.name === r.name)?.phase !== r.phase)
    .map((r) => ({ type: eventType(r.phase), reason: `Metric${r.phase}`, message: `Metric '${r.name}' Completed. Result: ${r.phase}` }));
}
