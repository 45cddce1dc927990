// The local stack itself: real apiservers of the pinned version, and moto answering the AWS SDK v3
// clients okra uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sdkConfig } from '../src/aws/config.js';
import { CoreTypes } from '../src/api/resource.js';
import { fetchStatus } from './stack/cluster.js';
import { stackVersions } from './stack/paths.js';
import { ManagedProcess, ProcessExitedError, startOnFreePorts } from './stack/process.js';
import { awsSettings, managementClient, stack, workloadClient } from './support/env.js';

describe('local stack', () => {
  it.each([
    ['management', managementClient],
    ['workload', workloadClient],
  ] as const)('%s apiserver reports the built Kubernetes version', async (_name, client) => {
    const version = await client().getPath<{ gitVersion: string }>('/version');
    expect(version.gitVersion).toBe(stackVersions().kubernetes);
  });

  it('keeps the two clusters separate', async () => {
    expect(stack().management.server).not.toBe(stack().workload.server);
    const crdNames = async (c: ReturnType<typeof managementClient>): Promise<string[]> =>
      (await c.list(CoreTypes.crd)).items.map((i) => i.metadata.name ?? '');
    expect(await crdNames(managementClient())).toEqual(
      expect.arrayContaining(['cells.okra.mumo.co', 'analysisruns.argoproj.io', 'analysistemplates.argoproj.io']),
    );
    const workloadCrds = await crdNames(workloadClient());
    expect(workloadCrds).toContain('targetgroupbindings.elbv2.k8s.aws');
    expect(workloadCrds).not.toContain('cells.okra.mumo.co');
  });

  it('moto answers ELBv2, EKS, STS and CloudWatch', async () => {
    const config = sdkConfig(awsSettings('us-east-2'));
    const elb = await new ElasticLoadBalancingV2Client(config).send(new DescribeLoadBalancersCommand({}));
    expect(elb.LoadBalancers).toEqual([]);
    const eks = await new EKSClient(config).send(new ListClustersCommand({}));
    expect(eks.clusters).toEqual([]);
    const sts = await new STSClient(config).send(new GetCallerIdentityCommand({}));
    expect(sts.Account).toBe('123456789012');

    const cw = new CloudWatchClient(config);
    const now = new Date();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'okra/test',
        MetricData: [{ MetricName: 'errors', Value: 3, Timestamp: now, Unit: 'Count' }],
      }),
    );
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 300_000),
        EndTime: new Date(now.getTime() + 60_000),
        MetricDataQueries: [
          {
            Id: 'e',
            MetricStat: { Metric: { Namespace: 'okra/test', MetricName: 'errors' }, Period: 60, Stat: 'Sum' },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toEqual([3]);
  });
});

describe('starting a stack process on free ports', () => {
  // A server on `port`, or (for the attempts listed in `exitOn`) a process that exits at once, as one
  // whose port was taken between freePort() and its bind does.
  const starter = (dir: string, exitOn: readonly number[], attempts: number[][]) => ([port = 0]: number[]) => {
    attempts.push([port]);
    const script = exitOn.includes(attempts.length) ? 'process.exit(1)' : `require('node:http').createServer((q, s) => s.end('ok')).listen(${String(port)}, '127.0.0.1')`;
    return {
      proc: ManagedProcess.start('probe', process.execPath, ['-e', script], { logFile: join(dir, 'probe.log') }),
      describe: `probe on port ${String(port)}`,
      ready: async () => (await fetchStatus(`http://127.0.0.1:${String(port)}/`)) === 200,
    };
  };

  it('starts it again on new ports when it exits before it is ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okra-ports-'));
    const attempts: number[][] = [];
    const { proc, ports } = await startOnFreePorts(1, starter(dir, [1], attempts));
    expect(attempts).toHaveLength(2);
    expect(ports).toEqual(attempts[1]);
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives up after three exits, at once, naming the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okra-ports-'));
    const attempts: number[][] = [];
    const started = Date.now();
    const failure = startOnFreePorts(1, starter(dir, [1, 2, 3], attempts));
    await expect(failure).rejects.toThrow(ProcessExitedError);
    await expect(failure).rejects.toThrow(/^probe exited while waiting for probe on port \d+; see .*probe\.log$/);
    expect(attempts).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(30_000);
    rmSync(dir, { recursive: true, force: true });
  });
});
