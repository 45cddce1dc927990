// The builtin engine's pass over a run, with in-memory providers behind the provider port. The real
// providers are exercised against HTTP servers and moto in test/analysis-*.test.ts.
import { describe, expect, it } from 'vitest';
import type { AnalysisRun, Metric } from '../api/rollouts/analysis.js';
import { evaluateRun, type EngineDeps } from './engine.js';
import type { Value } from './expr.js';
import { TransientError, type MetricProvider, type Observation } from './providers/provider.js';

const T0 = new Date('2026-11-22T12:00:00Z');

/** A provider that answers from a script: a value, or an error to throw. */
class ScriptedProvider implements MetricProvider {
  readonly seen: Metric[] = [];
  constructor(private readonly script: (Value | Error)[]) {}
  observe(metric: Metric): Promise<Observation> {
    this.seen.push(metric);
    const next = this.script.length > 1 ? this.script.shift() : this.script[0];
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve({ value: JSON.stringify(next ?? null), result: next ?? null });
  }
}

function deps(provider: MetricProvider, opts: { secrets?: Record<string, string>; now?: Date } = {}): EngineDeps {
  return {
    providers: { web: provider },
    readSecret: (_ns, name, key) => Promise.resolve(opts.secrets?.[`${name}/${key}`]),
    clock: () => opts.now ?? T0,
    retry: { retries: 2, minTimeoutMs: 1, factor: 1 },
  };
}

const run = (metric: Partial<Metric>, spec: Partial<AnalysisRun['spec']> = {}): AnalysisRun => ({
  metadata: { name: 'r', namespace: 'ns' },
  spec: { metrics: [{ name: 'm', provider: { web: { url: 'http://metrics/{{args.service}}' } }, ...metric }], ...spec },
});

