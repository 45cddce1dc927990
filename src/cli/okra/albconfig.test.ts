import { describe, expect, it } from 'vitest';
import type { AWSApplicationLoadBalancerConfig } from '../../api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { albConfigLine, albConfigWrite } from './albconfig.js';

const config: AWSApplicationLoadBalancerConfig = {
  metadata: { name: 'web', namespace: 'prod' },
  spec: {
    listenerARN: 'arn:listener',
    listener: { rule: { hosts: ['web.example.com'], forward: { targetGroups: [{ name: 'blue', arn: 'arn:tg/blue', weight: 90 }, { name: 'green', arn: 'arn:tg/green', weight: 10 }] } } },
  },
};

describe('albConfigWrite', () => {
  it('shows the rule a create would write, at the default priority 100', () => {
    expect(albConfigWrite(config, { kind: 'create' })).toEqual({
      action: { kind: 'create' },
      rule: {
        listenerArn: 'arn:listener',
        priority: 100,
        conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } }],
        weights: [
          { name: 'blue', arn: 'arn:tg/blue', weight: 90 },
          { name: 'green', arn: 'arn:tg/green', weight: 10 },
        ],
      },
    });
  });

  it('shows only the action when nothing is written', () => {
    expect(albConfigWrite(config, { kind: 'none' })).toEqual({ action: { kind: 'none' } });
    expect(albConfigWrite(config, { kind: 'conflict', arn: 'arn:rule' })).toEqual({ action: { kind: 'conflict', arn: 'arn:rule' } });
  });
});

describe('albConfigLine', () => {
  it.each([
    [{ kind: 'create' } as const, 'awsapplicationloadbalancerconfig/web: listener rule arn:rule created'],
    [{ kind: 'modify', conditions: true } as const, 'awsapplicationloadbalancerconfig/web: listener rule arn:rule updated (conditions too)'],
    [{ kind: 'modify', conditions: false, priority: 20 } as const, 'awsapplicationloadbalancerconfig/web: listener rule arn:rule updated, then moved to priority 20'],
    [{ kind: 'modify', conditions: false, priority: 20, moveOnly: true } as const, 'awsapplicationloadbalancerconfig/web: listener rule arn:rule moved to priority 20'],
    [
      { kind: 'conflict', arn: 'arn:other', owner: 'Cell/prod/api', priorityInUse: true } as const,
      'awsapplicationloadbalancerconfig/web: listener rule arn:rule cannot move: its new priority is held by arn:other (owner: Cell/prod/api), not owned by it; not modified',
    ],
    [{ kind: 'none' } as const, 'awsapplicationloadbalancerconfig/web: listener rule arn:rule in sync'],
    [{ kind: 'conflict', arn: 'arn:other', owner: 'Cell/prod/web' } as const, 'awsapplicationloadbalancerconfig/web: the rule at its priority (arn:other) is not owned by it (owner: Cell/prod/web); not modified'],
  ])('%j', (action, want) => {
    expect(albConfigLine('web', action, 'arn:rule')).toBe(want);
  });
});
