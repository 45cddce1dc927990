// A Cell's phase and the conditions derived from it, pure. Exactly one of Ready (Completed),
// Progressing, Paused, Degraded and InvalidSpec is True at a time, so `kubectl wait --for=condition=…`
// works for each; lastTransitionTime moves only when a condition flips.
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import { setCondition } from '../../runtime/status.js';

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

/** What a phase is stamped with: the time, the Cell's generation and the ignored target groups. */
export interface PhaseContext {
  readonly now: Date;
  readonly generation?: number | undefined;
  readonly ignored?: readonly { name: string; reason: string }[] | undefined;
}

/** The phase context of an observed pass. */
export function phaseContext(obs: { now: Date; cell: { metadata: { generation?: number | undefined } }; targetGroups: { ignored: readonly { name: string; reason: string }[] } }): PhaseContext {
  return { now: obs.now, generation: obs.cell.metadata.generation, ignored: obs.targetGroups.ignored };
}

/** Returns `status` with the phase, reason, message, conditions and observed inputs set. */
export function withPhase(status: CellStatus, input: PhaseInput, ctx: PhaseContext): CellStatus {
  const { now, generation } = ctx;
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
  const ignored = ctx.ignored ?? status.ignoredTargetGroups ?? [];
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
