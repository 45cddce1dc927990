// The Prometheus provider, as Argo Rollouts': an instant query (`/api/v1/query`) at now; a scalar is a
// number, a vector or matrix a list of numbers; warnings land in the measurement's metadata.
import type { Metric } from '../../api/rollouts/analysis.js';
import { send } from './http.js';
import { TransientError, goFloat, isTransientStatus, parsePromFloat, type MetricProvider, type ObserveContext, type Observation } from './provider.js';

/** Environment variable Argo Rollouts reads the default Prometheus address from. */
export const PROMETHEUS_ADDRESS_ENV = 'ARGO_ROLLOUTS_PROMETHEUS_ADDRESS';
const DEFAULT_TIMEOUT_SECONDS = 30;

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}

type Sample = [number, string];

/** The Prometheus provider. */
export class PrometheusProvider implements MetricProvider {
  constructor(private readonly env: Readonly<Record<string, string | undefined>> = process.env) {}

  async observe(metric: Metric, ctx: ObserveContext): Promise<Observation> {
    const prom = metric.provider.prometheus;
    if (!prom) throw new Error('metric has no prometheus provider');
    const address = prom.address ?? this.env[PROMETHEUS_ADDRESS_ENV] ?? '';
    if (!/^https?:\/\/[^/]/.test(address)) throw new Error('prometheus address is not is url format');
    if ((prom.timeout ?? 0) < 0) throw new Error('prometheus timeout should not be negative');
    const form = new URLSearchParams({ query: prom.query, time: String(ctx.now.getTime() / 1000) });
    const answer = await send({
      url: `${address.replace(/\/+$/, '')}/api/v1/query`,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...Object.fromEntries((prom.headers ?? []).map((h) => [h.key, h.value])) },
      body: form.toString(),
      timeoutMs: (prom.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      insecure: prom.insecure,
    });
    return observation(answer.status, answer.text);
  }
}

function parse(status: number, text: string): PromResponse {
  try {
    return JSON.parse(text) as PromResponse;
  } catch {
    const message = `server returned HTTP status ${status}`;
    throw isTransientStatus(status) ? new TransientError(message) : new Error(`${message}: ${text.slice(0, 200)}`);
  }
}

function observation(status: number, text: string): Observation {
  const body = parse(status, text);
  if (body.status !== 'success') {
    const message = `${body.errorType ?? 'error'}: ${body.error ?? `HTTP status ${status}`}`;
    throw isTransientStatus(status) ? new TransientError(message) : new Error(message);
  }
  const warnings = body.warnings ?? [];
  const metadata = warnings.length > 0 ? { warnings: warnings.map((w) => JSON.stringify(w)).join(', ') } : undefined;
  const values = samples(body.data?.resultType, body.data?.result);
  if (typeof values === 'number') return { value: goFloat(values), result: values, ...(metadata ? { metadata } : {}) };
  return { value: `[${values.map(goFloat).join(',')}]`, result: values, ...(metadata ? { metadata } : {}) };
}

function samples(resultType: string | undefined, result: unknown): number | number[] {
  switch (resultType) {
    case 'scalar':
      return parsePromFloat((result as Sample)[1]);
    case 'vector':
      return (result as { value: Sample }[]).map((s) => parsePromFloat(s.value[1]));
    case 'matrix':
      return (result as { values: Sample[] }[]).flatMap((s) => s.values.map((v) => parsePromFloat(v[1])));
    default:
      throw new Error('Prometheus metric type not supported');
  }
}
