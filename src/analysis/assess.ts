// Argo Rollouts AnalysisRun semantics, pure (reference: argo-rollouts analysis/analysis.go and
// utils/analysis): which metrics are due for a measurement, how a measurement moves the counters, how a
// metric's and the run's phase follow from them, and when to look again. Re-derived, not copied.
import type { AnalysisPhase, AnalysisRun, Measurement, Metric, MetricResult } from '../api/rollouts/analysis.js';
import { parseGoDuration } from './go-duration.js';

/** Metric errors in a row tolerated before the metric errors (Argo's default). */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** After an Error measurement the next one is taken this much later, whatever the interval. */
export const ERROR_RETRY_INTERVAL_MS = 10_000;
/** Measurements kept per metric unless measurementRetention says otherwise. */
export const DEFAULT_MEASUREMENT_HISTORY = 10;

/** Providers the builtin engine can measure with. */
export const SUPPORTED_PROVIDERS = ['web', 'prometheus', 'datadog', 'cloudWatch'] as const;

const COMPLETED: ReadonlySet<string> = new Set(['Successful', 'Failed', 'Error', 'Inconclusive']);

/** True for a final phase. */
export function completed(phase: string | undefined): boolean {
  return COMPLETED.has(phase ?? '');
}

/** Severity order, best first: Successful < Running < Pending < Inconclusive < Error < Failed. */
const SEVERITY: readonly string[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];

/** True when `next` is worse than `current`. */
export function isWorse(current: string, next: string): boolean {
  return SEVERITY.indexOf(next) > SEVERITY.indexOf(current);
}

/** An int-or-string field after argument resolution. */
export function intValue(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number.parseInt(value, 10);
  return Number.isNaN(n) ? undefined : n;
}

/** How many measurements a metric takes; undefined means until the run is terminated. */
export function effectiveCount(metric: Metric): number | undefined {
  const count = intValue(metric.count);
  if (count === undefined || count === 0) return metric.interval ? undefined : 1;
  return count;
}

function limit(value: number | string | undefined, fallback: number): number {
  return intValue(value) ?? fallback;
}

/** Why a metric is invalid (the run then goes to Error), or undefined. */
export function metricProblem(metric: Metric): string | undefined {
  const count = limit(metric.count, 0);
  const failureLimit = limit(metric.failureLimit, 0);
  const successLimit = limit(metric.consecutiveSuccessLimit, 0);
  const inconclusiveLimit = limit(metric.inconclusiveLimit, 0);
  if (successLimit < 0) return 'consecutiveSuccessLimit must be >= 0';
  if (failureLimit < -1) return 'failureLimit must be >= 0, or -1 to be disabled';
  if (successLimit === 0 && failureLimit === -1) return 'failureLimit and consecutiveSuccessLimit cannot both be disabled';
  if (inconclusiveLimit < 0) return 'inconclusiveLimit must be >= 0';
  if (limit(metric.consecutiveErrorLimit, 0) < 0) return 'consecutiveErrorLimit must be >= 0';
  return countProblem({ count, failureLimit, successLimit, inconclusiveLimit }) ?? scheduleProblem(metric, count) ?? providerProblem(metric);
}

function countProblem(l: { count: number; failureLimit: number; successLimit: number; inconclusiveLimit: number }): string | undefined {
  if (l.count <= 0) return undefined;
  if (l.failureLimit >= 0 && l.count < l.failureLimit + l.successLimit) {
    return `count (${l.count}) must be >= failureLimit + consecutiveSuccessLimit (${l.failureLimit} + ${l.successLimit}) if both >= 0`;
  }
  if (l.failureLimit < 0 && l.count < l.successLimit) return 'count must be >= consecutiveSuccessLimit';
  if (l.count < l.inconclusiveLimit) return 'count must be >= inconclusiveLimit';
  return undefined;
}

function scheduleProblem(metric: Metric, count: number): string | undefined {
  if (count > 1 && !metric.interval) return 'interval must be specified when count > 1';
  // Argo parses both with Go's time.ParseDuration and quotes its error (utils/analysis/factory.go).
  const interval = metric.interval ? parseGoDuration(metric.interval) : undefined;
  if (interval?.ok === false) return `invalid interval string: ${interval.error}`;
  const delay = metric.initialDelay ? parseGoDuration(metric.initialDelay) : undefined;
  if (delay?.ok === false) return `invalid startDelay string: ${delay.error}`;
  return undefined;
}

/** Milliseconds of a metric's interval or initialDelay (validated before use; an invalid one counts as unset). */
function durationMs(text: string | undefined): number | undefined {
  const parsed = text ? parseGoDuration(text) : undefined;
  return parsed?.ok ? parsed.ms : undefined;
}

