// A real ALB in moto for a test: default VPC subnets, an internal load balancer, an HTTP listener and
// target groups; plus reading a rule's weights back straight from ELBv2.
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { randomBytes } from 'node:crypto';
import { sdkConfig, type AwsSettings } from '../../src/aws/config.js';
import { forwardWeights } from '../../src/aws/elbv2.js';

/** A load balancer with one listener. */
export interface TestAlb {
  readonly region: string;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly listenerArn: string;
  readonly vpcId: string;
  /** Creates another HTTP listener on the same load balancer and returns its ARN. */
  listener(port: number): Promise<string>;
  /** Creates a target group and returns its ARN. */
  targetGroup(name: string): Promise<string>;
  deleteTargetGroup(arn: string): Promise<void>;
  /** Weights of the rule at a priority (on the first listener unless told), by target group ARN, or undefined when there is no such rule. */
  weightsAt(priority: number, listenerArn?: string): Promise<Record<string, number> | undefined>;
}

/** Creates an ALB with an HTTP listener where `settings` point (moto). */
export async function createAlb(settings: AwsSettings): Promise<TestAlb> {
  const region = settings.region;
  const config = sdkConfig(settings);
  const ec2 = new EC2Client(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }))).Vpcs?.[0]?.VpcId ?? '';
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets ?? [];
  const suffix = randomBytes(4).toString('hex');
  const lb = await elb.send(
    new CreateLoadBalancerCommand({ Name: `okra-${suffix}`, Subnets: subnets.slice(0, 2).map((s) => s.SubnetId ?? ''), Scheme: 'internal', Type: 'application' }),
  );
  const listener = async (port: number): Promise<string> => {
    const created = await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: port,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );
    return created.Listeners?.[0]?.ListenerArn ?? '';
  };
  const listenerArn = await listener(80);
  return {
    region,
    elb,
    listenerArn,
    vpcId: vpc,
    listener,
    targetGroup: async (name) =>
      (await elb.send(new CreateTargetGroupCommand({ Name: `${name}-${suffix}`.slice(0, 32), Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'ip' }))).TargetGroups?.[0]?.TargetGroupArn ?? '',
    deleteTargetGroup: async (arn) => {
      await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    },
    weightsAt: async (priority, onListener = listenerArn) => {
      const { Rules } = await elb.send(new DescribeRulesCommand({ ListenerArn: onListener }));
      const rule = Rules?.find((r) => r.Priority === String(priority));
      return rule ? Object.fromEntries(forwardWeights(rule.Actions).map((w) => [w.arn, w.weight])) : undefined;
    },
  };
}
