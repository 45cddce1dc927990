// Whether the Argo Rollouts API group is served decides, for the life of the process, which informers and
// which analysis engine okrad runs: only the API server saying "not found" may answer no.
import pRetry from 'p-retry';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { Logger } from '../runtime/log.js';

/** How often a failed probe is repeated (1, 2, 4, 8, 8, 8 s apart) before okrad gives up and exits. */
const PROBE_RETRIES = 6;

/**
 * True when the Argo Rollouts API group is served (its CRDs are installed), false when the API server
 * says it is not. Any other answer (a timeout, a 503 while the control plane restarts) is asked again,
 * and throws when it persists: taking it for "not installed" would leave every analysis step of a
 * running rollout unable to start or to abort until okrad restarts.
 */
export async function argoRolloutsInstalled(client: Pick<KubeClient, 'getPath'>, log: Logger, minTimeoutMs = 1000): Promise<boolean> {
  try {
    return await pRetry(async () => {
      try {
        await client.getPath('/apis/argoproj.io/v1alpha1');
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    }, {
      retries: PROBE_RETRIES,
      minTimeout: minTimeoutMs,
      maxTimeout: 8 * minTimeoutMs,
      onFailedAttempt: ({ error, retriesLeft }) => {
        if (retriesLeft > 0) log.warn({ err: error.message }, 'cannot tell yet whether the argoproj.io API is served; asking again');
      },
    });
  } catch (err) {
    throw new Error(`cannot tell whether the argoproj.io API (Argo Rollouts) is served: ${err instanceof Error ? err.message : String(err)}`);
  }
}
