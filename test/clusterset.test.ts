// ClusterSet against the real management apiserver and moto EKS (with a proxy where moto cannot show a
// state, such as CREATING or a failing page). Each test uses its own AWS region and namespace.
import { CreateClusterCommand, DeleteClusterCommand, EKSClient, TagResourceCommand } from '@aws-sdk/client-eks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../src/api/resource.js';
import { ClusterSetType, type ClusterSet } from '../src/api/v1alpha1/clusterset.js';
import { sdkConfig } from '../src/aws/config.js';
import { SdkEks, type EksPort } from '../src/aws/eks.js';
import { registerClusterSetController } from '../src/controllers/clusterset/index.js';
import { reconcileClusterSet, type ClusterSetDeps } from '../src/controllers/clusterset/reconciler.js';
import type { SecretObject } from '../src/kube/remote.js';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryEventRecorder } from '../src/runtime/events.js';
import { silentLogger } from '../src/runtime/log.js';
import { Manager } from '../src/runtime/manager.js';
import { readArgoCdCluster } from './support/argocd.js';
import { AwsProxy, describeCluster, laterListPages } from './support/aws-proxy.js';
import { awsSettings, managementClient, stack } from './support/env.js';
import { kubectl } from './support/kubectl.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';

const client = managementClient();
let proxy: AwsProxy;
const namespaces: string[] = [];

beforeAll(async () => {
  proxy = await AwsProxy.start(stack().moto.endpoint);
});
afterEach(() => {
  proxy.rules = [];
});
afterAll(async () => {
  await proxy.stop();
  for (const ns of namespaces) await deleteNamespace(client, ns);
});

let regionIndex = 0;
const REGIONS = ['ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-west-1', 'eu-south-1', 'me-south-1', 'af-south-1'];

/** A fresh region and namespace, an EKS admin client straight to moto, and reconcile deps via the proxy. */
async function fixture() {
  const region = REGIONS[regionIndex++]!;
  const namespace = await createNamespace(client, 'clusterset');
  namespaces.push(namespace);
  const eksAdmin = new EKSClient(sdkConfig(awsSettings(region)));
  const events = new MemoryEventRecorder();
  const deps: ClusterSetDeps = {
    client,
    eks: (r) => new SdkEks({ ...awsSettings(r), endpoint: proxy.endpoint, maxAttempts: 1 }),
    defaultRegion: region,
    events,
    clock: systemClock,
  };
  const createCluster = async (name: string, tags: Record<string, string>) =>
    (await eksAdmin.send(new CreateClusterCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {}, tags }))).cluster!;
  const sync = (name = 'web') => reconcileClusterSet(deps, { name, namespace });
  const secrets = async () => (await client.list<SecretObject>(CoreTypes.secret, { namespace })).items;
  const status = async (name = 'web') => (await client.get<ClusterSet>(ClusterSetType, name, namespace))!.status;
  return { region, namespace, eksAdmin, events, createCluster, sync, secrets, status };
}

async function createClusterSet(namespace: string, spec: Partial<ClusterSet['spec']> = {}, name = 'web'): Promise<ClusterSet> {
  return client.create<ClusterSet>(ClusterSetType, {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'ClusterSet',
    metadata: { name, namespace },
    spec: {
      generators: [{ awseks: { selector: { matchTags: { app: 'web' } }, versionFromTag: 'version' } }],
      template: { metadata: { labels: { team: 'a' } } },
      ...spec,
    },
  });
}

const names = (secrets: SecretObject[]): string[] => secrets.map((s) => s.metadata.name ?? '').sort();

