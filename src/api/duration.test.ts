import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    [30, 30_000],
    ['30', 30_000],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ] as const)('%s → %d ms', (input, want) => {
    expect(parseDuration(input)).toBe(want);
  });

  it.each(['', 'soon', '5 minutes', '-5s', '1d', 'm5'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
