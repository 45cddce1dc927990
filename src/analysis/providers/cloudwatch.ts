// The CloudWatch provider, as Argo Rollouts': GetMetricData with the metric's `metricDataQueries` over
// `interval` (default 5m) up to now. Conditions see the MetricDataResults with the SDK's field names
// (`result[0].Values`); the measurement's value is the values as Go prints [][]float64.
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Metric } from '../../api/rollouts/analysis.js';
import { goDurationMs } from '../go-duration.js';
import { sdkConfig, type AwsSettings } from '../../aws/config.js';
import { instrument, type AwsCallObserver } from '../../aws/instrument.js';
import type { Value } from '../expr.js';
import { goFloatV, type MetricProvider, type ObserveContext, type Observation } from './provider.js';

const DEFAULT_WINDOW = '5m';

/** A metricDataQuery as an AnalysisTemplate spells it. */
interface TemplateQuery {
  id?: string;
  expression?: string;
  label?: string;
  period?: number | string;
  returnData?: boolean;
  metricStat?: {
    metric?: { namespace?: string; metricName?: string; dimensions?: { name: string; value: string }[] };
    period?: number | string;
    stat?: string;
    unit?: string;
  };
}

/** Converts the template's queries to the SDK's shape. */
export function toSdkQueries(queries: readonly TemplateQuery[]): MetricDataQuery[] {
  return queries.map((q) => ({
    Id: q.id,
    ...(q.expression === undefined ? {} : { Expression: q.expression }),
    ...(q.label === undefined ? {} : { Label: q.label }),
    ...(q.period === undefined ? {} : { Period: Number(q.period) }),
    ...(q.returnData === undefined ? {} : { ReturnData: q.returnData }),
    ...(q.metricStat
      ? {
          MetricStat: {
            Metric: {
              Namespace: q.metricStat.metric?.namespace,
              MetricName: q.metricStat.metric?.metricName,
              ...(q.metricStat.metric?.dimensions ? { Dimensions: q.metricStat.metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })) } : {}),
            },
            Period: Number(q.metricStat.period ?? 0),
            Stat: q.metricStat.stat,
            ...(q.metricStat.unit ? { Unit: q.metricStat.unit as StandardUnit } : {}),
          },
        }
      : {}),
  }));
}

/** The CloudWatch provider. */
export class CloudWatchProvider implements MetricProvider {
  private readonly client: CloudWatchClient;

  constructor(settings: AwsSettings, observer?: AwsCallObserver) {
    this.client = instrument(new CloudWatchClient(sdkConfig(settings)), 'cloudwatch', observer);
  }

  async observe(metric: Metric, ctx: ObserveContext): Promise<Observation> {
    const cw = metric.provider.cloudWatch;
    if (!cw) throw new Error('metric has no cloudWatch provider');
    // As Argo: an empty interval means the default window, an invalid one is Go's parse error.
    const interval = cw.interval ?? '';
    const windowMs = goDurationMs(interval === '' ? DEFAULT_WINDOW : interval);
    const out = await this.client.send(
      new GetMetricDataCommand({
        StartTime: new Date(ctx.now.getTime() - windowMs),
        EndTime: ctx.now,
        MetricDataQueries: toSdkQueries(cw.metricDataQueries as TemplateQuery[]),
      }),
    );
    const results = (out.MetricDataResults ?? []).map((r) => ({
      Id: r.Id ?? null,
      Label: r.Label ?? null,
      Timestamps: (r.Timestamps ?? []).map((t) => t.toISOString()),
      Values: r.Values ?? [],
      StatusCode: r.StatusCode ?? null,
    }));
    const messages = out.Messages ?? [];
    return {
      value: `[${results.map((r) => `[${r.Values.map(goFloatV).join(' ')}]`).join(' ')}]`,
      result: results as Value,
      ...(messages.length > 0 ? { metadata: { messages: messages.map((m) => `${m.Code ?? ''}: ${m.Value ?? ''}`).join(', ') } } : {}),
    };
  }

  /** Closes the SDK client's sockets. */
  close(): void {
    this.client.destroy();
  }
}
