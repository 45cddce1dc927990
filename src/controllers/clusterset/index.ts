// Wires the ClusterSet reconciler into a manager: ClusterSets are the root (a status-only update, such
// as the echo of our own status write, is not a change), and changes to the Secrets they own (someone
// edits or deletes one) map back to their ClusterSet so they are repaired.
import { CoreTypes } from '../../api/resource.js';
import { CLUSTERSET_LABEL } from '../../api/labels.js';
import { ClusterSetType, type ClusterSet } from '../../api/v1alpha1/clusterset.js';
import type { SecretObject } from '../../kube/remote.js';
import type { Controller } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { statusOnlyUpdate } from '../common.js';
import { reconcileClusterSet, type ClusterSetDeps } from './reconciler.js';

/** Registers the ClusterSet controller; `namespace` limits it to one namespace. */
export function registerClusterSetController(
  manager: Manager,
  deps: Omit<ClusterSetDeps, 'client' | 'secrets'>,
  namespace?: string,
): Controller {
  const secrets = manager.informer<SecretObject>(CoreTypes.secret, { namespace, labelSelector: CLUSTERSET_LABEL });
  const sets = manager.informer<ClusterSet>(ClusterSetType, { namespace });
  const full: ClusterSetDeps = { ...deps, client: manager.client, secrets };
  return manager
    .controller({ name: 'clusterset', reconcile: (req) => reconcileClusterSet(full, req) })
    .for(sets, { skipUpdate: statusOnlyUpdate })
    .watches(secrets, (s) => {
      const owner = s.metadata.labels?.[CLUSTERSET_LABEL];
      return owner ? [`${s.metadata.namespace ?? ''}/${owner}`] : [];
    });
}
