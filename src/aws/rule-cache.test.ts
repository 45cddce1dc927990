import { describe, expect, it, vi } from 'vitest';
import type { ForwardWeight, ListenerRulesPort, ListenerRuleState } from './elbv2.js';
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
    findRuleByTag: () => Promise.resolve(undefined),
    ruleTags: () => Promise.resolve({}),
    createRule: () => Promise.resolve('r'),
    modifyRule: () => Promise.resolve(),
    setPriority: () => Promise.resolve(),
    deleteRule: () => Promise.resolve(),
    tagRule: () => Promise.resolve(),
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

/** A promise settled when the test says so. */
function deferred<T>() {
  let release: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => { release = resolve; });
  return { promise, release };
}

/**
 * One rule whose reads and writes each wait until the test releases them, in any order. A read answers
 * with the rule as it was when the read began; a write changes it when released.
 */
function heldRules() {
  let current: ListenerRuleState = { arn: 'r', priority: 10, conditions: [], weights: [{ arn: 'old', weight: 100 }] };
  const held: { kind: 'read' | 'write'; release: () => void }[] = [];
  let describes = 0;
  const read = (): Promise<ListenerRuleState> => {
    describes++;
    const seen = current;
    const d = deferred<ListenerRuleState>();
    held.push({ kind: 'read', release: () => { d.release(seen); } });
    return d.promise;
  };
  const write = (weights: readonly ForwardWeight[]): Promise<void> => {
    const d = deferred<undefined>();
    held.push({ kind: 'write', release: () => { current = { ...current, weights }; d.release(undefined); } });
    return d.promise;
  };
  const port: ListenerRulesPort = { ...fakeRules().port, getRule: read, findRuleByPriority: read, modifyRule: (_arn, input) => write(input.weights) };
  /** Releases the oldest (or the newest) held call of a kind, once there is one. */
  const release = async (kind: 'read' | 'write', which: 'oldest' | 'newest' = 'oldest'): Promise<void> => {
    await vi.waitFor(() => { expect(held.some((h) => h.kind === kind)).toBe(true); });
    const i = which === 'oldest' ? held.findIndex((h) => h.kind === kind) : held.findLastIndex((h) => h.kind === kind);
    held.splice(i, 1)[0]?.release();
  };
  return { port, release, describes: () => describes };
}

const NEW = [{ arn: 'new', weight: 100 }];

describe('CachingListenerRules, reads that overlap a write', () => {
  it('does not let a listener-wide read that started before a write overwrite the read-back after it', async () => {
    const fake = heldRules();
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 60_000 });
    const late = rules.findRuleByPriority('listener', 10);
    const written = rules.modifyRule('r', { weights: NEW });
    await fake.release('write');
    await written;
    const readBack = rules.getRule('r', { fresh: true });
    await fake.release('read', 'newest');
    expect((await readBack)?.weights).toEqual(NEW);
    await fake.release('read'); // the listener-wide read answers last, with the rule as it was before the write
    expect((await late)?.weights).toEqual([{ arn: 'old', weight: 100 }]);
    expect((await rules.getRule('r'))?.weights).toEqual(NEW);
    expect(fake.describes()).toBe(2);
  });

  it('does not cache a rule read that started before a write and answered after it', async () => {
    const fake = heldRules();
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 60_000 });
    const early = rules.getRule('r', { fresh: true });
    const written = rules.modifyRule('r', { weights: NEW });
    await fake.release('write');
    await written;
    await fake.release('read');
    await early;
    const next = rules.getRule('r');
    expect(fake.describes()).toBe(2);
    await fake.release('read');
    expect((await next)?.weights).toEqual(NEW);
  });

  it('does not cache a rule read that started during a write, even if it answered before the write ended', async () => {
    const fake = heldRules();
    const rules = new CachingListenerRules(fake.port, { maxAgeMs: 60_000 });
    const written = rules.modifyRule('r', { weights: NEW });
    const during = rules.getRule('r', { fresh: true });
    await fake.release('read');
    expect((await during)?.weights).toEqual([{ arn: 'old', weight: 100 }]);
    await fake.release('write');
    await written;
    const next = rules.getRule('r');
    expect(fake.describes()).toBe(2);
    await fake.release('read');
    expect((await next)?.weights).toEqual(NEW);
  });
});
