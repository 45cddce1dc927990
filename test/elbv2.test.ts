// The ELBv2 adapter against moto: rules read together go out in one DescribeRules call, every page of it,
// including a rule deleted in the meantime (AWS fails the whole call then, so the adapter falls back to
// one call per rule); the cache in front of it reads the same way; weight writes made together describe
// their rules in one call, and keep the actions a rule runs before its forward.
import { AddTagsCommand, DescribeRulesCommand, CreateRuleCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { SdkListenerRules, forwardAction, type ListenerRuleState } from '../src/aws/elbv2.js';
import { CachingListenerRules } from '../src/aws/rule-cache.js';
import { createAlb } from './support/alb.js';
import { awsSettings } from './support/env.js';

const WEIGHTS: readonly [number, number][] = [[100, 0], [80, 20], [0, 100], [50, 50], [10, 90]];

async function setup(opts: { rules?: number; pageSize?: number } = {}) {
  const settings = awsSettings('eu-north-1');
  const alb = await createAlb(settings);
  const calls: string[] = [];
  const rules = new SdkListenerRules(settings, (call) => { calls.push(call.operation); }, opts.pageSize ? { pageSize: opts.pageSize } : {});
  const [a, b] = [await alb.targetGroup('a'), await alb.targetGroup('b')];
  const make = (priority: number, weights: readonly [number, number]) =>
    rules.createRule({
      listenerArn: alb.listenerArn,
      priority,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`p${priority}.example.com`] } }],
      weights: [{ arn: a, weight: weights[0] }, { arn: b, weight: weights[1] }],
      tags: {},
    });
  const arns: string[] = [];
  for (const [i, weights] of WEIGHTS.slice(0, opts.rules ?? 3).entries()) arns.push(await make(i + 1, weights));
  calls.length = 0;
  return { alb, rules, arns, a, b, calls };
}

/** Reads rules the way Cells falling due together do: every read asked for in the same turn. */
function readTogether(rules: SdkListenerRules, arns: readonly string[]): Promise<(ListenerRuleState | undefined)[]> {
  return Promise.all(arns.map((arn) => rules.getRule(arn)));
}

describe('SdkListenerRules.getRule, batched', () => {
  it('reads the rules asked for together in one call, and reads a deleted rule as undefined', async () => {
    const { rules, arns, a, b, calls } = await setup();
    const all = await readTogether(rules, arns);
    expect(all[1]?.weights).toEqual([{ arn: a, weight: 80 }, { arn: b, weight: 20 }]);
    expect(all.map((r) => r?.priority)).toEqual([1, 2, 3]);
    expect(calls).toEqual(['DescribeRules']);

    await rules.deleteRule(arns[1] ?? '');
    calls.length = 0;
    const afterDelete = await readTogether(rules, arns);
    expect(calls[0]).toBe('DescribeRules');
    expect(afterDelete[1]).toBeUndefined();
    expect(afterDelete[0]?.weights).toEqual([{ arn: a, weight: 100 }, { arn: b, weight: 0 }]);
    expect(afterDelete[2]?.weights).toEqual([{ arn: a, weight: 0 }, { arn: b, weight: 100 }]);
  });

  it('follows NextMarker: a rule on a later page is read from that page, not taken as gone', async () => {
    const { rules, arns, a, b, calls } = await setup({ rules: 5, pageSize: 2 });
    const all = await readTogether(rules, arns);
    expect(all.map((r) => r?.priority)).toEqual([1, 2, 3, 4, 5]);
    expect(all[4]?.weights).toEqual([{ arn: a, weight: 10 }, { arn: b, weight: 90 }]);
    // Three pages of one call; reading the two rules past the first page on their own would be four calls.
    expect(calls).toEqual(['DescribeRules', 'DescribeRules', 'DescribeRules']);
  });

  it('behind the cache, fresh reads asked for together are one DescribeRules call', async () => {
    const { rules, arns, calls } = await setup();
    const cached = new CachingListenerRules(rules, { maxAgeMs: 60_000 });
    const read = await Promise.all(arns.map((arn) => cached.getRule(arn, { fresh: true })));
    expect(read.map((r) => r?.arn)).toEqual(arns);
    expect(calls).toEqual(['DescribeRules']);
  });
});

