import { describe, expect, it } from 'vitest';
import type { ListenerRulesPort, ListenerRuleState } from './elbv2.js';
import { CachingListenerRules } from './rule-cache.js';

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
