import { describe, expect, it } from 'vitest';
import type { TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import type { AWSTargetGroupSet } from '../../api/v1alpha1/awstargetgroupset.js';
import { desiredTargetGroup, planTargetGroups, type ClusterListing } from './plan.js';

const ARN = (n: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${n}/0123456789abcdef`;

const set: AWSTargetGroupSet = {
  metadata: { name: 'web', namespace: 'okra', uid: 'set-uid' },
  spec: {
    generators: [{ awseks: { clusterSelector: { matchLabels: { app: 'web' } }, bindingSelector: { matchLabels: { role: 'web' } } } }],
    template: { metadata: { labels: { cell: 'web' } } },
  },
};

function tgb(name: string, extra: { labels?: Record<string, string>; arn?: string; namespace?: string } = {}): TargetGroupBinding {
  return {
    metadata: { name, namespace: extra.namespace ?? 'default', labels: extra.labels ?? { role: 'web', 'okra.mumo.co/version': '1.0.0' } },
    spec: { targetGroupARN: extra.arn ?? ARN(name) },
  };
}

const ok = (cluster: string, ...bindings: TargetGroupBinding[]): ClusterListing => ({ cluster, ok: true, bindings });
const down = (cluster: string): ClusterListing => ({ cluster, ok: false, error: 'connect ECONNREFUSED' });
const existingFrom = (cluster: string, binding: TargetGroupBinding): AWSTargetGroup => desiredTargetGroup(set, cluster, binding);

describe('planTargetGroups', () => {
  it('mirrors each binding with its labels, the template labels and provenance labels', () => {
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing: [] });
    expect(plan.apply).toHaveLength(1);
    expect(plan.apply[0]).toMatchObject({
      metadata: {
        name: 'blue-default-web',
        namespace: 'okra',
        labels: {
          role: 'web',
          'okra.mumo.co/version': '1.0.0',
          cell: 'web',
          'okra.mumo.co/awstargetgroupset': 'web',
          'okra.mumo.co/target-group-binding-cluster': 'blue',
          'okra.mumo.co/target-group-binding-namespace': 'default',
          'okra.mumo.co/target-group-binding-name': 'web',
        },
        ownerReferences: [{ kind: 'AWSTargetGroupSet', uid: 'set-uid' }],
      },
      spec: { arn: ARN('web') },
    });
    expect(plan.clusters).toEqual([{ name: 'blue', targetGroups: 1 }]);
  });

  it('keeps same-named bindings of two clusters apart', () => {
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web')), ok('green', tgb('web', { arn: ARN('web2') }))], existing: [] });
    expect(plan.apply.map((tg) => tg.metadata.name).sort()).toEqual(['blue-default-web', 'green-default-web']);
  });

  it('skips bindings with an invalid ARN or without a version label, naming them', () => {
    const plan = planTargetGroups({
      set,
      listings: [ok('blue', tgb('good'), tgb('bad-arn', { arn: 'arn:aws:s3:::bucket' }), tgb('no-version', { labels: { role: 'web' } }))],
      existing: [],
    });
    expect(plan.apply.map((tg) => tg.metadata.name)).toEqual(['blue-default-good']);
    expect(plan.clusters[0]).toEqual({
      name: 'blue',
      targetGroups: 1,
      skipped: [
        { binding: 'default/bad-arn', reason: 'spec.targetGroupARN arn:aws:s3:::bucket is not a target group ARN' },
        { binding: 'default/no-version', reason: 'no okra.mumo.co/version label' },
      ],
    });
  });

  it('writes nothing for an unchanged binding and updates one whose version label changed', () => {
    const existing = [existingFrom('blue', tgb('web'))];
    expect(planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing }).apply).toEqual([]);
    const relabelled = tgb('web', { labels: { role: 'web', 'okra.mumo.co/version': '2.0.0' } });
    expect(planTargetGroups({ set, listings: [ok('blue', relabelled)], existing }).apply[0]?.metadata.labels).toMatchObject({
      'okra.mumo.co/version': '2.0.0',
    });
  });

  it('deletes the target group of a binding that is gone from a cluster listed completely', () => {
    const existing = [existingFrom('blue', tgb('web')), existingFrom('blue', tgb('old'))];
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing });
    expect(plan.delete.map((tg) => tg.metadata.name)).toEqual(['blue-default-old']);
  });

  it('keeps every target group of an unreachable cluster and names it', () => {
    const existing = [existingFrom('blue', tgb('web')), existingFrom('green', tgb('web'))];
    const plan = planTargetGroups({ set, listings: [down('blue'), ok('green', tgb('web'))], existing });
    expect(plan.delete).toEqual([]);
    expect(plan.clusters).toEqual([
      { name: 'blue', targetGroups: 1, error: 'connect ECONNREFUSED' },
      { name: 'green', targetGroups: 1 },
    ]);
  });

  it('deletes the target groups of a cluster the set no longer selects', () => {
    const existing = [existingFrom('retired', tgb('web'))];
    expect(planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing }).delete.map((tg) => tg.metadata.name)).toEqual([
      'retired-default-web',
    ]);
  });
});

describe('planTargetGroups never deletes what it did not see go', () => {
  it('keeps the target group of a binding that turned invalid, and names the binding', () => {
    const existing = [existingFrom('blue', tgb('web'))];
    const broken = tgb('web', { arn: 'arn:aws:elasticloadbalancing:typo' });
    const unlabelled = tgb('web', { labels: { role: 'web' } });
    for (const binding of [broken, unlabelled]) {
      const plan = planTargetGroups({ set, listings: [ok('blue', binding)], existing });
      expect(plan.delete).toEqual([]);
      expect(plan.apply).toEqual([]);
      expect(plan.clusters[0]?.skipped).toHaveLength(1);
    }
  });

  it('in a partial pass (one cluster) deletes nothing of the clusters it did not list', () => {
    const existing = [existingFrom('blue', tgb('web')), existingFrom('blue', tgb('old')), existingFrom('green', tgb('web'))];
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing, partial: true });
    expect(plan.delete.map((tg) => tg.metadata.name)).toEqual(['blue-default-old']);
    expect(planTargetGroups({ set, listings: [], existing, partial: true }).delete).toEqual([]);
  });

  it('refuses a name two bindings of one cluster would share, keeping what exists', () => {
    const a = tgb('api', { namespace: 'team-web' });
    const b = tgb('web-api', { namespace: 'team', arn: ARN('other') });
    const existing = [existingFrom('blue', a)];
    const plan = planTargetGroups({ set, listings: [ok('blue', a, b)], existing });
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.clusters[0]?.skipped?.map((s) => s.binding)).toEqual(['team-web/api', 'team/web-api']);
    expect(plan.clusters[0]?.skipped?.[0]?.reason).toContain('would be shared by blue:team-web/api and blue:team/web-api');
  });

  it('does not take over the target group of an unreachable cluster whose name it happens to match', () => {
    const theirs = existingFrom('blue-team', tgb('x', { namespace: 'web' }));
    const mine = tgb('x', { namespace: 'team-web', arn: ARN('mine') });
    expect(theirs.metadata.name).toBe(desiredTargetGroup(set, 'blue', mine).metadata.name);
    const plan = planTargetGroups({ set, listings: [down('blue-team'), ok('blue', mine)], existing: [theirs] });
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.clusters.find((c) => c.name === 'blue')?.skipped?.[0]?.reason).toContain('already mirrors blue-team:web/x');
  });
});
