import { describe, expect, it } from 'vitest';
import type { ListenerRulesPort, ListenerRuleState, RuleBatchReader } from './elbv2.js';
import { CachingListenerRules, MAX_RULES_PER_DESCRIBE } from './rule-cache.js';

/** An in-memory ListenerRulesPort that counts describes. */
function fakeRules() {
  const rule: ListenerRuleState = { arn: 'r', priority: 10, conditions: [], weights: [{ arn: 'a', weight: 100 }] };
  let describes = 0;
  const port: ListenerRulesPort = {
    getRule: () => {
      describes++;
      return Promise.resolve(rule);
    },
    findRuleByPriority: () => Promise.resolve(rule),
    ruleTags: () => Promise.resolve({}),
    createRule: () => Promise.resolve('r'),
    modifyRule: () => Promise.resolve(),
    setPriority: () => Promise.resolve(),
    deleteRule: () => Promise.resolve(),
  };
  return { port, describes: () => describes };
}

describe('CachingListenerRules', () => {
  it('answers from a recent describe, goes to AWS once it is old, on `fresh`, and after any write', async () => {
    let now = 0;
    const fake = fakeRules();
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 1000, now: () => now });
    await rules.getRule('r');
    await rules.getRule('r');
    expect(fake.describes()).toBe(1);
    now = 999;
    await rules.getRule('r');
    expect(fake.describes()).toBe(1);
    now = 1000;
    await rules.getRule('r');
    expect(fake.describes()).toBe(2);
    await rules.getRule('r', { fresh: true });
    expect(fake.describes()).toBe(3);
    await rules.modifyRule('r', { weights: [] });
    await rules.getRule('r');
    expect(fake.describes()).toBe(4);
  });
});

/** A fake that also reads in batches, recording each batch; `gone` ARNs are missing, `fail` makes a batch throw. */
function batchingRules(opts: { gone?: readonly string[]; fail?: boolean } = {}) {
  const batches: string[][] = [];
  const rule = (arn: string): ListenerRuleState => ({ arn, priority: 1, conditions: [], weights: [{ arn: `tg-${arn}`, weight: 100 }] });
  const port: ListenerRulesPort & RuleBatchReader = {
    ...fakeRules().port,
    getRule: () => Promise.reject(new Error('single reads must not be used')),
    getRules: (arns) => {
      batches.push([...arns]);
      if (opts.fail) return Promise.reject(new Error('Throttling: Rate exceeded'));
      return Promise.resolve(new Map(arns.map((a) => [a, opts.gone?.includes(a) ? undefined : rule(a)])));
    },
  };
  return { port, batches };
}

describe('CachingListenerRules batching', () => {
  it('describes the rules asked for in the same turn in one call, each caller getting its own rule', async () => {
    const fake = batchingRules({ gone: ['r3'] });
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 1000 });
    const got = await Promise.all(['r1', 'r2', 'r3', 'r1'].map((arn) => rules.getRule(arn, { fresh: true })));
    expect(fake.batches).toEqual([['r1', 'r2', 'r3']]);
    expect(got.map((r) => r?.weights[0]?.arn)).toEqual(['tg-r1', 'tg-r2', undefined, 'tg-r1']);
    await rules.getRule('r2');
    expect(fake.batches).toHaveLength(1);
  });

  it(`splits a larger burst into calls of at most ${MAX_RULES_PER_DESCRIBE} rules`, async () => {
    const fake = batchingRules();
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 1000 });
    await Promise.all(Array.from({ length: 45 }, (_, i) => rules.getRule(`r${i}`)));
    expect(fake.batches.map((b) => b.length)).toEqual([20, 20, 5]);
  });

  it('hands a failed call to every caller in it, and caches nothing', async () => {
    const fake = batchingRules({ fail: true });
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 1000 });
    const results = await Promise.allSettled([rules.getRule('a'), rules.getRule('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(rules.getRule('a')).rejects.toThrow('Throttling');
    expect(fake.batches).toEqual([['a', 'b'], ['a']]);
  });
});
