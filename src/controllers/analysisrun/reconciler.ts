// The builtin engine's controller: evaluate one AnalysisRun (engine.ts), patch its status once if it
// changed, record Events as Argo Rollouts does, and come back when the next measurement is due.
// AnalysisRun has no status subresource, so status goes onto the main resource, guarded by the
// resourceVersion it was read at (a conflict, e.g. with `terminate` being set, just re-runs the pass).
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import { evaluateRun, type EngineDeps } from '../../analysis/engine.js';
import type { KubeClient } from '../../kube/client.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { patchStatusIfChanged } from '../../runtime/status.js';

/** What the AnalysisRun controller needs. */
export interface AnalysisRunDeps {
  readonly client: KubeClient;
  readonly engine: EngineDeps;
  readonly events: EventRecorder;
}

/** Reconciles one AnalysisRun. */
export async function reconcileAnalysisRun(deps: AnalysisRunDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ReconcileResult> {
  const run = await deps.client.get<AnalysisRun>(RolloutsTypes.analysisRun, req.name, req.namespace);
  if (!run || run.metadata.deletionTimestamp) return {};
  const pass = await evaluateRun(deps.engine, run);
  const updated = await patchStatusIfChanged(deps.client, RolloutsTypes.analysisRun, run, pass.status);
  for (const event of pass.events) void deps.events.record(updated ?? run, event);
  if (!pass.requeueAt) return {};
  return { requeueAfterMs: Math.max(0, pass.requeueAt.getTime() - deps.engine.clock().getTime()) };
}
