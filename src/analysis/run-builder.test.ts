import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate } from '../api/rollouts/analysis.js';
import type { Cell } from '../api/v1alpha1/cell.js';
import { buildAnalysisRun, GateSpecError, mergeArgs, mergeTemplates, resolveFieldPath } from './run-builder.js';

const cell: Cell = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u1', labels: { team: 'a', 'app.kubernetes.io/name': 'web' } },
  spec: { ingress: {}, replicas: 2, updateStrategy: { canary: { steps: [{ setWeight: 20 }] } } },
  status: { desiredVersion: '1.2.3' },
};

const template = (name: string, metrics: string[], args: AnalysisTemplate['spec']['args'] = []): AnalysisTemplate => ({
  metadata: { name },
  spec: { metrics: metrics.map((m) => ({ name: m, provider: { web: { url: 'http://x' } } })), args },
});

describe('resolveFieldPath', () => {
  it.each([
    ['status.desiredVersion', '1.2.3'],
    ['metadata.name', 'web'],
    ['metadata.namespace', 'prod'],
    ['metadata.labels[team]', 'a'],
    ['metadata.labels.team', 'a'],
    ['spec.replicas', '2'],
    ['spec.updateStrategy.canary.steps[0].setWeight', '20'],
  ])('%s → %s', (path, want) => {
    expect(resolveFieldPath(cell, path)).toBe(want);
  });

  it.each([
    ['status.nothing', /does not resolve/],
    ['spec.updateStrategy.canary.steps[3]', /index 3 out of range/],
    ['spec.updateStrategy.canary.steps[x]', /invalid index 'x'/],
    ['metadata', /must end at a single value/],
  ])('%s fails with a message naming it', (path, message) => {
    expect(() => resolveFieldPath(cell, path)).toThrow(message);
  });
});

describe('AnalysisRun construction', () => {
  it('merges templates: metrics and args concatenated, duplicates refused', () => {
    const merged = mergeTemplates([template('a', ['m1'], [{ name: 'x' }]), template('b', ['m2'], [{ name: 'x' }, { name: 'y', value: 'd' }])]);
    expect(merged.metrics.map((m) => m.name)).toEqual(['m1', 'm2']);
    expect(merged.args).toEqual([{ name: 'x' }, { name: 'y', value: 'd' }]);
    expect(() => mergeTemplates([template('a', ['m']), template('b', ['m'])])).toThrow(/metric m is defined by more than one template/);
    expect(() => mergeTemplates([template('a', [], [{ name: 'x', value: '1' }]), template('b', [], [{ name: 'x', value: '2' }])])).toThrow(/different defaults/);
  });

  it('merges step args: literal, fieldRef resolved now, secretKeyRef kept for the evaluator', () => {
    const args = mergeArgs(cell, [{ name: 'version' }, { name: 'key' }, { name: 'threshold', value: '0.9' }], [
      { name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } },
      { name: 'key', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } },
    ], 'steps[1].analysis');
    expect(args).toEqual([
      { name: 'version', value: '1.2.3' },
      { name: 'key', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } },
      { name: 'threshold', value: '0.9' },
    ]);
  });

  it.each([
    { name: 'an arg the template does not declare', template: [{ name: 'x' }], step: [{ name: 'y', value: '1' }], error: 'steps[1].analysis: arg y is not declared by the template' },
    { name: 'an arg left without a value', template: [{ name: 'x' }], step: [], error: 'steps[1].analysis: arg x has no value' },
    { name: 'an unresolvable fieldRef', template: [{ name: 'x' }], step: [{ name: 'x', valueFrom: { fieldRef: { fieldPath: 'status.nope' } } }], error: 'steps[1].analysis: arg x: fieldRef status.nope does not resolve on the Cell' },
  ])('refuses $name, naming it', ({ template: t, step, error }) => {
    expect(() => mergeArgs(cell, t, step, 'steps[1].analysis')).toThrow(new GateSpecError(error));
  });

  it('builds a run owned by the Cell with the given name and labels', () => {
    const run = buildAnalysisRun({ cell, name: 'web-1-analysis-abc', templates: [template('a', ['m1'], [{ name: 'x', value: 'v' }])], stepArgs: [], labels: { cell: 'web' }, where: 'w' });
    expect(run).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'web-1-analysis-abc', namespace: 'prod', labels: { cell: 'web' }, ownerReferences: [{ kind: 'Cell', uid: 'u1', controller: true }] },
      spec: { metrics: [{ name: 'm1' }], args: [{ name: 'x', value: 'v' }] },
    });
  });

  describe('the Cell\'s own dryRun and measurementRetention rules (Argo Rollouts RolloutAnalysis)', () => {
    const withRules = (rules: Parameters<typeof buildAnalysisRun>[0]['rules']) => {
      const t: AnalysisTemplate = { ...template('a', ['errors', 'latency']), spec: { ...template('a', ['errors', 'latency']).spec, dryRun: [{ metricName: 'latency' }] } };
      return buildAnalysisRun({ cell, name: 'r', templates: [t], stepArgs: [], labels: {}, where: 'spec.updateStrategy.canary.steps[1].analysis', rules });
    };

    it('adds them after the templates\' own, so a metric the Cell marks dry-run cannot fail the rollout', () => {
      const run = withRules({ dryRun: [{ metricName: 'errors' }], measurementRetention: [{ metricName: 'errors', limit: 20 }] });
      expect(run.spec.dryRun).toEqual([{ metricName: 'latency' }, { metricName: 'errors' }]);
      expect(run.spec.measurementRetention).toEqual([{ metricName: 'errors', limit: 20 }]);
    });

    it('refuses two rules for one metric, naming it', () => {
      expect(() => withRules({ dryRun: [{ metricName: 'latency' }] })).toThrow(new GateSpecError("spec.updateStrategy.canary.steps[1].analysis: two Dry-Run metric rules have the same name 'latency'"));
    });
  });
});
