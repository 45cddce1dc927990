import { describe, expect, it } from 'vitest';
import type { AWSApplicationLoadBalancerConfig, AWSApplicationLoadBalancerConfigSpec } from '../../api/v1alpha1/awsapplicationloadbalancerconfig.js';
import type { ListenerRuleState } from '../../aws/elbv2.js';
import { ruleConditions } from '../listener.js';
import type { PriorityHolder, RuleLookup } from '../rule.js';
import { albConfigProblem, albConfigStatus, planAlbConfig, type AlbConfigAction } from './reconciler.js';

const RULE = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:listener-rule/app/web/1/2/r1';
const OTHER = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:listener-rule/app/web/1/2/r2';
const NOW = new Date('2026-11-22T12:00:00Z');
const tg = (name: string) => `arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/${name}/0123456789abcdef`;
const rule = { priority: 20, hosts: ['web.example.com'], forward: { targetGroups: [{ name: 'a', arn: tg('a'), weight: 70 }, { name: 'b', arn: tg('b'), weight: 30 }] } };
const spec: AWSApplicationLoadBalancerConfigSpec = { listenerARN: 'arn:listener', listener: { rule } };

function live(over: Partial<ListenerRuleState> = {}): RuleLookup {
  return { kind: 'owned', rule: { arn: RULE, priority: 20, conditions: ruleConditions(rule), weights: [{ arn: tg('a'), weight: 70 }, { arn: tg('b'), weight: 30 }], ...over } };
}

describe('planAlbConfig', () => {
  it.each<[string, RuleLookup, PriorityHolder | undefined, AlbConfigAction]>([
    ['in sync', live(), undefined, { kind: 'none' }],
    ['no rule', { kind: 'absent' }, undefined, { kind: 'create' }],
    ['foreign rule at the priority', { kind: 'foreign', arn: OTHER, owner: 'Cell/prod/web' }, undefined, { kind: 'conflict', arn: OTHER, owner: 'Cell/prod/web' }],
    ['weights drifted', live({ weights: [{ arn: tg('a'), weight: 100 }] }), undefined, { kind: 'modify', conditions: false }],
    ['conditions drifted', live({ conditions: [] }), undefined, { kind: 'modify', conditions: true }],
    ['spec priority changed (rule still at 10)', live({ priority: 10 }), undefined, { kind: 'modify', conditions: false, priority: 20, moveOnly: true }],
    ['moved by hand and weights drifted', live({ priority: 30, weights: [{ arn: tg('b'), weight: 1 }] }), undefined, { kind: 'modify', conditions: false, priority: 20 }],
    // Conditions rewritten at priority 10 could take requests meant for the rules before 20: move first.
    ['priority and conditions changed: moved first, conditions on a later pass', live({ priority: 10, conditions: [] }), undefined, { kind: 'modify', conditions: false, priority: 20, moveOnly: true }],
    ['priority, conditions and weights changed: weights and move first', live({ priority: 10, conditions: [], weights: [] }), undefined, { kind: 'modify', conditions: false, priority: 20 }],
    ['target priority held by a foreign rule', live({ priority: 10 }), { arn: OTHER, owner: 'Cell/prod/web' }, { kind: 'conflict', arn: OTHER, owner: 'Cell/prod/web', priorityInUse: true }],
    ['target priority held by an untagged rule, weights drifted too', live({ priority: 10, weights: [] }), { arn: OTHER }, { kind: 'conflict', arn: OTHER, owner: undefined, priorityInUse: true }],
    ['a holder is ignored when no move is pending', live(), { arn: OTHER }, { kind: 'none' }],
    ['the default rule is never moved', live({ priority: 'default' }), undefined, { kind: 'none' }],
  ])('%s', (_name, lookup, holder, want) => {
    expect(planAlbConfig(spec, lookup, holder)).toEqual(want);
  });
});

