#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of `okrad`, the controller manager (its flags: ./okrad/flags.ts). SIGTERM stops the
// controllers (in-flight reconciles finish) and releases the leader lease before exiting, so a standby
// takes over at once.
import { startOkrad } from '../app/okrad.js';
import { parseDuration } from '../api/duration.js';
import { createLogger } from '../runtime/log.js';
import { CliError, ExitCode, runCli } from './common.js';
import { okradProgram, type OkradFlags } from './okrad/flags.js';

async function run(flags: OkradFlags): Promise<void> {
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
      workers: flags.workers,
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

process.exitCode = await runCli(okradProgram(run), process.argv);
