// `{{args.name}}` substitution in a metric, as Argo Rollouts does it: on the metric's JSON, with each
// value JSON-escaped so quotes and newlines in a value cannot break the document. Secret values are
// fetched at measurement time only, never stored, and redacted from every message.
import type { Argument, Metric } from '../api/rollouts/analysis.js';
import { MetricSchema } from '../api/rollouts/analysis.js';

/** An argument whose value is known. */
export interface ResolvedArg {
  readonly name: string;
  readonly value: string;
}

/** A problem resolving arguments; the run goes to Error with this message. */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

const TAG = /\{\{(.*?)\}\}/g;

/** Substitutes `{{args.x}}` tags in a metric; an unknown tag is an error naming it. */
export function resolveMetricArgs(metric: Metric, args: readonly ResolvedArg[]): Metric {
  const values = new Map(args.map((a) => [`args.${a.name}`, JSON.stringify(a.value).slice(1, -1)]));
  let unresolved: string | undefined;
  const json = JSON.stringify(metric).replace(TAG, (_whole, tag: string) => {
    const value = values.get(tag.trim());
    if (value === undefined) unresolved ??= tag;
    return value ?? '';
  });
  if (unresolved !== undefined) throw new ArgumentError(`failed to resolve {{${unresolved}}}`);
  return MetricSchema.parse(JSON.parse(json));
}

/** Reads one key of a Secret in a namespace; undefined when the Secret or key is missing. */
export type SecretKeyReader = (namespace: string, name: string, key: string) => Promise<string | undefined>;

/**
 * The run's args with every value known: literal values as they are, secretKeyRef read now. Without a
 * reader, secret args get a placeholder (for validating the metrics without touching secrets).
 */
export async function resolveArgValues(args: readonly Argument[], namespace: string, readSecret?: SecretKeyReader): Promise<{ args: ResolvedArg[]; secrets: string[] }> {
  const secrets: string[] = [];
  const resolved: ResolvedArg[] = [];
  for (const arg of args) {
    const ref = arg.valueFrom?.secretKeyRef;
    if (ref) {
      const value = readSecret ? await readSecret(namespace, ref.name, ref.key) : 'temp-for-secret';
      if (value === undefined) throw new ArgumentError(`key '${ref.key}' does not exist in secret '${ref.name}'`);
      if (readSecret) secrets.push(value);
      resolved.push({ name: arg.name, value });
    } else if (arg.value !== undefined) {
      resolved.push({ name: arg.name, value: arg.value });
    } else {
      throw new ArgumentError(`argument "${arg.name}" was not supplied`);
    }
  }
  return { args: resolved, secrets };
}

/** Replaces every secret value in a text with `*****`. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s !== '').reduce((out, secret) => out.split(secret).join('*****'), text);
}
