// The Cell view's renderer: snapshots in, exact lines out. The same renderer draws describe, watch and
// the demo, so these lines are what a person sees.
import { describe, expect, it } from 'vitest';
import type { Cell, CellSpec, CellStatus } from '../../api/v1alpha1/cell.js';
import { stripAnsi, visibleLength } from './text.js';
import { describeStep, renderCellView, stepLabel, type CellSnapshot, type EventView, type GateView } from './view.js';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

const threeSteps: Partial<CellSpec> = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } } };
const blue = { name: 'blue', arn: 'arn:blue', version: '1.0.0' };
const green = { name: 'green', arn: 'arn:green', version: '2.0.0' };

function aCell(status: CellStatus | undefined, spec: Partial<CellSpec> = threeSteps): Cell {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'Cell',
    metadata: { name: 'web', namespace: 'prod', uid: 'u1', creationTimestamp: ago(600) },
    spec: { ingress: {}, ...spec },
    ...(status ? { status } : {}),
  };
}

function snap(cell: Cell, gates: GateView[] = [], events: EventView[] = []): CellSnapshot {
  return { cell, gates, events };
}

const pausedAtStep2: CellStatus = {
  phase: 'Paused',
  reason: 'WaitingForPromotion',
  message: 'step 2/3: paused until promoted (okractl promote)',
  desiredVersion: '2.0.0',
  stableVersion: '1.0.0',
  canaryWeight: 20,
  currentStepIndex: 1,
  currentStepStartedAt: ago(42),
  targetGroups: [
    { ...blue, weight: 80 },
    { ...green, weight: 20 },
  ],
};

const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

