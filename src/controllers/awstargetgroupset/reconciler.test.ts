import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../kube/errors.js';
import { InvalidClusterSecretError } from '../../kube/remote.js';
import { describeClusterError } from './reconciler.js';

describe('describeClusterError', () => {
  it.each<[string, unknown, RegExp]>([
    ['401', new KubeApiError(401, 'Unauthorized', 'Unauthorized'), /^unauthorized: the cluster rejected our credentials$/],
    ['403', new KubeApiError(403, 'Forbidden', 'targetgroupbindings is forbidden'), /^forbidden: targetgroupbindings is forbidden$/],
    ['404', new KubeApiError(404, 'NotFound', 'not found'), /^TargetGroupBinding API not found: is the AWS Load Balancer Controller installed\?$/],
    // A Secret okra cannot use is the Secret's problem, not the network's.
    ['a Secret okra cannot use', new InvalidClusterSecretError('Secret argocd/blue: data.config: proxyUrl is not supported by okra'), /^invalid cluster Secret: Secret argocd\/blue: data\.config: proxyUrl/],
    ['a connection error', new Error('connect ECONNREFUSED 10.0.0.1:443'), /^unreachable: connect ECONNREFUSED/],
  ])('%s', (_what, err, message) => {
    expect(describeClusterError(err)).toMatch(message);
  });
});
