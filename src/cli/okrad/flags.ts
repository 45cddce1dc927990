// okrad's flags. Every flag also reads an environment variable, so the Helm chart can configure it
// either way; values from the environment are parsed like values on the command line.
import { Command, InvalidArgumentError, Option } from 'commander';

/** The flags as commander hands them to the action. */
export interface OkradFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  resyncPeriod: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  analysisEngine: 'builtin' | 'argo-rollouts';
  analysisInstanceId: string;
  controllerNamespace: string;
  region?: string;
  awsEndpoint?: string;
  metricsBindAddress: string;
  logLevel: string;
  workers: number;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

/** true/false (also 1/0, yes/no, on/off): `OKRA_LEADER_ELECT=false` must mean off, not "set". */
export function parseBoolean(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/** A positive whole number of workers. */
export function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`);
  return n;
}

/** The okrad command with every flag; `action` runs the daemon. */
export function okradProgram(action: (flags: OkradFlags) => Promise<void>): Command {
  return new Command('okrad')
    .description('the okra controller manager: ClusterSet, AWSTargetGroupSet, Cell, AnalysisRun, Pause and AWSApplicationLoadBalancerConfig controllers')
    .version('0.1.0')
    // Not .env('KUBECONFIG'): it may list several files (a:b), which only the kubeconfig loader merges.
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, one file or a list merged as kubectl does, else ~/.kube/config, else in-cluster)'))
    .addOption(new Option('--context <name>', 'kubeconfig context').env('OKRA_CONTEXT'))
    .addOption(new Option('--namespace <ns>', 'watch only this namespace (default: all namespaces)').env('OKRA_NAMESPACE'))
    .addOption(
      new Option('--resync-period <duration>', 're-check every Cell and AWSApplicationLoadBalancerConfig (their listener rule described in AWS) this often; ClusterSets and AWSTargetGroupSets follow their spec.syncInterval')
        .env('OKRA_RESYNC_PERIOD')
        .default('2m'),
    )
    .addOption(new Option('--leader-elect [enabled]', 'elect a leader among replicas with a Lease (true/false)').env('OKRA_LEADER_ELECT').argParser(parseBoolean).preset('true').default(false))
    .addOption(new Option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE or "default")').env('POD_NAMESPACE').default('default'))
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').env('OKRA_LEADER_ELECTION_ID').default('okra'))
    .addOption(new Option('--analysis-engine <engine>', 'who evaluates AnalysisRuns').choices(['builtin', 'argo-rollouts']).env('OKRA_ANALYSIS_ENGINE').default('builtin'))
    .addOption(new Option('--analysis-instance-id <id>', 'controller-instance-id label on the AnalysisRuns the builtin engine evaluates (Argo Rollouts without an instance id ignores them)').env('OKRA_ANALYSIS_INSTANCE_ID').default('okra'))
    .addOption(new Option('--controller-namespace <ns>', "okrad's own namespace, where the default `datadog` Secret is read").env('POD_NAMESPACE').default('default'))
    .addOption(new Option('--region <region>', 'AWS region (default: $AWS_REGION)').env('AWS_REGION'))
    .addOption(new Option('--aws-endpoint <url>', 'override every AWS endpoint (a local emulator)').env('AWS_ENDPOINT_URL'))
    .addOption(new Option('--metrics-bind-address <host:port>', 'address of /metrics, /healthz and /readyz').env('OKRA_METRICS_BIND_ADDRESS').default(':8080'))
    .addOption(new Option('--log-level <level>', 'log level (trace, debug, info, warn, error)').env('OKRA_LOG_LEVEL').default('info'))
    .addOption(new Option('--workers <n>', 'parallel reconciles of Cells and of AnalysisRuns').env('OKRA_WORKERS').argParser(parseWorkers).default(8))
    .action(action);
}