describe('evaluateRun', () => {
  it('measures, judges and completes a one-shot metric', async () => {
    const pass = await evaluateRun(deps(new ScriptedProvider([0.99])), run({ successCondition: 'result >= 0.95' }, { args: [{ name: 'service', value: 'web' }] }));
    expect(pass.status.phase).toBe('Successful');
    expect(pass.status.metricResults?.[0]).toMatchObject({ name: 'm', phase: 'Successful', count: 1, successful: 1, measurements: [{ phase: 'Successful', value: '0.99' }] });
    expect(pass.status.startedAt).toBe(T0.toISOString());
    expect(pass.status.completedAt).toBe(T0.toISOString());
    expect(pass.events.map((e) => e.reason)).toEqual(['MetricSuccessful', 'AnalysisRunSuccessful']);
    expect(pass.requeueAt).toBeUndefined();
  });

  it('substitutes args into the metric before it reaches the provider', async () => {
    const provider = new ScriptedProvider([1]);
    await evaluateRun(deps(provider), run({}, { args: [{ name: 'service', value: 'checkout "v2"' }] }));
    expect(provider.seen[0]?.provider.web?.url).toBe('http://metrics/checkout "v2"');
  });

  it('reads secretKeyRef args at measurement time and redacts them from messages', async () => {
    const provider = new ScriptedProvider([new Error('denied for http://metrics/s3cr3t')]);
    const pass = await evaluateRun(
      deps(provider, { secrets: { 'creds/token': 's3cr3t' } }),
      run({ interval: '10s' }, { args: [{ name: 'service', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }] }),
    );
    expect(provider.seen[0]?.provider.web?.url).toBe('http://metrics/s3cr3t');
    expect(pass.status.metricResults?.[0]?.measurements?.[0]?.message).toBe('denied for http://metrics/*****');
    expect(JSON.stringify(pass.status)).not.toContain('s3cr3t');
  });

  it.each<[string, AnalysisRun, RegExp]>([
    ['an undeclared arg in the metric', run({}), /^Unable to resolve metric arguments: failed to resolve \{\{args.service\}\}/],
    ['an arg without value', run({}, { args: [{ name: 'service' }] }), /^Unable to resolve metric arguments: argument "service" was not supplied/],
    ['a missing secret key', run({}, { args: [{ name: 'service', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope' } } }] }), /key 'nope' does not exist in secret 'creds'/],
    ['an invalid metric', run({ count: 3 }, { args: [{ name: 'service', value: 'x' }] }), /^Analysis spec invalid: metrics\[0\]: interval must be specified when count > 1/],
    ['a dry-run rule matching nothing', run({}, { args: [{ name: 'service', value: 'x' }], dryRun: [{ metricName: 'other' }] }), /^Analysis spec invalid: dryRun\[0\]: Rule didn't match any metric name/],
    // Go's time.ParseDuration wants a unit; Argo quotes its error.
    ['an interval without unit', run({ interval: '60', count: 2 }, { args: [{ name: 'service', value: 'x' }] }), /^Analysis spec invalid: metrics\[0\]: invalid interval string: time: missing unit in duration "60"$/],
    ['an initialDelay without unit', run({ initialDelay: '30' }, { args: [{ name: 'service', value: 'x' }] }), /^Analysis spec invalid: metrics\[0\]: invalid startDelay string: time: missing unit in duration "30"$/],
  ])('ends in Error for %s', async (_name, r, message) => {
    const pass = await evaluateRun(deps(new ScriptedProvider([1])), r);
    expect(pass.status.phase).toBe('Error');
    expect(pass.status.message).toMatch(message);
    expect(pass.events).toEqual([{ type: 'Warning', reason: 'AnalysisRunError', message: 'Analysis Completed. Result: Error' }]);
  });

  it('leaves the run as it is when the API server fails to answer for a secret arg, so the pass is retried instead of ending the run', async () => {
    const provider = new ScriptedProvider([1]);
    const failing: EngineDeps = { ...deps(provider), readSecret: () => Promise.reject(new Error('etcdserver: request timed out (503)')) };
    const r = run({}, { args: [{ name: 'service', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }] });
    await expect(evaluateRun(failing, r)).rejects.toThrow('etcdserver: request timed out');
    expect(provider.seen).toEqual([]);
  });

  it('retries a transient failure within the measurement and records one good measurement', async () => {
    const provider = new ScriptedProvider([new TransientError('429 Too Many Requests'), new TransientError('503'), 0.99]);
    const pass = await evaluateRun(deps(provider), run({ successCondition: 'result > 0.5' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(provider.seen).toHaveLength(3);
    expect(pass.status.metricResults?.[0]).toMatchObject({ phase: 'Successful', successful: 1 });
  });

  it('counts rate limiting that outlasts the retries as an Error, never as a failure, and retries 10s later', async () => {
    const provider = new ScriptedProvider([new TransientError('received non 2xx response code: 429')]);
    const pass = await evaluateRun(deps(provider), run({ interval: '1m', successCondition: 'result > 0.5' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(provider.seen).toHaveLength(3);
    expect(pass.status.metricResults?.[0]).toMatchObject({ phase: 'Running', error: 1, consecutiveError: 1, measurements: [{ phase: 'Error', message: 'received non 2xx response code: 429' }] });
    expect(pass.status.metricResults?.[0]?.failed).toBeUndefined();
    expect(pass.requeueAt?.getTime()).toBe(T0.getTime() + 10_000);
  });

  it('does not retry a permanent failure', async () => {
    const provider = new ScriptedProvider([new Error('received non 2xx response code: 404')]);
    await evaluateRun(deps(provider), run({ interval: '1m' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(provider.seen).toHaveLength(1);
  });

  it('turns an expression it cannot parse into an Error measurement naming the expression', async () => {
    const pass = await evaluateRun(deps(new ScriptedProvider([1])), run({ successCondition: 'result >=' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(pass.status.metricResults?.[0]?.measurements?.[0]).toMatchObject({ phase: 'Error', message: expect.stringContaining('cannot parse expression "result >="') as string });
  });

  it('handles an empty result as Argo documents: a guard in the condition decides', async () => {
    const guarded = await evaluateRun(deps(new ScriptedProvider([[]])), run({ successCondition: 'len(result) == 0 || result[0] < 5' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(guarded.status.phase).toBe('Successful');
    const unguarded = await evaluateRun(deps(new ScriptedProvider([[]])), run({ successCondition: 'result[0] < 5' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(unguarded.status.metricResults?.[0]?.measurements?.[0]?.phase).toBe('Error');
  });

  it('is Inconclusive when neither condition holds', async () => {
    const pass = await evaluateRun(deps(new ScriptedProvider([50])), run({ successCondition: 'result < 10', failureCondition: 'result > 90' }, { args: [{ name: 'service', value: 'x' }] }));
    expect(pass.status.phase).toBe('Inconclusive');
  });

  it('takes the next measurement of an interval metric only when it is due', async () => {
    const provider = new ScriptedProvider([1]);
    const first = await evaluateRun(deps(provider), run({ interval: '30s', count: 3 }, { args: [{ name: 'service', value: 'x' }] }));
    expect(first.requeueAt?.getTime()).toBe(T0.getTime() + 30_000);
    const withStatus = (status: AnalysisRun['status']): AnalysisRun => ({ ...run({ interval: '30s', count: 3 }, { args: [{ name: 'service', value: 'x' }] }), status });
    const early = await evaluateRun(deps(provider, { now: new Date(T0.getTime() + 10_000) }), withStatus(first.status));
    expect(early.status.metricResults?.[0]?.count).toBe(1);
    const due = await evaluateRun(deps(provider, { now: new Date(T0.getTime() + 31_000) }), withStatus(first.status));
    expect(due.status.metricResults?.[0]?.count).toBe(2);
    expect(due.events).toEqual([]);
  });

  // A limit of 0 once emptied the history, so every pass took the "never measured" path and measured again.
  it.each([0, -1])('keeps scheduling by interval with measurementRetention limit %d (the default 10 applies)', async (limit) => {
    const provider = new ScriptedProvider([1]);
    const spec = run({ interval: '1m', count: 3 }, { args: [{ name: 'service', value: 'x' }], measurementRetention: [{ metricName: 'm', limit }] });
    const first = await evaluateRun(deps(provider), spec);
    expect(first.status.metricResults?.[0]?.measurements).toHaveLength(1);
    expect(first.requeueAt?.getTime()).toBe(T0.getTime() + 60_000);
    const early = await evaluateRun(deps(provider, { now: new Date(T0.getTime() + 1000) }), { ...spec, status: first.status });
    expect(provider.seen).toHaveLength(1);
    expect(early.status.metricResults?.[0]).toMatchObject({ phase: 'Running', count: 1 });
  });

  it('measures on a fractional interval Go accepts (".5s")', async () => {
    const provider = new ScriptedProvider([1]);
    const spec = run({ interval: '.5s', count: 2 }, { args: [{ name: 'service', value: 'x' }] });
    const first = await evaluateRun(deps(provider), spec);
    expect(first.requeueAt?.getTime()).toBe(T0.getTime() + 500);
    const second = await evaluateRun(deps(provider, { now: new Date(T0.getTime() + 500) }), { ...spec, status: first.status });
    expect(second.status).toMatchObject({ phase: 'Successful', metricResults: [{ count: 2 }] });
  });

  it('leaves a completed run alone', async () => {
    const provider = new ScriptedProvider([1]);
    const pass = await evaluateRun(deps(provider), { ...run({}), status: { phase: 'Failed', message: 'done' } });
    expect(pass.status).toEqual({ phase: 'Failed', message: 'done' });
    expect(provider.seen).toHaveLength(0);
  });
});
