import { describe, expect, it } from 'vitest';
import { createMergePatch, jsonEqual, setCondition } from './status.js';

describe('createMergePatch', () => {
  it.each([
    { name: 'equal objects give no patch', from: { a: 1, b: { c: [1] } }, to: { b: { c: [1] }, a: 1 }, want: undefined },
    { name: 'a changed scalar', from: { a: 1 }, to: { a: 2 }, want: { a: 2 } },
    { name: 'a removed key becomes null', from: { a: 1, b: 2 }, to: { a: 1 }, want: { b: null } },
    { name: 'nested change keeps siblings out', from: { s: { x: 1, y: 2 } }, to: { s: { x: 1, y: 3 } }, want: { s: { y: 3 } } },
    { name: 'arrays are replaced whole', from: { l: [1, 2] }, to: { l: [1] }, want: { l: [1] } },
    { name: 'an added key', from: {}, to: { a: { b: 'c' } }, want: { a: { b: 'c' } } },
    { name: 'undefined members count as absent', from: { a: 1 }, to: { a: 1, b: undefined }, want: undefined },
  ])('$name', ({ from, to, want }) => {
    expect(createMergePatch(from, to)).toEqual(want);
  });

});

describe('jsonEqual', () => {
  it.each([
    { name: 'key order is ignored', a: { a: 1, b: 2 }, b: { b: 2, a: 1 }, want: true },
    { name: 'an undefined member equals an absent one', a: { a: 1, b: undefined }, b: { a: 1 }, want: true },
    { name: 'a missing key differs', a: { a: 1, b: 2 }, b: { a: 1, c: 2 }, want: false },
    { name: 'array order counts', a: [1, 2], b: [2, 1], want: false },
    { name: 'array lengths differ', a: [1], b: [1, 1], want: false },
    { name: 'undefined in an array is null, as in JSON', a: [undefined], b: [null], want: true },
    { name: 'nested objects compare deeply', a: { s: { l: [{ x: 1 }] } }, b: { s: { l: [{ x: 1 }] } }, want: true },
    { name: 'nested difference', a: { s: { l: [{ x: 1 }] } }, b: { s: { l: [{ x: 2 }] } }, want: false },
    { name: 'an array is not an object', a: { 0: 1 }, b: [1], want: false },
    { name: 'a number is not its string', a: 1, b: '1', want: false },
    { name: 'null is not an empty object', a: null, b: {}, want: false },
  ])('$name', ({ a, b, want }) => {
    expect(jsonEqual(a, b)).toBe(want);
    expect(jsonEqual(b, a)).toBe(want);
  });
});

describe('setCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T00:05:00Z');

  it('adds a condition with whole-second transition time and generation', () => {
    expect(setCondition([], { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' }, t0, 3)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 3 },
    ]);
  });

  it('keeps the transition time while the status holds and moves it when the status flips', () => {
    const first = setCondition([], { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' }, t0);
    const same = setCondition(first, { type: 'Ready', status: 'True', reason: 'Synced', message: 'still ok' }, t1);
    expect(same[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]?.message).toBe('still ok');
    const flipped = setCondition(same, { type: 'Ready', status: 'False', reason: 'Error', message: 'down' }, t1);
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(flipped).toHaveLength(1);
  });
});
