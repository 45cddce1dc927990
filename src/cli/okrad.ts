#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of `okrad`, the controller manager. Every flag also reads an OKRA_* environment variable,
// so the Helm chart can configure it either way. SIGTERM stops the controllers (in-flight reconciles
// finish) and releases the leader lease before exiting, so a standby takes over at once.
import { Command, Option } from 'commander';
import { startOkrad } from '../app/okrad.js';
import { parseDuration } from '../api/duration.js';
import { createLogger } from '../runtime/log.js';
import { CliError, ExitCode, runCli } from './common.js';

interface Flags {
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
  workers: string;
}

function program(): Command {
  return new Command('okrad')
    .description('the okra controller manager: ClusterSet, AWSTargetGroupSet, Cell, Pause and AWSApplicationLoadBalancerConfig controllers')
    .version('0.1.0')
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)').env('KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context').env('OKRA_CONTEXT'))
    .addOption(new Option('--namespace <ns>', 'watch only this namespace (default: all namespaces)').env('OKRA_NAMESPACE'))
    .addOption(new Option('--resync-period <duration>', 're-check every object (and every listener rule in AWS) this often').env('OKRA_RESYNC_PERIOD').default('2m'))
    .addOption(new Option('--leader-elect', 'elect a leader among replicas with a Lease').env('OKRA_LEADER_ELECT').default(false))
    .addOption(new Option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE or "default")').env('POD_NAMESPACE').default('default'))
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').env('OKRA_LEADER_ELECTION_ID').default('okra'))
    .addOption(new Option('--analysis-engine <engine>', 'who evaluates AnalysisRuns').choices(['builtin', 'argo-rollouts']).env('OKRA_ANALYSIS_ENGINE').default('builtin'))
    .addOption(new Option('--analysis-instance-id <id>', 'controller-instance-id label on the AnalysisRuns the builtin engine evaluates (Argo Rollouts without an instance id ignores them)').env('OKRA_ANALYSIS_INSTANCE_ID').default('okra'))
    .addOption(new Option('--controller-namespace <ns>', "okrad's own namespace, where the default `datadog` Secret is read").env('POD_NAMESPACE').default('default'))
    .addOption(new Option('--region <region>', 'AWS region (default: $AWS_REGION)').env('AWS_REGION'))
    .addOption(new Option('--aws-endpoint <url>', 'override every AWS endpoint (a local emulator)').env('AWS_ENDPOINT_URL'))
    .addOption(new Option('--metrics-bind-address <host:port>', 'address of /metrics, /healthz and /readyz').env('OKRA_METRICS_BIND_ADDRESS').default(':8080'))
    .addOption(new Option('--log-level <level>', 'log level (trace, debug, info, warn, error)').env('OKRA_LOG_LEVEL').default('info'))
    .addOption(new Option('--workers <n>', 'parallel Cell reconciles').env('OKRA_WORKERS').default('8'))
    .action(async (flags: Flags) => {
      await run(flags);
    });
}

async function run(flags: Flags): Promise<void> {
  const resyncMs = parseDuration(flags.resyncPeriod);
  if (resyncMs === undefined || resyncMs <= 0) throw new CliError(`--resync-period ${flags.resyncPeriod} is not a duration`);
  const region = flags.region ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('no AWS region: pass --region or set AWS_REGION');
  const log = createLogger({ level: flags.logLevel });
  const okrad = await startOkrad(
    {
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      namespace: flags.namespace,
      resyncMs,
      leaderElection: flags.leaderElect ? { namespace: flags.leaderElectionNamespace, name: flags.leaderElectionId } : undefined,
      aws: { region, ...(flags.awsEndpoint ? { endpoint: flags.awsEndpoint } : {}) },
      metricsAddress: flags.metricsBindAddress,
      workers: Number(flags.workers),
      analysisEngine: flags.analysisEngine,
      analysisInstanceId: flags.analysisInstanceId,
      controllerNamespace: flags.controllerNamespace,
      onLostLeadership: () => {
        log.error('lost leadership; exiting so a fresh process can campaign again');
        process.exit(ExitCode.error);
      },
    },
    log,
  );
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      void okrad.stop().then(resolve);
    };
    process.once('SIGTERM', () => { shutdown('SIGTERM'); });
    process.once('SIGINT', () => { shutdown('SIGINT'); });
  });
}

process.exitCode = await runCli(program(), process.argv);
