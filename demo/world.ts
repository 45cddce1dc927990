// Everything the demo runs: the local stack (management apiserver, moto), a proxy that makes moto's EKS
// answer with the local clusters' endpoints, four workload clusters (two of 1.0.0, one of 2.0.0, one of
// 3.0.0), an ALB with one target group per cluster, the metrics stand-in, and okrad as a real process.
import { join } from 'node:path';
import { CoreTypes } from '../src/api/resource.js';
import { RolloutsTypes } from '../src/api/rollouts/analysis.js';
import { AWSTargetGroupSetType } from '../src/api/v1alpha1/awstargetgroupset.js';
import { CellType } from '../src/api/v1alpha1/cell.js';
import { ClusterSetType } from '../src/api/v1alpha1/clusterset.js';
import type { AwsSettings } from '../src/aws/config.js';
import { KubeClient } from '../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../src/kube/connection.js';
import { fetchStatus } from '../test/stack/cluster.js';
import { repoRoot, stackPaths } from '../test/stack/paths.js';
import { ManagedProcess, startOnFreePorts } from '../test/stack/process.js';
import { DEFAULT_REGION, startStack, stopStack, type RunningStack } from '../test/stack/stack.js';
import { createAlb, type TestAlb } from '../test/support/alb.js';
import { AwsProxy } from '../test/support/aws-proxy.js';
import { createBinding, registerEksCluster, startWorkloadCluster, stopFleetCluster, type FleetCluster } from './fleet.js';
import { DEMO_NAMESPACE, SERVICE_TAG, cell, clusterSet, errorRateTemplate, targetGroupSet } from './manifests.js';
import { startDemoMetrics, type DemoMetrics } from './metrics.js';

/** The fleet: cluster name → version. The 3.0.0 build has a bug the analysis catches. */
const FLEET: readonly (readonly [string, string])[] = [
  ['web-blue-a', '1.0.0'],
  ['web-blue-b', '1.0.0'],
  ['web-green', '2.0.0'],
  ['web-red', '3.0.0'],
];
/** Error rates the metrics stand-in reports per version. */
const ERROR_RATES = { '1.0.0': 0.003, '2.0.0': 0.002, '3.0.0': 0.087 } as const;

/** The running demo environment. */
export class DemoWorld {
  readonly client: KubeClient;
  private readonly targetGroups = new Map<string, string>();

  private constructor(
    readonly dir: string,
    private readonly stack: RunningStack,
    private readonly proxy: AwsProxy,
    readonly fleet: readonly FleetCluster[],
    private readonly alb: TestAlb,
    private readonly metrics: DemoMetrics,
    private readonly okrad: ManagedProcess,
  ) {
    this.client = new KubeClient(connectionFromKubeConfig(loadKubeConfig(stack.info.management.kubeconfig)));
  }

  /** Starts everything; `progress` hears what is being started. */
  static async start(dir: string, progress: (line: string) => void): Promise<DemoWorld> {
    const [stack, clusters] = await Promise.all([startStack({ dir: join(dir, 'stack'), workload: false }), Promise.all(FLEET.map(([name]) => startWorkloadCluster(stackPaths(), join(dir, 'fleet'), name)))]);
    const proxy = await AwsProxy.start(stack.info.moto.endpoint);
    for (const c of clusters) c.authenticator.setStsEndpoint(proxy.endpoint);
    const fleet = clusters.map((c, i) => ({ ...c, version: FLEET[i]?.[1] ?? '' }));
    progress(`  ${fleet.length} workload clusters, moto at ${stack.info.moto.endpoint}, EKS answering through ${proxy.endpoint}`);
    const aws = awsSettings(proxy.endpoint);
    const [alb, metrics] = await Promise.all([createAlb(aws), startDemoMetrics(ERROR_RATES)]);
    const world = new DemoWorld(dir, stack, proxy, fleet, alb, metrics, await startOkrad(stack, proxy.endpoint, dir));
    await world.applyManifests();
    progress(`  okrad running (log: ${world.okradLog}); ClusterSet, AWSTargetGroupSet, AnalysisTemplate and Cell applied in ${DEMO_NAMESPACE}`);
    return world;
  }