describe('ClusterSet', () => {
  it('creates one Argo CD cluster Secret per matching ACTIVE cluster, readable by Argo CD', async () => {
    const f = await fixture();
    const blue = await f.createCluster('blue', { app: 'web', version: '1.0.0' });
    await f.createCluster('other', { app: 'api' });
    await createClusterSet(f.namespace);
    const gets = vi.spyOn(client, 'get');
    await f.sync();
    // It reads only the Secret names it would write (to find one in its way), not every EKS cluster's.
    const secretGets = gets.mock.calls.filter(([type]) => type === CoreTypes.secret).map(([, name]) => name);
    gets.mockRestore();
    expect(secretGets).toEqual(['blue']);

    const secrets = await f.secrets();
    expect(names(secrets)).toEqual(['blue']);
    const cluster = readArgoCdCluster(secrets[0]!);
    expect(cluster).toEqual({
      name: 'blue',
      server: blue.endpoint?.replace(/\/+$/, ''),
      config: { awsAuthConfig: { clusterName: 'blue' }, tlsClientConfig: { insecure: false, caData: blue.certificateAuthority?.data } },
      labels: expect.objectContaining({ team: 'a', 'okra.mumo.co/version': '1.0.0', 'okra.mumo.co/clusterset': 'web' }) as unknown,
    });
    expect(secrets[0]!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ClusterSet', name: 'web', controller: true });
    const status = await f.status();
    expect(status?.clusters?.items).toEqual([{ name: 'blue', secret: 'blue', state: 'Synced', version: '1.0.0' }]);
    expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(status?.lastSyncTime).toBeDefined();
    expect(f.events.events.map((e) => e.reason)).toEqual(['SecretCreated']);

    // A second pass with nothing changed writes nothing and emits nothing.
    const before = secrets[0]!.metadata.resourceVersion;
    await f.sync();
    expect((await f.secrets())[0]!.metadata.resourceVersion).toBe(before);
    expect(f.events.events).toHaveLength(1);
  });

  it('updates the Secret when tags or the template change, keeping fields others wrote', async () => {
    const f = await fixture();
    const blue = await f.createCluster('blue', { app: 'web', version: '1.0.0' });
    await createClusterSet(f.namespace);
    await f.sync();
    await kubectl('management', ['label', 'secret', 'blue', '-n', f.namespace, 'argocd.argoproj.io/added-by-argocd=yes']);

    await f.eksAdmin.send(new TagResourceCommand({ resourceArn: blue.arn, tags: { version: '1.1.0' } }));
    await client.mergePatch(ClusterSetType, { name: 'web', namespace: f.namespace }, { spec: { template: { metadata: { labels: { team: 'b' } } } } });
    await f.sync();

    const labels = (await f.secrets())[0]!.metadata.labels;
    expect(labels).toMatchObject({ 'okra.mumo.co/version': '1.1.0', team: 'b', 'argocd.argoproj.io/added-by-argocd': 'yes' });
    expect(f.events.events.map((e) => e.reason)).toEqual(['SecretCreated', 'SecretUpdated']);
  });

  it('updates the Secret when the cluster endpoint changes', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    await createClusterSet(f.namespace);
    await f.sync();
    proxy.rules.push({
      match: describeCluster('blue'),
      rewrite: (body) => ({ ...body, cluster: { ...(body.cluster as object), endpoint: 'https://moved.eks.example' } }),
    });
    await f.sync();
    expect(readArgoCdCluster((await f.secrets())[0]!).server).toBe('https://moved.eks.example');
  });

  it('deletes the Secret of a cluster that was deleted', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    await f.createCluster('green', { app: 'web' });
    await createClusterSet(f.namespace);
    await f.sync();
    expect(names(await f.secrets())).toEqual(['blue', 'green']);

    await f.eksAdmin.send(new DeleteClusterCommand({ name: 'blue' }));
    await f.sync();
    expect(names(await f.secrets())).toEqual(['green']);
    expect((await f.status())?.clusters?.items).toContainEqual(expect.objectContaining({ name: 'blue', state: 'Pruned' }));
  });

  it('skips a CREATING cluster, names it in status, and writes its Secret once it is ACTIVE', async () => {
    const f = await fixture();
    await f.createCluster('new', { app: 'web' });
    await createClusterSet(f.namespace);
    proxy.rules.push({
      match: describeCluster('new'),
      rewrite: (body) => {
        const { endpoint: _e, certificateAuthority: _c, ...rest } = body.cluster as Record<string, unknown>;
        return { ...body, cluster: { ...rest, status: 'CREATING' } };
      },
    });
    await f.sync();
    expect(await f.secrets()).toEqual([]);
    expect((await f.status())?.clusters?.items).toEqual([
      { name: 'new', state: 'Skipped', message: 'cluster is CREATING: no Secret until it is ACTIVE' },
    ]);
    expect(f.events.events.map((e) => e.reason)).toEqual(['ClusterSkipped']);

    proxy.rules = [];
    await f.sync();
    expect(names(await f.secrets())).toEqual(['new']);
  });

  it('lists every page: 150 clusters get 150 Secrets', async () => {
    const f = await fixture();
    for (let i = 0; i < 150; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => f.createCluster(`c-${String(i + j).padStart(3, '0')}`, { app: 'web' })));
    }
    await createClusterSet(f.namespace);
    proxy.seen.length = 0;
    await f.sync();
    expect(await f.secrets()).toHaveLength(150);
    expect((await f.status())?.clusters?.names).toHaveLength(150);
    expect(proxy.seen.filter((r) => r.path === '/clusters').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('keeps every Secret when AWS fails mid-listing, and prunes only after a complete listing', async () => {
    const f = await fixture();
    for (let i = 0; i < 105; i++) await f.createCluster(`c-${String(i).padStart(3, '0')}`, { app: 'web' });
    await createClusterSet(f.namespace);
    await f.sync();
    expect(await f.secrets()).toHaveLength(105);

    await f.eksAdmin.send(new DeleteClusterCommand({ name: 'c-000' }));
    proxy.rules.push({ match: laterListPages, fail: { status: 500, type: 'ServerException', message: 'internal error' } });
    await expect(f.sync()).rejects.toThrow(/EKS discovery incomplete/);
    expect(await f.secrets()).toHaveLength(105);
    const failed = await f.status();
    expect(failed?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DiscoveryFailed' });
    expect(f.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'DiscoveryFailed' });

    proxy.rules = [{ match: describeCluster('c-050'), fail: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } }];
    await expect(f.sync()).rejects.toThrow(/DescribeCluster c-050/);
    expect(await f.secrets()).toHaveLength(105);

    proxy.rules = [];
    await f.sync();
    expect(await f.secrets()).toHaveLength(104);
  }, 120_000);

  it('does not move a Secret to a same-named cluster in another region while its own cluster\'s region fails', async () => {
    const f = await fixture();
    const other = REGIONS[regionIndex++]!;
    const otherAdmin = new EKSClient(sdkConfig(awsSettings(other)));
    const home = await f.createCluster('shop', { app: 'web' });
    await createClusterSet(f.namespace, {
      generators: [
        { awseks: { region: f.region, selector: { matchTags: { app: 'web' } } } },
        { awseks: { region: other, selector: { matchTags: { app: 'web' } } } },
      ],
    });
    await f.sync();
    const server = async () => readArgoCdCluster((await f.secrets()).find((s) => s.metadata.name === 'shop')!).server;
    const homeServer = await server();
    expect(homeServer).toBe(home.endpoint?.replace(/\/+$/, ''));

    await otherAdmin.send(new CreateClusterCommand({ name: 'shop', roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {}, tags: { app: 'web' } }));
    proxy.rules.push({ match: describeCluster('shop', f.region), fail: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } });
    await expect(f.sync()).rejects.toThrow(/DescribeCluster shop in/);
    expect(await server()).toBe(homeServer);
    const shop = (await f.status())?.clusters?.items?.find((c) => c.name === 'shop');
    expect(shop?.state).toBe('Skipped');
    expect(shop?.message).toMatch(/not moved to .*until EKS is listed in full/);

    // Listed in full, the two clusters named shop are refused and the Secret stays where it was.
    proxy.rules = [];
    await f.sync();
    expect(await server()).toBe(homeServer);
  });

  it('honours every generator', async () => {
    const f = await fixture();
    await f.createCluster('a1', { app: 'web', ring: 'a' });
    await f.createCluster('b1', { app: 'web', ring: 'b' });
    await f.createCluster('c1', { app: 'web', ring: 'c' });
    await createClusterSet(f.namespace, {
      generators: [
        { awseks: { selector: { matchTags: { ring: 'a' } } } },
        { awseks: { selector: { matchTags: { ring: 'b' } }, roleARN: 'arn:aws:iam::123456789012:role/ring-b' } },
      ],
    });
    await f.sync();
    const secrets = await f.secrets();
    expect(names(secrets)).toEqual(['a1', 'b1']);
    expect(readArgoCdCluster(secrets.find((s) => s.metadata.name === 'b1')!).config.awsAuthConfig).toEqual({
      clusterName: 'b1',
      roleARN: 'arn:aws:iam::123456789012:role/ring-b',
    });
  });

  it('never deletes when pruning is off, and never touches a Secret it does not own', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    await f.createCluster('green', { app: 'web' });
    await client.create(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'green', namespace: f.namespace, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      data: { name: Buffer.from('hand-made').toString('base64') },
    });
    await createClusterSet(f.namespace);
    await f.sync();
    const owned = (await f.secrets()).find((s) => s.metadata.name === 'blue')!;
    expect(owned.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ClusterSet', name: 'web' })]);
    // Without pruning, deleting the ClusterSet must not delete the Secrets (and so the apps): no owner reference.
    await client.mergePatch(ClusterSetType, { name: 'web', namespace: f.namespace }, { spec: { prune: false } });
    await f.sync();
    expect((await f.secrets()).find((s) => s.metadata.name === 'blue')!.metadata.ownerReferences ?? []).toEqual([]);
    const green = (await f.secrets()).find((s) => s.metadata.name === 'green')!;
    expect(Buffer.from(green.data!.name!, 'base64').toString()).toBe('hand-made');
    expect((await f.status())?.clusters?.items).toContainEqual(expect.objectContaining({ name: 'green', state: 'Error' }));

    await f.eksAdmin.send(new DeleteClusterCommand({ name: 'blue' }));
    await f.sync();
    expect(names(await f.secrets())).toEqual(['blue', 'green']);
  });

  it('reports an invalid spec as Stalled with an Event, and does nothing else', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    await createClusterSet(f.namespace, { syncInterval: 'every so often' });
    await expect(f.sync()).rejects.toThrow(/syncInterval/);
    expect(await f.secrets()).toEqual([]);
    const status = await f.status();
    expect(status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(f.events.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
  });
});

