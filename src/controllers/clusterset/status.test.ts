import { describe, expect, it } from 'vitest';
import type { ClusterSet } from '../../api/v1alpha1/clusterset.js';
import type { ClusterEntry } from './plan.js';
import { clusterSetStatus } from './status.js';

const cs: ClusterSet = {
  apiVersion: 'okra.mumo.co/v1alpha1',
  kind: 'ClusterSet',
  metadata: { name: 'web', namespace: 'argocd', generation: 1 },
  spec: { generators: [{ awseks: {} }], template: { metadata: {} } },
};

const namesOf = (entries: ClusterEntry[]) =>
  clusterSetStatus(cs, { discovery: { clusters: [], complete: true, errors: [] }, entries, created: [], updated: [], deleted: [] }, new Date(0)).clusters?.names;

describe('clusterSetStatus', () => {
  it('names every cluster that has a Secret of this set: synced, or kept while the cluster updates', () => {
    expect(
      namesOf([
        { name: 'blue', secret: 'blue', state: 'Synced' },
        { name: 'green', secret: 'green', state: 'Skipped', message: 'cluster is UPDATING: its Secret is kept unchanged until it is ACTIVE' },
        { name: 'new', state: 'Skipped', message: 'cluster is CREATING: no Secret until it is ACTIVE' },
        { name: 'theirs', secret: 'theirs', state: 'Error', message: 'Secret theirs exists and is not owned by this ClusterSet; left untouched' },
      ]),
    ).toEqual(['blue', 'green']);
  });
});
