// okractl's rollout commands: promote, abort, retry, pause, resume. Each is a pure plan from the Cell as
// read (refuse, nothing to do, or one merge patch) and the write in cells.ts. The controller owns the
// rollout: the CLI only sets the fields decide.ts honours (status.promoteStep/promoteFull/abort,
// spec.paused) and reports what the controller will do next.
import type { Command } from 'commander';
import { RolloutsTypes } from '../../api/rollouts/analysis.js';
import type { ResourceType } from '../../api/resource.js';
import type { CanaryStep, Cell } from '../../api/v1alpha1/cell.js';
import { PauseType } from '../../api/v1alpha1/pause.js';
import { GateLabels } from '../../controllers/cell/gates.js';
import { gateKey } from '../../controllers/cell/model.js';
import { stepsOf } from '../../controllers/cell/steps.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { CliError, globals, kubeClient, namespaceOf } from '../common.js';
import { unblockVersion } from './blocklist.js';
import { changeCell, isAborted, readCell, type CellChange, type CellRef } from './cells.js';
import { describeStep } from './view.js';

/** Where a Cell's rollout stands, as the commands need it. */
export type Progress =
  | { readonly kind: 'idle'; readonly summary: string }
  | { readonly kind: 'aborted'; readonly desired: string; readonly stable: string }
  | { readonly kind: 'running'; readonly desired: string; readonly stable: string; readonly index: number; readonly steps: readonly CanaryStep[] };

/** The message okractl abort leaves in the status (the controller keeps it while Degraded). */
export const ABORT_MESSAGE = 'aborted by okractl abort';

/** The state of the Cell's rollout: none in progress, aborted, or running at a step. */
export function progressOf(cell: Cell): Progress {
  const s = cell.status ?? {};
  const desired = s.desiredVersion;
  if (desired === undefined || desired === s.stableVersion) {
    return { kind: 'idle', summary: `${s.phase ?? 'no status yet'}${s.stableVersion ? `, ${s.stableVersion} is stable` : ''}` };
  }
  const stable = s.stableVersion ?? '-';
  if (isAborted(cell)) return { kind: 'aborted', desired, stable };
  return { kind: 'running', desired, stable, index: s.currentStepIndex ?? 0, steps: stepsOf(cell) };
}

function cellName(cell: Cell): string {
  return `cell/${cell.metadata.name ?? ''}`;
}

function pausedNote(cell: Cell): string {
  return cell.spec.paused ? ' (spec.paused is set: it takes effect after okractl resume)' : '';
}

/** True when the current step itself waits for a person: a pause, or its Inconclusive gate. */
function stepWaits(cell: Cell, index: number, step: CanaryStep | undefined): boolean {
  return step?.pause !== undefined || (cell.status?.gates ?? []).some((g) => g.step === String(index) && g.phase === 'Inconclusive');
}

/** The background analysis run that is Inconclusive, if any. */
function inconclusiveBackground(cell: Cell): string | undefined {
  return (cell.status?.gates ?? []).find((g) => g.step === 'bg' && g.phase === 'Inconclusive')?.name;
}

/** `okractl promote`: pass the current step (a pause or an Inconclusive gate), or with `full` skip every remaining step. */
export function planPromote(cell: Cell, full: boolean): CellChange {
  const progress = progressOf(cell);
  const name = cellName(cell);
  if (progress.kind === 'idle') return { kind: 'refuse', message: `${name} has no rollout in progress (${progress.summary}): nothing to promote` };
  if (progress.kind === 'aborted') return { kind: 'refuse', message: `${name}: the rollout of ${progress.desired} was aborted: nothing to promote (okractl retry runs its steps again)` };
  const { index, steps, desired } = progress;
  if (index >= steps.length || cell.status?.promoteFull === true) return { kind: 'refuse', message: `${name}: every step of ${desired} has passed: it is already being promoted to 100%` };
  if (full) {
    const skipped = index + 1 === steps.length ? `step ${steps.length}` : `steps ${index + 1}-${steps.length}`;
    return { kind: 'patch', target: 'status', patch: { promoteFull: true }, message: `${name}: promoting ${desired} fully: ${skipped} of ${steps.length} skipped, ${desired} goes to 100%${pausedNote(cell)}` };
  }
  return promoteStep(cell, progress);
}

