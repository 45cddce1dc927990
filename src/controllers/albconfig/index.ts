// Wires the AWSApplicationLoadBalancerConfig controller into a manager; a periodic resync re-checks the
// rule in AWS, which cannot be watched (the request carries `resync`, so that pass reads past the rule cache).
import { AWSApplicationLoadBalancerConfigType, type AWSApplicationLoadBalancerConfig } from '../../api/v1alpha1/awsapplicationloadbalancerconfig.js';
import type { Controller } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { reconcileAlbConfig, type AlbConfigDeps } from './reconciler.js';

/** Registers the AWSApplicationLoadBalancerConfig controller. */
export function registerAlbConfigController(
  manager: Manager,
  deps: Omit<AlbConfigDeps, 'client'>,
  opts: { resyncMs?: number | undefined; namespace?: string | undefined } = {},
): Controller {
  const configs = manager.informer<AWSApplicationLoadBalancerConfig>(AWSApplicationLoadBalancerConfigType, { namespace: opts.namespace });
  return manager
    .controller({ name: 'awsapplicationloadbalancerconfig', resyncMs: opts.resyncMs, reconcile: (req) => reconcileAlbConfig({ ...deps, client: manager.client }, req) })
    .for(configs);
}
