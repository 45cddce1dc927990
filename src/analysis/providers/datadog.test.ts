// How the Datadog provider reads answers, against Argo Rollouts' parseResponseV1 / parseResponseV2 and the
// response fixtures of its datadogV2_test.go: v2 columns are found by type (Datadog puts the `group`
// column of a `by {tag}` query first), nulls are dropped, a grouped query gives every group's value.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../api/rollouts/analysis.js';
import type { Value } from '../expr.js';
import { evaluateResult } from '../measure.js';
import { DatadogProvider, fromV1Series, fromV2Columns } from './datadog.js';
import type { Observation } from './provider.js';

const group = (name: string, ...labels: unknown[]): unknown => ({ name, type: 'group', values: labels });
const numbers = (name: string, ...values: unknown[]): unknown => ({ name, type: 'number', values });

describe('v2 scalar answers', () => {
  it.each<[string, unknown, Observation]>([
    ['a plain query is its value', [numbers('query', 0.0006332881882246533)], { value: '0.0006332881882246533', result: 0.0006332881882246533 }],
    ['a column without a type is a number column', [{ values: [0.5] }], { value: '0.5', result: 0.5 }],
    ['a plain query skips a leading null', [numbers('query', null, 0.5)], { value: '0.5', result: 0.5 }],
    ['a column of another type is ignored', [{ name: 'x', type: 'other', values: [7] }, numbers('query', 3)], { value: '3', result: 3 }],
    [
      'a grouped query with the group column first is the list of values',
      [group('resource_name', ['GET /a'], ['GET /b'], ['GET /c']), numbers('query1', 0.01, 0.087, 0.04)],
      { value: '[0.01,0.087,0.04]', result: [0.01, 0.087, 0.04], metadata: { groups: '[{"name":"GET /a","value":0.01},{"name":"GET /b","value":0.087},{"name":"GET /c","value":0.04}]' } },
    ],
    [
      'a grouped query with the number column first is the list of values',
      [numbers('query1', 0.01, 0.2), group('cluster', ['a'], ['b'])],
      { value: '[0.01,0.2]', result: [0.01, 0.2], metadata: { groups: '[{"name":"a","value":0.01},{"name":"b","value":0.2}]' } },
    ],
    ['a grouped query matching one group is still a list', [group('resource_name', ['GET /a']), numbers('query1', 0.087)], { value: '[0.087]', result: [0.087], metadata: { groups: '[{"name":"GET /a","value":0.087}]' } }],
    [
      'a group with no data is dropped with its label',
      [group('resource_name', ['a'], ['b'], ['c']), numbers('query1', null, 0.02, 0.03)],
      { value: '[0.02,0.03]', result: [0.02, 0.03], metadata: { groups: '[{"name":"b","value":0.02},{"name":"c","value":0.03}]' } },
    ],
    [
      'labels join one group column per tag',
      [group('region', ['us-east'], ['us-west']), group('host', ['host-a'], ['host-b']), numbers('query1', 0.01, 0.09)],
      { value: '[0.01,0.09]', result: [0.01, 0.09], metadata: { groups: '[{"name":"us-east,host-a","value":0.01},{"name":"us-west,host-b","value":0.09}]' } },
    ],
    ['labels are escaped as Go writes JSON', [group('path', ['/a?x=1&y=<2>']), numbers('q', 1)], { value: '[1]', result: [1], metadata: { groups: '[{"name":"/a?x=1\\u0026y=\\u003c2\\u003e","value":1}]' } }],
    ['no columns is no data', [], { value: '[]', result: null }],
    ['no attributes is no data', undefined, { value: '[]', result: null }],
    ['an empty number column is no data', [{ values: [] }], { value: '[]', result: null }],
    ['a number column of nulls is no data', [numbers('query', null)], { value: '[]', result: null }],
    ['a grouped query where every group is null is no data', [group('cluster', ['a'], ['b']), numbers('query', null, null)], { value: '[]', result: null }],
    ['group columns without a number column are no data', [group('cluster', ['a'], ['b'])], { value: '[]', result: null }],
  ])('%s', (_name, columns, want) => {
    expect(fromV2Columns(columns)).toStrictEqual(want);
  });

  it.each<[string, unknown, string]>([
    ['a value that is not a number', [numbers('query1', 1, 'oops')], 'could not parse numeric value "\\"oops\\"" in column "query1": json: cannot unmarshal string into Go value of type float64'],
    ['a label that is not a list of tags', [group('resource_name', ['a'], 'not-an-array'), numbers('query1', 0.01, 0.02)], 'could not parse group label at index 1'],
    ['a null label', [group('g', ['a'], null), numbers('q', 1, 2)], 'could not parse group label at index 1'],
    ['a group column shorter than the values', [group('g', ['a'], ['b']), numbers('q', 1, 2, 3)], 'could not parse group label at index 2'],
    ['values that are not a list', [{ values: 'invalid' }], 'Could not parse JSON body: json: cannot unmarshal string into Go struct field datadogV2Column.Data.Attributes.Columns.values of type []json.RawMessage'],
    ['a type that is not a string', [{ type: 1, values: [1] }], 'Could not parse JSON body: json: cannot unmarshal number into Go struct field datadogV2Column.Data.Attributes.Columns.type of type string'],
  ])('fails the measurement for %s', (_name, columns, message) => {
    expect(() => fromV2Columns(columns)).toThrow(message);
  });

  it('lists at most 100 groups, keeping both ends, while the condition sees every value', () => {
    const n = 125;
    const labels = Array.from({ length: n }, (_, i) => [`g${i}`]);
    const values = Array.from({ length: n }, (_, i) => (i * 7) % n);
    const observation = fromV2Columns([group('host', ...labels), numbers('q', ...values)]);
    expect(observation.result).toStrictEqual(values);
    expect(observation.metadata?.groups_truncated).toBe('true');
    const kept = JSON.parse(observation.metadata?.groups ?? '[]') as { name: string; value: number }[];
    expect(kept.map((g) => g.value)).toStrictEqual([...Array.from({ length: 50 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 75 + i)]);
    expect(fromV2Columns([group('host', ...labels.slice(0, 100)), numbers('q', ...values.slice(0, 100))]).metadata).not.toHaveProperty('groups_truncated');
  });
});

describe('v2 results under conditions', () => {
  const judge = (columns: unknown, successCondition: string): ReturnType<typeof evaluateResult> => evaluateResult(fromV2Columns(columns).result, { successCondition });
  const badSecondGroup = [group('cluster', ['a'], ['b']), numbers('query', 0.01, 0.2)];

  it.each<[string, unknown, string, ReturnType<typeof evaluateResult>]>([
    ['a bad second group fails a condition over every group', badSecondGroup, 'all(result, {# < 0.05})', 'Failed'],
    ['a bad second group fails even when the number column comes first', [numbers('query', 0.01, 0.2), group('cluster', ['a'], ['b'])], 'all(result, {# < 0.05})', 'Failed'],
    ['good groups pass', [group('cluster', ['a'], ['b']), numbers('query', 0.01, 0.02)], 'all(result, {# < 0.05})', 'Successful'],
    ['no data takes default()', [], 'default(result, 0) < 0.05', 'Successful'],
    ['no data with a failing default() fails', [numbers('query', null)], 'default(result, 1) < 0.05', 'Failed'],
  ])('%s', (_name, columns, condition, phase) => {
    expect(judge(columns, condition)).toBe(phase);
  });

  it('is an Error for a scalar condition over a grouped query or no data without default()', () => {
    expect(() => judge(badSecondGroup, 'result < 0.05')).toThrow();
    expect(() => judge([], 'result < 0.05')).toThrow();
  });
});

describe('v1 answers', () => {
  const result = (series: { pointlist?: unknown }[] | undefined): Value => fromV1Series(series).result;

  // Argo Rollouts reads Series[0] only; a grouped v1 query is judged on its first group (v2 gives them all).
  it('takes the last point of the first series only', () => {
    expect(result([{ pointlist: [[1, 0.5], [2, 0.01]] }, { pointlist: [[1, 9], [2, 9]] }])).toBe(0.01);
  });

  it('is nil with no series or no points', () => {
    expect(fromV1Series([])).toStrictEqual({ value: '[]', result: null });
    expect(fromV1Series(undefined)).toStrictEqual({ value: 'null', result: null });
    expect(fromV1Series([{ pointlist: [] }])).toStrictEqual({ value: '[{"pointlist":[]}]', result: null });
  });
});

// The client types what it can and hands the rest over as an UnparsedObject: this is the answer as it
// reaches fromV2Columns from a real HTTP exchange.
describe('v2 through the Datadog client', () => {
  let body = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  let provider: DatadogProvider;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    provider = new DatadogProvider({ readSecret: () => Promise.resolve(undefined), controllerNamespace: 'okra', env: { DD_API_KEY: 'k', DD_APP_KEY: 'a', DD_ADDRESS: address } });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const observe = (columns: unknown[]): Promise<Observation> => {
    body = JSON.stringify({ data: { type: 'scalar_response', attributes: { columns } } });
    const metric: Metric = { name: 'errors', provider: { datadog: { apiVersion: 'v2', query: 'sum:errors{*} by {cluster}' } } };
    return provider.observe(metric, { namespace: 'ns', now: new Date() });
  };

  it('gives a grouped query every value', async () => {
    await expect(observe([group('cluster', ['a'], ['b']), { ...(numbers('query', 0.01, 0.2) as object), meta: { unit: null } }])).resolves.toMatchObject({ value: '[0.01,0.2]', result: [0.01, 0.2] });
  });

  it('reads columns the client cannot type', async () => {
    await expect(observe([{ name: 'x', type: 'other', values: [7] }, numbers('query', 3)])).resolves.toMatchObject({ value: '3', result: 3 });
    await expect(observe([numbers('query', 1, 'oops')])).rejects.toThrow('could not parse numeric value');
  });
});
