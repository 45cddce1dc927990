// AWSTargetGroupSet against real clusters: the stack's workload cluster (reached with an EKS token through
// the webhook authenticator) and a second workload cluster this file starts, so two clusters can hold
// bindings of the same name. Bindings are isolated per test by a unique label.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TargetGroupBindingType } from '../src/api/elbv2/targetgroupbinding.js';
import { CoreTypes } from '../src/api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../src/api/v1alpha1/awstargetgroup.js';
import { AWSTargetGroupSetType, type AWSTargetGroupSet } from '../src/api/v1alpha1/awstargetgroupset.js';
import { EksTokenGenerator, type EksTokenSource } from '../src/aws/eks-token.js';
import { registerTargetGroupSetController } from '../src/controllers/awstargetgroupset/index.js';
import { reconcileTargetGroupSet, type TargetGroupSetDeps } from '../src/controllers/awstargetgroupset/reconciler.js';
import { KubeClient, type KubeObject } from '../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../src/kube/connection.js';
import { RemoteClusters, type SecretObject } from '../src/kube/remote.js';
import { KeyedBackoff } from '../src/runtime/backoff.js';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryEventRecorder } from '../src/runtime/events.js';
import { silentLogger } from '../src/runtime/log.js';
import { Manager } from '../src/runtime/manager.js';
import { ADMIN_TOKEN, LocalCluster } from './stack/cluster.js';
import { stackPaths } from './stack/paths.js';
import { awsSettings, managementClient, stack, uniqueSuffix, workloadClient } from './support/env.js';
import { DENIED_ARN, DENIED_MESSAGE, denyAccountTargetGroups } from './support/deny-account.js';
import { kubectl } from './support/kubectl.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';

const management = managementClient();
const clusterA = workloadClient();
let clusterB: LocalCluster;
let clusterBClient: KubeClient;
let dir: string;
const MOTO_CALLER = 'arn:aws:sts::123456789012:user/moto';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'okra-cluster-b-'));
  clusterB = await LocalCluster.start(stackPaths(), { name: 'workload-b', dir });
  await clusterB.kubectl(['apply', '--server-side', '-f', stackPaths().targetGroupBindingCrd]);
  await clusterB.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  clusterBClient = new KubeClient(connectionFromKubeConfig(loadKubeConfig(clusterB.kubeconfigPath)));
  await kubectl('workload', ['create', 'clusterrole', 'tgset-reader', '--verb=get,list,watch', '--resource=targetgroupbindings.elbv2.k8s.aws']);
  await kubectl('workload', ['create', 'clusterrolebinding', 'tgset-reader', '--clusterrole=tgset-reader', `--user=${MOTO_CALLER}`]);
}, 120_000);

afterAll(async () => {
  await kubectl('workload', ['delete', 'clusterrolebinding,clusterrole', 'tgset-reader', '--ignore-not-found']);
  clusterBClient.close();
  await clusterB.stop();
  rmSync(dir, { recursive: true, force: true });
});

