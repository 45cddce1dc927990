// The rollout commands' plans: from the Cell as read, refuse with a message a person can act on, do
// nothing, or the exact status/spec merge patch the controller honours (see decide.ts).
import { describe, expect, it } from 'vitest';
import type { Cell, CellSpec, CellStatus } from '../../api/v1alpha1/cell.js';
import { ABORT_MESSAGE, planAbort, planPaused, planPromote, planRetry, progressOf } from './rollout.js';

const steps: Partial<CellSpec> = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } } };

function aCell(status: CellStatus | undefined, spec: Partial<CellSpec> = steps): Cell {
  return { metadata: { name: 'web', namespace: 'prod' }, spec: { ingress: {}, ...spec }, ...(status ? { status } : {}) };
}

const completed: CellStatus = { phase: 'Completed', desiredVersion: '1.0.0', stableVersion: '1.0.0', currentStepIndex: 4 };
const at = (index: number, extra: CellStatus = {}): CellStatus => ({ phase: 'Progressing', desiredVersion: '2.0.0', stableVersion: '1.0.0', currentStepIndex: index, ...extra });
const aborted: CellStatus = at(1, { phase: 'Degraded', reason: 'RolloutAborted', abort: true, targetGroupsHash: 'h' });

describe('progressOf', () => {
  it.each([
    ['no status', undefined, 'idle'],
    ['completed', completed, 'idle'],
    ['running', at(1), 'running'],
    ['aborted by flag', aborted, 'aborted'],
    ['Degraded RolloutAborted without the flag', at(1, { phase: 'Degraded', reason: 'RolloutAborted' }), 'aborted'],
    ['Degraded for another reason', at(1, { phase: 'Degraded', reason: 'TooManyTargetGroups' }), 'running'],
  ] as const)('%s → %s', (_name, status, kind) => {
    expect(progressOf(aCell(status)).kind).toBe(kind);
  });
});

describe('planPromote', () => {
  it.each([
    ['an indefinite pause', at(1), false, { kind: 'patch', target: 'status', patch: { promoteStep: 1 }, message: 'cell/web: step 2/4 (pause until promoted) promoted: 2.0.0 continues with step 3/4' }],
    [
      'an Inconclusive analysis',
      at(2, { gates: [{ step: '2', kind: 'AnalysisRun', name: 'r', phase: 'Inconclusive' }] }),
      false,
      { kind: 'patch', target: 'status', patch: { promoteStep: 2 }, message: 'cell/web: step 3/4 (analysis errors) promoted: 2.0.0 continues with step 4/4' },
    ],
    [
      'a running step while the background analysis is Inconclusive',
      at(0, { gates: [{ step: 'bg', kind: 'AnalysisRun', name: 'bg', phase: 'Inconclusive' }] }),
      false,
      { kind: 'patch', target: 'status', patch: { promoteStep: 0 }, message: 'cell/web: Inconclusive background analysis bg promoted: a new run starts, and step 1/4 (setWeight 20%) goes on' },
    ],
    [
      'a pause while the background analysis is Inconclusive',
      at(1, { gates: [{ step: 'bg', kind: 'AnalysisRun', name: 'bg', phase: 'Inconclusive' }] }),
      false,
      { kind: 'patch', target: 'status', patch: { promoteStep: 1 }, message: 'cell/web: step 2/4 (pause until promoted) promoted (and the Inconclusive background analysis bg: a new run starts): 2.0.0 continues with step 3/4' },
    ],
    ['--full', at(1), true, { kind: 'patch', target: 'status', patch: { promoteFull: true }, message: 'cell/web: promoting 2.0.0 fully: steps 2-4 of 4 skipped, 2.0.0 goes to 100%' }],
    ['--full at the last step', at(3), true, { kind: 'patch', target: 'status', patch: { promoteFull: true }, message: 'cell/web: promoting 2.0.0 fully: step 4 of 4 skipped, 2.0.0 goes to 100%' }],
    ['a Completed Cell', completed, false, { kind: 'refuse', message: 'cell/web has no rollout in progress (Completed, 1.0.0 is stable): nothing to promote' }],
    ['a Completed Cell with --full', completed, true, { kind: 'refuse', message: 'cell/web has no rollout in progress (Completed, 1.0.0 is stable): nothing to promote' }],
    ['a Cell without status', undefined, false, { kind: 'refuse', message: 'cell/web has no rollout in progress (no status yet): nothing to promote' }],
    ['an aborted rollout', aborted, false, { kind: 'refuse', message: 'cell/web: the rollout of 2.0.0 was aborted: nothing to promote (okractl retry runs its steps again)' }],
    ['a rollout past its last step', at(4), true, { kind: 'refuse', message: 'cell/web: every step of 2.0.0 has passed: it is already being promoted to 100%' }],
    ['a rollout already promoted fully', at(1, { promoteFull: true }), false, { kind: 'refuse', message: 'cell/web: every step of 2.0.0 has passed: it is already being promoted to 100%' }],
    [
      'a running analysis',
      at(2, { gates: [{ step: '2', kind: 'AnalysisRun', name: 'r', phase: 'Running' }] }),
      false,
      { kind: 'refuse', message: 'cell/web: step 3/4 (analysis errors) is not waiting for promotion (only a pause or an Inconclusive analysis is); use --full to skip the remaining steps' },
    ],
  ] as const)('%s', (_name, status, full, want) => {
    expect(planPromote(aCell(status), full)).toEqual(want);
  });

  it('says when spec.paused delays the promotion', () => {
    const plan = planPromote(aCell(at(1), { ...steps, paused: true }), false);
    expect(plan).toMatchObject({ kind: 'patch', message: expect.stringMatching(/\(spec\.paused is set: it takes effect after okractl resume\)$/) as unknown });
  });

  it('promotes the last step to 100%', () => {
    const single: Partial<CellSpec> = { updateStrategy: { canary: { steps: [{ pause: {} }] } } };
    expect(planPromote(aCell(at(0), single), false)).toMatchObject({ patch: { promoteStep: 0 }, message: 'cell/web: step 1/1 (pause until promoted) promoted: 2.0.0 goes to 100%' });
  });
});

