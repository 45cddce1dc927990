// A Cell's phase and the conditions derived from it, pure. Exactly one of Ready (Completed),
// Progressing, Paused, Degraded and InvalidSpec is True at a time, so `kubectl wait --for=condition=…`
// works for each; lastTransitionTime moves only when a condition flips.
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import { setCondition } from '../../runtime/status.js';
import type { Observed } from './model.js';

/** Phases of a Cell. */
export type Phase = NonNullable<CellStatus['phase']>;

/** The phase a pass ends in, with its reason and a message a person can act on. */
export interface PhaseInput {
  readonly phase: Phase;
  readonly reason: string;
  readonly message: string;
}

const CONDITION_OF: Record<Phase, string> = {
  Completed: 'Ready',
  Pending: 'Progressing',
  Progressing: 'Progressing',
  Paused: 'Paused',
  Degraded: 'Degraded',
  InvalidSpec: 'InvalidSpec',
};

const CONDITION_TYPES = ['Ready', 'Progressing', 'Paused', 'Degraded', 'InvalidSpec'] as const;

/** Returns `status` with the phase, reason, message, conditions and observed inputs set. */
export function withPhase(status: CellStatus, input: PhaseInput, obs: Observed): CellStatus {
  const now = obs.now;
  const generation = obs.cell.metadata.generation;
  const active = CONDITION_OF[input.phase];
  let conditions = status.conditions ?? [];
  for (const type of CONDITION_TYPES) {
    const on = type === active && !(input.phase === 'Pending' && type === 'Progressing');
    conditions = setCondition(
      conditions,
      on ? { type, status: 'True', reason: input.reason, message: input.message } : { type, status: 'False', reason: `Not${type}`, message: '' },
      now,
      generation,
    );
  }
  const ignored = obs.targetGroups.ignored;
  return {
    ...status,
    phase: input.phase,
    reason: input.reason,
    message: input.message,
    conditions,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ignoredTargetGroups: ignored.length > 0 ? ignored.map((i) => ({ ...i })) : undefined,
  };
}