const arn = (name: string, id: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/${id}`;

/** A namespace for the set, a unique binding label, cluster Secrets for A (EKS token) and B (token). */
async function fixture(serverB = clusterB.server) {
  const namespace = await createNamespace(management, 'tgset');
  const testLabel = `t${uniqueSuffix()}`;
  const bindingNs = await createNamespace(clusterA, 'bindings');
  await clusterBClient.create(CoreTypes.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: bindingNs } });
  const secret = (name: string, server: string, config: object): SecretObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'argocd.argoproj.io/secret-type': 'cluster', app: 'web' } },
    data: { name: b64(name), server: b64(server), config: b64(JSON.stringify(config)) },
  });
  await management.create(CoreTypes.secret, secret('blue', stack().workload.server, {
    awsAuthConfig: { clusterName: stack().workloadAuth.eksClusterId },
    tlsClientConfig: { caData: b64(stack().workload.caPem) },
  }));
  await management.create(CoreTypes.secret, secret('green', serverB, { bearerToken: ADMIN_TOKEN, tlsClientConfig: { caData: b64(clusterB.caPem) } }));
  const events = new MemoryEventRecorder();
  const deps: TargetGroupSetDeps = {
    client: management,
    remote: new RemoteClusters({ eksTokens: new EksTokenGenerator(awsSettings()) }),
    backoff: new KeyedBackoff(10, 50),
    events,
    clock: systemClock,
  };
  const binding = async (cluster: KubeClient, name: string, labels: Record<string, string>, targetGroupARN: string) =>
    cluster.create(TargetGroupBindingType, {
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: { name, namespace: bindingNs, labels: { test: testLabel, ...labels } },
      spec: { targetGroupARN, serviceRef: { name: 'web', port: 80 } },
    } as KubeObject);
  const createSet = (name = 'web', templateLabels: Record<string, string> = { cell: 'web' }) =>
    management.create<AWSTargetGroupSet>(AWSTargetGroupSetType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSTargetGroupSet',
      metadata: { name, namespace },
      spec: {
        generators: [{ awseks: { clusterSelector: { matchLabels: { app: 'web' } }, bindingSelector: { matchLabels: { test: testLabel } } } }],
        template: { metadata: { labels: templateLabels } },
      },
    });
  const sync = (name = 'web') => reconcileTargetGroupSet(deps, { name, namespace });
  const targetGroups = async () =>
    (await management.list<AWSTargetGroup>(AWSTargetGroupType, { namespace })).items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const status = async (name = 'web') => (await management.get<AWSTargetGroupSet>(AWSTargetGroupSetType, name, namespace))!.status;
  const cleanup = async () => {
    await deleteNamespace(management, namespace);
    await deleteNamespace(clusterA, bindingNs);
    await clusterBClient.delete(CoreTypes.namespace, { name: bindingNs });
  };
  return { namespace, bindingNs, deps, events, binding, createSet, sync, targetGroups, status, cleanup };
}

/** A set mirroring two bindings of cluster A, web and old, as AWSTargetGroups. */
async function mirroringWebAndOld(): Promise<Awaited<ReturnType<typeof fixture>>> {
  const f = await fixture();
  await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web', '1111'));
  await f.binding(clusterA, 'old', { 'okra.mumo.co/version': '1.0.0' }, arn('old', '3333'));
  await f.createSet();
  await f.sync();
  expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`blue-${f.bindingNs}-old`, `blue-${f.bindingNs}-web`]);
  return f;
}

describe('AWSTargetGroupSet', () => {
  it('mirrors same-named bindings of two clusters as two AWSTargetGroups', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-blue', '1111'));
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '2.0.0' }, arn('web-green', '2222'));
    await f.createSet();
    await f.sync();

    const tgs = await f.targetGroups();
    expect(tgs.map((t) => [t.metadata.name, t.spec.arn, t.metadata.labels?.['okra.mumo.co/version']])).toEqual([
      [`blue-${f.bindingNs}-web`, arn('web-blue', '1111'), '1.0.0'],
      [`green-${f.bindingNs}-web`, arn('web-green', '2222'), '2.0.0'],
    ]);
    expect(tgs[0]!.metadata.labels).toMatchObject({
      cell: 'web',
      'okra.mumo.co/target-group-binding-cluster': 'blue',
      'okra.mumo.co/target-group-binding-namespace': f.bindingNs,
      'okra.mumo.co/target-group-binding-name': 'web',
    });
    const status = await f.status();
    expect(status?.clusters).toEqual([
      { name: 'blue', targetGroups: 1 },
      { name: 'green', targetGroups: 1 },
    ]);
    expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    await f.cleanup();
  });

  it('deletes the AWSTargetGroup of a deleted binding and follows a version label change', async () => {
    const f = await mirroringWebAndOld();

    await clusterA.delete(TargetGroupBindingType, { name: 'old', namespace: f.bindingNs });
    await clusterA.mergePatch(TargetGroupBindingType, { name: 'web', namespace: f.bindingNs }, { metadata: { labels: { 'okra.mumo.co/version': '1.1.0' } } });
    await f.sync();
    const tgs = await f.targetGroups();
    expect(tgs.map((t) => t.metadata.name)).toEqual([`blue-${f.bindingNs}-web`]);
    expect(tgs[0]!.metadata.labels?.['okra.mumo.co/version']).toBe('1.1.0');
    await f.cleanup();
  });

  it('keeps the AWSTargetGroups of an unreachable cluster, names it in status, and catches up when it is back', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-blue', '1111'));
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    await f.createSet();
    await f.sync();
    expect(await f.targetGroups()).toHaveLength(2);

    await clusterB.stopApiserver();
    try {
      await clusterA.delete(TargetGroupBindingType, { name: 'web', namespace: f.bindingNs });
      await f.sync();
      expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-${f.bindingNs}-web`]);
      const status = await f.status();
      expect(status?.clusters?.find((c) => c.name === 'green')).toMatchObject({ targetGroups: 1, error: expect.stringMatching(/^unreachable: .*ECONNREFUSED/) as unknown });
      expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ClusterUnreachable' });
      expect(f.events.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ClusterUnreachable' }));
    } finally {
      await clusterB.startApiserver();
    }
    await new Promise((r) => setTimeout(r, 100));
    await f.sync();
    expect((await f.status())?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    await f.cleanup();
  });

  it('keeps the AWSTargetGroups of a cluster renamed in Argo CD while it cannot be listed, and moves them once it can', async () => {
    const f = await fixture();
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    await f.createSet();
    await f.sync();
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-${f.bindingNs}-web`]);

    await clusterB.stopApiserver();
    try {
      // argocd cluster set green --name green-eks
      await management.mergePatch(CoreTypes.secret, { name: 'green', namespace: f.namespace }, { data: { name: b64('green-eks') } });
      await f.sync();
      expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-${f.bindingNs}-web`]);
      expect((await f.status())?.clusters?.find((c) => c.name === 'green-eks')?.error).toMatch(/^unreachable: /);
    } finally {
      await clusterB.startApiserver();
    }
    await new Promise((r) => setTimeout(r, 100));
    await f.sync();
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-eks-${f.bindingNs}-web`]);
    await f.cleanup();
  });

  it('skips a binding with an invalid ARN or no version label and names it', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'good', { 'okra.mumo.co/version': '1.0.0' }, arn('good', '1111'));
    await f.binding(clusterA, 'bad-arn', { 'okra.mumo.co/version': '1.0.0' }, 'arn:aws:s3:::not-a-target-group');
    await f.binding(clusterA, 'unversioned', {}, arn('unversioned', '4444'));
    await f.createSet();
    await f.sync();
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`blue-${f.bindingNs}-good`]);
    expect((await f.status())?.clusters?.find((c) => c.name === 'blue')?.skipped).toEqual([
      { binding: `${f.bindingNs}/bad-arn`, reason: 'spec.targetGroupARN arn:aws:s3:::not-a-target-group is not a target group ARN' },
      { binding: `${f.bindingNs}/unversioned`, reason: 'no okra.mumo.co/version label' },
    ]);
    expect(f.events.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'BindingSkipped' }));
    await f.cleanup();
  });

  it('keeps the AWSTargetGroup of a live binding that turns invalid, and a pass limited to one cluster deletes nothing else', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-blue', '1111'));
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    await f.createSet();
    await f.sync();
    const mirrored = [`blue-${f.bindingNs}-web`, `green-${f.bindingNs}-web`];
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual(mirrored);

    await clusterA.mergePatch(TargetGroupBindingType, { name: 'web', namespace: f.bindingNs }, { metadata: { labels: { 'okra.mumo.co/version': null } } });
    await f.sync();
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual(mirrored);
    expect((await f.status())?.clusters?.find((c) => c.name === 'blue')?.skipped).toEqual([{ binding: `${f.bindingNs}/web`, reason: 'no okra.mumo.co/version label' }]);

    for (const onlyCluster of ['blue', 'bleu']) {
      await reconcileTargetGroupSet({ ...f.deps, onlyCluster }, { name: 'web', namespace: f.namespace });
      expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual(mirrored);
    }
    await f.cleanup();
  });

  it('tries a cluster again as soon as its Secret is fixed, whatever its backoff', async () => {
    const f = await fixture('https://127.0.0.1:1');
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    const manager = new Manager({ client: management, log: silentLogger() });
    // A minute of backoff: without the reset the fixed cluster would only be tried after the wait below.
    registerTargetGroupSetController(manager, { remote: f.deps.remote, backoff: new KeyedBackoff(60_000, 60_000), events: f.events, clock: systemClock }, f.namespace);
    await manager.start();
    try {
      await f.createSet();
      await vi.waitFor(async () => { expect((await f.status())?.clusters?.find((c) => c.name === 'green')?.error).toMatch(/unreachable/); }, { timeout: 10_000, interval: 100 });
      await management.mergePatch(CoreTypes.secret, { name: 'green', namespace: f.namespace }, { data: { server: b64(clusterB.server) } });
      await vi.waitFor(async () => { expect((await f.targetGroups()).map((t) => t.metadata.name)).toContain(`green-${f.bindingNs}-web`); }, { timeout: 10_000, interval: 100 });
    } finally {
      await manager.stop();
    }
    await f.cleanup();
  });

  it('gives no client to a cluster whose Secret was deleted while the pass was listing, and keeps its AWSTargetGroups', async () => {
    const f = await fixture();
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    await f.createSet();
    await f.sync();
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-${f.bindingNs}-web`]);
    const green = `${f.namespace}/green`;
    f.deps.remote.forget(green);

    // The pass's Secret list is a snapshot taken before the delete; the cache has since dropped it.
    const snapshot = (await management.list<SecretObject>(CoreTypes.secret, { namespace: f.namespace })).items;
    await management.delete(CoreTypes.secret, { name: 'green', namespace: f.namespace });
    const secrets = { list: () => snapshot, get: (name: string) => snapshot.find((s) => s.metadata.name === name && name !== 'green') };
    await reconcileTargetGroupSet({ ...f.deps, secrets }, { name: 'web', namespace: f.namespace });

    expect(f.deps.remote.has(green)).toBe(false);
    expect(f.deps.remote.has(`${f.namespace}/blue`)).toBe(true);
    expect((await f.status())?.clusters?.find((c) => c.name === 'green')?.error).toBe('cluster Secret deleted');
    expect((await f.targetGroups()).map((t) => t.metadata.name)).toEqual([`green-${f.bindingNs}-web`]);
    await f.cleanup();
  });

  it('runs in a manager: AWSTargetGroups appear, one deleted by hand comes back, and a deleted cluster Secret closes its client', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web', '1111'));
    const manager = new Manager({ client: management, log: silentLogger() });
    registerTargetGroupSetController(manager, { remote: f.deps.remote, backoff: f.deps.backoff, events: f.events, clock: systemClock }, f.namespace);
    await manager.start();
    try {
      await f.createSet();
      await vi.waitFor(async () => { expect(await f.targetGroups()).toHaveLength(1); }, { timeout: 10_000, interval: 100 });
      await management.delete(AWSTargetGroupType, { name: `blue-${f.bindingNs}-web`, namespace: f.namespace });
      await vi.waitFor(async () => { expect(await f.targetGroups()).toHaveLength(1); }, { timeout: 5_000, interval: 100 });
      const green = `${f.namespace}/green`;
      expect(f.deps.remote.has(green)).toBe(true);
      await management.delete(CoreTypes.secret, { name: 'green', namespace: f.namespace });
      await vi.waitFor(() => { expect(f.deps.remote.has(green)).toBe(false); }, { timeout: 5_000, interval: 50 });
      expect(f.deps.remote.has(`${f.namespace}/blue`)).toBe(true);
    } finally {
      await manager.stop();
    }
    await f.cleanup();
  });

  it('lists its clusters once per pass: its own status write starts no new pass, a spec change still does at once', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web', '1111'));
    // Every request to cluster blue waits for a token for over a second, so every pass moves
    // lastSyncTime (whole seconds) and writes status.
    const tokens = new EksTokenGenerator(awsSettings());
    const slowTokens: EksTokenSource = {
      token: async (cluster, role) => {
        await new Promise((r) => setTimeout(r, 1_100));
        return tokens.token(cluster, role);
      },
    };
    let lists = 0;
    const remote = new RemoteClusters({ eksTokens: slowTokens }, () => (info) => { if (info.verb === 'list') lists++; });
    const manager = new Manager({ client: management, log: silentLogger() });
    registerTargetGroupSetController(manager, { remote, backoff: f.deps.backoff, events: f.events, clock: systemClock }, f.namespace);
    await manager.start();
    try {
      await f.createSet();
      await vi.waitFor(async () => { expect(await f.targetGroups()).toHaveLength(1); }, { timeout: 10_000, interval: 100 });
      // Creating the AWSTargetGroup queues one more pass (its watch); let that one finish.
      await new Promise((r) => setTimeout(r, 3_000));
      const settled = lists;
      await new Promise((r) => setTimeout(r, 4_000));
      expect(lists).toBe(settled);

      await management.mergePatch(AWSTargetGroupSetType, { name: 'web', namespace: f.namespace }, { spec: { template: { metadata: { labels: { cell: 'web2' } } } } });
      await vi.waitFor(async () => { expect((await f.targetGroups())[0]?.metadata.labels?.cell).toBe('web2'); }, { timeout: 3_000, interval: 50 });
      expect(lists).toBeGreaterThan(settled);
    } finally {
      await manager.stop();
      remote.close();
    }
    await f.cleanup();
  }, 30_000);

  it('never takes over an AWSTargetGroup another set or a person owns, and names it in status and a Warning', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-blue', '1111'));
    await f.binding(clusterBClient, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web-green', '2222'));
    const web = await f.createSet('web', { cell: 'web' });
    await f.createSet('web-canary', { cell: 'canary' });
    await f.sync('web');
    const before = await f.targetGroups();
    expect(before.map((t) => [t.metadata.name, t.metadata.labels?.cell])).toEqual([
      [`blue-${f.bindingNs}-web`, 'web'],
      [`green-${f.bindingNs}-web`, 'web'],
    ]);

    // Both sets select the same clusters and bindings: the second must leave the first's objects alone,
    // however often both run (before, each pass flipped the labels and owner, moving traffic between Cells).
    for (let i = 0; i < 2; i++) {
      await f.sync('web-canary');
      await f.sync('web');
    }
    const after = await f.targetGroups();
    expect(after.map((t) => [t.metadata.name, t.metadata.resourceVersion, t.metadata.labels?.cell])).toEqual(
      before.map((t) => [t.metadata.name, t.metadata.resourceVersion, 'web']),
    );
    expect(after.every((t) => t.metadata.ownerReferences?.map((o) => o.uid).join() === web.metadata.uid)).toBe(true);
    const canary = await f.status('web-canary');
    expect(canary?.clusters?.map((c) => [c.name, c.targetGroups, c.skipped?.[0]?.reason])).toEqual([
      ['blue', 0, expect.stringContaining(`AWSTargetGroup blue-${f.bindingNs}-web belongs to AWSTargetGroupSet web,`) as unknown],
      ['green', 0, expect.stringContaining(`AWSTargetGroup green-${f.bindingNs}-web belongs to AWSTargetGroupSet web,`) as unknown],
    ]);
    const warnings = f.events.events.filter((e) => e.object === 'AWSTargetGroupSet/web-canary' && e.type === 'Warning');
    // One per cluster, on the first refusal only.
    expect(warnings.map((e) => [e.reason, e.message])).toEqual(['blue', 'green'].map((c) => [
      'BindingSkipped',
      expect.stringContaining(`${c} ${f.bindingNs}/web: AWSTargetGroup ${c}-${f.bindingNs}-web belongs to AWSTargetGroupSet web`) as unknown,
    ]));

    // One made by hand (no set label) is refused the same way, and left exactly as it was.
    const handMade = await management.create<AWSTargetGroup>(AWSTargetGroupType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSTargetGroup',
      metadata: { name: `blue-${f.bindingNs}-api`, namespace: f.namespace, labels: { cell: 'by-hand' } },
      spec: { arn: arn('by-hand', '9999') },
    });
    await f.binding(clusterA, 'api', { 'okra.mumo.co/version': '1.0.0' }, arn('api', '3333'));
    await f.sync('web');
    const kept = (await f.targetGroups()).find((t) => t.metadata.name === `blue-${f.bindingNs}-api`);
    expect(kept?.metadata.resourceVersion).toBe(handMade.metadata.resourceVersion);
    expect((await f.status('web'))?.clusters?.find((c) => c.name === 'blue')?.skipped).toEqual([
      { binding: `${f.bindingNs}/api`, reason: expect.stringContaining(`AWSTargetGroup blue-${f.bindingNs}-api exists and belongs to no AWSTargetGroupSet`) as unknown },
    ]);
    await f.cleanup();
  });

  it('reports a template label the API server would refuse as an invalid spec, with a Warning, and writes nothing', async () => {
    const f = await fixture();
    await f.binding(clusterA, 'web', { 'okra.mumo.co/version': '1.0.0' }, arn('web', '1111'));
    await f.createSet('web', { cell: 'web app' });
    await expect(f.sync()).rejects.toThrow(/not a valid label value/);
    expect(await f.targetGroups()).toEqual([]);
    const status = await f.status();
    const message = 'spec.template.metadata.labels.cell: "web app" is not a valid label value (empty, or at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit)';
    expect(status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message });
    expect(f.events.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec', message })]);
    await f.cleanup();
  });

  it('names an AWSTargetGroup the API server refuses, with its message, and still makes every other write', async () => {
    const f = await mirroringWebAndOld();

    // An admission policy in this namespace refuses target groups of another AWS account.
    const allow = await denyAccountTargetGroups(f.namespace);
    try {
      await f.binding(clusterA, 'foreign', { 'okra.mumo.co/version': '1.0.0' }, DENIED_ARN);
      await clusterA.delete(TargetGroupBindingType, { name: 'old', namespace: f.bindingNs });
      await clusterA.mergePatch(TargetGroupBindingType, { name: 'web', namespace: f.bindingNs }, { metadata: { labels: { 'okra.mumo.co/version': '1.1.0' } } });
      await f.sync();

      const tgs = await f.targetGroups();
      expect(tgs.map((t) => [t.metadata.name, t.metadata.labels?.['okra.mumo.co/version']])).toEqual([[`blue-${f.bindingNs}-web`, '1.1.0']]);
      const status = await f.status();
      const refused = `AWSTargetGroup blue-${f.bindingNs}-foreign was refused: `;
      expect(status?.clusters?.find((c) => c.name === 'blue')).toEqual({
        name: 'blue',
        targetGroups: 1,
        skipped: [{ binding: `${f.bindingNs}/foreign`, reason: expect.stringMatching(new RegExp(`^${refused}.*${DENIED_MESSAGE}`)) as unknown }],
      });
      expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'WriteFailed', message: expect.stringContaining(`could not apply AWSTargetGroup blue-${f.bindingNs}-foreign`) as unknown });
      const warning = (): unknown => expect.objectContaining({ type: 'Warning', reason: 'BindingSkipped', message: expect.stringContaining(DENIED_MESSAGE) as unknown });
      expect(f.events.events.filter((e) => e.type === 'Warning')).toEqual([warning()]);

      // Still refused on the next pass: reported once, not again.
      await f.sync();
      expect(f.events.events.filter((e) => e.type === 'Warning')).toEqual([warning()]);
    } finally {
      await allow();
    }
    await f.cleanup();
  });
});
