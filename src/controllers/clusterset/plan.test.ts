import { describe, expect, it } from 'vitest';
import type { ClusterSet } from '../../api/v1alpha1/clusterset.js';
import type { EksCluster } from '../../aws/eks.js';
import type { SecretObject } from '../../kube/remote.js';
import { desiredSecret, planClusterSecrets, validateClusterSet, type Discovery } from './plan.js';

const REGION = 'eu-west-1';

function clusterSet(spec: Partial<ClusterSet['spec']> = {}): ClusterSet {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'ClusterSet',
    metadata: { name: 'web', namespace: 'argocd', uid: 'uid-1' },
    spec: {
      generators: [{ awseks: { selector: { matchTags: { app: 'web' } }, versionFromTag: 'version' } }],
      template: { metadata: { labels: { team: 'a' } } },
      ...spec,
    },
  };
}

function eks(name: string, extra: Partial<EksCluster & { region: string }> = {}): EksCluster & { region: string } {
  return {
    name,
    arn: `arn:aws:eks:${REGION}:123456789012:cluster/${name}`,
    status: 'ACTIVE',
    endpoint: `https://${name}.eks.example`,
    caData: 'Q0E=',
    tags: { app: 'web', version: '1.0.0' },
    region: REGION,
    ...extra,
  };
}

const complete = (...clusters: (EksCluster & { region: string })[]): Discovery => ({ clusters, complete: true, errors: [] });
const decode = (s: SecretObject, key: string): string => Buffer.from(s.data?.[key] ?? '', 'base64').toString();
const plan = (cs: ClusterSet, discovery: Discovery, existing: SecretObject[] = []) =>
  planClusterSecrets({ cs, discovery, existing, defaultRegion: REGION });

/** The Secret a previous pass applied for `cluster`, as it now sits in the API server. */
const applied = (cs: ClusterSet, cluster: EksCluster & { region: string }): SecretObject => {
  const { secret } = desiredSecret(cs, cluster, cs.spec.generators[0]!.awseks!);
  return { ...secret, metadata: { ...secret.metadata, resourceVersion: '7' } };
};

