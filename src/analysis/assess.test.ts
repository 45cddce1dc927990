// Tables re-derived from Argo Rollouts' own assessMetricStatus / assessRunStatus / generateMetricTasks /
// calculateNextReconcileTime tests (analysis/analysis_test.go, v1.9): same situations, same expectations.
import { describe, expect, it } from 'vitest';
import type { AnalysisPhase, AnalysisRun, Measurement, Metric, MetricResult } from '../api/rollouts/analysis.js';
import { assessMetric, assessRun, dueMetrics, effectiveCount, metricProblem, nextReconcile, recordMeasurement, trimMeasurements } from './assess.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

const metric = (spec: Partial<Metric> = {}): Metric => ({ name: 'success-rate', provider: { web: { url: 'http://x' } }, ...spec });
const done = (phase: AnalysisPhase, secondsAgo = 60): Measurement => ({ phase, startedAt: ago(secondsAgo), finishedAt: ago(secondsAgo) });
const result = (counters: Partial<MetricResult>, last?: Measurement): MetricResult => ({ name: 'success-rate', phase: 'Running', ...counters, measurements: last ? [last] : [] });

describe('assessMetric (a metric phase from counters, limits and the last measurement)', () => {
  // [case, metric spec, result counters, last measurement phase, expected when running, expected when terminating]
  it.each<[string, Partial<Metric>, Partial<MetricResult>, AnalysisPhase | undefined, AnalysisPhase, AnalysisPhase]>([
    ['no measurement yet', {}, {}, undefined, 'Pending', 'Successful'],
    ['in-flight measurement', {}, {}, 'Running', 'Running', 'Running'],
    ['failed 3 > failureLimit 2', { failureLimit: 2, interval: '60s' }, { failed: 3, count: 3 }, 'Failed', 'Failed', 'Failed'],
    ['failed 3 = failureLimit 3', { failureLimit: 3, interval: '60s' }, { failed: 3, count: 3 }, 'Failed', 'Running', 'Successful'],
    ['consecutiveSuccessLimit reached, no count', { failureLimit: -1, consecutiveSuccessLimit: 3, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Successful', 'Successful'],
    ['consecutiveSuccessLimit not reached, no count', { failureLimit: -1, consecutiveSuccessLimit: 5, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Running', 'Successful'],
    ['count reached, consecutiveSuccessLimit not reached, failureLimit off', { failureLimit: -1, consecutiveSuccessLimit: 5, count: 7, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Failed', 'Failed'],
    ['count reached, consecutiveSuccessLimit reached', { failureLimit: -1, consecutiveSuccessLimit: 3, count: 7, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Successful', 'Successful'],
    ['count not reached, consecutiveSuccessLimit reached', { failureLimit: -1, consecutiveSuccessLimit: 3, count: 9, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Successful', 'Successful'],
    ['count not reached, consecutiveSuccessLimit not reached', { failureLimit: -1, consecutiveSuccessLimit: 5, count: 9, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Running', 'Successful'],
    ['both limits, neither reached, no count', { failureLimit: 4, consecutiveSuccessLimit: 4, interval: '60s' }, { failed: 3, successful: 4, consecutiveSuccess: 3, count: 7 }, 'Failed', 'Running', 'Successful'],
    ['both limits, failureLimit violated, no count', { failureLimit: 4, consecutiveSuccessLimit: 4, interval: '60s' }, { failed: 5, successful: 9, consecutiveSuccess: 0, count: 9 }, 'Failed', 'Failed', 'Failed'],
    ['both limits, success reached, no count', { failureLimit: 4, consecutiveSuccessLimit: 4, interval: '60s' }, { failed: 3, successful: 5, consecutiveSuccess: 4, count: 8 }, 'Failed', 'Successful', 'Successful'],
    ['both limits, both reached: failure wins', { failureLimit: 4, consecutiveSuccessLimit: 4, interval: '60s' }, { failed: 5, successful: 5, consecutiveSuccess: 4, count: 10 }, 'Failed', 'Failed', 'Failed'],
    ['both limits, count reached, neither reached: Inconclusive', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 4, successful: 6, consecutiveSuccess: 3, count: 10 }, 'Failed', 'Inconclusive', 'Inconclusive'],
    ['both limits, count reached, failure violated', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 5, successful: 5, consecutiveSuccess: 3, count: 10 }, 'Failed', 'Failed', 'Failed'],
    ['both limits, count reached, success reached', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 4, successful: 6, consecutiveSuccess: 4, count: 10 }, 'Failed', 'Successful', 'Successful'],
    ['both limits, count reached, both reached', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 5, successful: 5, consecutiveSuccess: 4, count: 10 }, 'Failed', 'Failed', 'Failed'],
    ['both limits, count not reached, neither reached', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 3, successful: 5, consecutiveSuccess: 3, count: 8 }, 'Failed', 'Running', 'Successful'],
    ['both limits, count not reached, failure violated', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 5, successful: 3, consecutiveSuccess: 3, count: 8 }, 'Failed', 'Failed', 'Failed'],
    ['both limits, count not reached, success reached', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 3, successful: 5, consecutiveSuccess: 4, count: 8 }, 'Failed', 'Successful', 'Successful'],
    ['both limits, count not reached, both reached', { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10, interval: '60s' }, { failed: 5, successful: 4, consecutiveSuccess: 4, count: 9 }, 'Failed', 'Failed', 'Failed'],
    ['inconclusive 3 > inconclusiveLimit 2', { inconclusiveLimit: 2, interval: '60s' }, { inconclusive: 3, count: 3 }, 'Inconclusive', 'Inconclusive', 'Inconclusive'],
    ['inconclusive 3 = inconclusiveLimit 3', { inconclusiveLimit: 3, interval: '60s' }, { inconclusive: 3, count: 3 }, 'Inconclusive', 'Running', 'Successful'],
    ['5 consecutive errors > default limit 4', { interval: '60s' }, { consecutiveError: 5, count: 5 }, 'Error', 'Error', 'Error'],
    ['4 consecutive errors = default limit 4', { interval: '60s' }, { consecutiveError: 4, count: 5 }, 'Error', 'Running', 'Successful'],
    ['consecutiveErrorLimit 0: the first error ends it', { interval: '60s', consecutiveErrorLimit: 0 }, { consecutiveError: 1 }, 'Error', 'Error', 'Error'],
    ['count 10 reached, all successful', { count: 10 }, { successful: 10, count: 10 }, 'Successful', 'Successful', 'Successful'],
    ['count 10 reached, 5 inconclusive > inconclusiveLimit 0', { count: 10 }, { successful: 5, inconclusive: 5, count: 10 }, 'Successful', 'Inconclusive', 'Inconclusive'],
    ['one failed, defaults', {}, { failed: 1 }, 'Failed', 'Failed', 'Failed'],
    ['one inconclusive, defaults', {}, { inconclusive: 1 }, 'Inconclusive', 'Inconclusive', 'Inconclusive'],
    ['limits as strings (resolved args)', { failureLimit: '2', interval: '60s' }, { failed: 3, count: 3 }, 'Failed', 'Failed', 'Failed'],
  ])('%s', (_name, spec, counters, lastPhase, running, terminating) => {
    const r = result(counters, lastPhase === undefined ? undefined : lastPhase === 'Running' ? { phase: 'Running', startedAt: ago(0) } : done(lastPhase));
    expect(assessMetric(metric(spec), r, false)).toBe(running);
    expect(assessMetric(metric(spec), r, true)).toBe(terminating);
  });

  it('keeps a metric that already completed', () => {
    expect(assessMetric(metric(), { ...result({ failed: 0 }, done('Successful')), phase: 'Failed' }, false)).toBe('Failed');
  });
});

const run = (metrics: Metric[], results: MetricResult[], spec: Partial<AnalysisRun['spec']> = {}, startedAt = ago(100)): AnalysisRun => ({
  metadata: { name: 'r', namespace: 'ns' },
  spec: { metrics, ...spec },
  status: { phase: 'Running', startedAt, metricResults: results },
});

describe('assessRun (the run phase, message and summaries)', () => {
  const latency = metric({ name: 'latency' });
  const rate = metric({ name: 'success-rate' });

  it('is Running while any metric is', () => {
    const out = assessRun(run([latency, rate], [{ name: 'latency', phase: 'Successful' }, { name: 'success-rate', phase: 'Running' }]), [latency, rate], new Set());
    expect([out.phase, out.message]).toEqual(['Running', '']);
  });

  it('takes the worst completed metric', () => {
    const out = assessRun(run([latency, rate], [{ name: 'latency', phase: 'Successful' }, { name: 'success-rate', phase: 'Failed' }]), [latency, rate], new Set());
    expect([out.phase, out.message]).toEqual(['Failed', '']);
  });

  it('updates a metric result from its latest measurement while the run keeps running', () => {
    const out = assessRun(
      run(
        [metric({ name: 'sleep' }), metric({ name: 'fail-after-30' })],
        [
          { name: 'sleep', phase: 'Running', measurements: [{ phase: 'Running', startedAt: ago(60) }] },
          { name: 'fail-after-30', phase: 'Running', count: 1, failed: 1, measurements: [done('Failed')] },
        ],
      ),
      [metric({ name: 'sleep' }), metric({ name: 'fail-after-30' })],
      new Set(),
    );
    expect(out.phase).toBe('Running');
    expect(out.results[1]?.phase).toBe('Failed');
  });

  it('names the metric and the limit that failed it, with the provider message', () => {
    const failed = metric({ name: 'failed-metric' });
    const out = assessRun(run([failed], [{ name: 'failed-metric', phase: 'Running', count: 1, failed: 1, measurements: [{ ...done('Failed'), message: 'boom' }] }]), [failed], new Set());
    expect(out.phase).toBe('Failed');
    expect(out.message).toBe('Metric "failed-metric" assessed Failed due to failed (1) > failureLimit (0): "Error Message: boom"');
    expect(out.runSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 });
  });

  it('lets a failing dry-run metric neither fail nor hold the run, and counts it in dryRunSummary', () => {
    const real = metric({ name: 'run-forever' });
    const dry = metric({ name: 'success-metric' });
    const out = assessRun(
      run([real, dry], [
        { name: 'run-forever', phase: 'Running', inconclusive: 1, count: 1, measurements: [done('Inconclusive')] },
        { name: 'success-metric', phase: 'Running', dryRun: true, count: 1, failed: 1, measurements: [done('Failed')] },
      ]),
      [real, dry],
      new Set(['success-metric']),
    );
    expect(out.phase).toBe('Inconclusive');
    expect(out.message).toBe('Metric "run-forever" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)');
    expect(out.dryRunSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 });
    expect(out.results[1]?.message).toBe('Metric assessed Failed due to failed (1) > failureLimit (0)');
  });

  it('is Successful when only dry-run metrics ran, even if they failed', () => {
    const dry = metric({ name: 'success-metric' });
    const out = assessRun(run([dry], [{ name: 'success-metric', phase: 'Running', dryRun: true, count: 1, failed: 1, measurements: [done('Failed')] }]), [dry], new Set(['success-metric']));
    expect(out.phase).toBe('Successful');
  });

  it('ends a terminated run Successful with "Run Terminated" when nothing failed', () => {
    const forever = metric({ name: 'forever', interval: '10s' });
    const out = assessRun(run([forever], [{ name: 'forever', phase: 'Running', count: 2, successful: 2, measurements: [done('Successful')] }], { terminate: true }), [forever], new Set());
    expect([out.phase, out.message]).toEqual(['Successful', 'Run Terminated']);
  });

  it('ends a terminated run that never measured Successful', () => {
    const delayed = metric({ name: 'delayed', initialDelay: '1h' });
    expect(assessRun(run([delayed], [], { terminate: true }), [delayed], new Set()).phase).toBe('Successful');
  });

  it('reports the worst of several failures and counts each in runSummary', () => {
    const a = metric({ name: 'a' });
    const b = metric({ name: 'b' });
    const out = assessRun(
      run([a, b], [
        { name: 'a', phase: 'Running', count: 1, inconclusive: 1, measurements: [done('Inconclusive')] },
        { name: 'b', phase: 'Running', consecutiveError: 5, error: 5, measurements: [done('Error')] },
      ]),
      [a, b],
      new Set(),
    );
    expect(out.phase).toBe('Error');
    expect(out.runSummary).toEqual({ count: 2, successful: 0, failed: 0, inconclusive: 1, error: 1 });
  });
});

describe('dueMetrics (which metrics take a measurement now)', () => {
  it.each<[string, Partial<Metric>, MetricResult | undefined, boolean]>([
    ['never measured', {}, undefined, true],
    ['interval passed', { interval: '60s' }, result({ count: 1 }, done('Successful', 61)), true],
    ['interval not passed', { interval: '60s' }, result({ count: 1 }, done('Successful', 30)), false],
    ['no interval, measured once (count defaults to 1)', {}, result({ count: 1 }, done('Successful', 3600)), false],
    ['count reached', { interval: '1s', count: 2 }, result({ count: 2 }, done('Successful', 60)), false],
    ['after an error: 10s later whatever the interval', { interval: '1h' }, result({ error: 1, consecutiveError: 1 }, done('Error', 11)), true],
    ['after an error: not before 10s', { interval: '1s' }, result({ error: 1, consecutiveError: 1 }, done('Error', 5)), false],
    ['an error does not count toward count', { count: 1 }, result({ error: 1, consecutiveError: 1 }, done('Error', 11)), true],
    ['initialDelay not over', { initialDelay: '200s' }, undefined, false],
    ['initialDelay over', { initialDelay: '60s' }, undefined, true],
    ['fractional interval passed', { interval: '.5s' }, result({ count: 1 }, done('Successful', 1)), true],
    ['fractional initialDelay not over', { initialDelay: '.5h' }, undefined, false],
    ['completed metric', { interval: '1s' }, { ...result({ count: 1 }, done('Failed', 60)), phase: 'Failed' }, false],
  ])('%s → %s', (_name, spec, existing, due) => {
    const m = metric(spec);
    expect(dueMetrics(run([m], existing ? [existing] : []), [m], NOW).map((x) => x.name)).toEqual(due ? [m.name] : []);
  });

  it('takes no new measurement once a metric failed (the run is terminating)', () => {
    const a = metric({ name: 'a', interval: '1s' });
    const b = metric({ name: 'b', interval: '1s' });
    const failed: MetricResult = { name: 'a', phase: 'Failed', count: 1, failed: 1, measurements: [done('Failed')] };
    const other: MetricResult = { name: 'b', phase: 'Running', count: 1, successful: 1, measurements: [done('Successful')] };
    expect(dueMetrics(run([a, b], [failed, other]), [a, b], NOW)).toEqual([]);
  });

  it('takes no measurement after terminate', () => {
    const m = metric({ interval: '1s' });
    expect(dueMetrics(run([m], [], { terminate: true }), [m], NOW)).toEqual([]);
  });
});

describe('nextReconcile (when to look again)', () => {
  it.each<[string, Partial<Metric>, MetricResult | undefined, number | undefined]>([
    ['interval after the last measurement', { interval: '30s' }, result({ count: 1 }, done('Successful', 0)), 30],
    ['end of the initialDelay', { initialDelay: '200s' }, undefined, 100],
    ['nothing when no interval', {}, result({ count: 1 }, done('Successful', 0)), undefined],
    ['10s after an error', { interval: '1h' }, result({ error: 1, consecutiveError: 1 }, done('Error', 0)), 10],
    ['nothing when count reached', { interval: '5s', count: 1 }, result({ count: 1 }, done('Successful', 0)), undefined],
  ])('%s', (_name, spec, existing, seconds) => {
    const m = metric(spec);
    const at = nextReconcile(run([m], existing ? [existing] : []), [m], NOW);
    expect(at === undefined ? undefined : (at.getTime() - NOW.getTime()) / 1000).toBe(seconds);
  });

  it('takes the earliest metric', () => {
    const a = metric({ name: 'a', interval: '60s' });
    const b = metric({ name: 'b', interval: '10s' });
    const at = nextReconcile(run([a, b], [{ ...result({ count: 1 }, done('Successful', 0)), name: 'a' }, { ...result({ count: 1 }, done('Successful', 0)), name: 'b' }]), [a, b], NOW);
    expect(at?.getTime()).toBe(NOW.getTime() + 10_000);
  });
});

describe('recordMeasurement (counters)', () => {
  it.each<[AnalysisPhase, Partial<MetricResult>]>([
    ['Successful', { count: 1, successful: 1, consecutiveSuccess: 1, consecutiveError: 0 }],
    ['Failed', { count: 1, failed: 1, consecutiveSuccess: 0, consecutiveError: 0 }],
    ['Inconclusive', { count: 1, inconclusive: 1, consecutiveSuccess: 0, consecutiveError: 0 }],
    ['Error', { error: 1, consecutiveError: 1, consecutiveSuccess: 0 }],
  ])('%s', (phase, counters) => {
    expect(recordMeasurement(undefined, 'm', done(phase), false)).toMatchObject({ name: 'm', phase: 'Running', ...counters });
  });

  it('resets consecutive errors on a good measurement', () => {
    const after = recordMeasurement({ name: 'm', phase: 'Running', error: 3, consecutiveError: 3 }, 'm', done('Successful'), false);
    expect([after.consecutiveError, after.error]).toEqual([0, 3]);
  });
});

describe('metricProblem (validation, as Argo Rollouts words it)', () => {
  it.each<[Partial<Metric>, string | undefined]>([
    [{}, undefined],
    [{ count: 2 }, 'interval must be specified when count > 1'],
    [{ count: 1, failureLimit: 2 }, 'count (1) must be >= failureLimit + consecutiveSuccessLimit (2 + 0) if both >= 0'],
    [{ failureLimit: -1 }, 'failureLimit and consecutiveSuccessLimit cannot both be disabled'],
    [{ failureLimit: -2 }, 'failureLimit must be >= 0, or -1 to be disabled'],
    [{ inconclusiveLimit: 3, count: 2, interval: '1s' }, 'count must be >= inconclusiveLimit'],
    [{ interval: 'soon' }, 'invalid interval string: time: invalid duration "soon"'],
    // Go's time.ParseDuration: a bare number has no unit; a leading dot, a sign or µs are fine.
    [{ interval: '60' }, 'invalid interval string: time: missing unit in duration "60"'],
    [{ initialDelay: '30' }, 'invalid startDelay string: time: missing unit in duration "30"'],
    [{ interval: '1d' }, 'invalid interval string: time: unknown unit "d" in duration "1d"'],
    [{ interval: '.5s', count: 2 }, undefined],
    [{ initialDelay: '1.s' }, undefined],
    [{ interval: '-1m', count: 2 }, undefined],
    [{ provider: { web: { url: 'x' }, prometheus: { query: 'q' } } }, 'expected exactly one metric provider, found 2'],
    [{ provider: { job: {} } }, "the job provider is not supported by okra's builtin analysis engine; run okrad with --analysis-engine=argo-rollouts"],
  ])('%j → %s', (spec, problem) => {
    expect(metricProblem(metric(spec))).toBe(problem);
  });

  it('counts once without interval, forever with one', () => {
    expect(effectiveCount(metric())).toBe(1);
    expect(effectiveCount(metric({ interval: '1m' }))).toBeUndefined();
    expect(effectiveCount(metric({ interval: '1m', count: '3' }))).toBe(3);
  });
});

describe('trimMeasurements', () => {
  it('keeps the newest 10 by default and the configured number otherwise', () => {
    const many: MetricResult = { name: 'a', phase: 'Running', measurements: Array.from({ length: 12 }, (_, i) => ({ ...done('Successful'), value: String(i) })) };
    expect(trimMeasurements([many], new Map())[0]?.measurements?.map((m) => m.value)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect(trimMeasurements([many], new Map([['a', 2]]))[0]?.measurements?.map((m) => m.value)).toEqual(['10', '11']);
  });

  // Argo applies a measurementRetention limit only when it is above 0 (garbageCollectMeasurements).
  it.each<[number, number]>([
    [0, 10],
    [-1, 10],
  ])('limit %d keeps the default %d of 12', (limit, kept) => {
    const many: MetricResult = { name: 'a', phase: 'Running', measurements: Array.from({ length: 12 }, (_, i) => ({ ...done('Successful'), value: String(i) })) };
    const measurements = trimMeasurements([many], new Map([['a', limit]]))[0]?.measurements ?? [];
    expect(measurements).toHaveLength(kept);
    expect(measurements.at(-1)?.value).toBe('11');
  });
});
