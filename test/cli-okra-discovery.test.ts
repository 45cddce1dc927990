// The okra CLI's discovery commands, run as real processes against the stack.
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { TargetGroupBindingType } from '../src/api/elbv2/targetgroupbinding.js';
import { CoreTypes } from '../src/api/resource.js';
import { AWSTargetGroupSetType } from '../src/api/v1alpha1/awstargetgroupset.js';
import { ClusterSetType } from '../src/api/v1alpha1/clusterset.js';
import { sdkConfig } from '../src/aws/config.js';
import type { KubeObject } from '../src/kube/client.js';
import type { SecretObject } from '../src/kube/remote.js';
import { AWSTargetGroupType } from '../src/api/v1alpha1/awstargetgroup.js';
import { ADMIN_TOKEN } from './stack/cluster.js';
import { readArgoCdCluster } from './support/argocd.js';
import { AwsProxy, describeCluster } from './support/aws-proxy.js';
import { cliEnv, runCli } from './support/cli.js';
import { DENIED_ARN, DENIED_MESSAGE, denyAccountTargetGroups } from './support/deny-account.js';
import { awsSettings, managementClient, stack, uniqueSuffix, workloadClient } from './support/env.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';

const REGION = 'eu-north-1';
const client = managementClient();
let ns: string;
const env = () => cliEnv(REGION);
const okra = (...args: string[]) => runCli('okra', ['-n', ns, ...args], env());
const tag = uniqueSuffix();

beforeAll(async () => {
  ns = await createNamespace(client, 'cli');
  const eks = new EKSClient(sdkConfig(awsSettings(REGION)));
  for (const name of [`blue-${tag}`, `green-${tag}`]) {
    await eks.send(new CreateClusterCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {}, tags: { app: tag, version: '1.2.3' } }));
  }
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

describe('okra create cluster', () => {
  it('prints the Secret Argo CD would read with --dry-run, and writes nothing', async () => {
    const run = await okra('create', 'cluster', '--awseks-cluster-name', `blue-${tag}`, '--labels', 'env=prod', '--version-from-tag', 'version', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [secret] = parseAllDocuments(run.stdout).map((d) => d.toJS() as SecretObject);
    expect(readArgoCdCluster(secret!)).toMatchObject({ name: `blue-${tag}`, labels: { env: 'prod', 'okra.mumo.co/version': '1.2.3' } });
    expect(await client.get(CoreTypes.secret, `blue-${tag}`, ns)).toBeUndefined();
  });

  it('writes one Secret per ACTIVE cluster with the tags', async () => {
    const run = await okra('create', 'cluster', '--awseks-cluster-tags', `app=${tag}`);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([`cluster secret "blue-${tag}" created in ${ns}`, `cluster secret "green-${tag}" created in ${ns}`]);
    expect(readArgoCdCluster((await client.get<SecretObject>(CoreTypes.secret, `green-${tag}`, ns))!).name).toBe(`green-${tag}`);
  });

  it('never overwrites an existing Secret (a ClusterSet\'s or one Argo CD made), says so, and exits 0', async () => {
    const own = await createNamespace(client, 'cli-exists');
    const cs = await createClusterSet(own, { app: tag });
    // blue: what the ClusterSet wrote (the same data okra would write, plus its label and owner).
    const dry = await runCli('okra', ['-n', own, 'create', 'cluster', '--awseks-cluster-name', `blue-${tag}`, '--dry-run'], env());
    const [desired] = parseAllDocuments(dry.stdout).map((d) => d.toJS() as SecretObject);
    const owner = { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'ClusterSet', name: 'web', uid: cs.metadata.uid ?? '', controller: true };
    const blue = await client.create<SecretObject>(CoreTypes.secret, {
      ...desired!,
      metadata: { ...desired!.metadata, labels: { ...desired!.metadata.labels, 'okra.mumo.co/clusterset': 'web' }, ownerReferences: [owner] },
    });
    // green: made by `argocd cluster add`, pointing somewhere else.
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const green = await client.create<SecretObject>(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `green-${tag}`, namespace: own, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      data: { name: b64('green-by-argocd'), server: b64('https://green.example'), config: b64('{"bearerToken":"t"}') },
    });

    const run = await runCli('okra', ['-n', own, 'create', 'cluster', '--awseks-cluster-tags', `app=${tag}`], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      `cluster secret "blue-${tag}" already exists in ${own}: left unchanged`,
      `cluster secret "green-${tag}" already exists in ${own}: left unchanged; it differs from what okra would write: delete it first to replace it`,
    ]);
    for (const before of [blue, green]) {
      const after = await client.get<SecretObject>(CoreTypes.secret, before.metadata.name ?? '', own);
      expect(after?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    }
    const kept = await client.get<SecretObject>(CoreTypes.secret, `blue-${tag}`, own);
    expect(kept?.metadata.labels?.['okra.mumo.co/clusterset']).toBe('web');
    expect(kept?.metadata.ownerReferences).toEqual([owner]);
    expect(readArgoCdCluster((await client.get<SecretObject>(CoreTypes.secret, `green-${tag}`, own))!).name).toBe('green-by-argocd');
    await deleteNamespace(client, own);
  });

  it('fails with one actionable line and exit code 5 for a cluster that does not exist', async () => {
    const run = await okra('create', 'cluster', '--awseks-cluster-name', 'nope');
    expect(run.code).toBe(5);
    expect(run.stderr).toBe(`error: EKS cluster nope not found in ${REGION}\n`);
  });

  it('rejects a malformed KEY=VALUE flag', async () => {
    const run = await okra('create', 'cluster', '--awseks-cluster-tags', 'app');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expected KEY=VALUE, got "app"');
  });
});

