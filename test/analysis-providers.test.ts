// The builtin engine's providers against what they talk to: a local server answering the Datadog v1/v2,
// Prometheus and web API shapes, and moto's CloudWatch with metric data put in by the test. Each provider
// goes through takeMeasurement, so retries, error handling and condition evaluation are the real ones.
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Measurement, Metric } from '../src/api/rollouts/analysis.js';
import { takeMeasurement, type ProviderSet } from '../src/analysis/measure.js';
import { CloudWatchProvider } from '../src/analysis/providers/cloudwatch.js';
import { DatadogProvider } from '../src/analysis/providers/datadog.js';
import { PrometheusProvider } from '../src/analysis/providers/prometheus.js';
import { WebProvider } from '../src/analysis/providers/web.js';
import { sdkConfig } from '../src/aws/config.js';
import { readSecretData } from '../src/kube/secrets.js';
import { awsSettings, managementClient } from './support/env.js';
import { DATADOG_KEYS, FakeMetrics } from './support/fake-metrics.js';
import { createNamespace } from './support/namespaces.js';

let fake: FakeMetrics;
let namespace: string;
let providers: ProviderSet;
const client = managementClient();
const region = 'eu-north-1';

beforeAll(async () => {
  fake = await FakeMetrics.start();
  namespace = await createNamespace(client, 'providers');
  // The default `datadog` Secret in okrad's namespace, as Argo Rollouts reads it.
  await fake.createDatadogSecret(client, namespace);
  await fake.createDatadogSecret(client, namespace, { name: 'wrong-keys', keys: { apiKey: 'nope', appKey: 'nope' } });
  providers = {
    web: new WebProvider(),
    prometheus: new PrometheusProvider({}),
    datadog: new DatadogProvider({ readSecret: (ns, name) => readSecretData(client, ns, name), controllerNamespace: namespace, env: {} }),
    cloudWatch: new CloudWatchProvider(awsSettings(region)),
  };
});

afterAll(async () => {
  await fake.stop();
});

async function measure(metric: Partial<Metric> & Pick<Metric, 'provider'>): Promise<Measurement> {
  return takeMeasurement(providers, { name: 'm', ...metric }, { namespace, now: new Date(), secrets: [], clock: () => new Date(), retry: { retries: 2, minTimeoutMs: 10, factor: 1 } });
}

describe('web provider', () => {
  it('reads a value with a Kubernetes JSONPath and judges it', async () => {
    fake.set('health', { json: { data: { ok: true, rate: 0.97 } } });
    const m = await measure({ successCondition: 'result >= 0.95', provider: { web: { url: `${fake.url}/web/health`, jsonPath: '{$.data.rate}' } } });
    expect(m).toMatchObject({ phase: 'Successful', value: '0.97' });
    const flag = await measure({ successCondition: 'result == true', provider: { web: { url: `${fake.url}/web/health`, jsonPath: '{.data.ok}' } } });
    expect(flag).toMatchObject({ phase: 'Successful', value: 'true' });
  });

  it('takes a body that is not JSON as it is, unjudged, as Argo Rollouts does', async () => {
    fake.set('plain', { raw: 'OK' });
    expect(await measure({ successCondition: 'result == "never"', provider: { web: { url: `${fake.url}/web/plain` } } })).toMatchObject({ phase: 'Successful', value: 'OK' });
  });

  it('sends method, headers and JSON body', async () => {
    fake.set('post', { json: 1 });
    await measure({ provider: { web: { url: `${fake.url}/web/post`, method: 'POST', headers: [{ key: 'X-Team', value: 'platform' }], jsonBody: { service: 'web' } } } });
    expect(fake.seen('post').at(-1)?.headers).toMatchObject({ 'x-team': 'platform', 'content-type': 'application/json' });
  });

  it('is an Error, not a failure, for a non-2xx answer and a path that finds nothing', async () => {
    expect(await measure({ provider: { web: { url: `${fake.url}/web/missing` } } })).toMatchObject({ phase: 'Error', message: 'received non 2xx response code: 404' });
    fake.set('empty', { json: { data: {} } });
    expect(await measure({ provider: { web: { url: `${fake.url}/web/empty`, jsonPath: '{$.data.rate}' } } })).toMatchObject({ phase: 'Error', message: 'result of web metric produced no value' });
  });

  it('retries rate limiting and then measures', async () => {
    fake.set('limited', { json: 5 });
    fake.failNext('limited', 429, 2);
    const before = fake.seen('limited').length;
    expect(await measure({ successCondition: 'result == 5', provider: { web: { url: `${fake.url}/web/limited` } } })).toMatchObject({ phase: 'Successful' });
    expect(fake.seen('limited').length - before).toBe(3);
  });

  it('is an Error after the retries are spent', async () => {
    fake.set('down', { json: 1 });
    fake.failNext('down', 503, 5);
    expect(await measure({ provider: { web: { url: `${fake.url}/web/down` } } })).toMatchObject({ phase: 'Error', message: 'received non 2xx response code: 503' });
  });

  it('is an Error when nothing listens', async () => {
    const m = await measure({ provider: { web: { url: 'http://127.0.0.1:1/nothing' } } });
    expect(m.phase).toBe('Error');
    expect(m.message).toContain('ECONNREFUSED');
  });
});

