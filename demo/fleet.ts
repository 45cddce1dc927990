// The demo's fleet of "EKS clusters": each is a real local kube-apiserver (with etcd) that authenticates
// EKS tokens through its own webhook authenticator, registered in moto's EKS with tags; a proxy in front
// of moto makes DescribeCluster answer with the local apiserver's endpoint and CA, as real EKS would.
// Each cluster gets the TargetGroupBinding CRD and one binding for the app, as the AWS Load Balancer
// Controller's users have.
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TargetGroupBindingType } from '../src/api/elbv2/targetgroupbinding.js';
import { sdkConfig, type AwsSettings } from '../src/aws/config.js';
import { KubeClient } from '../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../src/kube/connection.js';
import { LocalCluster } from '../test/stack/cluster.js';
import { EksAuthenticator } from '../test/stack/eks-authenticator.js';
import type { StackPaths } from '../test/stack/paths.js';
import { describeCluster, type AwsProxy } from '../test/support/aws-proxy.js';

/** The identity moto's STS answers GetCallerIdentity with for the demo's static keys. */
const MOTO_CALLER = 'arn:aws:sts::123456789012:user/moto';

/** Lets okrad read TargetGroupBindings, and nothing else. */
const READER_ROLE = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'okra-reader' },
  rules: [{ apiGroups: ['elbv2.k8s.aws'], resources: ['targetgroupbindings'], verbs: ['get', 'list', 'watch'] }],
};

/** One workload cluster of the fleet. */
export interface FleetCluster {
  readonly name: string;
  readonly version: string;
  readonly cluster: LocalCluster;
  readonly authenticator: EksAuthenticator;
}

/** Starts a workload apiserver whose webhook accepts EKS tokens signed for `name` (STS endpoint set later). */
export async function startWorkloadCluster(paths: StackPaths, dir: string, name: string): Promise<Omit<FleetCluster, 'version'>> {
  const clusterDir = join(dir, name);
  mkdirSync(clusterDir, { recursive: true });
  const authenticator = await EksAuthenticator.start({ clusterId: name, staticSecrets: { testing: 'testing' } });
  const cluster = await LocalCluster.start(paths, {
    name,
    dir: clusterDir,
    extraApiserverArgs: [`--authentication-token-webhook-config-file=${authenticator.writeWebhookConfig(clusterDir)}`, '--authentication-token-webhook-version=v1'],
  });
  await cluster.kubectl(['apply', '--server-side', '-f', paths.targetGroupBindingCrd]);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  // okrad reaches the cluster as the IAM identity behind its EKS token; let it read the bindings. Applied
  // as a manifest: `kubectl create clusterrole --resource` looks the resource up in discovery, which can
  // lag the CRD by a moment (the demo failed on it once).
  await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(READER_ROLE));
  await cluster.kubectl(['create', 'clusterrolebinding', 'okra-reader', '--clusterrole=okra-reader', `--user=${MOTO_CALLER}`]);
  return { name, cluster, authenticator };
}

/** Registers a cluster in moto's EKS with tags, and makes DescribeCluster point at its apiserver. */
export async function registerEksCluster(aws: AwsSettings, proxy: AwsProxy, c: FleetCluster, tags: Record<string, string>): Promise<void> {
  proxy.rules.push({
    match: describeCluster(c.name),
    rewrite: (body) => {
      const cluster = body.cluster as Record<string, unknown>;
      return { ...body, cluster: { ...cluster, status: 'ACTIVE', endpoint: c.cluster.server, certificateAuthority: { data: Buffer.from(c.cluster.caPem).toString('base64') } } };
    },
  });
  const eks = new EKSClient(sdkConfig(aws));
  await eks.send(new CreateClusterCommand({ name: c.name, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {}, tags: { ...tags, 'okra-version': c.version } }));
  eks.destroy();
}

/** Creates the app's TargetGroupBinding in a cluster, labelled with the app and its version. */
export async function createBinding(c: FleetCluster, targetGroupArn: string): Promise<void> {
  const client = new KubeClient(connectionFromKubeConfig(loadKubeConfig(c.cluster.kubeconfigPath)));
  await client.create(TargetGroupBindingType, {
    apiVersion: 'elbv2.k8s.aws/v1beta1',
    kind: 'TargetGroupBinding',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', 'okra.mumo.co/version': c.version } },
    spec: { targetGroupARN: targetGroupArn, serviceRef: { name: 'web', port: 80 }, targetType: 'ip' },
  });
  client.close();
}

/** Stops a cluster and its authenticator. */
export async function stopFleetCluster(c: Omit<FleetCluster, 'version'>): Promise<void> {
  await Promise.allSettled([c.cluster.stop(), c.authenticator.stop()]);
}