describe('albConfigProblem', () => {
  const withTargetGroups = (targetGroups: { name: string; arn: string; weight: number }[]) => albConfigProblem({ ...spec, listener: { rule: { ...rule, forward: { targetGroups } } } });
  const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ name: n, arn: tg(n), weight: 1 }));
  it.each<[string, { name: string; arn: string; weight: number }[], RegExp | undefined]>([
    ['two target groups', rule.forward.targetGroups, undefined],
    ['five target groups', six.slice(0, 5), undefined],
    ['six target groups (ALB refuses the whole write)', six, /^spec\.listener\.rule\.forward\.targetGroups has 6 target groups; ALB allows 5/],
    ['one target group twice', [{ name: 'a', arn: tg('a'), weight: 50 }, { name: 'a2', arn: tg('a'), weight: 50 }], /lists arn:aws:.*targetgroup\/a\/0123456789abcdef twice/],
    ['every weight 0', [{ name: 'a', arn: tg('a'), weight: 0 }], /all have weight 0/],
  ])('%s', (_name, targetGroups, want) => {
    const problem = withTargetGroups(targetGroups);
    if (want) expect(problem).toMatch(want);
    else expect(problem).toBeUndefined();
  });
});

describe('albConfigStatus', () => {
  const synced: AWSApplicationLoadBalancerConfig = {
    metadata: { name: 'web', namespace: 'prod', generation: 2 },
    spec,
    status: { phase: 'Synced', reason: 'Synced', message: `listener rule ${RULE} is in sync`, ruleARN: RULE },
  };
  const ready = (s: ReturnType<typeof albConfigStatus>) => s.conditions?.find((c) => c.type === 'Ready');

  it.each<[string, AlbConfigAction, string | undefined, { phase: string; reason: string; ready: string; message: RegExp }]>([
    ['in sync', { kind: 'none' }, undefined, { phase: 'Synced', reason: 'Synced', ready: 'True', message: /is in sync/ }],
    ['moved', { kind: 'modify', conditions: false, priority: 20, moveOnly: true }, undefined, { phase: 'Synced', reason: 'Synced', ready: 'True', message: /is in sync/ }],
    ['foreign rule at the priority', { kind: 'conflict', arn: OTHER }, undefined, { phase: 'Error', reason: 'RuleConflict', ready: 'False', message: /r2\) is not owned/ }],
    [
      'target priority held',
      { kind: 'conflict', arn: OTHER, owner: 'Cell/prod/web', priorityInUse: true },
      undefined,
      { phase: 'Error', reason: 'PriorityInUse', ready: 'False', message: /r1 cannot move to priority 20: it is held by \S+r2 \(owner: Cell\/prod\/web\)/ },
    ],
    ['ModifyRule failed', { kind: 'modify', conditions: false }, 'Target group not found', { phase: 'Error', reason: 'ActionFailed', ready: 'False', message: /^updating listener rule \S+r1 failed: Target group not found$/ }],
    [
      'SetRulePriorities failed',
      { kind: 'modify', conditions: true, priority: 20 },
      'The specified priority is in use.',
      { phase: 'Error', reason: 'ActionFailed', ready: 'False', message: /^updating listener rule \S+r1, then moving listener rule \S+r1 to priority 20 failed: The specified/ },
    ],
    ['CreateRule failed', { kind: 'create' }, 'TooManyTargetGroups', { phase: 'Error', reason: 'ActionFailed', ready: 'False', message: /^creating the listener rule at priority 20 failed: TooManyTargetGroups$/ }],
  ])('%s', (_name, action, failure, want) => {
    const status = albConfigStatus(synced, { action, ruleArn: RULE, failure }, NOW);
    expect(status).toMatchObject({ phase: want.phase, reason: want.reason, ruleARN: RULE, observedGeneration: 2 });
    expect(status.message).toMatch(want.message);
    expect(ready(status)).toMatchObject({ status: want.ready, reason: want.reason, message: status.message });
  });
});
