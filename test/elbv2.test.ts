// The ELBv2 adapter against moto: several rules read in one DescribeRules call, including a rule deleted
// in the meantime (AWS fails the whole call then, so the adapter falls back to one call per rule), and
// the cache in front of it sending the reads of one turn as that one call.
import { describe, expect, it } from 'vitest';
import { SdkListenerRules } from '../src/aws/elbv2.js';
import { CachingListenerRules } from '../src/aws/rule-cache.js';
import { createAlb } from './support/alb.js';
import { awsSettings } from './support/env.js';

async function setup() {
  const settings = awsSettings('eu-north-1');
  const alb = await createAlb(settings);
  const calls: string[] = [];
  const rules = new SdkListenerRules(settings, (call) => { calls.push(call.operation); });
  const [a, b] = [await alb.targetGroup('a'), await alb.targetGroup('b')];
  const make = (priority: number, weights: [number, number]) =>
    rules.createRule({
      listenerArn: alb.listenerArn,
      priority,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`p${priority}.example.com`] } }],
      weights: [{ arn: a, weight: weights[0] }, { arn: b, weight: weights[1] }],
      tags: {},
    });
  const arns = [await make(1, [100, 0]), await make(2, [80, 20]), await make(3, [0, 100])];
  calls.length = 0;
  return { rules, arns, a, b, calls };
}

describe('SdkListenerRules.getRules', () => {
  it('reads several rules in one call, and maps a deleted rule to undefined', async () => {
    const { rules, arns, a, b, calls } = await setup();
    const [r1, r2, r3] = arns as [string, string, string];
    const all = await rules.getRules([r1, r2, r3]);
    expect(all.get(r2)?.weights).toEqual([{ arn: a, weight: 80 }, { arn: b, weight: 20 }]);
    expect([...all.values()].map((r) => r?.priority)).toEqual([1, 2, 3]);
    expect(calls).toEqual(['DescribeRules']);

    await rules.deleteRule(r2);
    calls.length = 0;
    const afterDelete = await rules.getRules([r1, r2, r3]);
    expect(calls[0]).toBe('DescribeRules');
    expect(afterDelete.get(r2)).toBeUndefined();
    expect(afterDelete.get(r1)?.weights).toEqual([{ arn: a, weight: 100 }, { arn: b, weight: 0 }]);
    expect(afterDelete.get(r3)?.weights).toEqual([{ arn: a, weight: 0 }, { arn: b, weight: 100 }]);
  });

  it('behind the cache, the reads of one turn are one DescribeRules call', async () => {
    const { rules, arns, calls } = await setup();
    const cached = new CachingListenerRules(rules, { maxAgeMs: 60_000 });
    const read = await Promise.all(arns.map((arn) => cached.getRule(arn, { fresh: true })));
    expect(read.map((r) => r?.arn)).toEqual(arns);
    expect(calls).toEqual(['DescribeRules']);
  });
});
