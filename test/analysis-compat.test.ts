// Compatibility with the real Argo Rollouts controller. Every fixture is created twice in one namespace:
// once plain, for rollouts-controller (v1.9, --controllers=analysis) to evaluate, and once labelled with
// okra's controller instance id, for the builtin engine. Both must reach the same final phase (and the
// same counters); since they share a namespace this also shows neither touches the other's runs. Then a
// Cell on --analysis-engine=argo-rollouts completes and aborts while the real controller judges its runs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RolloutsTypes, type AnalysisPhase, type AnalysisRun, type Metric } from '../src/api/rollouts/analysis.js';
import { engineDeps } from '../src/analysis/providers/index.js';
import { DEFAULT_INSTANCE_ID, INSTANCE_ID_LABEL, registerAnalysisRunController } from '../src/controllers/analysisrun/index.js';
import { readSecretData } from '../src/kube/secrets.js';
import { MemoryEventRecorder } from '../src/runtime/events.js';
import { silentLogger } from '../src/runtime/log.js';
import { Manager } from '../src/runtime/manager.js';
import type { ManagedProcess } from './stack/process.js';
import { startRolloutsController } from './stack/rollouts.js';
import { CellWorld } from './support/cell-world.js';
import { managementClient, stack } from './support/env.js';
import { FakeMetrics } from './support/fake-metrics.js';
import { createNamespace } from './support/namespaces.js';

const client = managementClient();
let fake: FakeMetrics;
const controllers: ManagedProcess[] = [];

beforeAll(async () => {
  fake = await FakeMetrics.start();
  fake.set('rate-good', { json: { rate: 0.99, status: 'ok', ok: true } });
  fake.set('rate-bad', { json: { rate: 0.5 } });
  fake.set('rate-mid', { json: { rate: 0.5 } });
  fake.set('plain-text', { raw: 'healthy' });
  fake.set('up{job="web"}', [1]);
  fake.set('success_rate{version="2.0.0"}', [0.99]);
  fake.set('success_rate{version="bad"}', [0.5]);
  fake.set('empty_vector', []);
  fake.set('many', [0.99, 0.97]);
  fake.set('avg:errors{service:web}', 0.01);
  fake.set('errors_ratio', 0.3);
  fake.set('strings', { json: { fraction: '3.5', junk: '0.5abc', inf: 'Inf', obj: { a: null } } });
  fake.set('nan_value', [Number.NaN]);
  fake.set('avg:gap', { raw: JSON.stringify({ status: 'ok', series: [{ metric: 'gap', pointlist: [[1_700_000_000_000, 0.5], [1_700_000_060_000, null]] }] }) });
  fake.set('avg:no-points', { raw: JSON.stringify({ status: 'ok', series: [{ metric: 'x', scope: 'a', pointlist: [] }] }) });
});

afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await fake.stop();
});

async function argoFor(namespace: string): Promise<void> {
  controllers.push(await startRolloutsController({ kubeconfig: stack().management.kubeconfig, namespace, dir: stack().dir }));
}

const web = (name: string, jsonPath?: string): Metric['provider'] => ({ web: { url: `${fake.url}/web/${name}`, ...(jsonPath ? { jsonPath } : {}) } });
const prom = (query: string): Metric['provider'] => ({ prometheus: { address: `${fake.url}/prometheus`, query } });

/** A fixture: a run spec and the phase both engines must reach. */
interface Fixture {
  readonly name: string;
  readonly spec: AnalysisRun['spec'];
  readonly phase: AnalysisPhase;
  /** The run message quotes a parser's or client's own error text, which differs between the engines. */
  readonly ownErrorText?: true;
}

const m = (metric: Partial<Metric> & Pick<Metric, 'provider'>): Metric => ({ name: 'm', ...metric });