/** Why okra's builtin engine cannot measure a metric (no provider, several, or one it lacks), or undefined. */
export function providerProblem(metric: Metric): string | undefined {
  const providers = Object.entries(metric.provider).filter(([, v]) => v !== undefined && v !== null).map(([k]) => k);
  if (providers.length !== 1) return `expected exactly one metric provider, found ${providers.length}`;
  const [name = ''] = providers;
  if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(name)) {
    return `the ${name} provider is not supported by okra's builtin analysis engine; run okrad with --analysis-engine=argo-rollouts`;
  }
  return undefined;
}

/** Validates all metrics of a run; the message names the metric. */
export function metricsProblem(metrics: readonly Metric[]): string | undefined {
  if (metrics.length === 0) return 'no metrics specified';
  const seen = new Set<string>();
  for (const [i, metric] of metrics.entries()) {
    if (seen.has(metric.name)) return `metrics[${i}]: duplicate name '${metric.name}'`;
    seen.add(metric.name);
    const problem = metricProblem(metric);
    if (problem) return `metrics[${i}]: ${problem}`;
  }
  return undefined;
}

/** Metric names selected by `dryRun` rules (regular expressions); a rule matching nothing is an error. */
export function dryRunMetrics(run: AnalysisRun, metrics: readonly Metric[]): Set<string> {
  return matchRules((run.spec.dryRun ?? []).map((d) => d.metricName), metrics, 'dryRun');
}

/** measurementRetention limits per metric name, the last matching rule winning (trimMeasurements applies the default). */
export function retentionLimits(run: AnalysisRun, metrics: readonly Metric[]): Map<string, number> {
  const limits = new Map<string, number>();
  for (const [i, rule] of (run.spec.measurementRetention ?? []).entries()) {
    for (const name of matchRules([rule.metricName], metrics, `measurementRetention[${i}]`)) limits.set(name, rule.limit);
  }
  return limits;
}

function matchRules(patterns: readonly string[], metrics: readonly Metric[], what: string): Set<string> {
  const names = new Set<string>();
  for (const [i, pattern] of patterns.entries()) {
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch {
      throw new Error(`${what}[${i}]: invalid metric name pattern ${JSON.stringify(pattern)}`);
    }
    const matched = metrics.filter((m) => re.test(m.name));
    if (matched.length === 0) throw new Error(`${what}[${i}]: Rule didn't match any metric name(s)`);
    for (const m of matched) names.add(m.name);
  }
  return names;
}

/** The result of a metric, if it has one. */
export function resultOf(run: AnalysisRun, name: string): MetricResult | undefined {
  return run.status?.metricResults?.find((r) => r.name === name);
}