  /** okrad's log file. */
  get okradLog(): string {
    return this.okrad.logFile;
  }

  /** Creates the clusters of a version in EKS (tagged) and their TargetGroupBindings. */
  async launch(version: string): Promise<string[]> {
    const clusters = this.fleet.filter((c) => c.version === version);
    for (const c of clusters) {
      const arn = await this.alb.targetGroup(c.name);
      this.targetGroups.set(arn, c.name);
      await createBinding(c, arn);
      await registerEksCluster(awsSettings(this.proxy.endpoint), this.proxy, c, { ...SERVICE_TAG });
    }
    return clusters.map((c) => c.name);
  }

  /** The cluster behind a target group ARN, for display. */
  clusterOf(arn: string): string | undefined {
    return this.targetGroups.get(arn);
  }

  /** What to type to look around when the demo is kept running. */
  howToLookAround(): string {
    const kc = this.stack.info.management.kubeconfig;
    return [
      '',
      'Everything is still running (Ctrl-C stops it). Try:',
      `  export KUBECONFIG=${kc}`,
      `  npx tsx src/cli/okractl.ts -n ${DEMO_NAMESPACE} get cells`,
      `  npx tsx src/cli/okractl.ts -n ${DEMO_NAMESPACE} describe cell web`,
      `  npx tsx src/cli/okractl.ts -n ${DEMO_NAMESPACE} retry web     # run 3.0.0's steps again, and watch it fail again:`,
      `  npx tsx src/cli/okractl.ts -n ${DEMO_NAMESPACE} watch cell web`,
      `  kubectl -n ${DEMO_NAMESPACE} get clustersets,awstargetgroupsets,awstargetgroups,cells,analysisruns,versionblocklists,secrets`,
      `AWS (moto) is at ${this.proxy.endpoint} with region ${DEFAULT_REGION} and keys testing/testing; okrad logs to ${this.okradLog}.`,
    ].join('\n');
  }

  /** Stops everything; with keepFiles the temp directory stays for inspection. */
  async stop(opts: { keepFiles: boolean }): Promise<void> {
    await this.okrad.stop();
    this.client.close();
    this.alb.elb.destroy();
    await Promise.allSettled([this.metrics.stop(), this.proxy.stop(), ...this.fleet.map((c) => stopFleetCluster(c))]);
    await stopStack(this.stack, opts.keepFiles);
  }

  private async applyManifests(): Promise<void> {
    await this.client.create(CoreTypes.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } });
    await this.client.create(RolloutsTypes.analysisTemplate, errorRateTemplate(this.metrics.url));
    await this.client.create(ClusterSetType, clusterSet());
    await this.client.create(AWSTargetGroupSetType, targetGroupSet());
    await this.client.create(CellType, cell(this.alb.listenerArn));
  }
}

function awsSettings(endpoint: string): AwsSettings {
  return { region: DEFAULT_REGION, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

/** Starts okrad from source as its own process, watching the demo namespace. */
async function startOkrad(stack: RunningStack, awsEndpoint: string, dir: string): Promise<ManagedProcess> {
  const { proc: okrad } = await startOnFreePorts(1, ([port = 0]) => {
    const proc = ManagedProcess.start(
      'okrad',
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src', 'cli', 'okrad.ts'),
        `--kubeconfig=${stack.info.management.kubeconfig}`,
        `--namespace=${DEMO_NAMESPACE}`,
        `--controller-namespace=${DEMO_NAMESPACE}`,
        `--region=${DEFAULT_REGION}`,
        `--aws-endpoint=${awsEndpoint}`,
        `--metrics-bind-address=127.0.0.1:${port}`,
        '--resync-period=30s',
      ],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
        logFile: join(dir, 'okrad.log'),
      },
    );
    return { proc, describe: `okrad /readyz (log: ${proc.logFile})`, ready: async () => (await fetchStatus(`http://127.0.0.1:${port}/readyz`)) === 200, timeoutMs: 60_000 };
  });
  return okrad;
}
