// AWSApplicationLoadBalancerConfig on its own, as in the original okra: it creates its listener rule,
// keeps it equal to the spec (priority included), refuses to touch a rule at its priority that it does
// not own, says so on the object when an AWS write fails, and reads the rule fresh on a resync pass.
import { CreateRuleCommand, DeleteRuleCommand, DescribeRulesCommand, DescribeTagsCommand, ModifyRuleCommand, SetRulePrioritiesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import {
  AWSApplicationLoadBalancerConfigType,
  type AWSApplicationLoadBalancerConfig,
} from '../src/api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { SdkListenerRules, forwardAction, type ListenerRulesPort } from '../src/aws/elbv2.js';
import { CachingListenerRules } from '../src/aws/rule-cache.js';
import { reconcileAlbConfig, type AlbConfigDeps } from '../src/controllers/albconfig/reconciler.js';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryEventRecorder } from '../src/runtime/events.js';
import { createAlb } from './support/alb.js';
import { awsSettings, managementClient } from './support/env.js';
import { createNamespace } from './support/namespaces.js';

const client = managementClient();

async function setup(region: string, rules: ListenerRulesPort = new SdkListenerRules(awsSettings(region))) {
  const namespace = await createNamespace(client, 'albconfig');
  const alb = await createAlb(awsSettings(region));
  const [a, b] = [await alb.targetGroup('a'), await alb.targetGroup('b')];
  const events = new MemoryEventRecorder();
  const deps: AlbConfigDeps = { client, rules, events, clock: systemClock };
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
  const sync = (resync = false) => reconcileAlbConfig(deps, { name: 'web', namespace, resync });
  const status = async () => (await client.get<AWSApplicationLoadBalancerConfig>(AWSApplicationLoadBalancerConfigType, 'web', namespace))?.status;
  const patchRule = (rule: Record<string, unknown>) => client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace }, { spec: { listener: { rule } } });
  const warnings = () => events.events.filter((e) => e.type === 'Warning').map((e) => e.reason);
  const ready = async () => (await status())?.conditions?.find((c) => c.type === 'Ready');
  return { namespace, alb, a, b, events, create, sync, status, patchRule, warnings, ready };
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

  it('moves its rule when spec.listener.rule.priority changes, puts a hand-moved rule back, and moves nothing onto a rule it does not own', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    const ruleArn = (await f.status())?.ruleARN;
    const { Rules } = await f.alb.elb.send(
      new CreateRuleCommand({ ListenerArn: f.alb.listenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }], Actions: [forwardAction([{ arn: f.a, weight: 100 }])] }),
    );
    const foreign = Rules?.[0]?.RuleArn ?? '';

    await f.patchRule({ priority: 20 });
    expect((await f.sync()).action).toEqual({ kind: 'conflict', arn: foreign, owner: undefined, priorityInUse: true });
    expect((await f.sync()).action).toMatchObject({ kind: 'conflict', priorityInUse: true });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 100 });
    expect(await f.status()).toMatchObject({ phase: 'Error', reason: 'PriorityInUse', ruleARN: ruleArn });
    expect(await f.ready()).toMatchObject({ status: 'False', reason: 'PriorityInUse', message: expect.stringContaining(`cannot move to priority 20: it is held by ${foreign}`) as unknown });
    expect(f.warnings()).toEqual(['PriorityInUse']);

    await f.alb.elb.send(new DeleteRuleCommand({ RuleArn: foreign }));
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false, priority: 20, moveOnly: true });
    expect(await f.alb.weightsAt(10)).toBeUndefined();
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect(await f.status()).toMatchObject({ phase: 'Synced', reason: 'Synced', ruleARN: ruleArn });
    expect((await f.sync()).action).toEqual({ kind: 'none' });

    await f.alb.elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: 30 }] }));
    await f.alb.elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [forwardAction([{ arn: f.b, weight: 100 }])] }));
    expect((await f.sync(true)).action).toEqual({ kind: 'modify', conditions: false, priority: 20 });
    expect(await f.alb.weightsAt(30)).toBeUndefined();
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 70, [f.b]: 30 });
  });

  it('given a new priority and new conditions at once, moves the rule first and rewrites its conditions there', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    const ruleArn = (await f.status())?.ruleARN ?? '';
    const described = async () => (await f.alb.elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules?.[0];

    await f.patchRule({ priority: 20, hosts: ['new.example.com'] });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false, priority: 20, moveOnly: true });
    // Still the old host while it moved: new conditions at priority 10 could take requests meant for 11–19.
    expect(await described()).toMatchObject({ Priority: '20', Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } }] });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: true });
    expect(await described()).toMatchObject({ Priority: '20', Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['new.example.com'] } }] });
    expect((await f.sync()).action).toEqual({ kind: 'none' });
  });

  it('with its status lost and a new priority, moves the rule it tagged instead of creating a second one', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    const ruleArn = (await f.status())?.ruleARN;

    // A restore from a backup brings the object back without its status.
    await client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, { status: null }, { subresource: 'status' });
    await f.patchRule({ priority: 20 });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false, priority: 20, moveOnly: true });
    expect(await f.alb.weightsAt(10)).toBeUndefined();
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect(await f.status()).toMatchObject({ phase: 'Synced', ruleARN: ruleArn });
  });

  it('tags a rule it adopts from the original okra, so it stays its own without the annotation and after losing its status', async () => {
    const f = await setup('eu-west-3');
    const { Rules } = await f.alb.elb.send(new CreateRuleCommand({
      ListenerArn: f.alb.listenerArn,
      Priority: 10,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } }],
      Actions: [forwardAction([{ arn: f.a, weight: 100 }])],
    }));
    const legacyArn = Rules?.[0]?.RuleArn ?? '';
    await f.create(10, [50, 50]);
    const annotate = (value: string | null) => client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, { metadata: { annotations: { 'okra.mumo.co/adopt-rule': value } } });
    await annotate('true');
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false });
    const { TagDescriptions } = await f.alb.elb.send(new DescribeTagsCommand({ ResourceArns: [legacyArn] }));
    expect(TagDescriptions?.[0]?.Tags).toContainEqual({ Key: 'okra.mumo.co/owner', Value: `AWSApplicationLoadBalancerConfig/${f.namespace}/web` });

    // Migration done: the annotation goes; later a restore loses the status while the priority changes.
    await annotate(null);
    await client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, { status: null }, { subresource: 'status' });
    await f.patchRule({ priority: 20 });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false, priority: 20, moveOnly: true });
    expect(await f.alb.weightsAt(10)).toBeUndefined();
    expect(await f.alb.weightsAt(20)).toEqual({ [f.a]: 50, [f.b]: 50 });
    expect(await f.status()).toMatchObject({ phase: 'Synced', ruleARN: legacyArn });
  });

  it('moved to another listener, makes its rule there and names the one it left behind in a Warning', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    const old = (await f.status())?.ruleARN ?? '';
    const other = await f.alb.listener(8080);
    await client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, { spec: { listenerARN: other } });
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    expect((await f.status())?.ruleARN).not.toBe(old);
    expect(await f.alb.weightsAt(10, other)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });
    expect(f.warnings()).toEqual(['ListenerChanged']);
    expect(f.events.events.find((e) => e.reason === 'ListenerChanged')?.message).toContain(`the rule ${old} on the previous listener is left as it is`);
    expect((await f.sync()).action).toEqual({ kind: 'none' });
    expect(f.warnings()).toEqual(['ListenerChanged']);
  });

  it('reports a listener it cannot read as Ready=False RuleReadFailed with one Warning, not as Synced', async () => {
    const f = await setup('eu-west-3');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    expect(await f.status()).toMatchObject({ phase: 'Synced' });
    const missing = f.alb.listenerArn.replace(/\/[0-9a-f]+$/, '/0123456789abcdef');
    await client.mergePatch(AWSApplicationLoadBalancerConfigType, { name: 'web', namespace: f.namespace }, { spec: { listenerARN: missing } });
    await expect(f.sync()).rejects.toThrow();
    await expect(f.sync()).rejects.toThrow();
    expect(await f.status()).toMatchObject({ phase: 'Error', reason: 'RuleReadFailed', message: expect.stringContaining(`could not read the listener rule on ${missing}: `) as unknown });
    expect((await f.ready())?.status).toBe('False');
    expect(f.warnings()).toEqual(['RuleReadFailed']);
  });

  it('reports a failed AWS write as Ready=False ActionFailed with the AWS message and one Warning, and rethrows', async () => {
    const f = await setup('eu-north-1');
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    const missing = f.b.replace(/\/[^/]+$/, '/ffffffffffffffff');

    await f.patchRule({ forward: { targetGroups: [{ name: 'a', arn: f.a, weight: 50 }, { name: 'b', arn: missing, weight: 50 }] } });
    await expect(f.sync()).rejects.toThrow(/not found/);
    await expect(f.sync()).rejects.toThrow(/not found/);
    expect(await f.status()).toMatchObject({ phase: 'Error', reason: 'ActionFailed', message: expect.stringMatching(/^updating listener rule \S+ failed: .*not found/) as unknown });
    expect(await f.ready()).toMatchObject({ status: 'False', reason: 'ActionFailed' });
    expect(f.warnings()).toEqual(['ActionFailed']);
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });

    await f.patchRule({ forward: { targetGroups: [{ name: 'a', arn: f.a, weight: 50 }, { name: 'b', arn: f.b, weight: 50 }] } });
    expect((await f.sync()).action).toEqual({ kind: 'modify', conditions: false });
    expect(await f.status()).toMatchObject({ phase: 'Synced', reason: 'Synced' });
    expect(await f.ready()).toMatchObject({ status: 'True', reason: 'Synced' });
  });

  it('restores hand-edited weights on the next resync pass although the rule cache holds the old read', async () => {
    const region = 'eu-west-3';
    const f = await setup(region, new CachingListenerRules(new SdkListenerRules(awsSettings(region)), { maxAgeMs: 3_600_000 }));
    await f.create(10, [70, 30]);
    expect((await f.sync()).action).toEqual({ kind: 'create' });
    expect((await f.sync()).action).toEqual({ kind: 'none' });

    await f.alb.elb.send(new ModifyRuleCommand({ RuleArn: (await f.status())?.ruleARN, Actions: [forwardAction([{ arn: f.a, weight: 100 }])] }));
    // An ordinary pass may answer from the cache (that is what the cache is for); the resync pass may not.
    expect((await f.sync()).action).toEqual({ kind: 'none' });
    expect((await f.sync(true)).action).toEqual({ kind: 'modify', conditions: false });
    expect(await f.alb.weightsAt(10)).toEqual({ [f.a]: 70, [f.b]: 30 });
  });
});