describe('prometheus provider', () => {
  it('evaluates a vector as a list of numbers and records it as Argo Rollouts does', async () => {
    fake.set('sum(rate(http_ok[5m]))', [0.99]);
    const m = await measure({ successCondition: 'result[0] >= 0.95', provider: { prometheus: { address: `${fake.url}/prometheus`, query: 'sum(rate(http_ok[5m]))' } } });
    expect(m).toMatchObject({ phase: 'Successful', value: '[0.99]' });
  });

  it('gives an empty vector to the condition (a guard decides, else Error)', async () => {
    fake.set('absent', []);
    expect(await measure({ successCondition: 'len(result) == 0 || result[0] > 1', provider: { prometheus: { address: `${fake.url}/prometheus`, query: 'absent' } } })).toMatchObject({ phase: 'Successful', value: '[]' });
    expect((await measure({ successCondition: 'result[0] > 1', provider: { prometheus: { address: `${fake.url}/prometheus`, query: 'absent' } } })).phase).toBe('Error');
  });

  it('is an Error for a bad query, naming Prometheus\' error', async () => {
    expect(await measure({ provider: { prometheus: { address: `${fake.url}/prometheus`, query: 'nope' } } })).toMatchObject({ phase: 'Error', message: 'bad_data: unknown query nope' });
  });

  it('reads the address from ARGO_ROLLOUTS_PROMETHEUS_ADDRESS when the metric has none', async () => {
    fake.set('up', [1]);
    const fromEnv: ProviderSet = { prometheus: new PrometheusProvider({ ARGO_ROLLOUTS_PROMETHEUS_ADDRESS: `${fake.url}/prometheus` }) };
    const m = await takeMeasurement(fromEnv, { name: 'm', successCondition: 'result[0] == 1', provider: { prometheus: { query: 'up' } } }, { namespace, now: new Date(), secrets: [], clock: () => new Date() });
    expect(m.phase).toBe('Successful');
  });
});

