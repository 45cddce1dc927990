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
import { ADMIN_TOKEN } from './stack/cluster.js';
import { readArgoCdCluster } from './support/argocd.js';
import { cliEnv, runCli } from './support/cli.js';
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
    const cs = await client.create(ClusterSetType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'ClusterSet',
      metadata: { name: 'web', namespace: own },
      spec: { generators: [{ awseks: { selector: { matchTags: { app: tag } } } }], template: { metadata: { labels: {} } } },
    } as KubeObject);
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

describe('okra sync and get', () => {
  it('runs one ClusterSet pass, dry-run first', async () => {
    const setNs = await createNamespace(client, 'cli-sync');
    await client.create(ClusterSetType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'ClusterSet',
      metadata: { name: 'web', namespace: setNs },
      spec: { generators: [{ awseks: { selector: { matchTags: { app: tag } } } }], template: { metadata: { labels: {} } } },
    } as KubeObject);
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
    await workload.create(TargetGroupBindingType, {
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: { name: 'web', namespace: bindingNs, labels: { 'okra.mumo.co/version': '1.2.3', test: tag } },
      spec: { targetGroupARN: 'arn:aws:elasticloadbalancing:eu-north-1:123456789012:targetgroup/web/abc123', serviceRef: { name: 'web', port: 80 } },
    } as KubeObject);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await client.create(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'workload', namespace: ns, labels: { 'argocd.argoproj.io/secret-type': 'cluster', cli: tag } },
      data: { name: b64('workload'), server: b64(stack().workload.server), config: b64(JSON.stringify({ bearerToken: ADMIN_TOKEN, tlsClientConfig: { caData: b64(stack().workload.caPem) } })) },
    });

    const bindings = await okra('get', 'targetgroupbindings', '--cluster', 'workload', '-l', `test=${tag}`);
    expect(bindings.code).toBe(0);
    expect(bindings.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+TARGET-GROUP-ARN\\s+VERSION\\s+AGE\\n${bindingNs}\\s+web\\s+arn:aws:elasticloadbalancing:\\S+\\s+1\\.2\\.3\\s+\\d+s\\n$`));

    await client.create(AWSTargetGroupSetType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSTargetGroupSet',
      metadata: { name: 'web', namespace: ns },
      spec: { generators: [{ awseks: { clusterSelector: { matchLabels: { cli: tag } }, bindingSelector: { matchLabels: { test: tag } } } }] },
    } as KubeObject);
    const sync = await okra('sync', 'awstargetgroupset', '--name', 'web');
    expect(sync.stdout).toBe(`awstargetgroup/workload-${bindingNs}-web applied\n`);

    const list = await okra('get', 'awstargetgroups', '-o', 'json');
    expect(JSON.parse(list.stdout)).toMatchObject({ metadata: { name: `workload-${bindingNs}-web` }, spec: { arn: expect.stringContaining('targetgroup/web') as unknown } });
    await deleteNamespace(workload, bindingNs);
  });
});
