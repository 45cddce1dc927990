// The Datadog provider, as Argo Rollouts': v1 `query` (the last point of the first series) or v2 scalar
// `queries` + `formula` (the number column: one value for a plain query, the list of per-group values for
// a `by {tag}` query), over the metric's `interval` window up to now. Credentials come as Argo Rollouts
// finds them: the named Secret (`secretRef`), else DD_API_KEY / DD_APP_KEY / DD_ADDRESS from the
// environment, else the `datadog` Secret in okrad's namespace.
// The Datadog client is imported on first use: loading it costs tens of MiB that most installs never need.
import type { client, v2 } from '@datadog/datadog-api-client';
import type { Metric } from '../../api/rollouts/analysis.js';
import { goDurationMs } from '../go-duration.js';
import { TransientError, goFloat, isTransientStatus, type MetricProvider, type ObserveContext, type Observation } from './provider.js';

/** Name of the Secret Argo Rollouts reads Datadog credentials from by default. */
export const DATADOG_SECRET = 'datadog';
const DEFAULT_ADDRESS = 'https://api.datadoghq.com';
const DEFAULT_WINDOW = '5m';
const TIMEOUT_MS = 10_000;

/** Reads a Secret's decoded data, or undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

/** Where the provider looks for credentials. */
export interface DatadogOptions {
  readonly readSecret: SecretReader;
  /** okrad's own namespace, where un-namespaced secretRefs and the default `datadog` Secret live. */
  readonly controllerNamespace: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface Credentials {
  readonly address: string;
  readonly apiKey: string;
  readonly appKey: string;
}

type DatadogMetric = NonNullable<Metric['provider']['datadog']>;

/** The Datadog provider. */
export class DatadogProvider implements MetricProvider {
  constructor(private readonly opts: DatadogOptions) {}

  async observe(metric: Metric, ctx: ObserveContext): Promise<Observation> {
    const dd = metric.provider.datadog;
    if (!dd) throw new Error('metric has no datadog provider');
    const credentials = await this.credentials(dd, ctx.namespace);
    validate(dd);
    // Argo: Go's time.ParseDuration (its error is the measurement's), truncated to whole seconds.
    const windowMs = goDurationMs(dd.interval ?? DEFAULT_WINDOW);
    const to = Math.floor(ctx.now.getTime() / 1000);
    const from = to - Math.trunc(windowMs / 1000);
    return (dd.apiVersion ?? 'v1') === 'v1' ? queryV1(credentials, dd.query ?? '', { from, to }) : queryV2(credentials, dd, { from, to });
  }

  private async credentials(dd: DatadogMetric, runNamespace: string): Promise<Credentials> {
    const name = dd.secretRef?.name ?? '';
    const namespaced = dd.secretRef?.namespaced === true;
    if (namespaced && name === '') throw new Error('secret name is required for namespaced credentials');
    const namespace = namespaced ? runNamespace : this.opts.controllerNamespace;
    const found = name === '' ? (this.fromEnv() ?? (await this.opts.readSecret(namespace, DATADOG_SECRET))) : await this.opts.readSecret(namespace, name);
    return usable(found);
  }

