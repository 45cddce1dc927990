// Wires the builtin analysis engine into a manager. It watches only AnalysisRuns labelled with okra's
// controller instance id: Argo Rollouts' controller (without an instance id) ignores exactly those, so
// the two never evaluate the same run.
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import type { EngineDeps } from '../../analysis/engine.js';
import type { Controller } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Manager } from '../../runtime/manager.js';
import { reconcileAnalysisRun } from './reconciler.js';

/** The label Argo Rollouts uses to split objects between controller instances. */
export const INSTANCE_ID_LABEL = 'argo-rollouts.argoproj.io/controller-instance-id';
/** okra's instance id on the runs its builtin engine evaluates. */
export const DEFAULT_INSTANCE_ID = 'okra';

/** Options of the AnalysisRun controller. */
export interface AnalysisRunControllerOptions {
  readonly engine: EngineDeps;
  readonly events: EventRecorder;
  readonly instanceId?: string | undefined;
  readonly namespace?: string | undefined;
  /** Parallel runs; a slow provider holds one worker for at most its timeout and retries. */
  readonly workers?: number | undefined;
}

/** Registers the builtin engine. */
export function registerAnalysisRunController(manager: Manager, opts: AnalysisRunControllerOptions): Controller {
  const labelSelector = `${INSTANCE_ID_LABEL}=${opts.instanceId ?? DEFAULT_INSTANCE_ID}`;
  const runs = manager.informer<AnalysisRun>(RolloutsTypes.analysisRun, { namespace: opts.namespace, labelSelector });
  const deps = { client: manager.client, engine: opts.engine, events: opts.events };
  return manager
    .controller({ name: 'analysisrun', workers: opts.workers ?? 8, reconcile: (req) => reconcileAnalysisRun(deps, req) })
    .for(runs);
}