/** Promote without --full: the step waiting for a person, and/or an Inconclusive background analysis. */
function promoteStep(cell: Cell, { index, steps, desired }: Extract<Progress, { kind: 'running' }>): CellChange {
  const name = cellName(cell);
  const step = steps[index];
  const label = `step ${index + 1}/${steps.length} (${step ? describeStep(step) : '?'})`;
  const background = inconclusiveBackground(cell);
  const next = index + 1 < steps.length ? `continues with step ${index + 2}/${steps.length}` : 'goes to 100%';
  if (stepWaits(cell, index, step)) {
    const also = background ? ` (and the Inconclusive background analysis ${background}: a new run starts)` : '';
    return { kind: 'patch', target: 'status', patch: { promoteStep: index }, message: `${name}: ${label} promoted${also}: ${desired} ${next}${pausedNote(cell)}` };
  }
  if (background) {
    return { kind: 'patch', target: 'status', patch: { promoteStep: index }, message: `${name}: Inconclusive background analysis ${background} promoted: a new run starts, and ${label} goes on${pausedNote(cell)}` };
  }
  return { kind: 'refuse', message: `${name}: ${label} is not waiting for promotion (only a pause or an Inconclusive analysis is); use --full to skip the remaining steps` };
}

/** `okractl abort`: ask the controller to put the stable version back to 100% and hold there (Degraded). */
export function planAbort(cell: Cell, now: Date): CellChange {
  const progress = progressOf(cell);
  const name = cellName(cell);
  if (progress.kind === 'idle') return { kind: 'refuse', message: `${name} has no rollout in progress (${progress.summary}): nothing to abort` };
  if (progress.kind === 'aborted') return { kind: 'noop', message: `${name}: the rollout of ${progress.desired} is already aborted` };
  return {
    kind: 'patch',
    target: 'status',
    patch: { abort: true, abortedAt: now.toISOString(), message: ABORT_MESSAGE },
    // No paused note: spec.paused freezes progress, never an abort.
    message: `${name}: rollout of ${progress.desired} aborted: ${progress.stable} goes back to 100%`,
  };
}

/**
 * `okractl retry`: forget the aborted attempt so the controller starts the steps again. Clearing the
 * target-group hash makes the controller treat the rollout as new (startRollout); the phase is set
 * here so a `watch` right after the retry does not read the old Degraded as the outcome.
 */
export function planRetry(cell: Cell): CellChange {
  const progress = progressOf(cell);
  const name = cellName(cell);
  if (progress.kind !== 'aborted') {
    return { kind: 'refuse', message: `${name}: the rollout is not aborted (${cell.status?.phase ?? 'no status yet'}): retry only restarts an aborted rollout` };
  }
  const patch = {
    abort: null,
    abortedAt: null,
    currentStepIndex: 0,
    currentStepStartedAt: null,
    gates: null,
    targetGroupsHash: null,
    attempt: null,
    promoteStep: null,
    promoteFull: null,
    phase: 'Progressing',
    reason: 'Retrying',
    message: `retrying the rollout of ${progress.desired} (okractl retry)`,
  };
  return { kind: 'patch', target: 'status', patch, message: `${name}: retrying ${progress.desired} over ${progress.stable} from step 1${pausedNote(cell)}` };
}

/** `okractl pause` / `resume`: set or remove spec.paused. */
export function planPaused(cell: Cell, paused: boolean): CellChange {
  const name = cellName(cell);
  if ((cell.spec.paused === true) === paused) return { kind: 'noop', message: paused ? `${name} is already paused` : `${name} is not paused` };
  return paused
    ? { kind: 'patch', target: 'spec', patch: { paused: true }, message: `${name} paused: steps and gates are frozen until okractl resume (aborts, blocklisted versions and gone target groups are still handled)` }
    : { kind: 'patch', target: 'spec', patch: { paused: null }, message: `${name} resumed` };
}

