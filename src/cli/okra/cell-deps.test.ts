import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/client.js';
import { ListSnapshot } from './cell-deps.js';

const obj = (namespace: string, name: string): KubeObject => ({ metadata: { namespace, name } });

describe('ListSnapshot', () => {
  const snapshot = new ListSnapshot([obj('a', 'web'), obj('b', 'web'), obj('a', 'api')]);

  it('lists like an informer: all, or one namespace', () => {
    expect(snapshot.list()).toHaveLength(3);
    expect(snapshot.list('a').map((o) => o.metadata.name)).toEqual(['web', 'api']);
    expect(snapshot.list('c')).toEqual([]);
  });

  it('gets by name and namespace', () => {
    expect(snapshot.get('web', 'b')).toBe(snapshot.list('b')[0]);
    expect(snapshot.get('web', 'c')).toBeUndefined();
  });
});