/** A ClusterSet `web` in `namespace` selecting EKS clusters with these tags. */
async function createClusterSet(namespace: string, matchTags: Record<string, string>): Promise<KubeObject> {
  return client.create(ClusterSetType, {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'ClusterSet',
    metadata: { name: 'web', namespace },
    spec: { generators: [{ awseks: { selector: { matchTags } } }], template: { metadata: { labels: {} } } },
  } as KubeObject);
}

const WEB_ARN = 'arn:aws:elasticloadbalancing:eu-north-1:123456789012:targetgroup/web/abc123';

/** A TargetGroupBinding in the workload cluster, labelled `test: <group>` for one test's AWSTargetGroupSet. */
async function createBinding(namespace: string, name: string, arn: string, group = tag): Promise<void> {
  await workloadClient().create(TargetGroupBindingType, {
    apiVersion: 'elbv2.k8s.aws/v1beta1',
    kind: 'TargetGroupBinding',
    metadata: { name, namespace, labels: { 'okra.mumo.co/version': '1.2.3', test: group } },
    spec: { targetGroupARN: arn, serviceRef: { name, port: 80 } },
  } as KubeObject);
}

/** The Argo CD cluster Secret `workload`, pointing at the workload cluster, in `namespace`. */
async function createWorkloadSecret(namespace: string): Promise<void> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await client.create(CoreTypes.secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'workload', namespace, labels: { 'argocd.argoproj.io/secret-type': 'cluster', cli: tag } },
    data: { name: b64('workload'), server: b64(stack().workload.server), config: b64(JSON.stringify({ bearerToken: ADMIN_TOKEN, tlsClientConfig: { caData: b64(stack().workload.caPem) } })) },
  });
}

/** An AWSTargetGroupSet mirroring the bindings labelled `test: <group>` from the `workload` Secret. */
async function createTargetGroupSet(namespace: string, name: string, { group = tag, templateLabels = {} }: { group?: string; templateLabels?: Record<string, string> } = {}): Promise<void> {
  await client.create(AWSTargetGroupSetType, {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'AWSTargetGroupSet',
    metadata: { name, namespace },
    spec: {
      generators: [{ awseks: { clusterSelector: { matchLabels: { cli: tag } }, bindingSelector: { matchLabels: { test: group } } } }],
      template: { metadata: { labels: templateLabels } },
    },
  } as KubeObject);
}