/** Gate kinds a rollout creates. */
const GATE_TYPES: readonly ResourceType[] = [RolloutsTypes.analysisRun, RolloutsTypes.experiment, PauseType];

/** Deletes the gate objects of the Cell's current target-group set; returns how many. */
async function deleteGates(client: KubeClient, cell: Cell): Promise<number> {
  const hash = gateKey(cell.status ?? {});
  if (hash === undefined) return 0;
  const namespace = cell.metadata.namespace ?? '';
  const labelSelector = `${GateLabels.cell}=${cell.metadata.name ?? ''},${GateLabels.stateHash}=${hash}`;
  let deleted = 0;
  for (const type of GATE_TYPES) {
    const items = await client.list(type, { namespace, labelSelector }).then(
      (r) => r.items,
      (err: unknown) => {
        // The Argo Rollouts CRDs are optional.
        if (isNotFound(err)) return [];
        throw err;
      },
    );
    for (const obj of items) if (await client.delete(type, { name: obj.metadata.name ?? '', namespace })) deleted++;
  }
  return deleted;
}

/**
 * Retries an aborted rollout. Order matters: the version leaves the blocklist and the failed gates
 * are deleted while the status still says aborted (the controller just holds stable then); only then
 * is the status reset, so the restarted steps never meet the old failed run.
 */
async function retry(client: KubeClient, ref: CellRef): Promise<string[]> {
  const cell = await readCell(client, ref);
  const first = planRetry(cell);
  if (first.kind === 'refuse') throw new CliError(first.message);
  const version = cell.status?.desiredVersion ?? '';
  const unblocked = await unblockVersion(client, ref, version);
  const deleted = await deleteGates(client, cell);
  const message = await changeCell(client, ref, planRetry);
  return [
    ...(unblocked ? [`${version} removed from VersionBlocklist ${ref.name}`] : []),
    ...(deleted > 0 ? [`${deleted} gate object(s) of the aborted attempt deleted`] : []),
    message,
  ];
}

function target(cmd: Command, name: string): { client: KubeClient; ref: CellRef } {
  const g = globals(cmd);
  return { client: kubeClient(g), ref: { name, namespace: namespaceOf(g) } };
}

function print(lines: string | readonly string[]): void {
  for (const line of typeof lines === 'string' ? [lines] : lines) process.stdout.write(`${line}\n`);
}

/** Registers promote, abort, retry, pause and resume. */
export function registerRolloutCommands(program: Command): void {
  program
    .command('promote <cell>')
    .description('pass the current step (a pause, or an Inconclusive analysis) of the Cell\'s rollout; --full skips every remaining step')
    .option('--full', 'skip all remaining steps: the desired version goes to 100%')
    .action(async (name: string, opts: { full?: boolean }, cmd: Command) => {
      const { client, ref } = target(cmd, name);
      print(await changeCell(client, ref, (cell) => planPromote(cell, opts.full === true)));
    });
  program
    .command('abort <cell>')
    .description('abort the rollout in progress: the stable version goes back to 100% and the Cell reports Degraded')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { client, ref } = target(cmd, name);
      print(await changeCell(client, ref, (cell) => planAbort(cell, new Date())));
    });
  program
    .command('retry <cell>')
    .description('run the steps of an aborted rollout again: unblocks the version, deletes the failed gates, restarts from step 1')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { client, ref } = target(cmd, name);
      print(await retry(client, ref));
    });
  program
    .command('pause <cell>')
    .description('freeze the Cell (spec.paused): weights stay as they are and no step or gate advances')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { client, ref } = target(cmd, name);
      print(await changeCell(client, ref, (cell) => planPaused(cell, true)));
    });
  program
    .command('resume <cell>')
    .description('unfreeze a paused Cell (removes spec.paused)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { client, ref } = target(cmd, name);
      print(await changeCell(client, ref, (cell) => planPaused(cell, false)));
    });
}
