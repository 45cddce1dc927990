import { describe, expect, it } from 'vitest';
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { CellAction, Decision } from '../../controllers/cell/model.js';
import type { Followed } from '../followed.js';
import { describeAction, describeDecision, finishOf, formatMs, formatWeights, progressLine, resultingWeights } from './cell-report.js';

const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/r1';
const tg = (name: string, version: string, weight: number) => ({ name, arn: `arn:tg/${name}`, version, weight });

function decision(status: CellStatus, action?: CellAction, extra: Partial<Decision> = {}): Decision {
  return { status, events: [], ...(action ? { action } : {}), ...extra };
}

describe('describeAction', () => {
  it.each<[CellAction | undefined, string]>([
    [undefined, 'none'],
    [{ kind: 'CreateRule', priority: 10, conditions: [], weights: [] }, 'create the listener rule at priority 10'],
    [{ kind: 'SetWeights', ruleArn: RULE, weights: [] }, `set the weights of ${RULE}`],
    [{ kind: 'SetWeights', ruleArn: RULE, weights: [], conditions: [] }, `set the weights of ${RULE} and restore its conditions`],
    [{ kind: 'SetPriority', ruleArn: RULE, priority: 7 }, `move ${RULE} to priority 7`],
    [{ kind: 'StartGate', gate: 'step', stepIndex: 1, name: 'web-1-pause-abc' }, 'start the gate of step 2 web-1-pause-abc'],
    [{ kind: 'StartGate', gate: 'background', stepIndex: 0, name: 'web-bg-analysis-abc' }, 'start background analysis web-bg-analysis-abc'],
    [{ kind: 'Abort', ruleArn: RULE, weights: [], version: '2.0.0', cause: 'x', blocklist: true }, `abort: put the stable version back on ${RULE} and blocklist 2.0.0`],
    [{ kind: 'Abort', ruleArn: RULE, weights: [], version: '2.0.0', cause: 'x', blocklist: false }, `abort: put the stable version back on ${RULE}`],
  ])('%j → %s', (action, want) => {
    expect(describeAction(action)).toBe(want);
  });
});

describe('weights', () => {
  it('names each target group with its version and leaves weight 0 out', () => {
    expect(formatWeights([tg('blue', '1.0.0', 80), tg('green', '2.0.0', 20), tg('red', '3.0.0', 0)])).toBe('blue (1.0.0)=80, green (2.0.0)=20');
    expect(formatWeights([])).toBe('(none)');
  });

  it('are the written ones for a weight action, else the verified ones', () => {
    const verified = { targetGroups: [tg('blue', '1.0.0', 100)] };
    const set: CellAction = { kind: 'SetWeights', ruleArn: RULE, weights: [tg('blue', '1.0.0', 80), tg('green', '2.0.0', 20)] };
    expect(resultingWeights(decision(verified, set))).toEqual({ weights: set.weights, written: true });
    expect(resultingWeights(decision(verified, { kind: 'StartGate', gate: 'step', stepIndex: 1, name: 'g' }))).toEqual({ weights: verified.targetGroups, written: false });
  });
});

describe('describeDecision', () => {
  it('shows the planned bootstrap: action, weights, phase, message, events and the next pass', () => {
    const lines = describeDecision(
      decision(
        { phase: 'Progressing', reason: 'CreatingRule', message: 'creating the listener rule with 1.0.0 at 100%' },
        { kind: 'CreateRule', priority: 10, conditions: [], weights: [tg('blue', '1.0.0', 100)] },
        { events: [{ type: 'Normal', reason: 'RuleCreated', message: 'creating the listener rule with 1.0.0 at 100%' }], requeueAfterMs: 500 },
      ),
    );
    expect(lines).toEqual([
      'action:   create the listener rule at priority 10',
      'weights:  blue (1.0.0)=100',
      'phase:    Progressing (CreatingRule)',
      'message:  creating the listener rule with 1.0.0 at 100%',
      'event:    Normal RuleCreated: creating the listener rule with 1.0.0 at 100%',
      'next:     pass again in 500ms',
    ]);
  });

  it('shows a rollout in progress with the unchanged weights', () => {
    const status: CellStatus = { phase: 'Paused', reason: 'WaitingForPromotion', message: 'step 2/2: paused until promoted', stableVersion: '1.0.0', desiredVersion: '2.0.0', canaryWeight: 30, targetGroups: [tg('blue', '1.0.0', 70), tg('green', '2.0.0', 30)] };
    expect(describeDecision(decision(status))).toEqual([
      'action:   none',
      'weights:  blue (1.0.0)=70, green (2.0.0)=30 (unchanged)',
      'phase:    Paused (WaitingForPromotion)',
      'message:  step 2/2: paused until promoted',
      'rollout:  stable 1.0.0, desired 2.0.0, canary 30%',
    ]);
  });
});

describe('formatMs', () => {
  it.each([
    [0, '0ms'],
    [500, '500ms'],
    [1500, '1.5s'],
    [60_000, '1m'],
    [150_000, '2m30s'],
  ])('%d → %s', (ms, want) => {
    expect(formatMs(ms)).toBe(want);
  });
});

