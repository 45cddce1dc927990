// The data the Cell's decision works on: what a pass observed, the one action it may take, and the
// resulting status and Events. Pure types and a few pure helpers; no I/O.
import { createHash } from 'node:crypto';
import type { Cell, CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { RuleCondition } from '../../aws/elbv2.js';
import type { EventInput } from '../../runtime/events.js';
import { dnsName } from '../names.js';
import type { PriorityHolder, RuleLookup } from '../rule.js';
import type { TargetSelection, VersionedTargetGroup, WeightedTargetGroup } from './targets.js';

/** Phases of a gate object (AnalysisRun, Experiment or Pause), normalised. */
export type GatePhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

/** What a gate of the current step reports. */
export interface GateState {
  readonly kind: 'AnalysisRun' | 'Experiment' | 'Pause';
  readonly name: string;
  readonly phase: GatePhase;
  readonly message?: string | undefined;
  /** The step it gates ('bg' for background analysis) and the target-group set it was made for. */
  readonly step: number | 'bg';
  readonly hash: string;
}

/** The listener rule as found for this Cell (the shared rule lookup's result). */
export type RuleObservation = RuleLookup;

/** Everything one pass observed. */
export interface Observed {
  readonly cell: Cell;
  readonly targetGroups: TargetSelection;
  readonly blocklist: readonly BlockedVersion[];
  readonly rule: RuleObservation;
  /** Another rule at the spec's priority, looked up only right before our rule would move there: the move must wait. */
  readonly priorityHolder?: PriorityHolder | undefined;
  /** The gate of the current step, when the step has one and it exists. */
  readonly stepGate?: GateState | undefined;
  /** The background analysis, when it exists. */
  readonly backgroundGate?: GateState | undefined;
  readonly now: Date;
}

/** The one side effect a pass may have. */
export type CellAction =
  | { readonly kind: 'CreateRule'; readonly priority: number; readonly conditions: readonly RuleCondition[]; readonly weights: readonly WeightedTargetGroup[] }
  | {
      readonly kind: 'SetWeights';
      readonly ruleArn: string;
      readonly weights: readonly WeightedTargetGroup[];
      readonly conditions?: readonly RuleCondition[] | undefined;
    }
  | { readonly kind: 'SetPriority'; readonly ruleArn: string; readonly priority: number }
  | { readonly kind: 'StartGate'; readonly gate: 'step' | 'background'; readonly stepIndex: number; readonly name: string }
  | {
      readonly kind: 'Abort';
      readonly ruleArn: string;
      readonly weights: readonly WeightedTargetGroup[];
      readonly version: string;
      readonly cause: string;
      /** Add the version to the VersionBlocklist (analysis failures do, a manual abort does not). */
      readonly blocklist: boolean;
    };

/** The outcome of a decision. */
export interface Decision {
  readonly status: CellStatus;
  readonly action?: CellAction | undefined;
  readonly events: readonly EventInput[];
  /** Pass again after this delay (0 = at once). */
  readonly requeueAfterMs?: number | undefined;
  /** That pass only reads back a write already sent, so it may wait behind Cells with changes. */
  readonly requeueLowPriority?: boolean | undefined;
}

/** Hash of a target-group set: it names a rollout's children and restarts the steps when it changes. */
export function targetGroupsHash(tgs: readonly VersionedTargetGroup[]): string {
  const key = tgs
    .map((t) => `${t.name}=${t.arn}@${t.version}`)
    .sort()
    .join(',');
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

/** Deterministic name of a gate object: the Cell, the step (or "bg"), the kind and the set hash. */
export function gateName(cell: Cell, step: number | 'bg', kind: string, hash: string): string {
  return dnsName([cell.metadata.name ?? 'cell', String(step), kind, hash]);
}

/**
 * What a rollout attempt's gates are named and labelled with: the attempt id (a Cell that started its
 * rollout before attempts existed: the target-group hash).
 */
export function gateKey(status: CellStatus): string | undefined {
  return status.attempt ?? status.targetGroupsHash;
}

/** A new attempt id: the target-group set and the moment the attempt starts. */
export function attemptId(targetGroupsHash: string, startedAt: Date): string {
  return createHash('sha256').update(`${targetGroupsHash}@${startedAt.toISOString()}`).digest('hex').slice(0, 10);
}

/** The gate if it belongs to this step of this rollout; a gate of a superseded set never counts. */
export function gateFor(gate: GateState | undefined, step: number | 'bg', hash: string): GateState | undefined {
  return gate?.step === step && gate.hash === hash ? gate : undefined;
}

/** The background run status names: the one seen last, or the one a promote started. */
export function backgroundRunNamed(status: CellStatus): string | undefined {
  return status.gates?.find((g) => g.step === 'bg')?.name;
}

/** The previous status, never undefined. */
export function previousStatus(cell: Cell): CellStatus {
  return cell.status ?? {};
}
