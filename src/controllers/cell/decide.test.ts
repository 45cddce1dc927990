import { describe, expect, it } from 'vitest';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import type { CanaryStep, Cell, CellSpec, CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { ForwardWeight, ListenerRuleState } from '../../aws/elbv2.js';
import { ruleConditions } from '../listener.js';
import { planPromote } from '../../cli/okractl/rollout.js';
import { decide, restartedRunName } from './decide.js';
import { type Decision, type GateState, type Observed, gateKey } from './model.js';
import { stepsHash } from './steps.js';
import { selectTargetGroups } from './targets.js';

const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2';
const RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/r1';
/** A rule on another listener of the same load balancer. */
const OTHER_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/r2';
const OTHER_LISTENER_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/3/r1';
const NOW = new Date('2026-11-22T12:00:00Z');
const arn = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const ruleSpec = { priority: 10, hosts: ['web.example.com'] };

function cell(spec: Partial<CellSpec> = {}, status?: CellStatus): Cell {
  return {
    metadata: { name: 'web', namespace: 'prod', generation: 1 },
    spec: {
      ingress: { type: 'AWSApplicationLoadBalancer', awsApplicationLoadBalancer: { listenerARN: LISTENER, listener: { rule: ruleSpec }, targetGroupSelector: { matchLabels: { app: 'web' } } } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function tg(name: string, version: string, extra: Record<string, string> = {}): AWSTargetGroup {
  return { metadata: { name, namespace: 'prod', labels: { app: 'web', 'okra.mumo.co/version': version, ...extra } }, spec: { arn: arn(name) } };
}

function liveRule(weights: Record<string, number>, conditions = ruleConditions(ruleSpec), priority = 10): ListenerRuleState {
  return { arn: RULE, priority, conditions, weights: Object.entries(weights).map(([name, weight]) => ({ arn: arn(name), weight })) };
}

interface Scene {
  cell: Cell;
  tgs: AWSTargetGroup[];
  rule?: ListenerRuleState | 'absent' | { foreign: string };
  priorityHolder?: { arn: string; owner?: string };
  blocklist?: BlockedVersion[];
  stepGate?: GateState | undefined;
  backgroundGate?: GateState | undefined;
  now?: Date;
}

function observe(s: Scene): Observed {
  const rule: Observed['rule'] =
    s.rule === undefined || s.rule === 'absent'
      ? { kind: 'absent' }
      : 'foreign' in s.rule
        ? { kind: 'foreign', arn: RULE, owner: s.rule.foreign }
        : { kind: 'owned', rule: s.rule };
  return { cell: s.cell, targetGroups: selectTargetGroups(s.cell, s.tgs), blocklist: s.blocklist ?? [], rule, priorityHolder: s.priorityHolder, stepGate: s.stepGate, backgroundGate: s.backgroundGate, now: s.now ?? NOW };
}

/** The action's weights as name → weight. */
function weightsOf(d: Decision): Record<string, number> | undefined {
  const action = d.action;
  if (!action || !('weights' in action)) return undefined;
  return Object.fromEntries(action.weights.map((w) => [w.name, w.weight]));
}

const reasons = (d: Decision) => d.events.map((e) => e.reason);
const verified = (weights: Record<string, number>): Pick<CellStatus, 'targetGroups'> => ({
  targetGroups: Object.entries(weights).map(([name, weight]) => ({ name, arn: arn(name), weight })),
});
const steps3: CellSpec['updateStrategy'] = { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '30s' } }, { setWeight: 50 }] } };

describe('decide: invalid specs and conflicts', () => {
  it.each([
    { name: 'an NLB ingress', spec: { ingress: { type: 'AWSNetworkLoadBalancer' as const } }, message: /AWSNetworkLoadBalancer is not supported/ },
    { name: 'no ALB', spec: { ingress: {} }, message: /awsApplicationLoadBalancer is required/ },
    { name: 'replicas 0', spec: { replicas: 0 }, message: /spec.replicas must be at least 1/ },
    { name: 'setCanaryScale', spec: { updateStrategy: { canary: { steps: [{ setCanaryScale: { weight: 10 } }] } } }, message: /steps\[0\]: setCanaryScale is not supported/ },
    { name: 'a bad pause duration', spec: { updateStrategy: { canary: { steps: [{ pause: { duration: 'soon' } }] } } }, message: /steps\[0\].pause.duration "soon" is not a duration/ },
    {
      name: 'a rule without conditions',
      spec: { ingress: { awsApplicationLoadBalancer: { listenerARN: LISTENER, listener: { rule: { priority: 10 } } } } },
      message: /needs at least one condition/,
    },
  ])('$name → InvalidSpec, no action', ({ spec, message }) => {
    const d = decide(observe({ cell: cell(spec), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe('InvalidSpec');
    expect(d.status.message).toMatch(message);
    expect(d.status.conditions?.find((c) => c.type === 'InvalidSpec')?.status).toBe('True');
    expect(reasons(d)).toEqual(['InvalidSpec']);
  });

  it('never touches a rule at its priority that another owner holds', () => {
    const d = decide(observe({ cell: cell(), tgs: [tg('a', '1.0.0')], rule: { foreign: 'Cell/other/api' } }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'RuleConflict' });
    expect(d.status.message).toContain('owner: Cell/other/api');
  });
});

describe('decide: bootstrap and steady state', () => {
  it('waits while there are no target groups', () => {
    const d = decide(observe({ cell: cell(), tgs: [] }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Pending', reason: 'WaitingForTargetGroups' });
  });

  it('creates the rule with the first version at 100% (split evenly, remainder last)', () => {
    const d = decide(observe({ cell: cell(), tgs: [tg('c', '1.0.0'), tg('a', '1.0.0'), tg('b', '1.0.0')] }));
    expect(d.action).toMatchObject({ kind: 'CreateRule', priority: 10, conditions: ruleConditions(ruleSpec) });
    expect(weightsOf(d)).toEqual({ a: 33, b: 33, c: 34 });
  });

  const leftBehind = `listenerARN changed to ${LISTENER}: the rule ${OTHER_LISTENER_RULE} on the previous listener is left as it is (last verified: a 80%, b 20%) and okra no longer manages it; delete it once no traffic needs it`;
  const midRollout = (ruleArn: string): CellStatus => ({ stableVersion: '1.0.0', desiredVersion: '2.0.0', phase: 'Progressing', currentStepIndex: 0, ruleArn, ...verified({ a: 80, b: 20 }) });

  it.each([
    { when: 'the Cell has no rule yet', status: undefined, events: [{ type: 'Normal', reason: 'RuleCreated', message: 'creating the listener rule with 1.0.0 at 100%' }] },
    { when: 'its rule on the listener went missing', status: midRollout(RULE), events: [{ type: 'Warning', reason: 'RuleCreated', message: 'listener rule was missing; recreating it with 1.0.0 at 100%' }] },
    {
      when: 'listenerARN changed, naming the rule left on the previous listener and its last weights',
      status: midRollout(OTHER_LISTENER_RULE),
      events: [{ type: 'Normal', reason: 'RuleCreated', message: 'creating the listener rule with 1.0.0 at 100%' }, { type: 'Warning', reason: 'ListenerChanged', message: leftBehind }],
    },
  ])('creates the rule on stable and says why, when $when', ({ status, events }) => {
    const tgs = status ? [tg('a', '1.0.0'), tg('b', '2.0.0')] : [tg('a', '1.0.0')];
    const d = decide(observe({ cell: cell({}, status), tgs, rule: 'absent' }));
    expect(d.action).toMatchObject({ kind: 'CreateRule', priority: 10 });
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(d.events).toEqual(events);
  });

  it('names the rule left on the previous listener also when the new listener already holds its rule', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, midRollout(OTHER_LISTENER_RULE)), tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ a: 80, b: 20 }) }));
    expect(d.status.ruleArn).toBe(RULE);
    expect(d.events.filter((e) => e.reason === 'ListenerChanged')).toEqual([{ type: 'Warning', reason: 'ListenerChanged', message: leftBehind }]);
    const next = decide(observe({ cell: cell({ updateStrategy: steps3 }, d.status), tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ a: 80, b: 20 }) }));
    expect(reasons(next)).not.toContain('ListenerChanged');
  });

  it('moves a rule found at another priority before it rewrites its conditions there', () => {
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', phase: 'Completed' as const, ruleArn: RULE, ...verified({ a: 100 }) };
    const elsewhere = liveRule({ a: 100 }, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old'] } }], 5);
    const d = decide(observe({ cell: cell({}, status), tgs: [tg('a', '1.0.0')], rule: elsewhere }));
    expect(d.action).toEqual({ kind: 'SetPriority', ruleArn: RULE, priority: 10 });
    const moved = decide(observe({ cell: cell({}, d.status), tgs: [tg('a', '1.0.0')], rule: { ...elsewhere, priority: 10 } }));
    expect(moved.action).toMatchObject({ kind: 'SetWeights', conditions: ruleConditions(ruleSpec) });
  });

  it('does not create the rule before `replicas` target groups of the version exist', () => {
    const d = decide(observe({ cell: cell({ replicas: 2 }), tgs: [tg('a', '1.0.0')] }));
    expect(d.action).toBeUndefined();
    expect(d.status.message).toBe('waiting for 2 target group(s) of version 1.0.0 (have 1)');
  });

  it('completes the bootstrap once the rule reads back with the first version', () => {
    const d = decide(observe({ cell: cell(), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0', desiredVersion: '1.0.0', canaryWeight: 100 });
    expect(d.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(reasons(d)).toEqual(['RolloutCompleted']);
  });

  it('keeps a stable version inferred from the live rule, so a canary past 50% is not taken for stable', () => {
    const spec = { updateStrategy: { canary: { steps: [{ setWeight: 60 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 80 }] } } };
    const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
    const first = decide(observe({ cell: cell(spec, { ruleArn: RULE }), tgs, rule: liveRule({ a: 100 }) }));
    expect(weightsOf(first)).toEqual({ a: 40, b: 60 });
    expect(first.status.stableVersion).toBe('1.0.0');
    const next = decide(observe({ cell: cell(spec, first.status), tgs, rule: liveRule({ a: 40, b: 60 }), now: new Date(NOW.getTime() + 1_000) }));
    expect(next.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
    expect(next.status).toMatchObject({ stableVersion: '1.0.0', desiredVersion: '2.0.0', currentStepIndex: 1 });
  });

  it('records the ARN of a rule found as ours without one in status (adopted, or status lost), even with nothing to write', () => {
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', phase: 'Completed' as const, ...verified({ a: 100 }) };
    const d = decide(observe({ cell: cell({}, status), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status.ruleArn).toBe(RULE);
  });

  it('writes nothing when the rule already matches (an idle pass)', () => {
    const prev = decide(observe({ cell: cell(), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }) })).status;
    const d = decide(observe({ cell: cell({}, prev), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.events).toEqual([]);
    expect(d.status).toEqual(prev);
  });

  it('restores hand-edited weights and says so', () => {
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', phase: 'Completed' as const, ...verified({ a: 50, b: 50 }) };
    const d = decide(observe({ cell: cell({}, status), tgs: [tg('a', '1.0.0'), tg('b', '1.0.0')], rule: liveRule({ a: 90, b: 10 }) }));
    expect(d.action?.kind).toBe('SetWeights');
    expect(weightsOf(d)).toEqual({ a: 50, b: 50 });
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'DriftCorrected' });
  });

  it('restores hand-edited conditions', () => {
    const status = { stableVersion: '1.0.0', ...verified({ a: 100 }) };
    const d = decide(observe({ cell: cell({}, status), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }, ruleConditions({ hosts: ['evil.example'] })) }));
    expect(d.action).toMatchObject({ kind: 'SetWeights', conditions: ruleConditions(ruleSpec) });
  });

  it('moves the rule when the priority in the spec changes', () => {
    const d = decide(observe({ cell: cell({}, { stableVersion: '1.0.0' }), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 100 }, ruleConditions(ruleSpec), 99) }));
    expect(d.action).toEqual({ kind: 'SetPriority', ruleArn: RULE, priority: 10 });
  });

  describe('when another rule holds the new priority', () => {
    const holder = { arn: OTHER_RULE, owner: 'Cell/prod/api' };
    const completed = { stableVersion: '1.0.0', desiredVersion: '1.0.0', phase: 'Completed' as const, ruleArn: RULE, ...verified({ a: 100 }) };
    const at99 = liveRule({ a: 100 }, ruleConditions(ruleSpec), 99);

    it('writes nothing, turns Degraded naming the holder, and says so once', () => {
      const d = decide(observe({ cell: cell({}, completed), tgs: [tg('a', '1.0.0')], rule: at99, priorityHolder: holder }));
      expect(d.action).toBeUndefined();
      expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'PriorityInUse', targetGroups: [{ name: 'a', weight: 100 }] });
      expect(d.status.message).toBe(`listener rule ${RULE} cannot move to priority 10: it is held by ${OTHER_RULE} (owner: Cell/prod/api), which this Cell does not own. The rule keeps serving at priority 99; free the priority or pick another`);
      expect(d.events).toEqual([{ type: 'Warning', reason: 'PriorityInUse', message: d.status.message }]);
      const again = decide(observe({ cell: cell({}, d.status), tgs: [tg('a', '1.0.0')], rule: at99, priorityHolder: holder }));
      expect(again.events).toEqual([]);
      expect(again.status).toEqual(d.status);
    });

    it('moves the rule once the priority is free', () => {
      const blocked = decide(observe({ cell: cell({}, completed), tgs: [tg('a', '1.0.0')], rule: at99, priorityHolder: holder })).status;
      const d = decide(observe({ cell: cell({}, blocked), tgs: [tg('a', '1.0.0')], rule: at99 }));
      expect(d.action).toEqual({ kind: 'SetPriority', ruleArn: RULE, priority: 10 });
    });

    it('still writes the weights first (a manual abort)', () => {
      const aborting: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', currentStepIndex: 1, abort: true, ...verified({ a: 80, b: 20 }) };
      const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, aborting), tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ a: 80, b: 20 }, ruleConditions(ruleSpec), 99), priorityHolder: holder }));
      expect(d.action).toMatchObject({ kind: 'SetWeights' });
      expect(weightsOf(d)).toEqual({ a: 100 });
    });

    it('keeps the abort message once the move is no longer blocked', () => {
      const abortMessage = 'analysis step 1 failed: error rate too high';
      const aborted: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', currentStepIndex: 1, abort: true, phase: 'Degraded', reason: 'RolloutAborted', message: abortMessage, ruleArn: RULE, ...verified({ a: 100 }) };
      const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
      const blocked = decide(observe({ cell: cell({ updateStrategy: steps3 }, aborted), tgs, blocklist: [{ version: '2.0.0', cause: abortMessage }], rule: at99, priorityHolder: holder }));
      expect(blocked.status.reason).toBe('PriorityInUse');
      const moved = decide(observe({ cell: cell({ updateStrategy: steps3 }, blocked.status), tgs, blocklist: [{ version: '2.0.0', cause: abortMessage }], rule: liveRule({ a: 100 }) }));
      expect(moved.status).toMatchObject({ phase: 'Degraded', reason: 'RolloutAborted', message: `rollout of 2.0.0 was aborted: ${abortMessage}` });
    });
  });

  it('restores the weights (here: a manual abort) before it moves the rule to a new priority', () => {
    const aborting: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', currentStepIndex: 1, abort: true, ...verified({ a: 80, b: 20 }) };
    const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
    const first = decide(observe({ cell: cell({ updateStrategy: steps3 }, aborting), tgs, rule: liveRule({ a: 80, b: 20 }, ruleConditions(ruleSpec), 99) }));
    expect(first.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(first)).toEqual({ a: 100 });
    const then = decide(observe({ cell: cell({ updateStrategy: steps3 }, first.status), tgs, rule: liveRule({ a: 100 }, ruleConditions(ruleSpec), 99) }));
    expect(then.action).toEqual({ kind: 'SetPriority', ruleArn: RULE, priority: 10 });
  });

  it('refuses to write a forward action over 5 target groups (scale-out or a first version), with a condition', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => tg(n, '1.0.0'));
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) };
    const scaled = decide(observe({ cell: cell({}, status), tgs: six, rule: liveRule({ a: 100 }) }));
    const created = decide(observe({ cell: cell(), tgs: six }));
    for (const d of [scaled, created]) {
      expect(d.action).toBeUndefined();
      expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'TooManyTargetGroups' });
      expect(d.status.message).toContain('would need 6 target groups');
      expect(reasons(d)).toEqual(['TooManyTargetGroups']);
    }
  });

  it('adds a new target group of the completed version at once (scale-out), without steps', () => {
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) };
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, status), tgs: [tg('a', '1.0.0'), tg('b', '1.0.0')], rule: liveRule({ a: 100 }) }));
    expect(weightsOf(d)).toEqual({ a: 50, b: 50 });
    expect(reasons(d)).toEqual(['Scaled']);
  });

  it('ignores a target group with an invalid version and names it', () => {
    const d = decide(observe({ cell: cell(), tgs: [tg('a', '1.0.0'), tg('bad', 'v2'), tg('none', '')], rule: liveRule({ a: 100 }) }));
    expect(d.status.ignoredTargetGroups).toEqual([
      { name: 'bad', reason: 'version "v2" is not strict semver' },
      { name: 'none', reason: 'no version label (okra.mumo.co/version)' },
    ]);
    expect(d.status.phase).toBe('Completed');
  });

  it.each([
    { name: 'of the same version', copy: '1.0.0' },
    { name: 'claimed by a canary', copy: '2.0.0' },
  ])('gives an ARN one weight: a later AWSTargetGroup with the same ARN ($name) is ignored and named', ({ copy }) => {
    const original = { ...tg('a', '1.0.0'), metadata: { ...tg('a', '1.0.0').metadata, creationTimestamp: '2026-11-01T00:00:00Z' } };
    const duplicate: AWSTargetGroup = { metadata: { name: 'a-copy', namespace: 'prod', creationTimestamp: '2026-11-02T00:00:00Z', labels: { app: 'web', 'okra.mumo.co/version': copy } }, spec: { arn: arn('a') } };
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) }), tgs: [duplicate, original], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });
    expect(d.status.ignoredTargetGroups).toEqual([{ name: 'a-copy', reason: 'spec.arn is already the ARN of AWSTargetGroup a' }]);
  });

  it('keeps an ARN on the version status records for it, even when an older copy claims another version', () => {
    // Made by hand before the real one, labelled 2.0.0, with stable 1.0.0's ARN.
    const copy: AWSTargetGroup = { metadata: { name: 'zz-copy', namespace: 'prod', creationTimestamp: '2026-10-01T00:00:00Z', labels: { app: 'web', 'okra.mumo.co/version': '2.0.0' } }, spec: { arn: arn('a') } };
    const stable = { ...tg('a', '1.0.0'), metadata: { ...tg('a', '1.0.0').metadata, creationTimestamp: '2026-11-01T00:00:00Z' } };
    const status: CellStatus = { stableVersion: '1.0.0', desiredVersion: '1.0.0', targetGroups: [{ name: 'a', arn: arn('a'), version: '1.0.0', weight: 100 }] };
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, status), tgs: [copy, stable], rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });
    expect(d.status.ignoredTargetGroups).toEqual([{ name: 'zz-copy', reason: 'spec.arn is already the ARN of AWSTargetGroup a' }]);
  });
});

