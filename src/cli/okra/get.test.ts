import { describe, expect, it } from 'vitest';
import type { Cell } from '../../api/v1alpha1/cell.js';
import { stepLabel } from '../okractl/view.js';
import { cellRow } from './get.js';

const cell = (status: Cell['status']): Cell => ({
  metadata: { name: 'web', namespace: 'prod' },
  spec: { ingress: {}, updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } } },
  ...(status ? { status } : {}),
});

describe('cellRow', () => {
  it('shows the canary weight and the step 1-based while a rollout runs', () => {
    expect(cellRow(cell({ phase: 'Paused', stableVersion: '1.0.0', desiredVersion: '2.0.0', canaryWeight: 20, currentStepIndex: 1 })).slice(0, 7)).toEqual(['prod', 'web', 'Paused', '1.0.0', '2.0.0', '20%', '2/3']);
    expect(cellRow(cell({ phase: 'Progressing', stableVersion: '1.0.0', desiredVersion: '2.0.0', canaryWeight: 0, currentStepIndex: 0 }))[6]).toBe('1/3');
  });

  it('leaves the canary empty once a version is stable, and shows no step before the first pass', () => {
    expect(cellRow(cell({ phase: 'Completed', stableVersion: '2.0.0', desiredVersion: '2.0.0', canaryWeight: 100, currentStepIndex: 3 })).slice(2, 7)).toEqual(['Completed', '2.0.0', '2.0.0', '', '3/3']);
    expect(cellRow(cell(undefined)).slice(2, 7)).toEqual(['', '', '', '', '-']);
  });

  it('numbers steps exactly as okractl does', () => {
    for (const currentStepIndex of [undefined, 0, 1, 2, 3]) {
      const c = cell({ phase: 'Progressing', desiredVersion: '2.0.0', ...(currentStepIndex === undefined ? {} : { currentStepIndex }) });
      expect(cellRow(c)[6]).toBe(stepLabel(c));
    }
  });
});