describe('planClusterSecrets', () => {
  it('writes an Argo CD cluster Secret for a new ACTIVE matching cluster', () => {
    const cs = clusterSet();
    const result = plan(cs, complete(eks('blue')));
    expect(result.apply).toHaveLength(1);
    const secret = result.apply[0]!;
    expect(secret.metadata).toMatchObject({
      name: 'blue',
      namespace: 'argocd',
      labels: { 'argocd.argoproj.io/secret-type': 'cluster', team: 'a', 'okra.mumo.co/clusterset': 'web', 'okra.mumo.co/version': '1.0.0' },
      ownerReferences: [{ kind: 'ClusterSet', name: 'web', uid: 'uid-1', controller: true }],
    });
    expect(decode(secret, 'name')).toBe('blue');
    expect(decode(secret, 'server')).toBe('https://blue.eks.example');
    expect(JSON.parse(decode(secret, 'config'))).toEqual({
      awsAuthConfig: { clusterName: 'blue' },
      tlsClientConfig: { insecure: false, caData: 'Q0E=' },
    });
    expect(result.entries).toEqual([{ name: 'blue', secret: 'blue', state: 'Synced', version: '1.0.0' }]);
  });

  it('ignores clusters whose tags do not all match', () => {
    expect(plan(clusterSet(), complete(eks('other', { tags: { app: 'api' } }))).entries).toEqual([]);
  });

  it('honours every generator: a cluster selected by any of them belongs to the set, with that generator\'s role', () => {
    const cs = clusterSet({
      generators: [
        { awseks: { selector: { matchTags: { app: 'web', ring: 'a' } } } },
        { awseks: { selector: { matchTags: { app: 'web', ring: 'b' } }, roleARN: 'arn:aws:iam::1:role/b' } },
      ],
    });
    const result = plan(cs, complete(eks('a1', { tags: { app: 'web', ring: 'a' } }), eks('b1', { tags: { app: 'web', ring: 'b' } }), eks('c1', { tags: { app: 'web' } })));
    expect(result.apply.map((s) => s.metadata.name)).toEqual(['a1', 'b1']);
    expect((JSON.parse(decode(result.apply[1]!, 'config')) as { awsAuthConfig: unknown }).awsAuthConfig).toEqual({ clusterName: 'b1', roleARN: 'arn:aws:iam::1:role/b' });
  });

  it('skips a cluster that is not ACTIVE yet and names it, without touching its Secret', () => {
    const cs = clusterSet();
    const existing = applied(cs, eks('blue'));
    const result = plan(cs, complete(eks('blue', { status: 'UPDATING' }), eks('green', { status: 'CREATING', endpoint: undefined, caData: undefined })), [existing]);
    expect(result.apply).toEqual([]);
    expect(result.delete).toEqual([]);
    expect(result.entries).toEqual([
      { name: 'blue', secret: 'blue', state: 'Skipped', message: 'cluster is UPDATING: its Secret is kept unchanged until it is ACTIVE' },
      { name: 'green', state: 'Skipped', message: 'cluster is CREATING: no Secret until it is ACTIVE' },
    ]);
  });

  it('writes nothing when the Secret is already up to date, even with fields added by others', () => {
    const cs = clusterSet();
    const existing = applied(cs, eks('blue'));
    existing.metadata.labels = { ...existing.metadata.labels, 'argocd.argoproj.io/auto-label-cluster-info': 'true' };
    expect(plan(cs, complete(eks('blue')), [existing]).apply).toEqual([]);
  });

  it.each([
    { change: 'endpoint', cluster: eks('blue', { endpoint: 'https://new.eks.example' }), cs: clusterSet() },
    { change: 'CA', cluster: eks('blue', { caData: 'TkVX' }), cs: clusterSet() },
    { change: 'version tag', cluster: eks('blue', { tags: { app: 'web', version: '1.1.0' } }), cs: clusterSet() },
    { change: 'template labels', cluster: eks('blue'), cs: clusterSet({ template: { metadata: { labels: { team: 'b' } } } }) },
  ])('updates the Secret when the $change changes', ({ cluster, cs }) => {
    const before = applied(clusterSet(), eks('blue'));
    const result = plan(cs, complete(cluster), [before]);
    expect(result.apply.map((s) => s.metadata.name)).toEqual(['blue']);
  });

  it('deletes the Secret of a cluster that is gone, after a complete listing only', () => {
    const cs = clusterSet();
    const old = applied(cs, eks('gone'));
    expect(plan(cs, complete(), [old])).toMatchObject({ delete: ['gone'], entries: [{ name: 'gone', secret: 'gone', state: 'Pruned' }] });
    expect(plan(cs, { clusters: [], complete: false, errors: ['ListClusters: throttled'] }, [old]).delete).toEqual([]);
  });

  it('never deletes when pruning is turned off', () => {
    const cs = clusterSet({ prune: false });
    expect(plan(cs, complete(), [applied(cs, eks('gone'))]).delete).toEqual([]);
  });

  it('leaves a Secret of the same name that it does not own alone', () => {
    const foreign: SecretObject = { metadata: { name: 'blue', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } }, data: {} };
    const result = plan(clusterSet(), complete(eks('blue')), [foreign]);
    expect(result.apply).toEqual([]);
    expect(result.delete).toEqual([]);
    expect(result.entries[0]).toMatchObject({ state: 'Error', message: expect.stringMatching(/not owned/) as unknown });
  });

  it('makes a valid Secret name from an EKS name with upper case and underscores, keeping the name in data', () => {
    const result = plan(clusterSet(), complete(eks('Prod_Blue')));
    expect(result.apply[0]!.metadata.name).toMatch(/^prod-blue-[0-9a-f]{8}$/);
    expect(decode(result.apply[0]!, 'name')).toBe('Prod_Blue');
  });

  it('omits a version label whose tag value is not a valid label value and says so', () => {
    const result = plan(clusterSet(), complete(eks('blue', { tags: { app: 'web', version: 'v1 beta' } })));
    expect(result.apply[0]!.metadata.labels).not.toHaveProperty('okra.mumo.co/version');
    expect(result.entries[0]!.message).toMatch(/not a valid label value/);
  });
});