describe('renderCellView', () => {
  const cases: { name: string; snapshot: CellSnapshot; want: string[] }[] = [
    {
      name: 'a rollout paused at an indefinite pause: markers, weights with bars, no gates',
      snapshot: snap(aCell(pausedAtStep2)),
      want: [
        'Name:         web',
        'Namespace:    prod',
        'Phase:        Paused (WaitingForPromotion)',
        'Message:      step 2/3: paused until promoted (okractl promote)',
        'Desired:      2.0.0',
        'Stable:       1.0.0',
        'Canary:       20%',
        'Step:         2/3, started 42s ago',
        '',
        'Steps:',
        '  ✓ 1. setWeight 20%',
        '  ▶ 2. pause until promoted',
        '    3. setWeight 50%',
        '',
        'Weights:',
        '  blue   1.0.0   80%  ████████████████░░░░',
        '  green  2.0.0   20%  ████░░░░░░░░░░░░░░░░',
        '',
        'Events:       <none>',
      ],
    },
    {
      name: 'a completed Cell: every step passed, stable at 100%',
      snapshot: snap(
        aCell({
          phase: 'Completed',
          reason: 'Completed',
          message: '2.0.0 serves 100% on 1 target group(s)',
          desiredVersion: '2.0.0',
          stableVersion: '2.0.0',
          canaryWeight: 100,
          currentStepIndex: 3,
          targetGroups: [{ ...green, weight: 100 }],
        }),
      ),
      want: [
        'Name:         web',
        'Namespace:    prod',
        'Phase:        Completed',
        'Message:      2.0.0 serves 100% on 1 target group(s)',
        'Desired:      2.0.0',
        'Stable:       2.0.0',
        'Canary:       100%',
        'Step:         3/3, all passed',
        '',
        'Steps:',
        '  ✓ 1. setWeight 20%',
        '  ✓ 2. pause until promoted',
        '  ✓ 3. setWeight 50%',
        '',
        'Weights:',
        '  green  2.0.0  100%  ████████████████████',
        '',
        'Events:       <none>',
      ],
    },
    {
      name: 'a Cell the controller has not seen yet',
      snapshot: snap(aCell(undefined, {})),
      want: [
        'Name:         web',
        'Namespace:    prod',
        'Phase:        Unknown',
        'Desired:      -',
        'Stable:       -',
        'Step:         none (a new version takes 100% at once)',
        '',
        'Weights:      none yet (no listener rule read back)',
        '',
        'Events:       <none>',
      ],
    },
  ];

  it.each(cases)('$name', ({ snapshot, want }) => {
    expect(lines(renderCellView(snapshot, { now }))).toEqual(want);
  });

  it('shows an aborted rollout with a cross on the step it stopped at and how to retry', () => {
    const status: CellStatus = {
      ...pausedAtStep2,
      phase: 'Degraded',
      reason: 'RolloutAborted',
      message: 'aborted by okractl abort',
      abort: true,
      abortedAt: ago(5),
      canaryWeight: 0,
      targetGroups: [{ ...blue, weight: 100 }],
    };
    const out = lines(renderCellView(snap(aCell(status)), { now }));
    expect(out).toContain('Phase:        Degraded (RolloutAborted)');
    expect(out).toContain('Aborted:      5s ago (okractl retry runs the steps again)');
    expect(out).toContain('  ✗ 2. pause until promoted');
    expect(out).toContain('  blue  1.0.0  100%  ████████████████████');
  });

  it('lists gates by step, background last, each with its metrics under it', () => {
    const gates: GateView[] = [
      {
        step: '1',
        kind: 'AnalysisRun',
        name: 'web-1-analysis-abc',
        phase: 'Failed',
        message: 'Metric "errors" assessed Failed',
        metrics: [{ name: 'errors', phase: 'Failed', value: '3', message: undefined, measurements: 2, successful: 1, failed: 1, inconclusive: 0, error: 0 }],
      },
      { step: 'bg', kind: 'AnalysisRun', name: 'web-bg-analysis-abc', phase: 'Running', metrics: [{ name: 'latency', phase: 'Pending', measurements: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 }] },
    ];
    const out = lines(renderCellView(snap(aCell(pausedAtStep2), gates), { now }));
    const at = out.indexOf('Gates:');
    expect(out.slice(at, at + 6)).toEqual([
      'Gates:',
      '  STEP  KIND         NAME                 PHASE    MESSAGE',
      '  2     AnalysisRun  web-1-analysis-abc   Failed   Metric "errors" assessed Failed',
      '      metric errors: Failed, last value 3, 2 measurements (1 successful, 1 failed)',
      '  bg    AnalysisRun  web-bg-analysis-abc  Running',
      '      metric latency: Pending, 0 measurements',
    ]);
  });

  it('shows spec.paused and the background analysis', () => {
    const spec: Partial<CellSpec> = {
      paused: true,
      updateStrategy: { canary: { steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'errors' }, { templateName: 'latency' }] } }], analysis: { templates: [{ templateName: 'bg' }], startingStep: 1 } } },
    };
    const out = lines(renderCellView(snap(aCell({ ...pausedAtStep2, phase: 'Paused', reason: 'Paused' }, spec)), { now }));
    expect(out).toContain('Phase:        Paused');
    expect(out).toContain('Paused:       spec.paused is set: steps and gates are frozen (okractl resume)');
    expect(out).toContain('  ▶ 2. analysis errors, latency');
    expect(out).toContain('  background analysis bg, from step 2');
  });

  it('shows the last five Events live and every Event, with conditions, in detail', () => {
    const events = Array.from({ length: 7 }, (_, i): EventView => ({ type: i === 6 ? 'Warning' : 'Normal', reason: `R${i}`, message: `m${i}`, count: i === 6 ? 3 : 1, lastSeen: ago(70 - i * 10), source: 'okra' }));
    const status: CellStatus = { ...pausedAtStep2, conditions: [{ type: 'Paused', status: 'True', reason: 'WaitingForPromotion', message: 'step 2/3', lastTransitionTime: ago(42) }] };
    const live = lines(renderCellView(snap(aCell(status), [], events), { now }));
    expect(live.slice(live.indexOf('Events:'))).toEqual([
      'Events:',
      '  TYPE     REASON  AGE       FROM  MESSAGE',
      '  Normal   R2      50s       okra  m2',
      '  Normal   R3      40s       okra  m3',
      '  Normal   R4      30s       okra  m4',
      '  Normal   R5      20s       okra  m5',
      '  Warning  R6      10s (x3)  okra  m6',
    ]);
    expect(live).not.toContain('Conditions:');
    const detail = lines(renderCellView(snap(aCell(status), [], events), { now, detail: true }));
    expect(detail.filter((l) => /^ {2}(Normal|Warning) /.test(l))).toHaveLength(7);
    expect(detail.slice(detail.indexOf('Conditions:'), detail.indexOf('Conditions:') + 3)).toEqual([
      'Conditions:',
      '  TYPE    STATUS  REASON               AGE  MESSAGE',
      '  Paused  True    WaitingForPromotion  42s  step 2/3',
    ]);
  });

  it('notes weights written but not read back yet', () => {
    const status: CellStatus = { ...pausedAtStep2, pendingWeights: { targetGroups: [], requestedAt: ago(2) } };
    expect(lines(renderCellView(snap(aCell(status)), { now }))).toContain('  new weights written 2s ago, waiting to read them back');
  });

  it('colours only with color, and the text is the same once the colour is stripped', () => {
    const plain = renderCellView(snap(aCell(pausedAtStep2)), { now });
    const colored = renderCellView(snap(aCell(pausedAtStep2)), { now, color: true });
    expect(plain).not.toContain('\u001b[');
    expect(colored).toContain('\u001b[33mPaused\u001b[0m');
    expect(stripAnsi(colored)).toBe(plain);
  });

  it.each([40, 60, 100])('keeps every line within a %i-column terminal', (width) => {
    const long: CellStatus = { ...pausedAtStep2, message: 'x'.repeat(200) };
    for (const color of [false, true]) {
      const out = lines(renderCellView(snap(aCell(long)), { now, width, color }));
      expect(Math.max(...out.map(visibleLength))).toBeLessThanOrEqual(width);
      expect(stripAnsi(out.find((l) => l.startsWith('Message:')) ?? '')).toBe(`Message:      ${'x'.repeat(width - 15)}…`);
    }
  });

  it('sizes the weight bars to the terminal', () => {
    const out = lines(renderCellView(snap(aCell(pausedAtStep2)), { now, width: 60 }));
    expect(out).toContain(`  blue   1.0.0   80%  ${'█'.repeat(30)}${'░'.repeat(8)}`);
  });
});

