// AWSApplicationLoadBalancerConfig on its own, as in the original okra: it creates its listener rule,
// keeps it equal to the spec, and refuses to touch a rule at its priority that it does not own.
import { CreateRuleCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import {
  AWSApplicationLoadBalancerConfigType,
  type AWSApplicationLoadBalancerConfig,
} from '../src/api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { SdkListenerRules, forwardAction } from '../src/aws/elbv2.js';
import { reconcileAlbConfig, type AlbConfigDeps } from '../src/controllers/albconfig/reconciler.js';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryEventRecorder } from '../src/runtime/events.js';
import { createAlb } from './support/alb.js';
import { awsSettings, managementClient } from './support/env.js';
import { createNamespace } from './support/namespaces.js';

const client = managementClient();

async function setup(region: string) {
  const namespace = await createNamespace(client, 'albconfig');
  const alb = await createAlb(awsSettings(region));
  const [a, b] = [await alb.targetGroup('a'), await alb.targetGroup('b')];
  const deps: AlbConfigDeps = { client, rules: new SdkListenerRules(awsSettings(region)), events: new MemoryEventRecorder(), clock: systemClock };
  const create = (priority: number, weights: [number, number]) =>
    client.create<AWSApplicationLoadBalancerConfig>(AWSApplicationLoadBalancerConfigType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSApplicationLoadBalancerConfig',
      metadata: { name: 'web', namespace },
      spec: {
        listenerARN: alb.listenerArn,
        listener: { rule: { priority, hosts: ['web.example.com'], forward: { targetGroups: [{ name: 'a', arn: a, weight: weights[0] }, { name: 'b', arn: b, weight: weights[1] }] } } },
      },
    });
  const sync = () => reconcileAlbConfig(deps, { name: 'web', namespace });
  const status = async () => (await client.get<AWSApplicationLoadBalancerConfig>(AWSApplicationLoadBalancerConfigType, 'web', namespace))?.status;
  return { namespace, alb, a, b, create, sync, status };
}

describe('AWSApplicationLoadBalancerConfig', () => {
  it('creates its rule, restores drift, follows spec changes and writes nothing when in sync', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect((await f.status())?.ruleARN).toMatch(/listener-rule/);
    expect((await f.sync()).action).toEqual({ kind: 'none' });

    await f.alb.elb.send(new ModifyRuleCommand({ RuleArn: (await f.status())?.ruleARN, Actions: [forwardAction([{ arn: f.a, weight: 100 }])] }));
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });

    await client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, {
      spec: { listener: { rule: { priority: 10, hosts: ['new.example.com'], forward: { targetGroups: [{ name: 'b', arn: f.b, weight: 100 }] } } } },
    });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: true });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.b]: 100 });
  });

  it('reports a foreign rule at its priority and leaves it alone', async () => {
    const f = await setup('eu-north-1');
    await f.alb.elb.send(
      new CreateRuleCommand({ ListenerArn: f.alb.listenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }], Actions: [forwardAction([{ arn: f.a, weight: 100 }])] }),
    );
    await f.create(20, [50, 50]);
    expect((await f.sync()).action).toMatchObject({ kind: 'conflict' });
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 100 });
    expect(await f.status()).toMatchObject({ phase: 'Error', reason: 'RuleConflict' });
  });
});
