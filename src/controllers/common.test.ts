import { describe, expect, it } from 'vitest';
import { statusOnlyUpdate } from './common.js';

describe('statusOnlyUpdate: which updates of a ClusterSet or AWSTargetGroupSet start a pass', () => {
  const meta = (m: Record<string, unknown> = {}) => ({ metadata: { generation: 3, labels: { team: 'a' }, annotations: { note: 'x' }, ...m } });
  it.each([
    { name: 'our own status write (lastSyncTime moved)', next: meta(), skip: true },
    { name: 'a spec change (generation)', next: meta({ generation: 4 }), skip: false },
    { name: 'a label removed', next: meta({ labels: {} }), skip: false },
    { name: 'an annotation changed', next: meta({ annotations: { note: 'y' } }), skip: false },
    { name: 'deletion started', next: meta({ deletionTimestamp: '2024-01-01T00:00:00Z' }), skip: false },
    { name: 'a finalizer added', next: meta({ finalizers: ['example.com/keep'] }), skip: false },
  ])('$name → skip $skip', ({ next, skip }) => {
    expect(statusOnlyUpdate(next, meta())).toBe(skip);
  });
});