describe('decide: canary steps', () => {
  const stable = { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) };
  const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];

  it('starts a new version at its first step: 20% on the canary', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }) }));
    expect(weightsOf(d)).toEqual({ a: 80, b: 20 });
    expect(d.status).toMatchObject({ desiredVersion: '2.0.0', currentStepIndex: 0, currentStepStartedAt: '2026-11-22T12:00:00.000Z', phase: 'Progressing' });
    expect(d.status.pendingWeights?.targetGroups).toHaveLength(2);
    expect(reasons(d)).toEqual(['RolloutStarted']);
    // The read-back is only a check on a write already sent: it may wait behind other Cells' changes.
    expect(d).toMatchObject({ requeueAfterMs: 500, requeueLowPriority: true });
  });

  it('waits for read-back instead of advancing or writing again', () => {
    const first = decide(observe({ cell: cell({ updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }) }));
    const later = new Date(NOW.getTime() + 2000);
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, first.status), tgs, rule: liveRule({ a: 100 }), now: later }));
    expect(d.action).toBeUndefined();
    expect(d).toMatchObject({ requeueAfterMs: 1000, requeueLowPriority: true });
    expect(d.status.currentStepIndex).toBe(0);
    const muchLater = new Date(NOW.getTime() + 11_000);
    expect(decide(observe({ cell: cell({ updateStrategy: steps3 }, first.status), tgs, rule: liveRule({ a: 100 }), now: muchLater })).action?.kind).toBe('SetWeights');
  });

  it('a rollback while another write is unverified writes stable again instead of taking an old read as proof', () => {
    // Step 1's 80/20 was sent a second ago; then spec.version was pinned back to stable. DescribeRules
    // may still show the a=100 from before that write, so only a new write of a=100 settles the rule.
    const first = decide(observe({ cell: cell({ updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }) }));
    const soon = new Date(NOW.getTime() + 1000);
    const d = decide(observe({ cell: cell({ updateStrategy: steps3, version: '1.0.0' }, first.status), tgs, rule: liveRule({ a: 100 }), now: soon }));
    expect(d.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(d)).toEqual({ a: 100 });
    // Once that write is verified the Cell completes on stable.
    const verifiedLater = decide(observe({ cell: cell({ updateStrategy: steps3, version: '1.0.0' }, d.status), tgs, rule: liveRule({ a: 100 }), now: new Date(soon.getTime() + 1000) }));
    expect(verifiedLater.action).toBeUndefined();
    expect(verifiedLater.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0', pendingWeights: undefined });
  });

  it('advances a setWeight step once the rule reads back the weights, and goes on with the next step in the same pass', () => {
    const first = decide(observe({ cell: cell({ updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }) }));
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, first.status), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(d.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
    expect(d.status).toMatchObject({ currentStepIndex: 1, canaryWeight: 20, pendingWeights: undefined });
    expect(reasons(d)).toEqual(['StepCompleted']);
  });

  it('writes the next step\'s weight in the pass that completes the previous step', () => {
    const twoWeights = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { setWeight: 50 }] } } };
    const first = decide(observe({ cell: cell(twoWeights, stable), tgs, rule: liveRule({ a: 100 }) }));
    const d = decide(observe({ cell: cell(twoWeights, first.status), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(weightsOf(d)).toEqual({ a: 50, b: 50 });
    expect(d.status.currentStepIndex).toBe(1);
  });

  it('runs a timed pause through a Pause object and resumes when it expires', () => {
    const atPause = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1, currentStepStartedAt: '2026-11-22T12:00:00Z' };
    const start = decide(observe({ cell: cell({ updateStrategy: steps3 }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(start.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
    const pauseGate: GateState = { kind: 'Pause', name: 'web-1-pause', phase: 'Running', step: 1, hash: hashOf(tgs) };
    const waiting = decide(observe({ cell: cell({ updateStrategy: steps3 }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: pauseGate, now: new Date('2026-11-22T12:00:10Z') }));
    expect(waiting.action).toBeUndefined();
    expect(waiting.requeueAfterMs).toBe(20_000);
    const done = decide(observe({ cell: cell({ updateStrategy: steps3 }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: pauseGate, now: new Date('2026-11-22T12:00:30Z') }));
    expect(done.status.currentStepIndex).toBe(2);
  });

  it('holds an indefinite pause until promoted', () => {
    const spec = { updateStrategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }] } } };
    const atPause = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1 };
    const held = decide(observe({ cell: cell(spec, atPause), tgs, rule: liveRule({ a: 90, b: 10 }) }));
    expect(held.status).toMatchObject({ phase: 'Paused', currentStepIndex: 1 });
    expect(held.status.conditions?.find((c) => c.type === 'Paused')?.status).toBe('True');
    const promoted = decide(observe({ cell: cell(spec, { ...atPause, promoteStep: 1 }), tgs, rule: liveRule({ a: 90, b: 10 }) }));
    expect(promoted.status).toMatchObject({ currentStepIndex: 2, promoteStep: undefined });
  });

  it('promotes to 100% after the last step (a trailing setWeight is applied first)', () => {
    const atLast = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 2 };
    const lastStep = decide(observe({ cell: cell({ updateStrategy: steps3 }, atLast), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(weightsOf(lastStep)).toEqual({ a: 50, b: 50 });
    const allPassed = { ...atLast, currentStepIndex: 3 };
    const promote = decide(observe({ cell: cell({ updateStrategy: steps3 }, allPassed), tgs, rule: liveRule({ a: 50, b: 50 }) }));
    expect(weightsOf(promote)).toEqual({ b: 100 });
    const completed = decide(observe({ cell: cell({ updateStrategy: steps3 }, promote.status), tgs, rule: liveRule({ b: 100 }) }));
    expect(completed.status).toMatchObject({ phase: 'Completed', stableVersion: '2.0.0', canaryWeight: 100 });
    expect(reasons(completed)).toEqual(['RolloutCompleted']);
  });

  it('skips the remaining steps with promote --full', () => {
    const status = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1, promoteFull: true };
    expect(weightsOf(decide(observe({ cell: cell({ updateStrategy: steps3 }, status), tgs, rule: liveRule({ a: 80, b: 20 }) })))).toEqual({ b: 100 });
  });

  it('restarts the steps for a newer version mid-rollout, against the last completed stable', () => {
    const midway = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 2 };
    const withV3 = [...tgs, tg('c', '3.0.0')];
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, midway), tgs: withV3, rule: liveRule({ a: 80, b: 20 }) }));
    expect(weightsOf(d)).toEqual({ a: 80, c: 20 });
    expect(d.status).toMatchObject({ desiredVersion: '3.0.0', currentStepIndex: 0, stableVersion: '1.0.0' });
    expect(reasons(d)).toEqual(['RolloutSuperseded']);
  });

  it('falls back to stable at once when the canary loses its target groups', () => {
    const midway = { ...stable, desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1, ...verified({ a: 80, b: 20 }) };
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, midway), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 80, b: 20 }) }));
    expect(weightsOf(d)).toEqual({ a: 100 });
  });

  it('never keeps traffic on a stable target group that is gone', () => {
    const status = { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 50, b: 50 }) };
    const d = decide(observe({ cell: cell({}, status), tgs: [tg('a', '1.0.0')], rule: liveRule({ a: 50, b: 50 }) }));
    expect(weightsOf(d)).toEqual({ a: 100 });
  });

  it('swaps at once to a pinned version below stable (manual rollback)', () => {
    const status = { stableVersion: '2.0.0', desiredVersion: '2.0.0', ...verified({ b: 100 }) };
    const d = decide(observe({ cell: cell({ version: '1.0.0', updateStrategy: steps3 }, status), tgs, rule: liveRule({ b: 100 }) }));
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(reasons(d)).toEqual(['RolledBack']);
    const after = decide(observe({ cell: cell({ version: '1.0.0', updateStrategy: steps3 }, d.status), tgs, rule: liveRule({ a: 100 }) }));
    expect(after.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });
  });

  it('holds at stable while the new version has fewer than `replicas` target groups', () => {
    const d = decide(observe({ cell: cell({ replicas: 2, updateStrategy: steps3 }, { ...stable, ...verified({ a: 50, c: 50 }) }), tgs: [tg('a', '1.0.0'), tg('c', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ a: 50, c: 50 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Pending', message: 'waiting for 2 target group(s) of version 2.0.0 (have 1)' });
  });

  it('refuses a canary that needs more than 5 target groups before any weight moves', () => {
    const many = ['a', 'b', 'c'].map((n) => tg(n, '1.0.0')).concat(['d', 'e', 'f'].map((n) => tg(n, '2.0.0')));
    const status = { stableVersion: '1.0.0', ...verified({ a: 33, b: 33, c: 34 }) };
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, status), tgs: many, rule: liveRule({ a: 33, b: 33, c: 34 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'TooManyTargetGroups' });
    expect(d.status.message).toContain('needs 6 target groups');
    expect(reasons(d)).toEqual(['TooManyTargetGroups']);
  });

  it('does not roll out a blocklisted version', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }), blocklist: [{ version: '2.0.0', cause: 'AnalysisRun failed' }] }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });
  });

  it('freezes everything while spec.paused is set', () => {
    const d = decide(observe({ cell: cell({ paused: true, updateStrategy: steps3 }, stable), tgs, rule: liveRule({ a: 100 }) }));
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe('Paused');
  });
});

