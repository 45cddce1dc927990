// The web provider, as Argo Rollouts' webmetric: one HTTP call, a 2xx answer parsed as JSON and read
// with a Kubernetes-style JSONPath (`{$.data.ok}`); a body that is not JSON is taken as is, unjudged.
import { JSONPath } from 'jsonpath-plus';
import type { Metric } from '../../api/rollouts/analysis.js';
import type { Value } from '../expr.js';
import { send } from './http.js';
import { TransientError, isTransientStatus, type MetricProvider, type Observation } from './provider.js';

const DEFAULT_TIMEOUT_SECONDS = 10;

/** Converts a Kubernetes JSONPath template (`{$.a.b}`, `{.a}`) to a plain JSONPath. */
export function toJsonPath(template: string | undefined): string {
  const text = (template ?? '').trim() || '{$}';
  const match = /^\{(.*)\}$/s.exec(text);
  if (!match) throw new Error(`unsupported jsonPath ${JSON.stringify(template)}: expected one {...} expression`);
  const inner = (match[1] ?? '').trim();
  return inner.startsWith('$') ? inner : `$${inner}`;
}

/** Argo reads the first value the path finds; none is an error. */
export function firstValue(data: Value, template: string | undefined): Value {
  const found: Value[] = JSONPath<Value[]>({ path: toJsonPath(template), json: data, wrap: true });
  if (found.length === 0) throw new Error('result of web metric produced no value');
  return found[0] ?? null;
}

/** The web provider. */
export class WebProvider implements MetricProvider {
  async observe(metric: Metric): Promise<Observation> {
    const web = metric.provider.web;
    if (!web) throw new Error('metric has no web provider');
    const method = web.method ?? 'GET';
    const body = requestBody(web.body, web.jsonBody, method);
    const headers = Object.fromEntries((web.headers ?? []).map((h) => [h.key, h.value]));
    if (web.jsonBody !== undefined) headers['Content-Type'] = 'application/json';
    const timeoutSeconds = (web.timeoutSeconds ?? 0) > 0 ? (web.timeoutSeconds ?? 0) : DEFAULT_TIMEOUT_SECONDS;
    const answer = await send({ url: web.url, method, headers, body, timeoutMs: timeoutSeconds * 1000, insecure: web.insecure });
    if (answer.status < 200 || answer.status >= 300) {
      const message = `received non 2xx response code: ${answer.status}`;
      throw isTransientStatus(answer.status) ? new TransientError(message) : new Error(message);
    }
    let data: Value;
    try {
      data = JSON.parse(answer.text) as Value;
    } catch {
      return { value: answer.text, result: answer.text, evaluate: false };
    }
    const result = firstValue(data, web.jsonPath);
    return { value: JSON.stringify(result), result };
  }
}

function requestBody(body: string | undefined, jsonBody: unknown, method: string): string | undefined {
  if (body && jsonBody !== undefined) throw new Error('use either Body or JSONBody; both cannot exists for WebMetric payload');
  if ((body || jsonBody !== undefined) && method === 'GET') throw new Error('Body/JSONBody can only be used with POST or PUT WebMetric Method types');
  if (body) return body;
  return jsonBody === undefined ? undefined : JSON.stringify(jsonBody);
}
