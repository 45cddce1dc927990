// Canary step helpers, pure: what kind a step is, the canary weight in effect at a step (Argo Rollouts
// semantics: the latest setWeight at or before it), and step validation.
import { createHash } from 'node:crypto';
import { parseDuration } from '../../api/duration.js';
import type { CanaryStep, Cell } from '../../api/v1alpha1/cell.js';
import { canonical } from '../../runtime/status.js';
import type { GateState } from './model.js';

/** The kinds of step okra executes. */
export type StepKind = 'setWeight' | 'pause' | 'analysis' | 'experiment';

/** The steps of a Cell (none when it has no canary strategy). */
export function stepsOf(cell: Cell): readonly CanaryStep[] {
  return cell.spec.updateStrategy?.canary?.steps ?? [];
}

/** The kind of a step, or undefined for one okra cannot execute. */
export function stepKind(step: CanaryStep): StepKind | undefined {
  if (step.setWeight !== undefined) return 'setWeight';
  if (step.pause !== undefined) return 'pause';
  if (step.analysis !== undefined) return 'analysis';
  if (step.experiment !== undefined) return 'experiment';
  return undefined;
}

/** Hash of the Cell's canary steps: a rollout whose steps changed restarts them (Argo's step hash). */
export function stepsHash(cell: Cell): string {
  return createHash('sha256').update(canonical(stepsOf(cell))).digest('hex').slice(0, 10);
}

/** The kind of gate object a step waits on (none for setWeight): a gate of another kind is not its gate. */
export function gateKindOf(step: CanaryStep | undefined): GateState['kind'] | undefined {
  const kind = step ? stepKind(step) : undefined;
  if (kind === 'pause') return 'Pause';
  if (kind === 'analysis') return 'AnalysisRun';
  if (kind === 'experiment') return 'Experiment';
  return undefined;
}

/** The canary's total weight while step `index` runs: the latest setWeight at or before it, else 0. */
export function canaryWeightAt(steps: readonly CanaryStep[], index: number): number {
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/** A pause's duration in ms, or 'indefinite' for `pause: {}` (wait until promoted). */
export function pauseDuration(step: CanaryStep): number | 'indefinite' | undefined {
  const duration = step.pause?.duration;
  if (duration === undefined) return 'indefinite';
  return parseDuration(duration);
}

/** Why the steps cannot be executed, naming the step, or undefined. */
export function stepsProblem(steps: readonly CanaryStep[]): string | undefined {
  return steps.map((step, i) => stepProblem(step, `spec.updateStrategy.canary.steps[${i}]`)).find((p) => p !== undefined);
}

/** Per kind, why a step of that kind cannot run (or undefined). */
const KIND_CHECKS: Record<StepKind, (step: CanaryStep, where: string) => string | undefined> = {
  setWeight: () => undefined,
  pause: (step, where) =>
    pauseDuration(step) === undefined
      ? `${where}.pause.duration ${JSON.stringify(step.pause?.duration)} is not a duration (for example 30, "30s", "5m")`
      : undefined,
  analysis: (step, where) => (step.analysis?.templates?.length ? undefined : `${where}.analysis.templates is empty`),
  experiment: (step, where) => (step.experiment?.templates.length ? undefined : `${where}.experiment.templates is empty`),
};

function stepProblem(step: CanaryStep, where: string): string | undefined {
  const kind = stepKind(step);
  if (kind === undefined) return `${where}: ${step.setCanaryScale ? 'setCanaryScale is not supported by okra' : 'the step has no action'}`;
  return KIND_CHECKS[kind](step, where);
}