describe('decide: gates and abort', () => {
  const analysisSteps: CellSpec['updateStrategy'] = { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } };
  const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
  const atAnalysis: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1, ...verified({ a: 80, b: 20 }) };
  const run = (phase: GateState['phase'], status = atAnalysis, extra: Partial<Scene> = {}) =>
    decide(observe({ cell: cell({ updateStrategy: analysisSteps }, status), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: { kind: 'AnalysisRun', name: 'web-1-analysis-x', phase, message: 'error rate 0.2 > 0.05', step: 1, hash: hashOf(tgs) }, ...extra }));

  it('ignores a gate made for another target-group set (a superseded rollout)', () => {
    const stale = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: { kind: 'AnalysisRun', name: 'old', phase: 'Failed', step: 1, hash: 'other' } }));
    expect(stale.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
  });

  it('starts the gate of an analysis step', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(d.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
  });

  it('waits while the gate runs and passes when it succeeds', () => {
    const running = run('Running');
    expect(running.action).toBeUndefined();
    expect(running.status).toMatchObject({ phase: 'Progressing', currentStepIndex: 1 });
    expect(run('Successful').status.currentStepIndex).toBe(2);
  });

  it.each(['Failed', 'Error'] as const)('aborts on %s: stable back to 100%% in one write, version blocklisted, Degraded', (phase) => {
    const d = run(phase);
    expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true, cause: `AnalysisRun web-1-analysis-x ${phase}: error rate 0.2 > 0.05` });
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(d.status).toMatchObject({ phase: 'Degraded', abort: true });
    expect(d.status.conditions?.find((c) => c.type === 'Degraded')?.status).toBe('True');
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'RolloutAborted' });

    // After the blocklist entry the Cell stays Degraded at stable, and does not retry by itself.
    const blocklist = [{ version: '2.0.0', cause: 'x' }];
    const next = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, d.status), tgs, rule: liveRule({ a: 100 }), blocklist }));
    expect(next.action).toBeUndefined();
    expect(next.status).toMatchObject({ phase: 'Degraded', stableVersion: '1.0.0', abort: true });
  });

  it.each([
    { name: 'a priority move', rule: liveRule({ a: 80, b: 20 }, ruleConditions(ruleSpec), 30) },
    { name: 'a conditions repair', rule: liveRule({ a: 80, b: 20 }, ruleConditions({ priority: 10, hosts: ['old.example.com'] })) },
  ])('aborts on a failed gate even while $name is pending (a write that keeps failing never holds up an abort)', ({ rule }) => {
    const d = run('Failed', atAnalysis, { rule });
    expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true });
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(d.status.gates).toEqual([expect.objectContaining({ step: '1', phase: 'Failed' })]);
  });

  describe('when the steps are edited mid-rollout', () => {
    const pauseSteps: CellSpec['updateStrategy'] = { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1h' } }, { setWeight: 50 }] } };
    const atPause: CellStatus = { ...atAnalysis, attempt: 'att-1', stepsHash: stepsHash(cell({ updateStrategy: pauseSteps })), currentStepStartedAt: '2026-11-22T11:30:00Z' };
    const expiredPause: GateState = { kind: 'Pause', name: 'web-1-pause-att-1', phase: 'Successful', step: 1, hash: 'att-1' };

    it('restarts the steps from the first (Argo Rollouts), so a pause replaced by an analysis does not pass it on its timer', () => {
      const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: expiredPause }));
      expect(d.status).toMatchObject({ currentStepIndex: 1, stepsHash: stepsHash(cell({ updateStrategy: analysisSteps })) });
      expect(d.status.attempt).not.toBe('att-1');
      expect(d.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
      expect(d.events[0]).toEqual({ type: 'Normal', reason: 'StepsChanged', message: 'the canary steps changed: 2.0.0 restarts them from the first step' });
    });

    it('runs an analysis inserted before the current step', () => {
      const inserted: CellSpec['updateStrategy'] = { canary: { steps: [{ analysis: { templates: [{ templateName: 'errors' }] } }, ...(pauseSteps.canary?.steps ?? [])] } };
      const d = decide(observe({ cell: cell({ updateStrategy: inserted }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }) }));
      // Step 1 is an analysis now, at the weight in effect before any setWeight: the canary is taken out.
      expect(d.status.currentStepIndex).toBe(0);
      expect(d.action).toMatchObject({ kind: 'SetWeights' });
      expect(weightsOf(d)).toEqual({ a: 100 });
    });

    it('does not take a gate of another kind at the same index as the step\'s (a status from before the steps hash)', () => {
      const legacy: CellStatus = { ...atPause, stepsHash: undefined };
      const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, legacy), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: expiredPause }));
      expect(d.status).toMatchObject({ currentStepIndex: 1, attempt: 'att-1', stepsHash: stepsHash(cell({ updateStrategy: analysisSteps })) });
      expect(d.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
    });

    it('keeps going when only something other than the steps changed', () => {
      const d = decide(observe({ cell: cell({ updateStrategy: pauseSteps, replicas: 1 }, atPause), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: { ...expiredPause, phase: 'Running' } }));
      expect(d.status).toMatchObject({ currentStepIndex: 1, attempt: 'att-1', reason: 'Pausing' });
      expect(d.events).toEqual([]);
    });
  });

  describe('keeps the verdict of a failed gate when the target groups change after it', () => {
    const failedGate: GateState = { kind: 'AnalysisRun', name: 'web-1-analysis-x', phase: 'Failed', message: 'error rate 0.2 > 0.05', step: 1, hash: hashOf(tgs) };
    const decideWith = (groups: AWSTargetGroup[], spec: Partial<CellSpec> = {}) =>
      decide(observe({ cell: cell({ updateStrategy: analysisSteps, ...spec }, atAnalysis), tgs: groups, rule: liveRule({ a: 80, b: 20 }), stepGate: failedGate }));

    it.each([
      { when: 'a canary cluster is added (a new target-group set)', groups: [...tgs, tg('c', '2.0.0')], spec: {} },
      { when: 'every canary cluster is removed', groups: [tg('a', '1.0.0')], spec: {} },
      { when: 'the canary drops below replicas: 2', groups: tgs, spec: { replicas: 2 } },
    ])('aborts and blocklists when $when', ({ groups, spec }) => {
      const d = decideWith(groups, spec);
      expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true });
      expect(weightsOf(d)).toEqual({ a: 100 });
      expect(reasons(d)).toEqual(['RolloutAborted']);
    });

    it('aborts without a write, and never promotes the canary, when stable has no target groups left', () => {
      const d = decideWith([tg('b', '2.0.0')]);
      expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true, weights: [] });
      expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'RolloutAborted', abort: true, pendingWeights: undefined });
      expect(d.status.message).toContain('the listener rule is left as it is');
      const next = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, d.status), tgs: [tg('b', '2.0.0')], rule: liveRule({ a: 80, b: 20 }), blocklist: [{ version: '2.0.0', cause: 'x' }] }));
      expect(next.action).toBeUndefined();
      expect(next.status).toMatchObject({ phase: 'Degraded', stableVersion: '1.0.0', abort: true });
    });

    it('the same while paused', () => {
      const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps, paused: true }, atAnalysis), tgs: [tg('b', '2.0.0')], rule: liveRule({ a: 80, b: 20 }), stepGate: failedGate }));
      expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true, weights: [] });
    });

    it('blocklists the failed version, not a newer one that appeared meanwhile, which then starts from stable', () => {
      const groups = [...tgs, tg('c', '3.0.0')];
      const d = decideWith(groups);
      expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true });
      expect(weightsOf(d)).toEqual({ a: 100 });
      const next = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, d.status), tgs: groups, rule: liveRule({ a: 100 }), blocklist: [{ version: '2.0.0', cause: 'x' }] }));
      expect(next.status).toMatchObject({ desiredVersion: '3.0.0', stableVersion: '1.0.0', currentStepIndex: 0 });
      expect(weightsOf(next)).toEqual({ a: 80, c: 20 });
      expect(reasons(next)).toEqual(['RolloutStarted']);
    });
  });

  it('does not recreate a missing rule on an aborted version when stable has no target groups left', () => {
    const aborted: CellStatus = { ...atAnalysis, abort: true, phase: 'Degraded', reason: 'RolloutAborted', message: 'aborted by okractl' };
    const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, aborted), tgs: [tg('b', '2.0.0')], rule: 'absent' }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'NoSafeTarget' });
  });

  describe('an Inconclusive background analysis', () => {
    const bgSpec = (steps: CanaryStep[]) => ({ updateStrategy: { canary: { steps, analysis: { templates: [{ templateName: 'bg' }] } } } });
    const bgRun = (name: string, phase: GateState['phase']): GateState => ({ kind: 'AnalysisRun', name, phase, message: 'p99 between limits', step: 'bg', hash: hashOf(tgs) });
    const atStep0: CellStatus = { ...atAnalysis, currentStepIndex: 0 };

    it('pauses and shows the run, so okractl promote is accepted', () => {
      const spec = bgSpec([{ setWeight: 20 }, { pause: {} }]);
      const d = decide(observe({ cell: cell(spec, atStep0), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg', 'Inconclusive') }));
      expect(d.action).toBeUndefined();
      expect(d.status).toMatchObject({ phase: 'Paused', currentStepIndex: 0 });
      expect(d.status.gates).toEqual([{ step: 'bg', kind: 'AnalysisRun', name: 'web-bg', phase: 'Inconclusive', message: 'p99 between limits' }]);
      expect(planPromote(cell(spec, d.status), false)).toMatchObject({ kind: 'patch', patch: { promoteStep: 0 } });
    });

    it('after promote starts a new background run and goes on with the step, which is not skipped', () => {
      const spec = bgSpec([{ setWeight: 20 }, { pause: {} }]);
      const paused = decide(observe({ cell: cell(spec, atStep0), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg', 'Inconclusive') })).status;
      const promoted = decide(observe({ cell: cell(spec, { ...paused, promoteStep: 0 }), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg', 'Inconclusive') }));
      expect(promoted.action).toMatchObject({ kind: 'StartGate', gate: 'background', name: 'web-bg-r2' });
      expect(promoted.status.promoteStep).toBeUndefined();
      expect(promoted.status.gates).toEqual([{ step: 'bg', kind: 'AnalysisRun', name: 'web-bg-r2', phase: 'Pending' }]);
      // Until the new run is seen (informer lag, a failed create, a run deleted by hand) it is started
      // again, never judged by the promoted one: no second pause, and the canary is never unwatched.
      const lagging = decide(observe({ cell: cell(spec, promoted.status), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg', 'Inconclusive') }));
      expect(lagging.action).toMatchObject({ kind: 'StartGate', gate: 'background', name: 'web-bg-r2' });
      expect(lagging.status.phase).not.toBe('Paused');
      // Once it is seen, step 1 is reached and waits for its own promotion.
      const next = decide(observe({ cell: cell(spec, lagging.status), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg-r2', 'Running') }));
      expect(next.status).toMatchObject({ phase: 'Paused', currentStepIndex: 1, message: 'step 2/2: paused until promoted (okractl promote)' });
      // The new run watches the canary: when it fails, the rollout aborts.
      const failed = decide(observe({ cell: cell(spec, next.status), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: bgRun('web-bg-r2', 'Failed') }));
      expect(failed.action).toMatchObject({ kind: 'Abort', blocklist: true });
    });

    it('at a pause step, one promote passes both the Inconclusive run and the pause, as in Argo Rollouts, and is used up', () => {
      const spec = bgSpec([{ pause: {} }, { setWeight: 50 }, { pause: {} }]);
      const atPause: CellStatus = { ...atStep0, gates: [{ step: 'bg', kind: 'AnalysisRun', name: 'web-bg', phase: 'Inconclusive' }], promoteStep: 0, ...verified({ a: 100 }) };
      const restarted = decide(observe({ cell: cell(spec, atPause), tgs, rule: liveRule({ a: 100 }), backgroundGate: bgRun('web-bg', 'Inconclusive') }));
      expect(restarted.action).toMatchObject({ kind: 'StartGate', gate: 'background', name: 'web-bg-r2' });
      expect(restarted.status).toMatchObject({ currentStepIndex: 1, promoteStep: undefined });
      expect(reasons(restarted)).toEqual(['BackgroundAnalysisRestarted', 'StepCompleted']);
      const next = decide(observe({ cell: cell(spec, restarted.status), tgs, rule: liveRule({ a: 100 }), backgroundGate: bgRun('web-bg-r2', 'Running') }));
      expect(weightsOf(next)).toEqual({ a: 50, b: 50 });
      // The new run going Inconclusive later pauses the Cell again: the promote does not carry over.
      const atSecondPause = { ...next.status, pendingWeights: undefined, currentStepIndex: 2, ...verified({ a: 50, b: 50 }) };
      const again = decide(observe({ cell: cell(spec, atSecondPause), tgs, rule: liveRule({ a: 50, b: 50 }), backgroundGate: bgRun('web-bg-r2', 'Inconclusive') }));
      expect(again.action).toBeUndefined();
      expect(again.status).toMatchObject({ phase: 'Paused', message: expect.stringContaining('background analysis web-bg-r2 is Inconclusive') as unknown });
    });

    it.each([
      ['web-bg', 'web-bg-r2'],
      ['web-bg-r2', 'web-bg-r3'],
      ['web-bg-r9', 'web-bg-r10'],
    ])('names the run after %s %s', (name, next) => {
      expect(restartedRunName(name)).toBe(next);
    });
  });

  it('holds on Inconclusive until promoted', () => {
    expect(run('Inconclusive').status).toMatchObject({ phase: 'Paused', currentStepIndex: 1 });
    expect(run('Inconclusive', { ...atAnalysis, promoteStep: 1 }).status.currentStepIndex).toBe(2);
  });

  it('aborts on a manual abort without blocklisting', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, { ...atAnalysis, abort: true, message: 'aborted by okractl' }), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(d.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(d)).toEqual({ a: 100 });
  });

  it('starts background analysis at startingStep and aborts when it fails', () => {
    const spec = { updateStrategy: { canary: { ...analysisSteps.canary, analysis: { templates: [{ templateName: 'bg' }], startingStep: 1 } } } };
    const atStep0 = { ...atAnalysis, currentStepIndex: 0 };
    const step0 = decide(observe({ cell: cell(spec, atStep0), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(step0.status.currentStepIndex).toBe(1);
    const start = decide(observe({ cell: cell(spec, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }) }));
    expect(start.action).toMatchObject({ kind: 'StartGate', gate: 'background' });
    const failed = decide(observe({ cell: cell(spec, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }), backgroundGate: { kind: 'AnalysisRun', name: 'web-bg', phase: 'Failed', step: 'bg', hash: hashOf(tgs) } }));
    expect(failed.action).toMatchObject({ kind: 'Abort', blocklist: true });
  });
});

describe('decide: spec.paused freezes progress, never safety', () => {
  const analysisSteps: CellSpec['updateStrategy'] = { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } };
  const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
  const atAnalysis: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 1, ...verified({ a: 80, b: 20 }) };
  const paused = (scene: Omit<Scene, 'cell'> & { status?: CellStatus }) =>
    decide(observe({ cell: cell({ paused: true, updateStrategy: analysisSteps }, scene.status ?? atAnalysis), rule: liveRule({ a: 80, b: 20 }), ...scene }));
  const gate = (phase: GateState['phase']): GateState => ({ kind: 'AnalysisRun', name: 'web-1-analysis-x', phase, message: 'error rate 0.2', step: 1, hash: hashOf(tgs) });

  it.each([
    { name: 'a gate that succeeds', scene: { tgs, stepGate: gate('Successful') } },
    { name: 'a newer version that appears', scene: { tgs: [...tgs, tg('c', '3.0.0')] } },
    { name: 'hand-edited weights', scene: { tgs, rule: liveRule({ a: 50, b: 50 }) } },
  ])('writes nothing and advances nothing on $name', ({ scene }) => {
    const d = paused(scene);
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Paused', currentStepIndex: 1, desiredVersion: '2.0.0' });
  });

  it('still aborts when the gate fails: stable back to 100% in one write, version blocklisted', () => {
    const d = paused({ tgs, stepGate: gate('Failed') });
    expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true });
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(d.status).toMatchObject({ phase: 'Degraded', abort: true });
  });

  it('aborts on a failed gate even when the rule was edited by hand while paused', () => {
    const d = paused({ tgs, stepGate: gate('Failed'), rule: liveRule({ a: 50, b: 50 }) });
    expect(d.action).toMatchObject({ kind: 'Abort', version: '2.0.0', blocklist: true });
    expect(weightsOf(d)).toEqual({ a: 100 });
  });

  it('takes the traffic back from a canary blocklisted while paused, as it would unpaused: the rollout is over, an unblock starts it again', () => {
    const blocklist = [{ version: '2.0.0', cause: 'okractl block' }];
    const d = paused({ tgs, blocklist });
    expect(d.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(d)).toEqual({ a: 100 });
    const held = paused({ tgs, blocklist, rule: liveRule({ a: 100 }), status: { ...d.status, pendingWeights: undefined, ...verified({ a: 100 }) } });
    expect(held.action).toBeUndefined();
    expect(held.status).toMatchObject({ stableVersion: '1.0.0', desiredVersion: '1.0.0' });
    // Unblocked and resumed: 2.0.0 starts over at step 1, it does not jump back to where it was.
    const resumed = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, held.status), tgs, rule: liveRule({ a: 100 }) }));
    expect(reasons(resumed)).toContain('RolloutStarted');
    expect(weightsOf(resumed)).toEqual({ a: 80, b: 20 });
  });

  it('holds a blocklisted version pinned by spec.version at stable while paused', () => {
    const d = decide(observe({ cell: cell({ paused: true, version: '2.0.0', updateStrategy: analysisSteps }, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }), blocklist: [{ version: '2.0.0', cause: 'bad' }] }));
    expect(weightsOf(d)).toEqual({ a: 100 });
    expect(d.status).toMatchObject({ desiredVersion: '2.0.0', reason: 'RestoringStable' });
  });

  it('still carries out okractl abort', () => {
    const d = paused({ tgs, status: { ...atAnalysis, abort: true, message: 'aborted by okractl' } });
    expect(d.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(d)).toEqual({ a: 100 });
  });

  it.each([
    { name: 'the canary version', tgs: [tg('a', '1.0.0')], live: { a: 80, b: 20 }, want: { a: 100 } },
    { name: 'one of two stable target groups', tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], live: { a: 40, a2: 40, b: 20 }, want: { a: 80, b: 20 } },
    { name: 'the stable version', tgs: [tg('b', '2.0.0')], live: { a: 80, b: 20 }, want: { b: 100 } },
  ])('moves the traffic of gone target groups ($name) to the ones left, at the current step, and stays paused', ({ tgs: left, live, want }) => {
    const d = paused({ tgs: left, rule: liveRule(live), status: { ...atAnalysis, ...verified(live) } });
    expect(d.action).toMatchObject({ kind: 'SetWeights' });
    expect(weightsOf(d)).toEqual(want);
    expect(d.status).toMatchObject({ phase: 'Paused', reason: 'TargetGroupsGone', currentStepIndex: 1 });
    expect(reasons(d)).toEqual(['TargetGroupsGone']);
    // Once the rule reads back without them, the write is verified and the Cell is simply paused again.
    const after = paused({ tgs: left, rule: liveRule(want), status: d.status });
    expect(after.action).toBeUndefined();
    expect(after.status).toMatchObject({ phase: 'Paused', reason: 'Paused', currentStepIndex: 1 });
    expect(after.status.pendingWeights).toBeUndefined();
    expect(Object.fromEntries((after.status.targetGroups ?? []).map((t) => [t.name, t.weight]))).toEqual(want);
  });

  it('waits for a write to read back while paused, and drops it after the grace period', () => {
    const pending = { ...atAnalysis, pendingWeights: { targetGroups: [{ arn: arn('a'), weight: 100 }], requestedAt: NOW.toISOString() } };
    const waiting = paused({ tgs, status: pending });
    expect(waiting.action).toBeUndefined();
    expect(waiting).toMatchObject({ requeueLowPriority: true, status: { phase: 'Paused', pendingWeights: pending.pendingWeights } });
    const late = paused({ tgs, status: pending, now: new Date(NOW.getTime() + 60_000) });
    expect(late.action).toBeUndefined();
    expect(late.status.pendingWeights).toBeUndefined();
  });

  it('keeps the canary share the rule has (nothing advances, nothing is undone) when a stable target group goes', () => {
    const live = { a: 30, a2: 30, b: 40 };
    const d = paused({ tgs, rule: liveRule(live), status: { ...atAnalysis, ...verified(live) } });
    expect(weightsOf(d)).toEqual({ a: 60, b: 40 });
  });

  it.each([
    { name: 'the canary is one short of `replicas`', spec: { replicas: 2 }, tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], live: { a: 80, b: 10, b2: 10 }, blocklist: [], want: { a: 100 } },
    { name: 'the canary version is blocked', spec: {}, tgs: [tg('a', '1.0.0'), tg('a2', '1.0.0'), tg('b', '2.0.0')], live: { a: 40, a2: 20, a3: 20, b: 20 }, blocklist: [{ version: '2.0.0', cause: 'bad' }], want: { a: 50, a2: 50 } },
  ])('follows the unpaused rules when $name: stable takes it all', ({ spec, tgs: left, live, blocklist, want }) => {
    const status = { ...atAnalysis, ...verified(live) };
    const d = decide(observe({ cell: cell({ paused: true, updateStrategy: analysisSteps, ...spec }, status), tgs: left, rule: liveRule(live), blocklist }));
    expect(weightsOf(d)).toEqual(want);
  });

  it('never hands the traffic of a gone stable to a blocked canary', () => {
    const d = paused({ tgs: [tg('b', '2.0.0')], blocklist: [{ version: '2.0.0', cause: 'bad' }] });
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'NoSafeTarget' });
  });

  it('leaves the rule as it is when every target group in it is gone', () => {
    const d = paused({ tgs: [] });
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'NoSafeTarget' });
  });
});