describe('okra sync and get', () => {
  it('runs one ClusterSet pass, dry-run first', async () => {
    const setNs = await createNamespace(client, 'cli-sync');
    await createClusterSet(setNs, { app: tag });
    const dry = await runCli('okra', ['-n', setNs, 'sync', 'clusterset', '--name', 'web', '--dry-run'], env());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(`secret/blue-${tag} created (dry run)\nsecret/green-${tag} created (dry run)\n`);
    expect((await client.list(CoreTypes.secret, { namespace: setNs })).items).toEqual([]);

    const real = await runCli('okra', ['-n', setNs, 'sync', 'clusterset', '--name', 'web'], env());
    expect(real.code).toBe(0);
    expect((await client.list(CoreTypes.secret, { namespace: setNs })).items).toHaveLength(2);
    await deleteNamespace(client, setNs);
  });

  it('lists bindings through a cluster Secret, syncs an AWSTargetGroupSet and lists the result', async () => {
    const workload = workloadClient();
    const bindingNs = await createNamespace(workload, 'cli-tgb');
    await createBinding(bindingNs, 'web', WEB_ARN);
    await createWorkloadSecret(ns);

    const bindings = await okra('get', 'targetgroupbindings', '--cluster', 'workload', '-l', `test=${tag}`);
    expect(bindings.code).toBe(0);
    expect(bindings.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+TARGET-GROUP-ARN\\s+VERSION\\s+AGE\\n${bindingNs}\\s+web\\s+arn:aws:elasticloadbalancing:\\S+\\s+1\\.2\\.3\\s+\\d+s\\n$`));

    await createTargetGroupSet(ns, 'web');
    const sync = await okra('sync', 'awstargetgroupset', '--name', 'web');
    expect(sync.stdout).toBe(`awstargetgroup/workload-${bindingNs}-web applied\n`);

    const list = await okra('get', 'awstargetgroups', '-o', 'json');
    expect(JSON.parse(list.stdout)).toMatchObject({ kind: 'List', items: [{ metadata: { name: `workload-${bindingNs}-web` }, spec: { arn: expect.stringContaining('targetgroup/web') as unknown } }] });
    await deleteNamespace(workload, bindingNs);
  });

  it('prints what a ClusterSet pass wrote before failing on an incomplete EKS listing, and fails on a Secret in its way', async () => {
    const setNs = await createNamespace(client, 'cli-sync-fail');
    const eks = new EKSClient(sdkConfig(awsSettings(REGION)));
    for (const name of [`ok-${tag}`, `bad-${tag}`]) {
      await eks.send(new CreateClusterCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {}, tags: { sync: tag } }));
    }
    await createClusterSet(setNs, { sync: tag });
    const proxy = await AwsProxy.start(stack().moto.endpoint);
    const viaProxy = cliEnv(REGION, { AWS_ENDPOINT_URL: proxy.endpoint });
    try {
      proxy.rules = [{ match: describeCluster(`bad-${tag}`), fail: { status: 500, type: 'ServerException', message: 'internal error' } }];
      const partial = await runCli('okra', ['-n', setNs, 'sync', 'clusterset', '--name', 'web'], viaProxy);
      expect(partial.stdout).toBe(`secret/ok-${tag} created\n`);
      expect(partial.stderr).toMatch(new RegExp(`^error: EKS discovery incomplete: DescribeCluster bad-${tag} in ${REGION}: .*internal error`));
      expect(partial.code).toBe(1);

      proxy.rules = [];
      await client.create(CoreTypes.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `bad-${tag}`, namespace: setNs }, data: {} });
      const blocked = await runCli('okra', ['-n', setNs, 'sync', 'clusterset', '--name', 'web'], viaProxy);
      expect(blocked.stdout).toBe(`cluster bad-${tag} error: Secret bad-${tag} exists and is not owned by this ClusterSet; left untouched\n`);
      expect(blocked.code).toBe(1);
    } finally {
      await proxy.stop();
    }
    const missing = await okra('sync', 'clusterset', '--name', 'nope');
    expect([missing.code, missing.stderr]).toEqual([5, `error: ClusterSet ${ns}/nope not found\n`]);
    await deleteNamespace(client, setNs);
  });

  it('names a refused AWSTargetGroup once, makes every other write, and exits 1; an invalid set exits 4', async () => {
    const setNs = await createNamespace(client, 'cli-refused');
    const bindingNs = await createNamespace(workloadClient(), 'cli-refused');
    const group = `${tag}-refused`;
    await createBinding(bindingNs, 'web', WEB_ARN, group);
    await createBinding(bindingNs, 'foreign', DENIED_ARN, group);
    await createWorkloadSecret(setNs);
    await createTargetGroupSet(setNs, 'web', { group });
    const allow = await denyAccountTargetGroups(setNs);
    try {
      const run = await runCli('okra', ['-n', setNs, 'sync', 'awstargetgroupset', '--name', 'web'], env());
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines).toEqual([
        `awstargetgroup/workload-${bindingNs}-web applied`,
        expect.stringMatching(new RegExp(`^cluster workload binding ${bindingNs}/foreign skipped: AWSTargetGroup workload-${bindingNs}-foreign was refused: .*${DENIED_MESSAGE}`)),
      ]);
      expect(run.code).toBe(1);
    } finally {
      await allow();
    }
    expect((await client.list(AWSTargetGroupType, { namespace: setNs })).items.map((t) => t.metadata.name)).toEqual([`workload-${bindingNs}-web`]);

    await createTargetGroupSet(setNs, 'bad', { group, templateLabels: { cell: 'web app' } });
    const invalid = await runCli('okra', ['-n', setNs, 'sync', 'awstargetgroupset', '--name', 'bad'], env());
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(new RegExp(`^error: AWSTargetGroupSet ${setNs}/bad: spec.template.metadata.labels.cell: "web app" is not a valid label value`));
    await deleteNamespace(workloadClient(), bindingNs);
    await deleteNamespace(client, setNs);
  });
});