describe('datadog provider', () => {
  it('queries v1 with the default `datadog` Secret and takes the last point', async () => {
    fake.set('avg:errors{service:web}', [0.5, 0.01]);
    const m = await measure({ successCondition: 'result < 0.05', provider: { datadog: { query: 'avg:errors{service:web}', interval: '5m' } } });
    expect(m).toMatchObject({ phase: 'Successful', value: '0.01' });
    expect(fake.seen('avg:errors{service:web}').at(-1)?.headers['dd-api-key']).toBe(DATADOG_KEYS.apiKey);
  });

  it('queries v2 scalar with queries and a formula', async () => {
    fake.set('a / b', 0.2);
    const m = await measure({ successCondition: 'result <= 0.1', provider: { datadog: { apiVersion: 'v2', queries: { a: 'sum:errors', b: 'sum:requests' }, formula: 'a / b' } } });
    expect(m).toMatchObject({ phase: 'Failed', value: '0.2' });
  });

  it('gives no data to the condition as nil (default() decides)', async () => {
    fake.set('sum:nothing', null);
    expect(await measure({ successCondition: 'default(result, 0) < 1', provider: { datadog: { apiVersion: 'v2', query: 'sum:nothing' } } })).toMatchObject({ phase: 'Successful' });
    expect(await measure({ successCondition: 'default(result, 5) < 1', provider: { datadog: { query: 'sum:nothing' } } })).toMatchObject({ phase: 'Failed', value: '[]' });
  });

  // Datadog puts the group column of a `by {tag}` query first; Argo Rollouts finds the number column by
  // type and gives the condition every group's value, so a bad second group fails the measurement.
  it('gives every group of a grouped v2 query to the condition', async () => {
    const columns = [
      { name: 'cluster', type: 'group', values: [['a'], ['b'], ['c']] },
      { name: 'query', type: 'number', values: [0.01, null, 0.2], meta: {} },
    ];
    fake.set('sum:errors{*} by {cluster}', { raw: JSON.stringify({ data: { type: 'scalar_response', attributes: { columns } } }) });
    const m = await measure({ successCondition: 'all(result, {# < 0.05})', provider: { datadog: { apiVersion: 'v2', query: 'sum:errors{*} by {cluster}' } } });
    expect(m).toMatchObject({ phase: 'Failed', value: '[0.01,0.2]', metadata: { groups: '[{"name":"a","value":0.01},{"name":"c","value":0.2}]' } });
  });

  it('uses a namespaced secretRef and reports refused keys as an Error without retrying', async () => {
    const before = fake.requests.length;
    const m = await measure({ provider: { datadog: { query: 'avg:errors{service:web}', secretRef: { name: 'wrong-keys', namespaced: true } } } });
    expect(m.phase).toBe('Error');
    expect(m.message).toMatch(/^received authentication error response code: 403/);
    expect(fake.requests.length - before).toBe(1);
  });

  it('is an Error naming what is missing when there are no credentials', async () => {
    const m = await measure({ provider: { datadog: { query: 'x', secretRef: { name: 'absent' } } } });
    expect(m).toMatchObject({ phase: 'Error', message: 'failed to find the credentials for datadog metrics provider' });
  });

  it('retries rate limiting', async () => {
    fake.set('avg:limited', 1);
    fake.failNext('avg:limited', 429, 1);
    expect(await measure({ successCondition: 'result == 1', provider: { datadog: { query: 'avg:limited' } } })).toMatchObject({ phase: 'Successful' });
  });

  // Argo decodes v1 points as [][]float64: Go's JSON leaves a null value at 0, and keeps only `pointlist`.
  it('takes a null last point as 0, as Argo Rollouts decodes it', async () => {
    fake.set('avg:gap', { raw: JSON.stringify({ status: 'ok', series: [{ metric: 'gap', pointlist: [[1_700_000_000_000, 0.5], [1_700_000_060_000, null]] }] }) });
    expect(await measure({ successCondition: 'result == 0', provider: { datadog: { query: 'avg:gap' } } })).toMatchObject({ phase: 'Successful', value: '0' });
  });

  it('is an Error when the last point is not a pair', async () => {
    fake.set('avg:broken', { raw: JSON.stringify({ series: [{ pointlist: [[1_700_000_000_000, 0.5], null] }] }) });
    expect(await measure({ provider: { datadog: { query: 'avg:broken' } } })).toMatchObject({ phase: 'Error', message: 'Datapoint does not have 2 values' });
  });

  it('shows an empty first series as Argo Rollouts marshals it (pointlist only)', async () => {
    fake.set('avg:no-points', { raw: JSON.stringify({ series: [{ metric: 'x', scope: 'a', pointlist: [], unit: null }, { pointlist: [[1, null]] }] }) });
    const m = await measure({ successCondition: 'default(result, 0) < 1', provider: { datadog: { query: 'avg:no-points' } } });
    expect(m).toMatchObject({ phase: 'Successful', value: '[{"pointlist":[]},{"pointlist":[[1,0]]}]' });
  });

  it('is an Error with Go\'s text for a query window time.ParseDuration refuses', async () => {
    fake.set('avg:window', 1);
    expect(await measure({ provider: { datadog: { query: 'avg:window', interval: '60' } } })).toMatchObject({ phase: 'Error', message: 'time: missing unit in duration "60"' });
  });

  it('refuses a template Argo Rollouts refuses', async () => {
    expect(await measure({ provider: { datadog: { queries: { a: 'x', b: 'y' }, apiVersion: 'v2' } } })).toMatchObject({ phase: 'Error', message: 'When multiple queries are provided you must include a formula.' });
  });
});

describe('cloudWatch provider', () => {
  it('runs GetMetricData and lets conditions read result[0].Values', async () => {
    const cw = new CloudWatchClient(sdkConfig(awsSettings(region)));
    const now = new Date();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'okra/test',
        MetricData: [0.001, 0.002, 0.004].map((value, i) => ({ MetricName: 'ErrorRate', Dimensions: [{ Name: 'Service', Value: 'web' }], Value: value, Timestamp: new Date(now.getTime() - (i + 1) * 60_000) })),
      }),
    );
    cw.destroy();
    const query = {
      interval: '10m',
      metricDataQueries: [{ id: 'errors', metricStat: { metric: { namespace: 'okra/test', metricName: 'ErrorRate', dimensions: [{ name: 'Service', value: 'web' }] }, period: 60, stat: 'Average' } }],
    };
    const good = await measure({ successCondition: 'len(result[0].Values) == 3 && all(result[0].Values, {# <= 0.01})', provider: { cloudWatch: query } });
    expect(good.phase).toBe('Successful');
    expect(good.value).toMatch(/^\[\[[\d.e+-]+ [\d.e+-]+ [\d.e+-]+\]\]$/);
    const bad = await measure({ successCondition: 'all(result[0].Values, {# <= 0.003})', provider: { cloudWatch: query } });
    expect(bad.phase).toBe('Failed');
    // The window is parsed by Go's time.ParseDuration in Argo: a bare number is its error, not seconds.
    expect(await measure({ provider: { cloudWatch: { ...query, interval: '600' } } })).toMatchObject({ phase: 'Error', message: 'time: missing unit in duration "600"' });
  });
});