describe('decide: a failed or blocked version never gets traffic back by itself', () => {
  const analysisSteps: CellSpec['updateStrategy'] = { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } };
  const aborted: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', targetGroupsHash: 'h-old', attempt: 'att-old', currentStepIndex: 1, abort: true, message: 'rolled back 2.0.0', ...verified({ a: 100 }) };
  const blocklist = [{ version: '2.0.0', cause: 'AnalysisRun failed' }];
  const pinned = { version: '2.0.0', updateStrategy: analysisSteps };

  it.each([
    { name: 'aborted by okractl, a cluster of the version added', spec: { updateStrategy: analysisSteps }, status: aborted, tgs: [tg('a', '1.0.0'), tg('b', '2.0.0'), tg('b2', '2.0.0')], blocklist: [] },
    { name: 'aborted by a gate, pinned, a cluster of the version added', spec: pinned, status: aborted, tgs: [tg('a', '1.0.0'), tg('b', '2.0.0'), tg('b2', '2.0.0')], blocklist },
    { name: 'blocklisted and pinned, never aborted', spec: pinned, status: { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) }, tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], blocklist },
  ])('$name: stays on stable, no step starts', ({ spec, status, tgs, blocklist: bl }) => {
    const d = decide(observe({ cell: cell(spec, status), tgs, rule: liveRule({ a: 100 }), blocklist: bl }));
    expect(d.action).toBeUndefined();
    expect(reasons(d)).not.toContain('RolloutStarted');
    expect(d.status.stableVersion).toBe('1.0.0');
    expect(['Degraded', 'Pending', 'Completed']).toContain(d.status.phase);
  });

  it.each([
    { name: 'an aborted version', status: aborted, blocklist: [] },
    { name: 'a blocklisted pinned version', status: { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) }, blocklist },
  ])('when the stable target groups vanish, $name does not take 100%: the rule is left as it is', ({ status, blocklist: bl }) => {
    const d = decide(observe({ cell: cell(pinned, status), tgs: [tg('b', '2.0.0')], rule: liveRule({ a: 100 }), blocklist: bl }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'NoSafeTarget', stableVersion: '1.0.0' });
  });

  it('a rollback to a blocklisted pinned version, with stable gone, leaves the rule as it is (never an empty forward action)', () => {
    const status: CellStatus = { stableVersion: '2.0.0', desiredVersion: '2.0.0', ...verified({ b: 100 }) };
    const d = decide(observe({ cell: cell({ version: '1.0.0' }, status), tgs: [tg('a', '1.0.0')], rule: liveRule({ b: 100 }), blocklist: [{ version: '1.0.0', cause: 'bad' }] }));
    expect(d.action).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Degraded', reason: 'NoSafeTarget', stableVersion: '2.0.0' });
  });

  it('refuses a manual rollback, a bootstrap or a new rule for a blocklisted pinned version', () => {
    const rollback = decide(observe({ cell: cell({ version: '1.0.0' }, { stableVersion: '2.0.0', desiredVersion: '2.0.0', ...verified({ b: 100 }) }), tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ b: 100 }), blocklist: [{ version: '1.0.0', cause: 'bad' }] }));
    expect(rollback.action).toBeUndefined();
    expect(rollback.status).toMatchObject({ stableVersion: '2.0.0', reason: 'VersionBlocked' });
    const fresh = decide(observe({ cell: cell({ version: '2.0.0' }), tgs: [tg('b', '2.0.0')], blocklist }));
    expect(fresh.action).toBeUndefined();
    expect(fresh.status).toMatchObject({ phase: 'Pending', reason: 'VersionBlocked' });
  });

  it('a new attempt on the same target groups gets a new attempt id, so earlier gates never count', () => {
    const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
    // 2.0.0 ran before (its gates carry attempt att-old); the Cell was rolled back to 1.0.0 and unpinned.
    const rolledBack: CellStatus = { stableVersion: '1.0.0', desiredVersion: '1.0.0', targetGroupsHash: hashOf(tgs), attempt: 'att-old', currentStepIndex: 3, ...verified({ a: 100 }) };
    const start = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, rolledBack), tgs, rule: liveRule({ a: 100 }) }));
    expect(reasons(start)).toEqual(['RolloutStarted']);
    expect(start.status.attempt).toMatch(/^[0-9a-f]{10}$/);
    expect(start.status.attempt).not.toBe('att-old');
    const atAnalysis = { ...start.status, pendingWeights: undefined, currentStepIndex: 1, ...verified({ a: 80, b: 20 }) };
    const oldRun: GateState = { kind: 'AnalysisRun', name: 'web-1-analysis-att-old', phase: 'Successful', step: 1, hash: 'att-old' };
    const d = decide(observe({ cell: cell({ updateStrategy: analysisSteps }, atAnalysis), tgs, rule: liveRule({ a: 80, b: 20 }), stepGate: oldRun }));
    expect(d.action).toMatchObject({ kind: 'StartGate', gate: 'step', stepIndex: 1 });
    expect(d.action && 'name' in d.action ? d.action.name : '').toContain(start.status.attempt ?? 'missing');
  });

  it('a background analysis that fails while the promotion is being verified still aborts (unless promote --full)', () => {
    const spec = { updateStrategy: { canary: { ...analysisSteps.canary, analysis: { templates: [{ templateName: 'bg' }] } } } };
    const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
    const promoting: CellStatus = { stableVersion: '1.0.0', desiredVersion: '2.0.0', targetGroupsHash: hashOf(tgs), currentStepIndex: 3, ...verified({ a: 50, b: 50 }) };
    const bg: GateState = { kind: 'AnalysisRun', name: 'web-bg', phase: 'Failed', step: 'bg', hash: hashOf(tgs) };
    const d = decide(observe({ cell: cell(spec, promoting), tgs, rule: liveRule({ b: 100 }), backgroundGate: bg }));
    expect(d.action).toMatchObject({ kind: 'Abort', blocklist: true });
    const forced = decide(observe({ cell: cell(spec, { ...promoting, promoteFull: true }), tgs, rule: liveRule({ b: 100 }), backgroundGate: bg }));
    expect(forced.status).toMatchObject({ phase: 'Completed', stableVersion: '2.0.0' });
  });

  it('adopting a rule without status, a tie goes to the lower version (the canary is run again, not promoted)', () => {
    const d = decide(observe({ cell: cell({ updateStrategy: steps3 }), tgs: [tg('a', '1.0.0'), tg('b', '2.0.0')], rule: liveRule({ a: 50, b: 50 }) }));
    expect(weightsOf(d)).toEqual({ a: 80, b: 20 });
  });
});