describe('describeStep', () => {
  it.each([
    [{ setWeight: 20 }, 'setWeight 20%'],
    [{ pause: {} }, 'pause until promoted'],
    [{ pause: { duration: 30 } }, 'pause 30s'],
    [{ pause: { duration: '5m' } }, 'pause 5m'],
    [{ analysis: { templates: [{ templateName: 'a' }, { templateName: 'b' }] } }, 'analysis a, b'],
    [{ analysis: {} }, 'analysis (no templates)'],
    [{ experiment: { duration: '10m', templates: [{ name: 'canary', specRef: 'rs' }] } }, 'experiment canary for 10m'],
    [{ setCanaryScale: { replicas: 1 } }, 'setCanaryScale (not supported)'],
    [{}, '(no action)'],
  ])('%j → %s', (step, want) => {
    expect(describeStep(step)).toBe(want);
  });
});

describe('stepLabel', () => {
  it.each([
    [undefined, threeSteps, '-'],
    [{ currentStepIndex: 0 }, threeSteps, '1/3'],
    [{ currentStepIndex: 2 }, threeSteps, '3/3'],
    [{ currentStepIndex: 3 }, threeSteps, '3/3'],
    [{ currentStepIndex: 0 }, {}, '-'],
  ] as const)('%j with %j → %s', (status, spec, want) => {
    expect(stepLabel(aCell(status, spec))).toBe(want);
  });
});
