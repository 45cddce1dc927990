// Analysis gates end to end with the builtin engine on the real apiserver: Cells create AnalysisRuns from
// templates, okra's own engine measures them against moto's CloudWatch and a local server answering the
// Datadog, Prometheus and web API shapes, and the Cell passes, aborts, holds or cleans up accordingly.
// Experiments gate on their phase (written here as Argo Rollouts' experiment controller would write it).
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../src/api/resource.js';
import { RolloutsTypes, type AnalysisTemplate } from '../src/api/rollouts/analysis.js';
import type { Experiment } from '../src/api/rollouts/experiment.js';
import type { CanaryStep, CellSpec } from '../src/api/v1alpha1/cell.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import type { EngineDeps } from '../src/analysis/engine.js';
import { CloudWatchProvider } from '../src/analysis/providers/cloudwatch.js';
import { engineDeps } from '../src/analysis/providers/index.js';
import { sdkConfig } from '../src/aws/config.js';
import { readSecretData } from '../src/kube/secrets.js';
import { CellWorld } from './support/cell-world.js';
import { awsSettings, managementClient } from './support/env.js';
import { FakeMetrics } from './support/fake-metrics.js';

/** CloudWatch data lives in moto, in a region no other test uses. */
const CLOUDWATCH_REGION = 'sa-east-1';
let fake: FakeMetrics;
const client = managementClient();
const worlds: CellWorld[] = [];

beforeAll(async () => {
  fake = await FakeMetrics.start();
});
afterAll(async () => {
  cloudWatch.close();
  await fake.stop();
});
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});

/** Engine deps as okrad builds them, with Datadog credentials read from the world's namespace. */
const cloudWatch = new CloudWatchProvider(awsSettings(CLOUDWATCH_REGION));

function engine(namespace: string): EngineDeps {
  return engineDeps({ readSecret: (ns, name) => readSecretData(client, ns, name), controllerNamespace: namespace, cloudWatch, env: {}, retry: { retries: 1, minTimeoutMs: 10, factor: 1 } });
}

/** Puts a few minutes of a latency metric for `service` into moto's CloudWatch. */
async function putLatency(service: string, values: number[]): Promise<void> {
  const cw = new CloudWatchClient(sdkConfig(awsSettings(CLOUDWATCH_REGION)));
  const now = Date.now();
  await cw.send(
    new PutMetricDataCommand({
      Namespace: 'okra/e2e',
      MetricData: values.map((value, i) => ({ MetricName: 'LatencyP99', Dimensions: [{ Name: 'Service', Value: service }], Value: value, Unit: 'Milliseconds', Timestamp: new Date(now - (i + 1) * 60_000) })),
    }),
  );
  cw.destroy();
}

/** A world whose runs the builtin engine evaluates, with the `datadog` Secret in place. */
async function world(history?: number): Promise<CellWorld> {
  const w = await CellWorld.create({ analysis: { engine, ...(history === undefined ? {} : { history }) } });
  worlds.push(w);
  await fake.createDatadogSecret(client, w.namespace);
  return w;
}

async function template(w: CellWorld, name: string, spec: AnalysisTemplate['spec']): Promise<void> {
  await client.create(RolloutsTypes.analysisTemplate, { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name, namespace: w.namespace }, spec });
}

/** A Cell at 1.0.0 (completed), then a 2.0.0 target group appears. */
async function rollTo2(w: CellWorld, spec: Partial<CellSpec>): Promise<void> {
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', spec);
  await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '1.0.0');
  await w.targetGroup('green', '2.0.0');
}

const versionArg = { name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } };

/** Datadog error rate, Prometheus success rate and CloudWatch latency for the version being rolled out. */
async function healthTemplate(w: CellWorld, tag: string, latencies = [120, 135, 110]): Promise<void> {
  await putLatency(tag, latencies);
  await template(w, 'health', {
    args: [{ name: 'version' }],
    metrics: [
      {
        name: 'latency',
        successCondition: 'len(result[0].Values) > 0 && all(result[0].Values, {# < 250})',
        provider: { cloudWatch: { interval: '10m', metricDataQueries: [{ id: 'p99', metricStat: { metric: { namespace: 'okra/e2e', metricName: 'LatencyP99', dimensions: [{ name: 'Service', value: tag }] }, period: 60, stat: 'Maximum' } }] } },
      },
      { name: 'error-rate', successCondition: 'result < 0.05', failureCondition: 'result > 0.2', provider: { datadog: { query: `avg:errors{${tag},version:{{args.version}}}`, interval: '5m' } } },
      { name: 'success-rate', successCondition: 'len(result) > 0 && result[0] >= 0.95', provider: { prometheus: { address: `${fake.url}/prometheus`, query: `sum(ok{${tag},version="{{args.version}}"})` } } },
    ],
  });
}

describe('builtin analysis engine with Cells', () => {
  it('passes a Cell with good metrics; the Cell\'s desiredVersion reaches the provider queries', async () => {
    const w = await world();
    fake.set('avg:errors{t1,version:2.0.0}', 0.01);
    fake.set('sum(ok{t1,version="2.0.0"})', [0.99]);
    await healthTemplate(w, 't1');
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'health' }], args: [versionArg] } }, { setWeight: 50 }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 30_000);
    expect(fake.seen('avg:errors{t1,version:2.0.0}')).not.toHaveLength(0);
    expect(fake.seen('sum(ok{t1,version="2.0.0"})')).not.toHaveLength(0);
    const [run] = await w.analysisRuns('web');
    expect(run?.metadata.labels).toMatchObject({ 'argo-rollouts.argoproj.io/controller-instance-id': 'okra', 'okra.mumo.co/step-index': '1' });
    expect(run?.status).toMatchObject({
      phase: 'Successful',
      runSummary: { count: 3, successful: 3 },
      metricResults: [
        { name: 'latency', phase: 'Successful', measurements: [{ phase: 'Successful' }] },
        { name: 'error-rate', phase: 'Successful', count: 1, successful: 1, measurements: [{ phase: 'Successful', value: '0.01' }] },
        { name: 'success-rate', phase: 'Successful', metadata: { ResolvedPrometheusQuery: 'sum(ok{t1,version="2.0.0"})' }, measurements: [{ value: '[0.99]' }] },
      ],
    });
    expect(await w.weights()).toEqual({ green: 100 });
  });

  it('aborts a Cell with bad metrics: stable back to 100%, version blocklisted, the run\'s message on the Cell', async () => {
    const w = await world();
    fake.set('avg:errors{t2,version:2.0.0}', 0.5);
    fake.set('sum(ok{t2,version="2.0.0"})', [0.99]);
    await healthTemplate(w, 't2');
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'health' }], args: [versionArg] } }, { setWeight: 50 }] } } });
    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded', 30_000);
    expect(aborted.message).toContain('Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)');
    expect(await w.weights()).toEqual({ blue: 100 });
    const blocklist = await client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace);
    expect(blocklist?.spec.items.map((i) => i.version)).toEqual(['2.0.0']);
    const [run] = await w.analysisRuns('web');
    expect(run?.status).toMatchObject({ phase: 'Failed', runSummary: { count: 3, failed: 1, successful: 2 } });
  });

  it('blocklists the version even when the rollback write fails once (the next pass repeats both writes)', async () => {
    const w = await world();
    fake.set('avg:errors{t10,version:2.0.0}', 0.5);
    fake.set('sum(ok{t10,version="2.0.0"})', [0.99]);
    await healthTemplate(w, 't10');
    // The rollback's write (everything back on one target group) fails once, as a throttled call would.
    w.rules.failModify.push({ when: (weights) => weights.length === 1, error: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) });
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'health' }], args: [versionArg] } }, { setWeight: 50 }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.abort === true && s.pendingWeights === undefined, 30_000);
    expect(w.rules.failModify).toHaveLength(0);
    expect(await w.weights()).toEqual({ blue: 100 });
    const blocklist = await client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace);
    expect(blocklist?.spec.items.map((i) => i.version)).toEqual(['2.0.0']);
  });

  it('aborts on a CloudWatch metric over its threshold', async () => {
    const w = await world();
    fake.set('avg:errors{t6,version:2.0.0}', 0.01);
    fake.set('sum(ok{t6,version="2.0.0"})', [0.99]);
    await healthTemplate(w, 't6', [120, 480, 110]);
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'health' }], args: [versionArg] } }, { setWeight: 50 }] } } });
    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded', 30_000);
    expect(aborted.message).toContain('Metric "latency" assessed Failed');
    expect(await w.weights()).toEqual({ blue: 100 });
  });

  it('aborts at a later step when the background analysis starts failing', async () => {
    const w = await world();
    fake.set('bg-errors-t3', { json: { errors: 0 } });
    await template(w, 'bg', { metrics: [{ name: 'errors', interval: '1s', successCondition: 'result < 1', provider: { web: { url: `${fake.url}/web/bg-errors-t3`, jsonPath: '{$.errors}' } } }] });
    await rollTo2(w, {
      updateStrategy: {
        canary: {
          analysis: { templates: [{ templateName: 'bg' }], startingStep: 1 },
          steps: [{ setWeight: 10 }, { setWeight: 20 }, { pause: { duration: 60 } }, { setWeight: 50 }],
        },
      },
    });
    await w.waitForStatus('web', (s) => s.currentStepIndex === 2 && s.desiredVersion === '2.0.0', 30_000);
    const [bg] = await w.analysisRuns('web');
    expect(bg?.metadata.labels?.['okra.mumo.co/step-index']).toBe('bg');
    await vi.waitFor(
      async () => {
        expect((await w.analysisRuns('web'))[0]?.status?.metricResults?.[0]?.count ?? 0).toBeGreaterThanOrEqual(2);
      },
      { timeout: 10_000 },
    );
    fake.set('bg-errors-t3', { json: { errors: 7 } });
    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded', 30_000);
    expect(aborted.message).toContain('background AnalysisRun');
    expect(aborted.currentStepIndex).toBe(2);
    expect(await w.weights()).toEqual({ blue: 100 });
  });

  it('gives an analysis at the first step, and background analysis from step 0, the version being rolled out', async () => {
    const w = await world();
    fake.set('first-step-t9', { json: { ok: true } });
    await template(w, 'probe', {
      args: [{ name: 'version' }],
      metrics: [{ name: 'probe', successCondition: 'result == true', provider: { web: { url: `${fake.url}/web/first-step-t9?v={{args.version}}`, jsonPath: '{$.ok}' } } }],
    });
    const probe = { templates: [{ templateName: 'probe' }], args: [versionArg] };
    await rollTo2(w, { updateStrategy: { canary: { analysis: probe, steps: [{ analysis: probe }, { pause: {} }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.currentStepIndex === 1, 30_000);
    const runs = await w.analysisRuns('web');
    expect(runs.map((r) => [r.metadata.labels?.['okra.mumo.co/step-index'], r.spec.args]).sort()).toEqual([
      ['0', [{ name: 'version', value: '2.0.0' }]],
      ['bg', [{ name: 'version', value: '2.0.0' }]],
    ]);
  });

  it('holds on an Inconclusive run until promoted, then completes', async () => {
    const w = await world();
    fake.set('avg:errors{t4,version:2.0.0}', 0.1);
    fake.set('sum(ok{t4,version="2.0.0"})', [0.99]);
    await healthTemplate(w, 't4');
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'health' }], args: [versionArg] } }, { setWeight: 50 }] } } });
    const held = await w.waitForStatus('web', (s) => s.phase === 'Paused', 30_000);
    expect(held.message).toContain('is Inconclusive');
    expect(await w.weights()).toEqual({ blue: 80, green: 20 });
    await w.patchStatus('web', { promoteStep: 1 });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 30_000);
  });

  it('deletes runs of a superseded target-group set, keeping only the newest finished ones', async () => {
    const w = await world(1);
    fake.set('quick-t5', { json: 1 });
    fake.set('slow-t5', { json: 1 });
    await template(w, 'quick', { metrics: [{ name: 'quick', provider: { web: { url: `${fake.url}/web/quick-t5` } } }] });
    await template(w, 'slow', { metrics: [{ name: 'slow', interval: '1s', count: 600, provider: { web: { url: `${fake.url}/web/slow-t5` } } }] });
    const analysis = (name: string): CanaryStep => ({ analysis: { templates: [{ templateName: name }] } });
    await rollTo2(w, { updateStrategy: { canary: { steps: [analysis('quick'), { setWeight: 10 }, analysis('quick'), analysis('slow')] } } });
    await w.waitForStatus('web', (s) => s.currentStepIndex === 3 && s.desiredVersion === '2.0.0', 30_000);
    const before = await w.analysisRuns('web');
    expect(before.map((r) => r.metadata.labels?.['okra.mumo.co/step-index']).sort()).toEqual(['0', '2', '3']);
    const oldHash = before[0]?.metadata.labels?.['okra.mumo.co/cell-state-hash'];

    await w.targetGroup('red', '3.0.0');
    await vi.waitFor(
      async () => {
        const old = (await w.analysisRuns('web')).filter((r) => r.metadata.labels?.['okra.mumo.co/cell-state-hash'] === oldHash);
        // The running one is gone; of the two finished ones only the newest is kept.
        expect(old.map((r) => r.metadata.labels?.['okra.mumo.co/step-index'])).toEqual(['2']);
      },
      { timeout: 20_000 },
    );
  });

  it('refuses a template whose metric the builtin engine cannot measure as the Cell\'s spec problem: no run, no rollback, nothing blocklisted', async () => {
    const w = await world();
    await template(w, 'job', { metrics: [{ name: 'job', provider: { job: { spec: { template: {} } } } }] });
    await rollTo2(w, { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'job' }] } }] } } });
    const invalid = await w.waitForStatus('web', (s) => s.phase === 'InvalidSpec', 30_000);
    expect(invalid.message).toBe(
      "spec.updateStrategy.canary.steps[1].analysis: metric job: the job provider is not supported by okra's builtin analysis engine; run okrad with --analysis-engine=argo-rollouts",
    );
    expect(await w.analysisRuns('web')).toEqual([]);
    expect(await client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace)).toBeUndefined();
    expect(invalid.abort).toBeUndefined();
  });
});

