// Building an Argo Rollouts AnalysisRun for a Cell gate, pure: merge one or more templates (metrics and
// args concatenated; duplicate metric names or conflicting arg defaults are errors), merge the step's
// args over the templates' (a literal value, a secretKeyRef kept for the evaluator, or a fieldRef resolved
// against the Cell now), and refuse args a template does not declare or that end up without a value.
import type { AnalysisArg, Cell } from '../api/v1alpha1/cell.js';
import type { AnalysisRun, AnalysisTemplate, Argument, Metric } from '../api/rollouts/analysis.js';

/** A spec problem that must be shown on the Cell (InvalidSpec), naming what is wrong. */
export class GateSpecError extends Error {
  override name = 'GateSpecError';
}

/** Resolves a fieldRef path against a Cell, as okra's original does (Go %v rendering of the leaf). */
export function resolveFieldPath(cell: Cell, path: string): string {
  const segments = path.split(/[.[\]]+/).filter((s) => s !== '');
  const leaf = segments.reduce<unknown>((node, segment) => step(node, segment, path), cell);
  if (leaf === undefined || leaf === null) throw new GateSpecError(`fieldRef ${path} does not resolve on the Cell`);
  if (typeof leaf === 'string') return leaf;
  if (typeof leaf === 'number' || typeof leaf === 'boolean') return String(leaf);
  throw new GateSpecError(`fieldRef ${path} must end at a single value`);
}

/** One step of a field path: an array index or an object key. */
function step(node: unknown, segment: string, path: string): unknown {
  if (Array.isArray(node)) {
    const index = Number(segment);
    if (!Number.isInteger(index)) throw new GateSpecError(`fieldRef ${path}: invalid index '${segment}'`);
    if (index < 0 || index >= node.length) throw new GateSpecError(`fieldRef ${path}: index ${index} out of range`);
    return node[index];
  }
  if (typeof node === 'object' && node !== null) return (node as Record<string, unknown>)[segment];
  throw new GateSpecError(`fieldRef ${path} does not resolve on the Cell`);
}

/** Merges templates: metrics concatenated (names unique), args concatenated (same name must agree). */
export function mergeTemplates(templates: readonly AnalysisTemplate[]): { metrics: Metric[]; args: Argument[]; dryRun: { metricName: string }[]; measurementRetention: { metricName: string; limit: number }[] } {
  const metrics: Metric[] = [];
  const args = new Map<string, Argument>();
  for (const template of templates) {
    for (const metric of template.spec.metrics) {
      if (metrics.some((m) => m.name === metric.name)) throw new GateSpecError(`metric ${metric.name} is defined by more than one template`);
      metrics.push(metric);
    }
    for (const arg of template.spec.args ?? []) {
      const seen = args.get(arg.name);
      if (seen && JSON.stringify(seen) !== JSON.stringify(arg)) throw new GateSpecError(`arg ${arg.name} has different defaults in two templates`);
      args.set(arg.name, arg);
    }
  }
  return {
    metrics,
    args: [...args.values()],
    dryRun: templates.flatMap((t) => t.spec.dryRun ?? []),
    measurementRetention: templates.flatMap((t) => t.spec.measurementRetention ?? []),
  };
}

/** Merges the step's args over the templates' and checks every arg ends up with a value. */
export function mergeArgs(cell: Cell, templateArgs: readonly Argument[], stepArgs: readonly AnalysisArg[], where: string): Argument[] {
  const merged = new Map(templateArgs.map((a) => [a.name, { ...a }]));
  for (const arg of stepArgs) {
    if (!merged.has(arg.name)) throw new GateSpecError(`${where}: arg ${arg.name} is not declared by the template`);
    merged.set(arg.name, stepArgValue(cell, arg, where));
  }
  for (const arg of merged.values()) {
    if (arg.value === undefined && arg.valueFrom?.secretKeyRef === undefined) throw new GateSpecError(`${where}: arg ${arg.name} has no value`);
  }
  return [...merged.values()];
}

/**
 * One arg as a run or an experiment takes it: a literal, a Secret key kept for whoever measures (the
 * evaluator, or Argo Rollouts' experiment controller), or a field of the Cell resolved here.
 */
export function stepArgValue(cell: Cell, arg: AnalysisArg, where: string): Argument {
  if (arg.value !== undefined) return { name: arg.name, value: arg.value };
  const fieldPath = arg.valueFrom?.fieldRef?.fieldPath;
  if (fieldPath !== undefined) {
    try {
      return { name: arg.name, value: resolveFieldPath(cell, fieldPath) };
    } catch (err) {
      throw new GateSpecError(`${where}: arg ${arg.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const secret = arg.valueFrom?.secretKeyRef;
  if (secret) return { name: arg.name, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } };
  throw new GateSpecError(`${where}: arg ${arg.name} has no value`);
}

/** Input of one AnalysisRun. */
export interface RunInput {
  readonly cell: Cell;
  readonly name: string;
  readonly templates: readonly AnalysisTemplate[];
  readonly stepArgs: readonly AnalysisArg[];
  readonly labels: Record<string, string>;
  /** Where the gate is defined, for error messages. */
  readonly where: string;
  /** The step's (or background analysis') own dryRun and measurementRetention rules. */
  readonly rules?: { readonly dryRun?: readonly { metricName: string }[] | undefined; readonly measurementRetention?: readonly { metricName: string; limit: number }[] | undefined } | undefined;
}

/**
 * The templates' rules followed by the Cell's, as Argo Rollouts merges them; two rules for one metric
 * are refused, since which of them applies would be a guess.
 */
function mergeRules<T extends { metricName: string }>(fromTemplates: readonly T[], fromCell: readonly T[] | undefined, what: string, where: string): T[] {
  const merged = [...fromTemplates, ...(fromCell ?? [])];
  const names = merged.map((r) => r.metricName);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new GateSpecError(`${where}: two ${what} metric rules have the same name '${twice}'`);
  return merged;
}

/** Builds the AnalysisRun object for a gate. */
export function buildAnalysisRun(input: RunInput): AnalysisRun {
  const merged = mergeTemplates(input.templates);
  const args = mergeArgs(input.cell, merged.args, input.stepArgs, input.where);
  const dryRun = mergeRules(merged.dryRun, input.rules?.dryRun, 'Dry-Run', input.where);
  const measurementRetention = mergeRules(merged.measurementRetention, input.rules?.measurementRetention, 'Measurement Retention', input.where);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: input.name,
      namespace: input.cell.metadata.namespace,
      labels: input.labels,
      ownerReferences: [
        { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', name: input.cell.metadata.name ?? '', uid: input.cell.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      metrics: merged.metrics,
      ...(args.length > 0 ? { args } : {}),
      ...(dryRun.length > 0 ? { dryRun } : {}),
      ...(measurementRetention.length > 0 ? { measurementRetention } : {}),
    },
  };
}