describe('ClusterSet controller', () => {
  it('acts on a ClusterSet change at once, restores a deleted Secret, and re-discovers EKS every syncInterval', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    const manager = new Manager({ client, log: silentLogger() });
    registerClusterSetController(manager, { eks: (r) => new SdkEks(awsSettings(r)), defaultRegion: f.region, events: f.events, clock: systemClock }, f.namespace);
    await manager.start();
    try {
      await createClusterSet(f.namespace, { syncInterval: '2s' });
      await vi.waitFor(async () => { expect(names(await f.secrets())).toEqual(['blue']); }, { timeout: 10_000, interval: 100 });

      await client.mergePatch(ClusterSetType, { name: 'web', namespace: f.namespace }, { spec: { template: { metadata: { labels: { team: 'z' } } } } });
      await vi.waitFor(async () => { expect((await f.secrets())[0]?.metadata.labels?.team).toBe('z'); }, { timeout: 1_500, interval: 50 });

      await client.delete(CoreTypes.secret, { name: 'blue', namespace: f.namespace });
      await vi.waitFor(async () => { expect(names(await f.secrets())).toEqual(['blue']); }, { timeout: 1_500, interval: 50 });

      await f.createCluster('green', { app: 'web' });
      await vi.waitFor(async () => { expect(names(await f.secrets())).toEqual(['blue', 'green']); }, { timeout: 6_000, interval: 100 });
    } finally {
      await manager.stop();
    }
  });

  it('lists EKS once per pass: its own status write starts no new pass, a spec change still does at once', async () => {
    const f = await fixture();
    await f.createCluster('blue', { app: 'web' });
    // Every pass takes over a second, so each moves lastSyncTime (whole seconds) and writes status.
    const slowEks = (region: string): EksPort => {
      const eks = new SdkEks({ ...awsSettings(region), endpoint: proxy.endpoint });
      return {
        listClusterNames: () => eks.listClusterNames(),
        describeCluster: async (name) => {
          await new Promise((r) => setTimeout(r, 1_100));
          return eks.describeCluster(name);
        },
      };
    };
    const listings = () => proxy.seen.filter((r) => r.method === 'GET' && r.path === '/clusters').length;
    const manager = new Manager({ client, log: silentLogger() });
    registerClusterSetController(manager, { eks: slowEks, defaultRegion: f.region, events: f.events, clock: systemClock }, f.namespace);
    await manager.start();
    try {
      await createClusterSet(f.namespace, { syncInterval: '1h' });
      await vi.waitFor(async () => { expect(names(await f.secrets())).toEqual(['blue']); }, { timeout: 10_000, interval: 100 });
      // Creating the Secret queues one more pass (its watch); let that one finish.
      await new Promise((r) => setTimeout(r, 3_000));
      const settled = listings();
      await new Promise((r) => setTimeout(r, 4_000));
      expect(listings()).toBe(settled);

      await client.mergePatch(ClusterSetType, { name: 'web', namespace: f.namespace }, { spec: { template: { metadata: { labels: { team: 'z' } } } } });
      await vi.waitFor(async () => { expect((await f.secrets())[0]?.metadata.labels?.team).toBe('z'); }, { timeout: 3_000, interval: 50 });
      expect(listings()).toBeGreaterThan(settled);
    } finally {
      await manager.stop();
    }
  }, 30_000);
});
