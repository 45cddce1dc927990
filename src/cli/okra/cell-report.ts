// How okra shows a Cell pass to a person, and when `okra run cell` is done, pure. The decision object
// itself is printed as-is with -o yaml|json; these lines are the readable form.
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { CellAction, Decision } from '../../controllers/cell/model.js';
import { ExitCode } from '../common.js';
import { judgeFollowed, type Followed } from '../followed.js';

/** One target group's weight, named. */
interface NamedWeight {
  readonly name: string;
  readonly version?: string | undefined;
  readonly weight: number;
}

/** The action of a pass in words. */
export function describeAction(action: CellAction | undefined): string {
  if (!action) return 'none';
  switch (action.kind) {
    case 'CreateRule':
      return `create the listener rule at priority ${action.priority}`;
    case 'SetWeights':
      return `set the weights of ${action.ruleArn}${action.conditions ? ' and restore its conditions' : ''}`;
    case 'SetPriority':
      return `move ${action.ruleArn} to priority ${action.priority}`;
    case 'StartGate':
      return `start ${action.gate === 'background' ? 'background analysis' : `the gate of step ${action.stepIndex + 1}`} ${action.name}`;
    case 'Abort':
      return `abort: put the stable version back on ${action.ruleArn}${action.blocklist ? ` and blocklist ${action.version}` : ''}`;
  }
}

/** `blue (1.0.0)=80, green (2.0.0)=20`; weight-0 entries are left out, as ALB ignores them. */
export function formatWeights(weights: readonly NamedWeight[]): string {
  const shown = weights.filter((w) => w.weight > 0);
  if (shown.length === 0) return '(none)';
  return shown.map((w) => `${w.name}${w.version ? ` (${w.version})` : ''}=${w.weight}`).join(', ');
}

/** The weights a decision leads to: the ones its action writes, else those verified on the rule. */
export function resultingWeights(decision: Decision): { readonly weights: readonly NamedWeight[]; readonly written: boolean } {
  const action = decision.action;
  if (action && (action.kind === 'CreateRule' || action.kind === 'SetWeights' || action.kind === 'Abort')) return { weights: action.weights, written: true };
  return { weights: decision.status.targetGroups ?? [], written: false };
}

/** Where the rollout stands: versions and step. */
function progress(status: CellStatus): string | undefined {
  const parts = [
    status.stableVersion ? `stable ${status.stableVersion}` : undefined,
    status.desiredVersion && status.desiredVersion !== status.stableVersion ? `desired ${status.desiredVersion}` : undefined,
    status.canaryWeight !== undefined && status.desiredVersion !== status.stableVersion ? `canary ${status.canaryWeight}%` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The readable form of one pass (okra sync cell, okra plan cell). */
export function describeDecision(decision: Decision): string[] {
  const { status } = decision;
  const { weights, written } = resultingWeights(decision);
  const where = progress(status);
  const lines = [
    `action:   ${describeAction(decision.action)}`,
    `weights:  ${formatWeights(weights)}${written ? '' : ' (unchanged)'}`,
    `phase:    ${status.phase ?? '(none)'}${status.reason ? ` (${status.reason})` : ''}`,
    `message:  ${status.message ?? ''}`,
    ...(where ? [`rollout:  ${where}`] : []),
    ...decision.events.map((e) => `event:    ${e.type} ${e.reason}: ${e.message}`),
    ...(decision.requeueAfterMs === undefined ? [] : [`next:     pass again in ${formatMs(decision.requeueAfterMs)}`]),
  ];
  return lines;
}

/** 0s, 500ms, 1.5s, 2m30s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

/** One progress line of `okra run cell`: phase, message and the verified weights. */
export function progressLine(status: CellStatus): string {
  const weights = status.targetGroups?.length ? ` [${formatWeights(status.targetGroups)}]` : '';
  return `${status.phase ?? 'Pending'}: ${status.message ?? ''}${weights}`;
}

/** How `okra run cell` ends. */
export interface Finish {
  readonly code: number;
  readonly message: string;
}

/**
 * Whether a pass ends `okra run cell`, and how. A pass that still writes or waits for read-back never
 * ends it; Completed (0), Degraded (2: rolled back, or it cannot proceed) and InvalidSpec (4) do.
 * With `followed` (the version in flight when the run started, or --for-version; see followed.ts) only
 * that version's outcome counts, and its rollout stopping short (blocklisted, target groups gone,
 * superseded) ends the run with 2 rather than on the old version's Completed. Paused and Pending wait
 * for someone else (a promote, new target groups): with --until-complete the run keeps waiting, without
 * it it stops there (0).
 */
export function finishOf(decision: Decision, untilComplete: boolean, followed?: Followed, blocklist?: readonly BlockedVersion[]): Finish | undefined {
  const { status } = decision;
  if (decision.action || status.pendingWeights) return undefined;
  if (status.phase === 'InvalidSpec') return { code: ExitCode.invalidSpec, message: `invalid spec: ${status.message ?? ''}` };
  const outcome = judgeFollowed(followed, status, blocklist);
  if (outcome.kind === 'stopped') return { code: ExitCode.rolledBack, message: outcome.message };
  if (outcome.kind === 'completed') return { code: ExitCode.ok, message: `completed: ${outcome.message}` };
  return phaseFinish(status, untilComplete, outcome.kind === 'waiting');
}

/** The finish a settled phase means; `otherVersion`: it is about a version before the one followed, so it is not the outcome. */
function phaseFinish(status: CellStatus, untilComplete: boolean, otherVersion: boolean): Finish | undefined {
  const message = status.message ?? '';
  switch (status.phase) {
    case 'Completed':
      return otherVersion ? undefined : { code: ExitCode.ok, message: `completed: ${message}` };
    case 'Degraded':
      return otherVersion ? undefined : { code: ExitCode.rolledBack, message: `${status.reason === 'RolloutAborted' ? 'rolled back' : 'degraded'}: ${message}` };
    case 'Paused':
    case 'Pending':
      return untilComplete ? undefined : { code: ExitCode.ok, message: `waiting (${status.phase}): ${message}` };
    default:
      return undefined;
  }
}