describe('planAbort', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it('sets abort, abortedAt and the message in the status', () => {
    expect(planAbort(aCell(at(1)), now)).toEqual({
      kind: 'patch',
      target: 'status',
      patch: { abort: true, abortedAt: '2026-03-01T12:00:00.000Z', message: ABORT_MESSAGE },
      message: 'cell/web: rollout of 2.0.0 aborted: 1.0.0 goes back to 100%',
    });
  });
  it('takes effect at once on a paused Cell, so it says nothing about resume', () => {
    expect(planAbort(aCell(at(1), { ...steps, paused: true }), now)).toMatchObject({ kind: 'patch', message: 'cell/web: rollout of 2.0.0 aborted: 1.0.0 goes back to 100%' });
  });
  it('refuses without a rollout in progress', () => {
    expect(planAbort(aCell(completed), now)).toEqual({ kind: 'refuse', message: 'cell/web has no rollout in progress (Completed, 1.0.0 is stable): nothing to abort' });
  });
  it('does nothing for an aborted rollout', () => {
    expect(planAbort(aCell(aborted), now)).toEqual({ kind: 'noop', message: 'cell/web: the rollout of 2.0.0 is already aborted' });
  });
});

describe('planRetry', () => {
  it('clears the abort and the target-group hash so the controller starts the steps again', () => {
    expect(planRetry(aCell(aborted))).toEqual({
      kind: 'patch',
      target: 'status',
      patch: {
        abort: null,
        abortedAt: null,
        attempt: null,
        currentStepIndex: 0,
        currentStepStartedAt: null,
        gates: null,
        targetGroupsHash: null,
        promoteStep: null,
        promoteFull: null,
        phase: 'Progressing',
        reason: 'Retrying',
        message: 'retrying the rollout of 2.0.0 (okractl retry)',
      },
      message: 'cell/web: retrying 2.0.0 over 1.0.0 from step 1',
    });
  });
  it.each([
    ['a running rollout', at(1), 'cell/web: the rollout is not aborted (Progressing): retry only restarts an aborted rollout'],
    ['a completed Cell', completed, 'cell/web: the rollout is not aborted (Completed): retry only restarts an aborted rollout'],
  ] as const)('refuses %s', (_name, status, message) => {
    expect(planRetry(aCell(status))).toEqual({ kind: 'refuse', message });
  });
});

describe('planPaused', () => {
  it.each([
    [undefined, true, { kind: 'patch', target: 'spec', patch: { paused: true }, message: 'cell/web paused: steps and gates are frozen until okractl resume (aborts, blocklisted versions and gone target groups are still handled)' }],
    [true, true, { kind: 'noop', message: 'cell/web is already paused' }],
    [true, false, { kind: 'patch', target: 'spec', patch: { paused: null }, message: 'cell/web resumed' }],
    [undefined, false, { kind: 'noop', message: 'cell/web is not paused' }],
    [false, false, { kind: 'noop', message: 'cell/web is not paused' }],
  ] as const)('spec.paused %s, pause=%s', (paused, want, plan) => {
    expect(planPaused(aCell(at(1), { ...steps, ...(paused === undefined ? {} : { paused }) }), want)).toEqual(plan);
  });
});
