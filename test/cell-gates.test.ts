// How a Cell creates and stops its gates, on the real apiserver: a step analysis that could never end is
// refused, runs left running when a rollout is over are told to stop, and an experiment's analysis args
// reach the Experiment as Argo Rollouts' experiment controller reads them. Runs are not evaluated here:
// the test writes their status as an analysis engine would.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../src/api/resource.js';
import { RolloutsTypes, type AnalysisTemplate } from '../src/api/rollouts/analysis.js';
import type { Experiment } from '../src/api/rollouts/experiment.js';
import type { AnalysisArg, CanaryStep, CellSpec } from '../src/api/v1alpha1/cell.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import { CellWorld } from './support/cell-world.js';

const worlds: CellWorld[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});

async function template(w: CellWorld, name: string, metric: Partial<AnalysisTemplate['spec']['metrics'][number]> = {}): Promise<void> {
  await w.client.create(RolloutsTypes.analysisTemplate, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: w.namespace },
    spec: { args: [{ name: 'token', value: 'default' }], metrics: [{ name: 'errors', successCondition: 'result < 1', provider: { web: { url: 'http://127.0.0.1:1/errors' } }, ...metric }] },
  });
}

/** A world at 1.0.0 (completed) with the Cell's steps; then 2.0.0 appears. */
async function rollTo2(spec: Partial<CellSpec>, setup: (w: CellWorld) => Promise<void>): Promise<CellWorld> {
  const w = await CellWorld.create();
  worlds.push(w);
  await setup(w);
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', spec);
  await w.waitForStatus('web', (s) => s.phase === 'Completed');
  await w.targetGroup('green', '2.0.0');
  return w;
}

const analysisStep = (templateName: string): CanaryStep => ({ analysis: { templates: [{ templateName }] } });