  /** DD_API_KEY, DD_APP_KEY and DD_ADDRESS; as in Argo Rollouts they count only when all three are set. */
  private fromEnv(): Record<string, string> | undefined {
    const env = this.opts.env ?? process.env;
    const [apiKey, appKey, address] = [env.DD_API_KEY, env.DD_APP_KEY, env.DD_ADDRESS];
    if (apiKey === undefined || appKey === undefined || address === undefined) return undefined;
    return { 'api-key': apiKey, 'app-key': appKey, address };
  }
}

/** Credentials from Secret or environment data; both keys are required. */
function usable(data: Record<string, string> | undefined): Credentials {
  const apiKey = data?.['api-key'] ?? '';
  const appKey = data?.['app-key'] ?? '';
  if (apiKey === '' || appKey === '') throw new Error('failed to find the credentials for datadog metrics provider');
  return { address: data?.address ?? DEFAULT_ADDRESS, apiKey, appKey };
}

/** The template checks Argo Rollouts makes before querying, in its order, with its messages. */
const CHECKS: readonly [(d: { query: boolean; queries: number; v1: boolean; formula: boolean; aggregator: boolean }) => boolean, string][] = [
  [(d) => !d.query && d.queries === 0, 'Must have either a query or queries. Please review the Analysis Template.'],
  [(d) => d.query && d.queries > 0, 'Cannot have both a query and queries. Please review the Analysis Template.'],
  [(d) => d.v1 && !d.query, 'Query is empty. API Version v1 only supports using the query parameter in your Analysis Template.'],
  [(d) => d.formula && d.queries === 0, 'Formula are only valid when queries are set. Please review the Analysis Template.'],
  [(d) => !d.formula && d.queries > 1, 'When multiple queries are provided you must include a formula.'],
  [(d) => d.v1 && d.aggregator, 'Aggregator is not supported in v1. Please review the Analysis Template.'],
];

function validate(dd: DatadogMetric): void {
  const facts = {
    query: Boolean(dd.query),
    queries: Object.keys(dd.queries ?? {}).length,
    v1: (dd.apiVersion ?? 'v1') === 'v1',
    formula: Boolean(dd.formula),
    aggregator: Boolean(dd.aggregator),
  };
  const failed = CHECKS.find(([check]) => check(facts));
  if (failed) throw new Error(failed[1]);
}

async function configuration(credentials: Credentials): Promise<client.Configuration> {
  const common = await import('@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js');
  return common.createConfiguration({
    baseServer: new common.BaseServerConfiguration(credentials.address.replace(/\/+$/, ''), {}),
    authMethods: { apiKeyAuth: credentials.apiKey, appKeyAuth: credentials.appKey },
    httpConfig: { signal: AbortSignal.timeout(TIMEOUT_MS) },
  });
}

async function queryV1(credentials: Credentials, query: string, window: { from: number; to: number }): Promise<Observation> {
  const { MetricsApi } = await import('@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js');
  const api = new MetricsApi(await configuration(credentials));
  const response = await call(() => api.queryMetrics({ ...window, query }));
  return fromV1Series(response.series);
}

/**
 * A v1 answer as Argo Rollouts' parseResponseV1 reads it: the last point of the first series only, so a
 * grouped v1 query (`by {tag}`, one series per group) is judged on its first group alone. Argo does the
 * same; v2 is the API that gives every group to the condition.
 */
export function fromV1Series(raw: readonly { pointlist?: unknown }[] | undefined): Observation {
  const series = goSeries(raw);
  const points = series?.[0]?.pointlist ?? [];
  if (points.length === 0) return { value: JSON.stringify(series), result: null };
  const last = points.at(-1);
  if (last?.length !== 2) throw new Error('Datapoint does not have 2 values');
  const value = last[1] ?? 0;
  return { value: goFloat(value), result: value };
}

/** A v1 series as Argo Rollouts holds it after decoding. */
interface GoSeries {
  readonly pointlist: (number[] | null)[] | null;
}

/**
 * The series as Argo Rollouts decodes them: only `pointlist`, as `[][]float64`, where Go's JSON leaves a
 * null value at 0 (so a null last point is 0, not "no data") and a null point stays null. The client
 * types points as number pairs, but passes the API's nulls through.
 */
function goSeries(series: readonly { pointlist?: unknown }[] | undefined): GoSeries[] | null {
  if (!series) return null;
  return series.map((s) => {
    const points = (s as { pointlist?: unknown } | null)?.pointlist;
    if (!Array.isArray(points)) return { pointlist: null };
    return { pointlist: points.map((p: unknown) => (Array.isArray(p) ? p.map((v: unknown) => (typeof v === 'number' ? v : 0)) : null)) };
  });
}

async function queryV2(credentials: Credentials, dd: DatadogMetric, window: { from: number; to: number }): Promise<Observation> {
  const { MetricsApi } = await import('@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/MetricsApi.js');
  const api = new MetricsApi(await configuration(credentials));
  const response = await call(() => api.queryScalarData({ body: scalarRequest(dd, window) }));
  if (response.errors) throw new Error(`There were errors in your query: ${response.errors}`);
  return fromV2Columns(response.data?.attributes?.columns);
}

/** A v2 scalar column as Argo Rollouts decodes it; values stay raw because their shape depends on the type. */
interface V2Column {
  readonly name: string;
  readonly type: string;
  readonly values: readonly unknown[];
}

/** A value of a grouped query with its group's label, as Argo Rollouts lists them in `metadata.groups`. */
interface GroupedValue {
  readonly name: string;
  readonly value: number;
}

/**
 * A v2 scalar answer as Argo Rollouts' parseResponseV2 reads it. Columns are found by type, not position:
 * Datadog puts a `group` column (tag values) before the `number` column for `by {tag}` queries. Nulls
 * (no data for a group) are dropped. A plain query gives its first value as a number; a grouped query
 * always gives the list, even for one group, so `all(result, {# < 0.05})` judges every group and one bad
 * group cannot hide behind the first. No value at all leaves `result` nil and shows `[]`.
 */
export function fromV2Columns(raw: unknown): Observation {
  const { values, groups, grouped } = extractValues(decodeColumns(raw));
  const [first] = values;
  if (first === undefined) return { value: '[]', result: null };
  if (!grouped) return { value: goFloat(first), result: first };
  return { value: `[${values.map(goFloat).join(',')}]`, result: values, metadata: groupsMetadata(groups) };
}

/** Go's name for a JSON value's kind, as encoding/json's type errors print it. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

/** Go's decoding error for a field of the wrong JSON kind, prefixed as Argo Rollouts reports a body it cannot parse. */
function decodeError(value: unknown, field: string, goType: string): Error {
  return new Error(`Could not parse JSON body: json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`);
}

/**
 * The columns as Go decodes them into Argo Rollouts' struct: a missing or null field is empty, a field of
 * the wrong kind fails the whole body. The client hands columns it cannot type (an unknown `type`, a
 * non-number value) over as an UnparsedObject holding the JSON in `_data`; that JSON is what Argo reads.
 */
function decodeColumns(raw: unknown): V2Column[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw decodeError(raw, '.Data.Attributes.Columns', '[]datadog.datadogV2Column');
  return raw.map((item: unknown) => decodeColumn(item !== null && typeof item === 'object' && '_data' in item ? item._data : item));
}

function decodeColumn(column: unknown): V2Column {
  if (column === undefined || column === null) return { name: '', type: '', values: [] };
  if (typeof column !== 'object' || Array.isArray(column)) throw decodeError(column, '.Data.Attributes.Columns', 'datadog.datadogV2Column');
  const fields = column as Record<string, unknown>;
  const values = fields.values ?? null;
  if (values !== null && !Array.isArray(values)) throw decodeError(values, 'datadogV2Column.Data.Attributes.Columns.values', '[]json.RawMessage');
  return { name: stringField(fields, 'name'), type: stringField(fields, 'type'), values: (values as unknown[] | null) ?? [] };
}

function stringField(fields: Record<string, unknown>, field: 'name' | 'type'): string {
  const value = fields[field] ?? null;
  if (value !== null && typeof value !== 'string') throw decodeError(value, `datadogV2Column.Data.Attributes.Columns.${field}`, 'string');
  return value ?? '';
}

/**
 * The number column's values and, for a grouped query, each one's group label (Argo's extractValues). The
 * first `number` column is read (a column without a type counts as one, as older answers had none); every
 * `group` column adds one tag to the label. A value that is not a number, or a label that cannot be read,
 * fails the measurement rather than judging partial or misaligned data.
 */
function extractValues(columns: readonly V2Column[]): { values: number[]; groups: GroupedValue[]; grouped: boolean } {
  const numbers = columns.find((c) => c.type === '' || c.type === 'number');
  const groupColumns = columns.filter((c) => c.type === 'group');
  const grouped = groupColumns.length > 0;
  const values: number[] = [];
  const groups: GroupedValue[] = [];
  numbers?.values.forEach((v, i) => {
    // Null is Datadog's "no data for this group"; its label goes with it so the pairs stay aligned.
    if (v === null) return;
    if (typeof v !== 'number') {
      throw new Error(`could not parse numeric value ${JSON.stringify(JSON.stringify(v))} in column ${JSON.stringify(numbers.name)}: json: cannot unmarshal ${jsonKind(v)} into Go value of type float64`);
    }
    values.push(v);
    if (!grouped) return;
    const name = groupNameAt(groupColumns, i);
    if (name === undefined) throw new Error(`could not parse group label at index ${i}`);
    groups.push({ name, value: v });
  });
  return { values, groups, grouped };
}

/**
 * The label of row `index`: each group column holds a list of tag values per row (`[["us-east"], ...]`),
 * joined across columns with commas (`by {region, host}` gives `us-east,host-a`). Undefined when a column
 * lacks the row or its entry is not a non-empty list of strings (Go's []string; a null item reads as "").
 */
function groupNameAt(columns: readonly V2Column[], index: number): string | undefined {
  const parts: string[] = [];
  for (const column of columns) {
    const tags = column.values[index];
    if (!Array.isArray(tags) || tags.length === 0) return undefined;
    for (const tag of tags as unknown[]) {
      if (tag !== null && typeof tag !== 'string') return undefined;
      parts.push(tag ?? '');
    }
  }
  return parts.join(',');
}

/**
 * How many groups `metadata.groups` lists. It is for people only (conditions see every value), and a
 * high-cardinality tag would otherwise bloat the AnalysisRun status with every stored measurement.
 */
const MAX_GROUPS_IN_METADATA = 100;

/**
 * Argo Rollouts' groupsMetadata: the (name, value) pairs as JSON. Past the cap it keeps the lowest and the
 * highest values (the bad group is at one end or the other, depending on the condition), in ascending
 * order, and says so in `groups_truncated`.
 */
function groupsMetadata(groups: readonly GroupedValue[]): Record<string, string> {
  if (groups.length <= MAX_GROUPS_IN_METADATA) return { groups: goJSON(groups) };
  const sorted = [...groups].sort((a, b) => a.value - b.value);
  const low = Math.floor(MAX_GROUPS_IN_METADATA / 2);
  const kept = [...sorted.slice(0, low), ...sorted.slice(sorted.length - (MAX_GROUPS_IN_METADATA - low))];
  return { groups: goJSON(kept), groups_truncated: 'true' };
}

/** JSON as Go's encoding/json writes it: like JSON.stringify, but with <, >, &, U+2028 and U+2029 escaped. */
function goJSON(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The v2 scalar request Argo Rollouts sends: one query per name, the same aggregator (default last). */
function scalarRequest(dd: DatadogMetric, window: { from: number; to: number }): v2.ScalarFormulaQueryRequest {
  const queries = dd.query ? { query: dd.query } : (dd.queries ?? {});
  const aggregator = (dd.aggregator ?? 'last') as v2.MetricsAggregator;
  /* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client serialises plain objects field by field (its documented usage); its model classes carry no behaviour */
  return {
    data: {
      type: 'scalar_request',
      attributes: {
        from: window.from * 1000,
        to: window.to * 1000,
        queries: Object.entries(queries).map(([name, query]) => ({ dataSource: 'metrics', name, query, aggregator })),
        formulas: dd.formula ? [{ formula: dd.formula }] : [],
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-unsafe-class-instance-assignment */
}

/**
 * Calls the client, mapping its failures: 401/403 and other 4xx are errors, 429 and 5xx are transient,
 * and so is every failure without an HTTP status (connection refused, reset, timeout).
 */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'number') throw new TransientError(err instanceof Error ? err.message : String(err));
    const body = JSON.stringify((err as { body?: unknown }).body ?? '');
    if (code === 401 || code === 403) throw new Error(`received authentication error response code: ${code} ${body}`);
    const message = `received non 2xx response code: ${code} ${body}`;
    throw isTransientStatus(code) ? new TransientError(message) : new Error(message);
  }
}
