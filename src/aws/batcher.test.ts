import { describe, expect, it } from 'vitest';
import { KeyBatcher, type BatchAnswer } from './batcher.js';

/** A call the test finishes by hand, recording the keys of each call. */
function heldCalls() {
  const calls: { keys: string[]; finish: () => void }[] = [];
  const call = (keys: readonly string[]): Promise<BatchAnswer<string>> =>
    new Promise((resolve) => {
      calls.push({ keys: [...keys], finish: () => { resolve(new Map(keys.map((k) => [k, { status: 'fulfilled', value: `v-${k}` }]))); } });
    });
  return { call, calls };
}

/** Lets a few turns of the event loop pass: a finished call's follow-up is scheduled for the turn after. */
const turn = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

describe('KeyBatcher', () => {
  it('sends the keys asked for in one turn as one call, once per key, each caller getting its own value', async () => {
    const calls: string[][] = [];
    const batcher = new KeyBatcher<string>((keys) => {
      calls.push([...keys]);
      return Promise.resolve(new Map(keys.map((k) => [k, { status: 'fulfilled', value: `v-${k}` }])));
    }, { maxKeysPerCall: 20, maxCallsInFlight: 4 });
    const got = await Promise.all(['a', 'b', 'c', 'a'].map((k) => batcher.load(k)));
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(got).toEqual(['v-a', 'v-b', 'v-c', 'v-a']);
  });

  it('splits a larger burst into calls of at most maxKeysPerCall keys', async () => {
    const sizes: number[] = [];
    const batcher = new KeyBatcher<string>((keys) => {
      sizes.push(keys.length);
      return Promise.resolve(new Map(keys.map((k) => [k, { status: 'fulfilled', value: k }])));
    }, { maxKeysPerCall: 20, maxCallsInFlight: 4 });
    await Promise.all(Array.from({ length: 45 }, (_, i) => batcher.load(`k${i}`)));
    expect(sizes).toEqual([20, 20, 5]);
  });

  it('with maxCallsInFlight calls running, holds new keys and sends them together when one returns', async () => {
    const held = heldCalls();
    const batcher = new KeyBatcher(held.call, { maxKeysPerCall: 20, maxCallsInFlight: 2 });
    const first = [batcher.load('a')];
    await turn();
    first.push(batcher.load('b'));
    await turn();
    const waiting = ['c', 'd', 'e'].map((k) => batcher.load(k));
    await turn();
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['b']]);

    held.calls[0]?.finish();
    await turn();
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    held.calls[1]?.finish();
    held.calls[2]?.finish();
    expect(await Promise.all([...first, ...waiting])).toEqual(['v-a', 'v-b', 'v-c', 'v-d', 'v-e']);
  });

  it('answers a key asked for while a call for it runs from a later call, never from the running one', async () => {
    const held = heldCalls();
    const batcher = new KeyBatcher(held.call, { maxKeysPerCall: 20, maxCallsInFlight: 4 });
    const early = batcher.load('a');
    await turn();
    const late = batcher.load('a');
    await turn();
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['a']]);
    held.calls[0]?.finish();
    expect(await early).toBe('v-a');
    let lateSettled = false;
    void late.then(() => { lateSettled = true; });
    await turn();
    expect(lateSettled).toBe(false);
    held.calls[1]?.finish();
    expect(await late).toBe('v-a');
  });

  it('hands a failed call to every caller in it, and the next load makes a new call', async () => {
    const calls: string[][] = [];
    const batcher = new KeyBatcher<string>((keys) => {
      calls.push([...keys]);
      return Promise.reject(new Error('Throttling: Rate exceeded'));
    }, { maxKeysPerCall: 20, maxCallsInFlight: 4 });
    const results = await Promise.allSettled([batcher.load('a'), batcher.load('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(batcher.load('a')).rejects.toThrow('Throttling');
    expect(calls).toEqual([['a', 'b'], ['a']]);
  });

  it('fails only the callers of a key whose own outcome failed, and never takes an unanswered key as a value', async () => {
    const batcher = new KeyBatcher<string | undefined>(
      () => Promise.resolve(new Map<string, PromiseSettledResult<string | undefined>>([
        ['ok', { status: 'fulfilled', value: 'v-ok' }],
        ['gone', { status: 'fulfilled', value: undefined }],
        ['bad', { status: 'rejected', reason: new Error('ValidationError: bad ARN') }],
      ])),
      { maxKeysPerCall: 20, maxCallsInFlight: 4 },
    );
    const [ok, gone, bad, unanswered] = await Promise.allSettled(['ok', 'gone', 'bad', 'unanswered'].map((k) => batcher.load(k)));
    expect(ok).toEqual({ status: 'fulfilled', value: 'v-ok' });
    expect(gone).toEqual({ status: 'fulfilled', value: undefined });
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'ValidationError: bad ARN' } });
    expect(unanswered).toMatchObject({ status: 'rejected', reason: { message: 'the batched call gave no answer for unanswered' } });
  });

  it('sends urgent keys first, and in a call of their own when every regular call is taken, holding the others', async () => {
    const held = heldCalls();
    const batcher = new KeyBatcher(held.call, { maxKeysPerCall: 2, maxCallsInFlight: 1 });
    const results: Promise<string>[] = [batcher.load('a')];
    await turn();
    results.push(batcher.load('b'), batcher.load('c', { urgent: true }), batcher.load('d', { urgent: true }));
    await turn();
    // The one regular call is taken by 'a': the urgent keys go in the extra call, 'b' waits.
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['c', 'd']]);

    results.push(batcher.load('e'), batcher.load('f', { urgent: true }));
    await turn();
    // At most one extra call: 'f' waits too.
    expect(held.calls).toHaveLength(2);

    held.calls[0]?.finish();
    await turn();
    // The freed regular call takes the urgent key first.
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['c', 'd'], ['f', 'b']]);
    held.calls[1]?.finish();
    held.calls[2]?.finish();
    await turn();
    expect(held.calls.map((c) => c.keys)).toEqual([['a'], ['c', 'd'], ['f', 'b'], ['e']]);
    held.calls[3]?.finish();
    expect(await Promise.all(results)).toEqual(['v-a', 'v-b', 'v-c', 'v-d', 'v-e', 'v-f']);
  });
});