describe('progressLine', () => {
  it('is the phase, the message and the verified weights', () => {
    expect(progressLine({ phase: 'Progressing', message: 'step 1/3: applying 20% to 2.0.0', targetGroups: [tg('blue', '1.0.0', 100)] })).toBe('Progressing: step 1/3: applying 20% to 2.0.0 [blue (1.0.0)=100]');
    expect(progressLine({})).toBe('Pending: ');
  });
});

describe('finishOf', () => {
  const settled = (phase: CellStatus['phase'], reason = 'r') => decision({ phase, reason, message: 'm' });

  it.each<[CellStatus['phase'], string, boolean, number | undefined]>([
    ['Completed', 'Completed', true, 0],
    ['Degraded', 'RolloutAborted', true, 2],
    ['Degraded', 'RuleConflict', true, 2],
    ['InvalidSpec', 'InvalidSpec', true, 4],
    ['Paused', 'WaitingForPromotion', true, undefined],
    ['Paused', 'WaitingForPromotion', false, 0],
    ['Pending', 'WaitingForTargetGroups', true, undefined],
    ['Pending', 'WaitingForTargetGroups', false, 0],
    ['Progressing', 'Pausing', false, undefined],
  ])('%s (%s), until complete %s → %s', (phase, reason, untilComplete, code) => {
    expect(finishOf(settled(phase, reason), untilComplete)?.code).toBe(code);
  });

  it('never ends on a pass that still writes or waits for read-back', () => {
    const abort: CellAction = { kind: 'Abort', ruleArn: RULE, weights: [], version: '2.0.0', cause: 'x', blocklist: true };
    expect(finishOf(decision({ phase: 'Degraded', reason: 'RolloutAborted' }, abort), true)).toBeUndefined();
    expect(finishOf(decision({ phase: 'Degraded', pendingWeights: { targetGroups: [], requestedAt: '2026-01-01T00:00:00Z' } }), true)).toBeUndefined();
  });

  it('says what happened', () => {
    expect(finishOf(settled('Degraded', 'RolloutAborted'), true)?.message).toBe('rolled back: m');
    expect(finishOf(settled('Completed'), true)?.message).toBe('completed: m');
  });
});

describe('finishOf with the version followed (in flight when the run started, or --for-version)', () => {
  const completed1: CellStatus = { phase: 'Completed', reason: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' };
  const completed2: CellStatus = { phase: 'Completed', reason: 'Completed', message: '2.0.0 serves 100% on 1 target group(s)', desiredVersion: '2.0.0', stableVersion: '2.0.0' };
  const aborted2: CellStatus = { phase: 'Degraded', reason: 'RolloutAborted', message: 'rolled back 2.0.0 to 1.0.0: AnalysisRun web-1 Failed', desiredVersion: '2.0.0', stableVersion: '1.0.0', abort: true };
  const pending2: CellStatus = { phase: 'Pending', reason: 'WaitingForTargetGroups', message: 'waiting for 1 target group(s) of version 2.0.0 (have 0)', desiredVersion: '1.0.0', stableVersion: '1.0.0' };
  const inFlight: Followed = { version: '2.0.0', seen: true };
  const asked: Followed = { version: '2.0.0', seen: false };
  const blocked: BlockedVersion[] = [{ version: '2.0.0', cause: 'bad build' }];

  it.each<[string, CellStatus, Followed, BlockedVersion[], boolean, { code: number; message: string } | undefined]>([
    ['the version in flight completes → 0', completed2, inFlight, [], true, { code: 0, message: 'completed: 2.0.0 serves 100% on 1 target group(s)' }],
    ['aborted by analysis → 2', aborted2, inFlight, blocked, true, { code: 2, message: 'rolled back: rolled back 2.0.0 to 1.0.0: AnalysisRun web-1 Failed' }],
    [
      'blocklisted in flight, the Cell Completed back on 1.0.0 → 2',
      completed1, inFlight, blocked, true,
      { code: 2, message: '2.0.0 did not complete: it is in the VersionBlocklist (bad build); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))' },
    ],
    ['target groups gone, the Cell Completed back on 1.0.0 → 2', completed1, inFlight, [], true, { code: 2, message: '2.0.0 did not complete: the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))' }],
    ['--for-version not yet appeared: the old Completed keeps the run going', completed1, asked, [], true, undefined],
    ['--for-version not yet appeared: also without --until-complete', completed1, asked, [], false, undefined],
    ['--for-version not yet appeared, waiting for its target groups, without --until-complete → stops there (0)', pending2, asked, [], false, { code: 0, message: 'waiting (Pending): waiting for 1 target group(s) of version 2.0.0 (have 0)' }],
    [
      '--for-version blocklisted before it appeared → 2 at once',
      completed1, asked, blocked, true,
      { code: 2, message: '2.0.0 will not roll out: it is in the VersionBlocklist (bad build); the Cell stays on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))' },
    ],
  ])('%s', (_name, status, followed, blocklist, untilComplete, want) => {
    expect(finishOf(decision(status), untilComplete, followed, blocklist)).toEqual(want);
  });
});
