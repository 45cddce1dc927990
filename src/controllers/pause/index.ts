// Wires the Pause controller into a manager.
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import type { Clock } from '../../runtime/clock.js';
import type { Controller } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { reconcilePause } from './reconciler.js';

/** Registers the Pause controller. */
export function registerPauseController(manager: Manager, opts: { clock: Clock; namespace?: string | undefined }): Controller {
  const pauses = manager.informer<Pause>(PauseType, { namespace: opts.namespace });
  return manager
    .controller({ name: 'pause', reconcile: (req) => reconcilePause({ client: manager.client, clock: opts.clock, pauses }, req) })
    .for(pauses);
}