describe('validateClusterSet', () => {
  it.each([
    { spec: clusterSet().spec, want: undefined },
    { spec: clusterSet({ syncInterval: 'often' }).spec, want: 'spec.syncInterval "often" is not a duration (for example 30s or 5m)' },
    { spec: clusterSet({ generators: [{}] }).spec, want: 'spec.generators[0] has no awseks generator' },
    { spec: clusterSet({ versionLabel: 'example.com/ring' }).spec, want: undefined },
  ])('$want', ({ spec, want }) => {
    expect(validateClusterSet(spec)).toBe(want);
  });

  // Each of these would be written over a label Argo CD or okra keys on, or refused on every Secret.
  it.each([
    { versionLabel: 'argocd.argoproj.io/secret-type', want: /^spec\.versionLabel argocd\.argoproj\.io\/secret-type is a label okra writes on every Secret itself \(what makes Argo CD read it as a cluster\)/ },
    { versionLabel: 'okra.mumo.co/clusterset', want: /^spec\.versionLabel okra\.mumo\.co\/clusterset is a label okra writes on every Secret itself \(which ClusterSet owns it\)/ },
    { versionLabel: 'release version', want: /^spec\.versionLabel: "release version" is not a valid label key/ },
  ])('refuses versionLabel $versionLabel', ({ versionLabel, want }) => {
    expect(validateClusterSet(clusterSet({ versionLabel }).spec)).toMatch(want);
  });

  it('refuses template labels the API server would refuse on every Secret', () => {
    const spec = clusterSet({ template: { metadata: { labels: { 'team name': 'a' } } } }).spec;
    expect(validateClusterSet(spec)).toMatch(/^spec\.template\.metadata\.labels: "team name" is not a valid label key/);
  });
});

describe('planClusterSecrets: what could make Argo CD delete or move apps', () => {
  const twoRegions = clusterSet({
    generators: [
      { awseks: { region: 'us-east-1', selector: { matchTags: { app: 'web' } } } },
      { awseks: { region: 'us-west-2', selector: { matchTags: { app: 'web' } } } },
    ],
  });

  it('writes no Secret for a cluster name that exists in two regions, keeps the one there is, and says why', () => {
    const east = eks('prod', { region: 'us-east-1', endpoint: 'https://east.eks.example' });
    const west = eks('prod', { region: 'us-west-2', endpoint: 'https://west.eks.example' });
    const existing = [applied(twoRegions, east)];
    const result = plan(twoRegions, complete(east, west), existing);
    expect(result.apply).toEqual([]);
    expect(result.delete).toEqual([]);
    expect(result.entries.map((e) => e.state)).toEqual(['Error', 'Error']);
    expect(result.entries[0]?.message).toContain('EKS clusters named prod exist in us-east-1 and us-west-2');
  });

  describe('a Secret is moved to another cluster only after a complete listing', () => {
    const east = eks('prod', { region: 'us-east-1', arn: 'arn:aws:eks:us-east-1:123456789012:cluster/prod', endpoint: 'https://east.eks.example' });
    const west = eks('prod', { region: 'us-west-2', arn: 'arn:aws:eks:us-west-2:123456789012:cluster/prod', endpoint: 'https://west.eks.example' });
    const throttledEast: Discovery = { clusters: [west], complete: false, errors: ['DescribeCluster prod in us-east-1: Rate exceeded'] };

    it('keeps the Secret on its cluster when a throttled region hides that cluster and a same-named one elsewhere shows', () => {
      const result = plan(twoRegions, throttledEast, [applied(twoRegions, east)]);
      expect(result.apply).toEqual([]);
      expect(result.entries).toEqual([
        {
          name: 'prod',
          secret: 'prod',
          state: 'Skipped',
          message: 'Secret prod points at arn:aws:eks:us-east-1:123456789012:cluster/prod; not moved to arn:aws:eks:us-west-2:123456789012:cluster/prod until EKS is listed in full',
        },
      ]);
    });

    it('moves it once a complete listing shows its cluster is gone', () => {
      const result = plan(twoRegions, complete(west), [applied(twoRegions, east)]);
      expect(result.apply.map((s) => decode(s, 'server'))).toEqual(['https://west.eks.example']);
    });

    it('still updates a Secret whose own cluster changed during a partial listing', () => {
      const moved = { ...east, endpoint: 'https://east-2.eks.example' };
      const result = plan(twoRegions, { clusters: [moved], complete: false, errors: ['ListClusters in us-west-2: Rate exceeded'] }, [applied(twoRegions, east)]);
      expect(result.apply.map((s) => decode(s, 'server'))).toEqual(['https://east-2.eks.example']);
    });
  });

  it('with prune: false, Secrets carry no owner reference, so deleting the ClusterSet leaves them (and the apps) alone', () => {
    const keep = clusterSet({ prune: false });
    const [secret] = plan(keep, complete(eks('blue'))).apply;
    expect(secret?.metadata.ownerReferences).toBeUndefined();
    expect(plan(keep, complete(eks('blue')), [applied(keep, eks('blue'))]).apply).toEqual([]);
    // A Secret written while the set still pruned loses its owner reference on the next pass.
    expect(plan(keep, complete(eks('blue')), [applied(clusterSet(), eks('blue'))]).apply).toHaveLength(1);
  });
});
