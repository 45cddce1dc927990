import { describe, expect, it } from 'vitest';
import type { Pause } from '../../api/v1alpha1/pause.js';
import { cancelProblem } from './pause.js';

const pause = (phase?: NonNullable<Pause['status']>['phase']): Pause => ({ metadata: { name: 'p' }, spec: { expireTime: '2026-01-01T00:00:00Z' }, ...(phase === undefined ? {} : { status: { phase } }) });

describe('cancelProblem', () => {
  it('allows a new or running Pause', () => {
    expect(cancelProblem(pause())).toBeUndefined();
    expect(cancelProblem(pause('Started'))).toBeUndefined();
  });

  it('refuses one that already ended, as cancelPause does', () => {
    expect(cancelProblem(pause('Cancelled'))).toBe('cannot cancel already cancelled pause');
    expect(cancelProblem(pause('Expired'))).toBe('cannot cancel already expired pause');
  });
});
