// Wires the Cell reconciler into a manager. Cells are the root; every input that can change a Cell's
// decision is watched and mapped back to the Cells it affects: AWSTargetGroups (by selector),
// VersionBlocklists (same name) and gate objects (by label). A periodic resync catches changes made to
// the listener rule in AWS, which cannot be watched.
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import type { Experiment } from '../../api/rollouts/experiment.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { CellType, type Cell } from '../../api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { VersionBlocklistType, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import type { ListenerRulesPort } from '../../aws/elbv2.js';
import type { KubeObject } from '../../kube/client.js';
import { objectKey } from '../../kube/informer.js';
import type { Clock } from '../../runtime/clock.js';
import type { Controller } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../runtime/log.js';
import type { Manager } from '../../runtime/manager.js';
import { OwnWrites } from '../../runtime/own-writes.js';
import { completed } from '../../analysis/assess.js';
import { GateLabels, KubeGates } from './gates.js';
import { reconcileCell, type CellDeps } from './reconciler.js';
import { selectsTargetGroup } from './targets.js';

/** Options of the Cell controller. */
export interface CellControllerOptions {
  readonly rules: ListenerRulesPort;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  /** Re-read every Cell's rule this often to correct drift. */
  readonly resyncMs?: number | undefined;
  /** Parallel Cell reconciles (one Cell never runs twice at once). */
  readonly workers?: number | undefined;
  /** Watch AnalysisRuns and Experiments (false when the Argo Rollouts CRDs are not installed). */
  readonly argoRollouts?: boolean | undefined;
  readonly namespace?: string | undefined;
  readonly onStatus?: CellDeps['onStatus'];
  readonly onGone?: CellDeps['onGone'];
  /** Extra labels on the AnalysisRuns gates create (the builtin engine's instance id). */
  readonly analysisRunLabels?: Readonly<Record<string, string>> | undefined;
  /** Finished AnalysisRuns of superseded target-group sets kept per Cell. */
  readonly analysisRunHistory?: number | undefined;
  /** Called once per gate AnalysisRun seen reaching a final phase, whoever evaluated it (metrics). */
  readonly onAnalysisRunCompleted?: ((run: AnalysisRun) => void) | undefined;
}

/** Registers the Cell controller. */
export function registerCellController(manager: Manager, opts: CellControllerOptions): Controller {
  const namespace = opts.namespace;
  const cells = manager.informer<Cell>(CellType, { namespace });
  const targetGroups = manager.informer<AWSTargetGroup>(AWSTargetGroupType, { namespace });
  const blocklists = manager.informer<VersionBlocklist>(VersionBlocklistType, { namespace });
  const pauses = manager.informer<Pause>(PauseType, { namespace, labelSelector: GateLabels.cell });
  const analysisRuns = opts.argoRollouts === false ? undefined : manager.informer<AnalysisRun>(RolloutsTypes.analysisRun, { namespace, labelSelector: GateLabels.cell });
  const experiments = opts.argoRollouts === false ? undefined : manager.informer<Experiment>(RolloutsTypes.experiment, { namespace, labelSelector: GateLabels.cell });
  const gates = new KubeGates({
    client: manager.client,
    pauses,
    analysisRuns,
    experiments,
    log: opts.log,
    analysisRunLabels: opts.analysisRunLabels,
    analysisRunHistory: opts.analysisRunHistory,
  });
  const ownWrites = new OwnWrites();
  const deps: CellDeps = { client: manager.client, cells, ownWrites, targetGroups, blocklists, rules: opts.rules, gates, events: opts.events, clock: opts.clock, onStatus: opts.onStatus, onGone: opts.onGone };
  const byGateLabel = (o: KubeObject): string[] => {
    const cell = o.metadata.labels?.[GateLabels.cell];
    return cell ? [`${o.metadata.namespace ?? ''}/${cell}`] : [];
  };
  const controller = manager
    .controller({ name: 'cell', workers: opts.workers ?? 8, resyncMs: opts.resyncMs, reconcile: (req) => reconcileCell(deps, req) })
    .for(cells, { skipUpdate: (cell, old) => ownWrites.isEcho(objectKey(cell), cell, old) })
    .watches(targetGroups, (tg) => cells.list(tg.metadata.namespace).filter((c) => selectsTargetGroup(c, tg)).map(objectKey))
    .watches(blocklists, (b) => [objectKey(b)])
    // A Cell times its own pauses (from its status, so also after a restart); only a cancelled Pause
    // (okra cancel pause) must wake it early. Reacting to Started/Expired would only add passes.
    .watches(pauses, (p) => (p.status?.phase === 'Cancelled' ? byGateLabel(p) : []));
  if (analysisRuns) controller.watches(analysisRuns, byGateLabel);
  const onCompleted = opts.onAnalysisRunCompleted;
  if (analysisRuns && onCompleted) {
    analysisRuns.addHandlers({ update: (run, old) => { if (completed(run.status?.phase) && !completed(old.status?.phase)) onCompleted(run); } });
  }
  if (experiments) controller.watches(experiments, byGateLabel);
  return controller;
}
