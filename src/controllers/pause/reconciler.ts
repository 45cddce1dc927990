// The Pause controller, as in the original okra: a Pause is Started when first seen and Expired once its
// expireTime has passed; okra cancel pause sets Cancelled. Unlike the original it requeues itself for the
// expiry, so a pause ends on time rather than at the next resync.
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import type { Clock } from '../../runtime/clock.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import { metaTime, patchStatusIfChanged } from '../../runtime/status.js';

/** What the Pause controller needs. */
export interface PauseDeps {
  readonly client: KubeClient;
  readonly clock: Clock;
  /**
   * The controller's Pause cache. A pass reads from it instead of the API server; a stale read is safe
   * because the status patch carries the resourceVersion and a conflict just retries the pass.
   */
  readonly pauses?: Pick<Informer<Pause>, 'get'> | undefined;
}

/** The phase a Pause should be in at `now`. */
export function pausePhase(pause: Pause, now: Date): 'Started' | 'Expired' | 'Cancelled' {
  const phase = pause.status?.phase;
  if (phase === 'Cancelled' || phase === 'Expired') return phase;
  return now.getTime() >= Date.parse(pause.spec.expireTime) ? 'Expired' : 'Started';
}

/** Reconciles one Pause. */
export async function reconcilePause(deps: PauseDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ReconcileResult> {
  const pause = deps.pauses ? deps.pauses.get(req.name, req.namespace) : await deps.client.get<Pause>(PauseType, req.name, req.namespace);
  if (!pause || pause.metadata.deletionTimestamp) return {};
  const now = deps.clock.now();
  const phase = pausePhase(pause, now);
  if (phase !== pause.status?.phase) {
    await patchStatusIfChanged(deps.client, PauseType, pause, { ...pause.status, phase, lastSyncTime: metaTime(now) });
  }
  if (phase !== 'Started') return {};
  // Wake up just after expiry (plus a little for clock granularity).
  return { requeueAfterMs: Math.max(0, Date.parse(pause.spec.expireTime) - now.getTime()) + 50 };
}

/** Cancels a Pause (okra cancel pause); refuses one that already ended. */
export async function cancelPause(deps: PauseDeps, req: { name: string; namespace: string }): Promise<void> {
  const pause = await deps.client.get<Pause>(PauseType, req.name, req.namespace);
  if (!pause) throw new Error(`pause ${req.namespace}/${req.name} not found`);
  const phase = pause.status?.phase;
  if (phase === 'Cancelled') throw new Error('cannot cancel already cancelled pause');
  if (phase === 'Expired') throw new Error('cannot cancel already expired pause');
  await patchStatusIfChanged(deps.client, PauseType, pause, { ...pause.status, phase: 'Cancelled', lastSyncTime: metaTime(deps.clock.now()) });
}