describe('decide: a whole rollout, pass by pass', () => {
  it('goes 100/0 → 80/20 → (pause) → 50/50 → 0/100 with one write per weight change', () => {
    const spec = { updateStrategy: steps3 };
    let status: CellStatus = { stableVersion: '1.0.0', desiredVersion: '1.0.0', ...verified({ a: 100 }) };
    let weights: ForwardWeight[] = [{ arn: arn('a'), weight: 100 }];
    const tgs = [tg('a', '1.0.0'), tg('b', '2.0.0')];
    const seen: string[] = [];
    let now = NOW.getTime();
    let writes = 0;
    for (let pass = 0; pass < 20 && status.phase !== 'Completed'; pass++) {
      const rule: ListenerRuleState = { arn: RULE, priority: 10, conditions: ruleConditions(ruleSpec), weights };
      const stepGate: GateState | undefined = status.currentStepIndex === 1 && pass > 2 ? { kind: 'Pause', name: 'p', phase: 'Running', step: 1, hash: gateKey(status) ?? '' } : undefined;
      const d = decide(observe({ cell: cell(spec, status), tgs, rule, stepGate, now: new Date(now) }));
      status = d.status;
      if (d.action && 'weights' in d.action) {
        weights = d.action.weights.map((w) => ({ arn: w.arn, weight: w.weight }));
        writes++;
        seen.push(d.action.weights.map((w) => `${w.name}=${w.weight}`).join(','));
      }
      now += d.requeueAfterMs ?? 0;
    }
    expect(seen).toEqual(['a=80,b=20', 'a=50,b=50', 'b=100']);
    expect(writes).toBe(3);
    expect(status).toMatchObject({ phase: 'Completed', stableVersion: '2.0.0' });
  });
});

function hashOf(tgs: AWSTargetGroup[]): string {
  return decide(observe({ cell: cell({ updateStrategy: steps3 }, { stableVersion: '1.0.0', ...verified({ a: 100 }) }), tgs, rule: liveRule({ a: 100 }) })).status.targetGroupsHash ?? '';
}