describe('Cell gates', () => {
  it('refuses a step analysis whose metric has an interval but no count: InvalidSpec, no run, stable keeps its traffic', async () => {
    const w = await rollTo2({ updateStrategy: { canary: { steps: [analysisStep('endless'), { setWeight: 50 }] } } }, (w) => template(w, 'endless', { interval: '1m' }));
    const invalid = await w.waitForStatus('web', (s) => s.phase === 'InvalidSpec');
    expect(invalid.message).toBe('spec.updateStrategy.canary.steps[0].analysis: metric errors has an interval but no count, so the step would never finish; set count');
    expect(await w.analysisRuns('web')).toEqual([]);
    expect(await w.weights()).toEqual({ blue: 100 });
  }, 90_000);

  it('tells a step run still running to stop when the rollout is aborted', async () => {
    const w = await rollTo2({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, analysisStep('errors'), { setWeight: 50 }] } } }, (w) => template(w, 'errors'));
    await vi.waitFor(async () => { expect(await w.analysisRuns('web')).toHaveLength(1); }, { timeout: 20_000 });
    const [run] = await w.analysisRuns('web');
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: run?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Running' } });
    await w.patchStatus('web', { abort: true, abortedAt: new Date().toISOString(), message: 'aborted by okractl abort' });
    await w.waitForStatus('web', (s) => s.phase === 'Degraded');
    await vi.waitFor(async () => { expect((await w.analysisRuns('web'))[0]?.spec.terminate).toBe(true); }, { timeout: 10_000 });
    expect(await w.weights()).toEqual({ blue: 100 });
  }, 90_000);

  it('keeps a failed analysis as the verdict when the canary cluster is replaced before the Cell sees it', async () => {
    const w = await rollTo2({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, analysisStep('errors'), { setWeight: 50 }] } } }, (w) => template(w, 'errors'));
    await vi.waitFor(async () => { expect(await w.analysisRuns('web')).toHaveLength(1); }, { timeout: 20_000 });
    const [run] = await w.analysisRuns('web');
    // While the controller is down the run fails, and the operator replaces the broken canary cluster.
    await w.stop();
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: run?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Failed', message: 'error rate too high' } });
    await w.deleteTargetGroup('green');
    await w.targetGroup('green2', '2.0.0');
    await w.start();

    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.abort === true);
    expect(aborted.message).toContain('error rate too high');
    expect(await w.weights()).toEqual({ blue: 100 });
    const blocklist = await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace);
    expect(blocklist?.spec.items.map((i) => i.version)).toEqual(['2.0.0']);
    expect(w.writes().some((weights) => (weights.green2 ?? 0) > 0)).toBe(false);
  }, 90_000);

  it('restarts the steps when they are edited mid-rollout: an analysis that replaced the running pause is run, not passed on the pause\'s timer', async () => {
    const steps = (middle: CanaryStep): Partial<CellSpec> => ({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, middle, { setWeight: 50 }] } } });
    const w = await rollTo2(steps({ pause: { duration: '1h' } }), (w) => template(w, 'errors'));
    await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && s.reason === 'Pausing');

    await w.patchSpec('web', steps(analysisStep('errors')));
    await vi.waitFor(async () => { expect(await w.analysisRuns('web')).toHaveLength(1); }, { timeout: 20_000 });
    const waiting = await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && s.reason === 'WaitingForGate');
    expect(waiting.gates).toEqual([expect.objectContaining({ kind: 'AnalysisRun', step: '1' })]);
    expect(w.eventReasons('web')).toContain('StepsChanged');
    expect(await w.weights()).toEqual({ blue: 80, green: 20 });

    const [run] = await w.analysisRuns('web');
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: run?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Successful' } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    // The bootstrap of 1.0.0, then 20% once: the restart found that weight already in place.
    expect(w.writes().map((weights) => weights.green ?? 0)).toEqual([0, 20, 50, 100]);
  }, 90_000);

  it('carries a step\'s own dryRun and measurementRetention into its AnalysisRun (the CRD keeps them)', async () => {
    const step: CanaryStep = { analysis: { templates: [{ templateName: 'errors' }], dryRun: [{ metricName: 'errors' }], measurementRetention: [{ metricName: 'errors', limit: 3 }] } };
    const w = await rollTo2({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, step, { setWeight: 50 }] } } }, (w) => template(w, 'errors'));
    await vi.waitFor(async () => { expect(await w.analysisRuns('web')).toHaveLength(1); }, { timeout: 20_000 });
    const [run] = await w.analysisRuns('web');
    expect(run?.spec.dryRun).toEqual([{ metricName: 'errors' }]);
    expect(run?.spec.measurementRetention).toEqual([{ metricName: 'errors', limit: 3 }]);
  }, 90_000);

  describe('experiment analysis args', () => {
    const experimentWith = (args: AnalysisArg[]): Partial<CellSpec> => ({
      updateStrategy: { canary: { steps: [{ experiment: { templates: [{ name: 'canary', specRef: 'web-canary' }], analyses: [{ name: 'check', templateName: 'errors', args }] } }] } },
    });
    const setup = async (w: CellWorld): Promise<void> => {
      await template(w, 'errors');
      await w.client.create(CoreTypes.replicaSet, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-canary', namespace: w.namespace },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } } },
      });
    };

    it('passes a secretKeyRef through for the experiment controller to read, and resolves a fieldRef on the Cell', async () => {
      const args = [{ name: 'token', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } }, { name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } }];
      const w = await rollTo2(experimentWith(args), setup);
      const experiment = await vi.waitFor(
        async () => {
          const found = (await w.client.list<Experiment>(RolloutsTypes.experiment, { namespace: w.namespace })).items[0];
          if (!found) throw new Error('no Experiment yet');
          return found;
        },
        { timeout: 20_000 },
      );
      expect(experiment.spec.analyses?.[0]?.args).toEqual([
        { name: 'token', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } },
        { name: 'version', value: '2.0.0' },
      ]);
    }, 90_000);

    it('refuses an arg with no value instead of sending an empty one', async () => {
      const w = await rollTo2(experimentWith([{ name: 'token' }]), setup);
      const invalid = await w.waitForStatus('web', (s) => s.phase === 'InvalidSpec');
      expect(invalid.message).toBe('spec.updateStrategy.canary.steps[0].experiment.analyses[check]: arg token has no value');
      expect((await w.client.list<Experiment>(RolloutsTypes.experiment, { namespace: w.namespace })).items).toEqual([]);
    }, 90_000);
  });
});
