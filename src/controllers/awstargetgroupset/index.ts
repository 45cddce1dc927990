// Wires the AWSTargetGroupSet reconciler into a manager. Sets are the root (a status-only update, such as
// the echo of our own status write, is not a change); a change to an Argo CD cluster Secret re-syncs the
// sets in its namespace (and is tried at once, whatever its backoff), and a change to an owned
// AWSTargetGroup re-syncs its set. A deleted cluster Secret also closes that cluster's client.
// AWSTargetGroups are cached whoever owns them: a set must see a name another set or a person holds
// (the Cell controller caches the same ones, so the manager shares one informer). A set refused such a
// name tries again at its next syncInterval.
import { ARGOCD_SECRET_TYPE_CLUSTER, ARGOCD_SECRET_TYPE_LABEL } from '../../api/argocd/clustersecret.js';
import { TARGETGROUPSET_LABEL } from '../../api/labels.js';
import { CoreTypes } from '../../api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { AWSTargetGroupSetType, type AWSTargetGroupSet } from '../../api/v1alpha1/awstargetgroupset.js';
import { objectKey } from '../../kube/informer.js';
import type { SecretObject } from '../../kube/remote.js';
import type { Controller } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { statusOnlyUpdate } from '../common.js';
import { reconcileTargetGroupSet, type TargetGroupSetDeps } from './reconciler.js';

/** Registers the AWSTargetGroupSet controller; `namespace` limits it to one namespace. */
export function registerTargetGroupSetController(
  manager: Manager,
  deps: Omit<TargetGroupSetDeps, 'client' | 'secrets' | 'targetGroups'>,
  namespace?: string,
): Controller {
  const sets = manager.informer<AWSTargetGroupSet>(AWSTargetGroupSetType, { namespace });
  const secrets = manager.informer<SecretObject>(CoreTypes.secret, {
    namespace,
    labelSelector: `${ARGOCD_SECRET_TYPE_LABEL}=${ARGOCD_SECRET_TYPE_CLUSTER}`,
  });
  const targetGroups = manager.informer<AWSTargetGroup>(AWSTargetGroupType, { namespace });
  const full: TargetGroupSetDeps = { ...deps, client: manager.client, secrets, targetGroups };
  secrets.addHandlers({
    // A Secret whose data changed (a fixed server, CA or credential) is tried at once, not after the old
    // backoff; a change to its metadata alone leaves the backoff in place.
    update: (secret, old) => {
      if (JSON.stringify(secret.data) !== JSON.stringify(old.data)) deps.backoff.forget(objectKey(secret));
    },
    delete: (secret) => {
      deps.remote.forget(objectKey(secret));
      deps.backoff.forget(objectKey(secret));
    },
  });
  return manager
    .controller({ name: 'awstargetgroupset', reconcile: (req) => reconcileTargetGroupSet(full, req) })
    .for(sets, { skipUpdate: statusOnlyUpdate })
    .watches(secrets, (s) => sets.list(s.metadata.namespace).map(objectKey))
    .watches(targetGroups, (tg) => {
      const owner = tg.metadata.labels?.[TARGETGROUPSET_LABEL];
      return owner ? [`${tg.metadata.namespace ?? ''}/${owner}`] : [];
    });
}
