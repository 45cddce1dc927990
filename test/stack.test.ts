// The local stack itself: real apiservers of the pinned version, and moto answering the AWS SDK v3
// clients okra uses.
import { describe, expect, it } from 'vitest';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sdkConfig } from '../src/aws/config.js';
import { CoreTypes } from '../src/api/resource.js';
import { stackVersions } from './stack/paths.js';
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