/** A run stops taking measurements once told to, or once a (non dry-run) metric failed, errored or was inconclusive. */
export function isTerminating(run: AnalysisRun): boolean {
  if (run.spec.terminate === true) return true;
  return (run.status?.metricResults ?? []).some((r) => r.dryRun !== true && (r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive'));
}

function lastMeasurement(result: MetricResult | undefined): Measurement | undefined {
  return result?.measurements?.at(-1);
}

function intervalAfter(metric: Metric, last: Measurement): number | undefined {
  if (last.phase === 'Error') return ERROR_RETRY_INTERVAL_MS;
  return durationMs(metric.interval);
}

/** Metrics due for a measurement at `now`. */
export function dueMetrics(run: AnalysisRun, metrics: readonly Metric[], now: Date): Metric[] {
  if (isTerminating(run)) return [];
  return metrics.filter((metric) => {
    const at = dueAt(run, metric, now);
    return at !== undefined && at <= now.getTime();
  });
}

/**
 * When a metric is next due (epoch ms), or undefined when it takes no more measurements: right away
 * if it never measured (after its initialDelay), else an interval after its last measurement (10s after
 * an error), until `count` measurements were taken.
 */
function dueAt(run: AnalysisRun, metric: Metric, now: Date): number | undefined {
  const result = resultOf(run, metric.name);
  if (completed(result?.phase)) return undefined;
  const last = lastMeasurement(result);
  if (!last) return firstDueAt(run, metric, now);
  const count = effectiveCount(metric);
  if (count !== undefined && (result?.count ?? 0) >= count) return undefined;
  const interval = intervalAfter(metric, last);
  return interval === undefined ? undefined : Date.parse(last.finishedAt ?? last.startedAt ?? '') + interval;
}

/** The metric result after one finished measurement: counters as Argo Rollouts keeps them. */
export function recordMeasurement(result: MetricResult | undefined, name: string, measurement: Measurement, dryRun: boolean): MetricResult {
  const r: MetricResult = result ? { ...result } : { name, phase: 'Running', ...(dryRun ? { dryRun: true } : {}) };
  const n = (k: 'count' | 'successful' | 'failed' | 'inconclusive' | 'error' | 'consecutiveError' | 'consecutiveSuccess'): number => r[k] ?? 0;
  switch (measurement.phase) {
    case 'Successful':
      Object.assign(r, { successful: n('successful') + 1, count: n('count') + 1, consecutiveError: 0, consecutiveSuccess: n('consecutiveSuccess') + 1 });
      break;
    case 'Failed':
      Object.assign(r, { failed: n('failed') + 1, count: n('count') + 1, consecutiveError: 0, consecutiveSuccess: 0 });
      break;
    case 'Inconclusive':
      Object.assign(r, { inconclusive: n('inconclusive') + 1, count: n('count') + 1, consecutiveError: 0, consecutiveSuccess: 0 });
      break;
    case 'Error':
      // An error is not a measurement: it does not count towards `count`.
      Object.assign(r, { error: n('error') + 1, consecutiveError: n('consecutiveError') + 1, consecutiveSuccess: 0 });
      break;
    default:
      break;
  }
  r.measurements = [...(r.measurements ?? []), measurement];
  return r;
}

/** Failed, Inconclusive or Error from the limits, checked in that order with later ones winning. */
export function limitVerdict(metric: Metric, result: MetricResult): { phase?: AnalysisPhase; message?: string } {
  let verdict: { phase?: AnalysisPhase; message?: string } = {};
  const failureLimit = limit(metric.failureLimit, 0);
  const failed = result.failed ?? 0;
  if (failureLimit >= 0 && failed > failureLimit) verdict = { phase: 'Failed', message: `failed (${failed}) > failureLimit (${failureLimit})` };
  const inconclusiveLimit = limit(metric.inconclusiveLimit, 0);
  const inconclusive = result.inconclusive ?? 0;
  if (inconclusive > inconclusiveLimit) verdict = { phase: 'Inconclusive', message: `inconclusive (${inconclusive}) > inconclusiveLimit (${inconclusiveLimit})` };
  const errorLimit = limit(metric.consecutiveErrorLimit, DEFAULT_CONSECUTIVE_ERROR_LIMIT);
  const errors = result.consecutiveError ?? 0;
  if (errors > errorLimit) verdict = { phase: 'Error', message: `consecutiveErrors (${errors}) > consecutiveErrorLimit (${errorLimit})` };
  return verdict;
}

/** A metric's phase from its measurements and limits. */
export function assessMetric(metric: Metric, result: MetricResult, terminating: boolean): AnalysisPhase {
  if (completed(result.phase)) return result.phase;
  const last = lastMeasurement(result);
  if (!last) return terminating ? 'Successful' : 'Pending';
  if (!completed(last.phase)) return 'Running';
  return limitVerdict(metric, result).phase ?? successOrCount(metric, result) ?? (terminating ? 'Successful' : 'Running');
}

/** A metric that never measured is due right away, or once its initialDelay has passed. */
function firstDueAt(run: AnalysisRun, metric: Metric, now: Date): number {
  if (!metric.initialDelay) return Number.NEGATIVE_INFINITY;
  const startedAt = run.status?.startedAt ? Date.parse(run.status.startedAt) : now.getTime();
  return startedAt + (durationMs(metric.initialDelay) ?? 0);
}

/** Successful once consecutiveSuccessLimit is reached; else the count verdict once `count` is reached. */
function successOrCount(metric: Metric, result: MetricResult): AnalysisPhase | undefined {
  const successLimit = limit(metric.consecutiveSuccessLimit, 0);
  if (successLimit > 0 && (result.consecutiveSuccess ?? 0) >= successLimit) return 'Successful';
  const count = effectiveCount(metric);
  if (count !== undefined && (result.count ?? 0) >= count) return countReached(metric, successLimit);
  return undefined;
}

/** The phase once `count` measurements were taken without reaching a verdict. */
function countReached(metric: Metric, successLimit: number): AnalysisPhase {
  const failureApplies = limit(metric.failureLimit, 0) >= 0;
  const successApplies = successLimit > 0;
  if (failureApplies && successApplies) return 'Inconclusive';
  if (successApplies) return 'Failed';
  return 'Successful';
}

/** Counts of completed metrics, as runSummary/dryRunSummary. */
export interface RunSummary {
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
}

const emptySummary = (): RunSummary => ({ count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 });

/** What assessRun concludes: the run's phase and message, updated metric results and summaries. */
export interface RunAssessment {
  phase: AnalysisPhase;
  message: string;
  results: MetricResult[];
  runSummary: RunSummary;
  dryRunSummary: RunSummary;
}

interface Worst {
  phase?: AnalysisPhase;
  message: string;
}

/** The run's phase, message and summaries, with each metric's phase updated. */
export function assessRun(run: AnalysisRun, metrics: readonly Metric[], dryRun: ReadonlySet<string>): RunAssessment {
  const terminating = isTerminating(run);
  const results = [...(run.status?.metricResults ?? [])];
  const summaries = { run: emptySummary(), dry: emptySummary() };
  let worst: Worst = { message: run.spec.terminate === true ? 'Run Terminated' : '' };
  let everythingCompleted = true;
  for (const metric of metrics) {
    const isDry = dryRun.has(metric.name);
    const summary = isDry ? summaries.dry : summaries.run;
    summary.count++;
    const index = results.findIndex((r) => r.name === metric.name);
    const existing = results[index];
    const assessed = existing ? assessResult(metric, existing, terminating, isDry) : undefined;
    if (!assessed) {
      everythingCompleted = false;
      continue;
    }
    results[index] = assessed.result;
    if (!completed(assessed.result.phase)) everythingCompleted = false;
    else worst = foldCompleted(worst, assessed, summary, isDry);
  }
  const phase = runPhase(worst.phase, { terminating, everythingCompleted });
  return { phase, message: phase === 'Running' ? '' : worst.message.trim(), results, runSummary: summaries.run, dryRunSummary: summaries.dry };
}

interface AssessedResult {
  metric: Metric;
  result: MetricResult;
  /** Why the limits decided the phase, if they did. */
  verdict: { phase?: AnalysisPhase; message?: string };
}

/** One metric's updated result; a phase change takes the last measurement's message. */
function assessResult(metric: Metric, result: MetricResult, terminating: boolean, isDry: boolean): AssessedResult {
  const phase = assessMetric(metric, result, terminating);
  let updated = phase === result.phase ? result : { ...result, phase, message: lastMeasurement(result)?.message ?? result.message };
  const verdict = completed(phase) ? limitVerdict(metric, updated) : {};
  if (isDry && verdict.message) updated = { ...updated, message: `Metric assessed ${phase} due to ${verdict.message}` };
  return { metric, result: updated, verdict };
}

/** Counts a completed metric in its summary and keeps the worst non dry-run phase and its message. */
function foldCompleted(worst: Worst, assessed: AssessedResult, summary: RunSummary, isDry: boolean): Worst {
  const { metric, result, verdict } = assessed;
  const phase = result.phase;
  count(summary, verdict.phase ?? 'Successful');
  // Dry-run metrics never make a run fail; they only make it complete.
  if (isDry) return worst.phase ? worst : { ...worst, phase: 'Successful' };
  if (worst.phase && !isWorse(worst.phase, phase)) return worst;
  return { phase, message: worstMessage(metric, phase, verdict.message, result.message) ?? worst.message };
}

function runPhase(worst: AnalysisPhase | undefined, s: { terminating: boolean; everythingCompleted: boolean }): AnalysisPhase {
  if (s.terminating) return worst ?? 'Successful';
  if (!s.everythingCompleted || !worst) return 'Running';
  return worst;
}

function worstMessage(metric: Metric, phase: AnalysisPhase, reason: string | undefined, lastMessage: string | undefined): string | undefined {
  if (!reason) return undefined;
  return `Metric "${metric.name}" assessed ${phase} due to ${reason}${lastMessage ? `: "Error Message: ${lastMessage}"` : ''}`;
}

function count(summary: RunSummary, phase: AnalysisPhase): void {
  if (phase === 'Error') summary.error++;
  else if (phase === 'Failed') summary.failed++;
  else if (phase === 'Inconclusive') summary.inconclusive++;
  else summary.successful++;
}

/** When the run should be looked at again (the earliest due measurement), or undefined. */
export function nextReconcile(run: AnalysisRun, metrics: readonly Metric[], now: Date): Date | undefined {
  const times = metrics.map((m) => dueAt(run, m, now)).filter((t): t is number => t !== undefined && Number.isFinite(t));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

/**
 * Keeps the newest measurements per metric: the matching measurementRetention limit when it is above 0,
 * else 10. A limit of 0 or less means the default, as in Argo (garbageCollectMeasurements checks
 * `Limit > 0`); it must never empty the history, which scheduling reads the last measurement from.
 */
export function trimMeasurements(results: readonly MetricResult[], limits: ReadonlyMap<string, number>): MetricResult[] {
  return results.map((r) => {
    const limit = limits.get(r.name) ?? 0;
    const keep = limit > 0 ? limit : DEFAULT_MEASUREMENT_HISTORY;
    const measurements = r.measurements ?? [];
    return measurements.length > keep ? { ...r, measurements: measurements.slice(measurements.length - keep) } : r;
  });
}