describe('experiment steps', () => {
  async function experimentWorld(): Promise<CellWorld> {
    const w = await world();
    await client.create(CoreTypes.replicaSet, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-canary', namespace: w.namespace },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } } },
    });
    await rollTo2(w, {
      updateStrategy: {
        canary: {
          steps: [
            { setWeight: 10 },
            { experiment: { duration: '5m', templates: [{ name: 'canary', specRef: 'web-canary', replicas: 1 }], analyses: [{ name: 'check', templateName: 'health', args: [versionArg] }] } },
            { setWeight: 50 },
          ],
        },
      },
    });
    return w;
  }

  async function experimentOf(w: CellWorld): Promise<Experiment> {
    return vi.waitFor(
      async () => {
        const found = (await client.list<Experiment>(RolloutsTypes.experiment, { namespace: w.namespace })).items[0];
        if (!found) throw new Error('no Experiment yet');
        return found;
      },
      { timeout: 20_000 },
    );
  }

  it('creates an Experiment from the ReplicaSet and the step, and advances when it succeeds', async () => {
    const w = await experimentWorld();
    const experiment = await experimentOf(w);
    expect(experiment.metadata.labels).toMatchObject({ cell: 'web', 'okra.mumo.co/step-index': '1' });
    expect(experiment.spec).toMatchObject({
      duration: '5m',
      templates: [{ name: 'canary', replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ image: 'web:2' }] } } }],
      analyses: [{ name: 'check', templateName: 'health', args: [{ name: 'version', value: '2.0.0' }] }],
    });
    expect((await w.status('web')).phase).toBe('Progressing');
    await client.mergePatch(RolloutsTypes.experiment, { name: experiment.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Successful' } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 30_000);
  });

  it('aborts when the Experiment fails', async () => {
    const w = await experimentWorld();
    const experiment = await experimentOf(w);
    await client.mergePatch(RolloutsTypes.experiment, { name: experiment.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Failed', message: 'analysis check failed' } });
    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded', 30_000);
    expect(aborted.message).toContain('analysis check failed');
    expect(await w.weights()).toEqual({ blue: 100 });
  });
});