describe('SdkListenerRules.findRuleByTag', () => {
  it('finds the rule carrying a tag on any page, past the 20 ARNs one DescribeTags call takes, and reads no tags twice', async () => {
    const { alb, rules, a } = await setup({ rules: 0 });
    const make = (priority: number, tags: Record<string, string>) =>
      rules.createRule({ listenerArn: alb.listenerArn, priority, conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`p${priority}.example.com`] } }], weights: [{ arn: a, weight: 100 }], tags });
    for (let priority = 1; priority <= 21; priority++) await make(priority, { 'okra.mumo.co/owner': `Cell/prod/other-${priority}` });
    const mine = await make(22, { 'okra.mumo.co/owner': 'Cell/prod/web' });
    // Another process (a restarted okrad) that has read no tags yet.
    const calls: string[] = [];
    const searcher = new SdkListenerRules(awsSettings('eu-north-1'), (call) => { calls.push(call.operation); }, { pageSize: 5 });

    expect((await searcher.findRuleByTag(alb.listenerArn, 'okra.mumo.co/owner', 'Cell/prod/web'))?.arn).toBe(mine);
    expect(calls.filter((c) => c === 'DescribeTags')).toHaveLength(3);
    calls.length = 0;
    expect(await searcher.findRuleByTag(alb.listenerArn, 'okra.mumo.co/owner', 'Cell/prod/nobody')).toBeUndefined();
    expect(calls.filter((c) => c === 'DescribeTags')).toHaveLength(0);
  });

  it('confirms a match with a fresh read: a rule retagged by hand since is not taken', async () => {
    const { alb, rules, a } = await setup({ rules: 0 });
    const mine = await rules.createRule({ listenerArn: alb.listenerArn, priority: 3, conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }], weights: [{ arn: a, weight: 100 }], tags: { 'okra.mumo.co/owner': 'Cell/prod/web' } });
    expect((await rules.findRuleByTag(alb.listenerArn, 'okra.mumo.co/owner', 'Cell/prod/web'))?.arn).toBe(mine);
    await alb.elb.send(new AddTagsCommand({ ResourceArns: [mine], Tags: [{ Key: 'okra.mumo.co/owner', Value: 'Cell/prod/someone-else' }] }));
    expect(await rules.findRuleByTag(alb.listenerArn, 'okra.mumo.co/owner', 'Cell/prod/web')).toBeUndefined();
  });
});

describe('SdkListenerRules.modifyRule', () => {
  it('keeps an authenticate-oidc action before the forward across a weight write', async () => {
    const { alb, rules, a, b } = await setup({ rules: 0 });
    const oidc: Action = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: { Issuer: 'https://idp.example.com', AuthorizationEndpoint: 'https://idp.example.com/auth', TokenEndpoint: 'https://idp.example.com/token', UserInfoEndpoint: 'https://idp.example.com/me', ClientId: 'okra', ClientSecret: 'secret' },
    };
    // An adopted rule (or one edited by hand) that authenticates before it forwards.
    const created = await alb.elb.send(
      new CreateRuleCommand({
        ListenerArn: alb.listenerArn,
        Priority: 7,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/app'] } }],
        Actions: [oidc, { ...forwardAction([{ arn: a, weight: 100 }]), Order: 2 }],
      }),
    );
    const ruleArn = created.Rules?.[0]?.RuleArn ?? '';

    await rules.modifyRule(ruleArn, { weights: [{ arn: a, weight: 60 }, { arn: b, weight: 40 }] });

    const actions = (await alb.elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules?.[0]?.Actions ?? [];
    expect(actions.map((x) => [x.Type, x.Order])).toEqual([['authenticate-oidc', 1], ['forward', 2]]);
    expect(actions[0]?.AuthenticateOidcConfig).toMatchObject({ Issuer: 'https://idp.example.com', ClientId: 'okra', UseExistingClientSecret: true });
    expect((await rules.getRule(ruleArn))?.weights).toEqual([{ arn: a, weight: 60 }, { arn: b, weight: 40 }]);
  });

  it('describes the rules of weight writes made together in one call, then writes each', async () => {
    const { rules, arns, a, b, calls } = await setup();
    await Promise.all(arns.map((arn) => rules.modifyRule(arn, { weights: [{ arn: a, weight: 25 }, { arn: b, weight: 75 }] })));
    expect(calls).toEqual(['DescribeRules', 'ModifyRule', 'ModifyRule', 'ModifyRule']);
    const after = await readTogether(rules, arns);
    expect(after.map((r) => r?.weights)).toEqual(arns.map(() => [{ arn: a, weight: 25 }, { arn: b, weight: 75 }]));
  });

  it('refuses a weight write to a rule that is gone, without writing', async () => {
    const { rules, arns, a, calls } = await setup();
    await rules.deleteRule(arns[0] ?? '');
    calls.length = 0;
    await expect(rules.modifyRule(arns[0] ?? '', { weights: [{ arn: a, weight: 100 }] })).rejects.toMatchObject({ name: 'RuleNotFoundException' });
    expect(calls).toEqual(['DescribeRules']);
  });
});
