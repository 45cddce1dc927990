import { describe, expect, it } from 'vitest';
import type { TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import type { AWSTargetGroupSet } from '../../api/v1alpha1/awstargetgroupset.js';
import { desiredTargetGroup, planTargetGroups, validateTargetGroupSet, withFailedWrites, type ClusterListing } from './plan.js';

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

  it('while a cluster cannot be listed, keeps what an unselected cluster had: it may be that cluster renamed', () => {
    const existing = [existingFrom('blue', tgb('web')), existingFrom('blue', tgb('old')), existingFrom('green', tgb('web'))];
    const plan = planTargetGroups({ set, listings: [down('blue-eks'), ok('green')], existing });
    expect(plan.delete.map((tg) => tg.metadata.name)).toEqual(['green-default-web']);
    const complete = planTargetGroups({ set, listings: [ok('blue-eks', tgb('web')), ok('green')], existing });
    expect(complete.delete.map((tg) => tg.metadata.name).sort()).toEqual(['blue-default-old', 'blue-default-web', 'green-default-web']);
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

describe('planTargetGroups never takes over an AWSTargetGroup it does not own', () => {
  const other: AWSTargetGroupSet = { ...set, metadata: { name: 'web-canary', namespace: 'okra', uid: 'other-uid' }, spec: { ...set.spec, template: { metadata: { labels: { cell: 'canary' } } } } };
  const byHand = (tg: AWSTargetGroup): AWSTargetGroup => {
    const { 'okra.mumo.co/awstargetgroupset': _owner, ...labels } = tg.metadata.labels ?? {};
    return { ...tg, metadata: { ...tg.metadata, labels, ownerReferences: [] } };
  };
  const theirs = desiredTargetGroup(other, 'blue', tgb('web'));
  const ownedBy = (tg: AWSTargetGroup, owner: string): AWSTargetGroup => ({ ...tg, metadata: { ...tg.metadata, labels: { ...tg.metadata.labels, 'okra.mumo.co/awstargetgroupset': owner } } });
  const cases: { name: string; existing: AWSTargetGroup[]; reason: string }[] = [
    { name: 'one another set owns (same cluster and binding)', existing: [theirs], reason: 'AWSTargetGroup blue-default-web belongs to AWSTargetGroupSet web-canary' },
    { name: 'one another set owns, identical to ours but for the owner', existing: [ownedBy(existingFrom('blue', tgb('web')), 'web-canary')], reason: 'belongs to AWSTargetGroupSet web-canary' },
    { name: 'one no set owns (made by hand)', existing: [byHand(desiredTargetGroup(set, 'blue', tgb('web')))], reason: 'AWSTargetGroup blue-default-web exists and belongs to no AWSTargetGroupSet' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, names it, and neither writes nor deletes it`, () => {
      const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'))], existing: c.existing });
      expect(plan.apply).toEqual([]);
      expect(plan.delete).toEqual([]);
      expect(plan.clusters).toEqual([{ name: 'blue', targetGroups: 0, skipped: [{ binding: 'default/web', reason: expect.stringContaining(c.reason) as unknown }] }]);
    });
  }

  it('still mirrors its other bindings, and deletes only its own objects', () => {
    const gone = existingFrom('blue', tgb('gone'));
    const theirsGone = desiredTargetGroup(other, 'blue', tgb('gone2'));
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'), tgb('api'))], existing: [theirs, gone, theirsGone] });
    expect(plan.apply.map((tg) => tg.metadata.name)).toEqual(['blue-default-api']);
    expect(plan.delete.map((tg) => tg.metadata.name)).toEqual(['blue-default-gone']);
  });
});

describe('withFailedWrites', () => {
  it('names a refused apply with its binding and the API server message, and drops a failed delete', () => {
    const existing = [existingFrom('blue', tgb('old'))];
    const plan = planTargetGroups({ set, listings: [ok('blue', tgb('web'), tgb('api'))], existing });
    const done = withFailedWrites(plan, {
      failedApplies: new Map([['blue-default-web', 'admission denied: no']]),
      failedDeletes: new Map([['blue-default-old', 'forbidden']]),
    });
    expect(done.apply.map((tg) => tg.metadata.name)).toEqual(['blue-default-api']);
    expect(done.delete).toEqual([]);
    expect(done.clusters).toEqual([
      { name: 'blue', targetGroups: 1, skipped: [{ binding: 'default/web', reason: 'AWSTargetGroup blue-default-web was refused: admission denied: no' }] },
    ]);
  });
});

describe('validateTargetGroupSet', () => {
  const withLabels = (labels: Record<string, string>, name = 'web') => validateTargetGroupSet({ metadata: { name }, spec: { ...set.spec, template: { metadata: { labels } } } });
  const cases: { labels: Record<string, string>; name?: string; problem: RegExp | undefined }[] = [
    { labels: { cell: 'web', 'example.com/tier': 'front_end.1', empty: '' }, problem: undefined },
    { labels: { cell: 'web app' }, problem: /^spec\.template\.metadata\.labels\.cell: "web app" is not a valid label value/ },
    { labels: { cell: 'x'.repeat(64) }, problem: /labels\.cell: "x{64}" is not a valid label value/ },
    { labels: { cell: '-web' }, problem: /is not a valid label value/ },
    { labels: { 'bad key': 'x' }, problem: /^spec\.template\.metadata\.labels: "bad key" is not a valid label key/ },
    { labels: { 'Example.com/x': 'y' }, problem: /is not a valid label key/ },
    { labels: {}, name: 'n'.repeat(64), problem: /^metadata\.name n{64} is longer than 63 characters/ },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.labels)}${c.name ? ` named ${c.name.length} characters` : ''} → ${c.problem ? 'refused' : 'valid'}`, () => {
      const problem = withLabels(c.labels, c.name);
      if (c.problem) expect(problem).toMatch(c.problem);
      else expect(problem).toBeUndefined();
    });
  }

  const withSelector = (selector: 'clusterSelector' | 'bindingSelector', matchLabels: Record<string, string>) =>
    validateTargetGroupSet({ metadata: { name: 'web' }, spec: { generators: [{ awseks: { clusterSelector: { matchLabels: { app: 'web' } }, [selector]: { matchLabels } } }] } });
  const selectorCases: { selector: 'clusterSelector' | 'bindingSelector'; matchLabels: Record<string, string>; problem: RegExp | undefined }[] = [
    { selector: 'bindingSelector', matchLabels: { tier: 'front-end', 'example.com/app': 'web' }, problem: undefined },
    { selector: 'bindingSelector', matchLabels: { tier: 'front end' }, problem: /^spec\.generators\[0\]\.awseks\.bindingSelector\.matchLabels\.tier: "front end" is not a valid label value/ },
    // A comma would add a selector term of its own when the selector is sent to the cluster.
    { selector: 'bindingSelector', matchLabels: { app: 'web,tier=x' }, problem: /bindingSelector\.matchLabels\.app: "web,tier=x" is not a valid label value/ },
    { selector: 'clusterSelector', matchLabels: { 'bad key': 'x' }, problem: /^spec\.generators\[0\]\.awseks\.clusterSelector\.matchLabels: "bad key" is not a valid label key/ },
  ];
  for (const c of selectorCases) {
    it(`${c.selector} ${JSON.stringify(c.matchLabels)} → ${c.problem ? 'refused' : 'valid'}`, () => {
      const problem = withSelector(c.selector, c.matchLabels);
      if (c.problem) expect(problem).toMatch(c.problem);
      else expect(problem).toBeUndefined();
    });
  }
});
