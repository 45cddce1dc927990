import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../kube/errors.js';
import { InvalidClusterSecretError } from '../../kube/remote.js';
import type { AWSTargetGroupSet } from '../../api/v1alpha1/awstargetgroupset.js';
import { describeClusterError, targetGroupSetStatus } from './reconciler.js';

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

describe('targetGroupSetStatus', () => {
  const set: AWSTargetGroupSet = {
    metadata: { name: 'web', namespace: 'okra', generation: 1 },
    spec: { generators: [{ awseks: { clusterSelector: { matchLabels: { env: 'prod' } } } }] },
  };
  const now = new Date('2026-11-23T12:00:00Z');
  const ready = (clusters: { name: string; targetGroups: number }[]) =>
    targetGroupSetStatus(set, { apply: [], delete: [], clusters, sources: new Map() }, now).conditions?.find((c) => c.type === 'Ready');

  it('says which Secrets it looks for when it selects none (the original okra took Secrets without the Argo CD label)', () => {
    expect(ready([])).toMatchObject({ status: 'True', reason: 'NoClusters', message: expect.stringContaining('no Secret labelled argocd.argoproj.io/secret-type=cluster') as unknown });
  });

  it('counts clusters and target groups', () => {
    expect(ready([{ name: 'blue', targetGroups: 2 }])).toMatchObject({ status: 'True', reason: 'Synced', message: '1 cluster(s), 2 target group(s)' });
  });
});
