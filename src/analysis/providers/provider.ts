// The port every metric provider implements: take one observation of a metric and say what it returned.
// Judging the result (success/failure conditions) and turning failures into Error measurements is the
// engine's job, so every provider behaves the same way there.
import type { Metric } from '../../api/rollouts/analysis.js';
import type { Value } from '../expr.js';

/** What one query returned. */
export interface Observation {
  /** The measurement's `value`, formatted as Argo Rollouts formats it for this provider. */
  readonly value: string;
  /** What conditions see as `result`. */
  readonly result: Value;
  /** False when Argo Rollouts takes the measurement as Successful without evaluating (a non-JSON web body). */
  readonly evaluate?: boolean;
  readonly metadata?: Record<string, string>;
}

/** Context of one observation. */
export interface ObserveContext {
  /** The AnalysisRun's namespace. */
  readonly namespace: string;
  readonly now: Date;
}

/** A metric provider. */
export interface MetricProvider {
  observe(metric: Metric, ctx: ObserveContext): Promise<Observation>;
}

/** A failure worth retrying within the measurement: rate limits, 5xx, connection errors and timeouts. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** True for HTTP statuses that are worth another try. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // JavaScript switches to exponent notation below 1e-6 and from 1e21; Go's 'f' format never does.
  const [mantissa = '', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const pointAt = Number(exponent) + 1;
  let body: string;
  if (pointAt <= 0) body = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) body = digits + '0'.repeat(pointAt - digits.length);
  else body = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return value < 0 ? `-${body}` : body;
}

/** Formats a float as Go's %v: shortest digits, exponent form below 1e-4 and from 1e6 (`1.5e+06`). */
export function goFloatV(value: number): string {
  if (Number.isNaN(value) || !Number.isFinite(value)) return goFloat(value);
  const exponent = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value)));
  if (exponent >= -4 && exponent < 6) return String(value);
  return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Parses a float as Prometheus writes it ("NaN", "+Inf", "-Inf" included). */
export function parsePromFloat(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}