/** The fixtures (built once the fake server's URL is known). */
const fixtures = (): readonly Fixture[] => [
  { name: 'web-pass', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result >= 0.95', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-fail', phase: 'Failed', spec: { metrics: [m({ successCondition: 'result >= 0.95', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-inconclusive', phase: 'Inconclusive', spec: { metrics: [m({ successCondition: 'result > 0.9', failureCondition: 'result < 0.1', provider: web('rate-mid', '{$.rate}') })] } },
  { name: 'web-no-conditions', phase: 'Successful', spec: { metrics: [m({ provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-failure-condition-only', phase: 'Successful', spec: { metrics: [m({ failureCondition: 'result < 0.9', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-failure-condition-only-fails', phase: 'Failed', spec: { metrics: [m({ failureCondition: 'result < 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-string', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result == "ok"', provider: web('rate-good', '{$.status}') })] } },
  { name: 'web-bool', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result == true', provider: web('rate-good', '{$.ok}') })] } },
  { name: 'web-not-json', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result == "never"', provider: web('plain-text') })] } },
  { name: 'web-404-error', phase: 'Error', spec: { metrics: [m({ consecutiveErrorLimit: 0, provider: web('missing') })] } },
  { name: 'web-bad-expression', phase: 'Error', ownErrorText: true, spec: { metrics: [m({ consecutiveErrorLimit: 0, successCondition: 'result >=', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-count-interval', phase: 'Successful', spec: { metrics: [m({ count: 3, interval: '1s', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-failure-limit-tolerated', phase: 'Successful', spec: { metrics: [m({ count: 3, interval: '1s', failureLimit: 3, successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-failure-limit-exceeded', phase: 'Failed', spec: { metrics: [m({ count: 4, interval: '1s', failureLimit: 1, successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-inconclusive-limit', phase: 'Inconclusive', spec: { metrics: [m({ count: 2, interval: '1s', inconclusiveLimit: 1, successCondition: 'result > 0.9', failureCondition: 'result < 0.1', provider: web('rate-mid', '{$.rate}') })] } },
  { name: 'web-consecutive-error-limit', phase: 'Error', spec: { metrics: [m({ interval: '1s', consecutiveErrorLimit: 1, provider: web('missing') })] } },
  { name: 'web-consecutive-success-limit', phase: 'Successful', spec: { metrics: [m({ interval: '1s', failureLimit: -1, consecutiveSuccessLimit: 2, successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-count-without-success', phase: 'Failed', spec: { metrics: [m({ count: 2, interval: '1s', failureLimit: -1, consecutiveSuccessLimit: 2, successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-invalid-spec', phase: 'Error', spec: { metrics: [m({ count: 2, provider: web('rate-good') })] } },
  { name: 'web-dry-run-failing', phase: 'Successful', spec: { dryRun: [{ metricName: 'dry' }], metrics: [m({ name: 'dry', successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') }), m({ name: 'real', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-dry-run-only', phase: 'Successful', spec: { dryRun: [{ metricName: '.*' }], metrics: [m({ successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-worst-of-two', phase: 'Failed', spec: { metrics: [m({ name: 'good', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') }), m({ name: 'bad', successCondition: 'result > 0.9', provider: web('rate-bad', '{$.rate}') })] } },
  { name: 'web-args', phase: 'Successful', spec: { args: [{ name: 'path', value: 'rate-good' }], metrics: [m({ successCondition: 'result > 0.9', provider: { web: { url: `${fake.url}/web/{{args.path}}`, jsonPath: '{$.rate}' } } })] } },
  { name: 'web-arg-missing', phase: 'Error', spec: { args: [{ name: 'path' }], metrics: [m({ provider: { web: { url: `${fake.url}/web/{{args.path}}` } } })] } },
  { name: 'web-terminated', phase: 'Successful', spec: { terminate: true, metrics: [m({ interval: '1s', provider: web('rate-bad', '{$.rate}'), successCondition: 'result > 0.9' })] } },
  { name: 'web-initial-delay', phase: 'Successful', spec: { metrics: [m({ initialDelay: '2s', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'prom-pass', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result[0] >= 0.95', provider: prom('success_rate{version="2.0.0"}') })] } },
  { name: 'prom-fail', phase: 'Failed', spec: { metrics: [m({ successCondition: 'result[0] >= 0.95', provider: prom('success_rate{version="bad"}') })] } },
  { name: 'prom-vector', phase: 'Successful', spec: { metrics: [m({ successCondition: 'len(result) == 2 && result[1] > 0.9', provider: prom('many') })] } },
  { name: 'prom-empty-guarded', phase: 'Successful', spec: { metrics: [m({ successCondition: 'len(result) == 0 || result[0] > 1', provider: prom('empty_vector') })] } },
  { name: 'prom-empty-unguarded', phase: 'Error', ownErrorText: true, spec: { metrics: [m({ consecutiveErrorLimit: 0, successCondition: 'result[0] > 1', provider: prom('empty_vector') })] } },
  { name: 'prom-bad-query', phase: 'Error', spec: { metrics: [m({ consecutiveErrorLimit: 0, provider: prom('no_such_query') })] } },
  { name: 'prom-is-nan-guard', phase: 'Successful', spec: { metrics: [m({ successCondition: 'isNaN(result[0]) || result[0] == 1', provider: prom('up{job="web"}') })] } },
  { name: 'datadog-v1-pass', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result < 0.05', provider: { datadog: { apiVersion: 'v1', interval: '5m', query: 'avg:errors{service:web}' } } })] } },
  { name: 'datadog-v2-fail', phase: 'Failed', spec: { metrics: [m({ successCondition: 'result < 0.05', provider: { datadog: { apiVersion: 'v2', interval: '5m', queries: { a: 'sum:errors', b: 'sum:requests' }, formula: 'errors_ratio' } } })] } },
  // measurementRetention limit 0 means the default 10, not "keep none".
  { name: 'web-retention-limit-zero', phase: 'Successful', spec: { measurementRetention: [{ metricName: 'm', limit: 0 }], metrics: [m({ count: 3, interval: '1s', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  // Durations are Go's time.ParseDuration: no bare numbers, a leading dot is fine.
  { name: 'web-interval-without-unit', phase: 'Error', spec: { metrics: [m({ count: 1, interval: '60', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-initial-delay-without-unit', phase: 'Error', spec: { metrics: [m({ initialDelay: '1', provider: web('rate-good', '{$.rate}') })] } },
  { name: 'web-interval-leading-dot', phase: 'Successful', spec: { metrics: [m({ count: 2, interval: '.5s', successCondition: 'result > 0.9', provider: web('rate-good', '{$.rate}') })] } },
  // asInt/asFloat are Go's strconv; == is expr-lang's; default and isNil look at the whole result.
  { name: 'web-as-int-of-fraction', phase: 'Error', ownErrorText: true, spec: { metrics: [m({ consecutiveErrorLimit: 0, successCondition: 'asInt(result) == 3', provider: web('strings', '{$.fraction}') })] } },
  { name: 'web-as-float-of-junk', phase: 'Error', ownErrorText: true, spec: { metrics: [m({ consecutiveErrorLimit: 0, successCondition: 'asFloat(result) < 1', provider: web('strings', '{$.junk}') })] } },
  { name: 'web-as-float-of-inf', phase: 'Successful', spec: { metrics: [m({ successCondition: 'asFloat(result) > 1', provider: web('strings', '{$.inf}') })] } },
  { name: 'web-is-nil-of-whole-result', phase: 'Failed', spec: { metrics: [m({ successCondition: 'isNil(result.a)', provider: web('strings', '{$.obj}') })] } },
  { name: 'prom-nan-is-not-nil', phase: 'Failed', spec: { metrics: [m({ successCondition: 'result[0] == nil', provider: prom('nan_value') })] } },
  { name: 'prom-default-is-whole-result', phase: 'Failed', spec: { metrics: [m({ successCondition: 'default(result[0], 0) == 0.99', provider: prom('success_rate{version="2.0.0"}') })] } },
  // Datadog v1 points decode as [][]float64: a null value is 0, and only pointlist is kept.
  { name: 'datadog-v1-null-last-point', phase: 'Successful', spec: { metrics: [m({ successCondition: 'result == 0', provider: { datadog: { apiVersion: 'v1', interval: '5m', query: 'avg:gap' } } })] } },
  { name: 'datadog-v1-empty-pointlist', phase: 'Successful', spec: { metrics: [m({ successCondition: 'default(result, 0) < 1', provider: { datadog: { apiVersion: 'v1', interval: '5m', query: 'avg:no-points' } } })] } },
  { name: 'datadog-interval-without-unit', phase: 'Error', spec: { metrics: [m({ consecutiveErrorLimit: 0, provider: { datadog: { apiVersion: 'v1', interval: '60', query: 'avg:errors{service:web}' } } })] } },
];

/**
 * What must agree between the engines: the run's phase, message and summaries, and each metric's
 * phase, counters and last value, exactly as written (so dashboards and kubectl argo rollouts read
 * both the same way). Timestamps and the provider's own error texts are left out.
 */
function outcome(run: AnalysisRun | undefined, fixture: Fixture): unknown {
  const { phase, message, runSummary, dryRunSummary, metricResults } = run?.status ?? {};
  return {
    phase,
    message: fixture.ownErrorText ? message?.replace(/"Error Message: .*"$/, '"Error Message: …"') : message,
    runSummary,
    dryRunSummary,
    // Argo Rollouts measures metrics in parallel and appends results as they finish: order is not part of the contract.
    metrics: [...(metricResults ?? [])].sort((a, b) => a.name.localeCompare(b.name)).map(({ measurements, message: _message, ...result }) => ({
      ...result,
      measurements: (measurements ?? []).map((x) => ({ phase: x.phase, value: x.value })),
    })),
  };
}

describe('AnalysisRun fixtures under rollouts-controller and the builtin engine', () => {
  let namespace: string;
  let manager: Manager;

  beforeAll(async () => {
    namespace = await createNamespace(client, 'compat');
    await fake.createDatadogSecret(client, namespace);
    await argoFor(namespace);
    manager = new Manager({ client, log: silentLogger() });
    const engine = engineDeps({ readSecret: (ns, name) => readSecretData(client, ns, name), controllerNamespace: namespace, env: {} });
    registerAnalysisRunController(manager, { engine, events: new MemoryEventRecorder(), namespace });
    await manager.start();
  });

  afterAll(async () => {
    await manager.stop();
  });

  it('48 fixtures reach the same final phase and counters under both engines', async () => {
    const FIXTURES = fixtures();
    expect(FIXTURES).toHaveLength(48);
    for (const f of FIXTURES) {
      const base = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', spec: f.spec };
      await client.create(RolloutsTypes.analysisRun, { ...base, metadata: { name: `${f.name}-argo`, namespace } });
      await client.create(RolloutsTypes.analysisRun, { ...base, metadata: { name: `${f.name}-okra`, namespace, labels: { [INSTANCE_ID_LABEL]: DEFAULT_INSTANCE_ID } } });
    }
    const finished = (r: AnalysisRun): boolean => ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(r.status?.phase ?? '');
    let runs = new Map<string, AnalysisRun>();
    await vi.waitFor(
      async () => {
        const items = (await client.list<AnalysisRun>(RolloutsTypes.analysisRun, { namespace })).items;
        runs = new Map(items.map((r) => [r.metadata.name ?? '', r]));
        expect(items.filter((r) => !finished(r)).map((r) => r.metadata.name)).toEqual([]);
      },
      { timeout: 60_000, interval: 500 },
    );
    const table = FIXTURES.map((f) => ({ name: f.name, want: f.phase, argo: runs.get(`${f.name}-argo`)?.status?.phase, okra: runs.get(`${f.name}-okra`)?.status?.phase }));
    expect(table).toEqual(FIXTURES.map((f) => ({ name: f.name, want: f.phase, argo: f.phase, okra: f.phase })));
    for (const f of FIXTURES) {
      expect(outcome(runs.get(`${f.name}-okra`), f), f.name).toEqual(outcome(runs.get(`${f.name}-argo`), f));
    }
  }, 90_000);
});

describe('a Cell with --analysis-engine=argo-rollouts', () => {
  async function world(): Promise<CellWorld> {
    const w = await CellWorld.create();
    await argoFor(w.namespace);
    await client.create(RolloutsTypes.analysisTemplate, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'success-rate', namespace: w.namespace },
      spec: {
        args: [{ name: 'version' }],
        metrics: [{ name: 'success-rate', successCondition: 'result[0] >= 0.95', provider: { prometheus: { address: `${fake.url}/prometheus`, query: 'success_rate{version="{{args.version}}"}' } } }],
      },
    });
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    return w;
  }

  const steps = (version?: string): object => ({
    updateStrategy: {
      canary: {
        steps: [
          { setWeight: 20 },
          { analysis: { templates: [{ templateName: 'success-rate' }], args: [version ? { name: 'version', value: version } : { name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } }] } },
          { setWeight: 60 },
        ],
      },
    },
  });

  it('completes when the real controller passes the run', async () => {
    const w = await world();
    try {
      await w.cell('web', steps());
      await w.waitForStatus('web', (s) => s.phase === 'Completed');
      await w.targetGroup('green', '2.0.0');
      await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 45_000);
      const [run] = await w.analysisRuns('web');
      expect(run?.metadata.labels?.[INSTANCE_ID_LABEL]).toBeUndefined();
      expect(run?.status?.phase).toBe('Successful');
      expect(run?.status?.metricResults?.[0]?.metadata).toEqual({ ResolvedPrometheusQuery: 'success_rate{version="2.0.0"}' });
      expect(await w.weights()).toEqual({ green: 100 });
    } finally {
      await w.stop();
    }
  }, 90_000);

  it('aborts when the real controller fails the run', async () => {
    const w = await world();
    try {
      await w.cell('web', steps('bad'));
      await w.waitForStatus('web', (s) => s.phase === 'Completed');
      await w.targetGroup('green', '2.0.0');
      const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded', 45_000);
      expect(aborted.message).toContain('Metric "success-rate" assessed Failed');
      expect(await w.weights()).toEqual({ blue: 100 });
    } finally {
      await w.stop();
    }
  }, 90_000);
});
