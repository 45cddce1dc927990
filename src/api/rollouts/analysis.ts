// Subset schemas of Argo Rollouts' analysis kinds (argoproj.io/v1alpha1). Objects are "loose": fields we
// do not model are kept, so a template's metric with a provider we do not evaluate is copied intact.
import { z } from 'zod';
import type { ResourceType } from '../resource.js';
import { ObjectMetaSchema } from '../schema.js';

// Argo Rollouts' analysis CRDs have no status subresource (its controller patches status in place).
const rolloutsType = (kind: string, namespaced = true): ResourceType => ({
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind,
  plural: `${kind.toLowerCase()}s`,
  namespaced,
  statusSubresource: false,
});

/** Resource types of the Argo Rollouts kinds okra uses. */
export const RolloutsTypes = {
  analysisTemplate: rolloutsType('AnalysisTemplate'),
  clusterAnalysisTemplate: rolloutsType('ClusterAnalysisTemplate', false),
  analysisRun: rolloutsType('AnalysisRun'),
  experiment: rolloutsType('Experiment'),
} as const;

const intOrString = z.union([z.number().int(), z.string()]);

/** A template or run argument. */
export const ArgumentSchema = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      secretKeyRef: z.object({ name: z.string(), key: z.string() }).optional(),
      fieldRef: z.object({ fieldPath: z.string() }).optional(),
    })
    .optional(),
});

/** An argument. */
export type Argument = z.infer<typeof ArgumentSchema>;

/** Web provider: an HTTP call whose JSON answer is read with a JSONPath. */
export const WebMetricSchema = z.looseObject({
  method: z.string().optional(),
  url: z.string(),
  headers: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  body: z.string().optional(),
  jsonBody: z.unknown().optional(),
  timeoutSeconds: z.number().int().optional(),
  jsonPath: z.string().optional(),
  insecure: z.boolean().optional(),
});

/** Prometheus provider: an instant query. */
export const PrometheusMetricSchema = z.looseObject({
  address: z.string().optional(),
  query: z.string(),
  timeout: z.number().int().optional(),
  insecure: z.boolean().optional(),
  headers: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
});

/** Datadog provider: v1 query or v2 scalar queries and formula. */
export const DatadogMetricSchema = z.looseObject({
  interval: z.string().optional(),
  query: z.string().optional(),
  queries: z.record(z.string(), z.string()).optional(),
  formula: z.string().optional(),
  apiVersion: z.enum(['v1', 'v2']).optional(),
  aggregator: z.string().optional(),
  secretRef: z.object({ name: z.string().optional(), namespaced: z.boolean().optional() }).optional(),
});

/** CloudWatch provider: GetMetricData over a window. */
export const CloudWatchMetricSchema = z.looseObject({
  interval: z.string().optional(),
  metricDataQueries: z.array(z.looseObject({ id: z.string() })),
});

/** A metric: how to measure and how to judge. */
export const MetricSchema = z.looseObject({
  name: z.string(),
  interval: z.string().optional(),
  initialDelay: z.string().optional(),
  count: intOrString.optional(),
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  failureLimit: intOrString.optional(),
  inconclusiveLimit: intOrString.optional(),
  consecutiveErrorLimit: intOrString.optional(),
  consecutiveSuccessLimit: intOrString.optional(),
  provider: z.looseObject({
    web: WebMetricSchema.optional(),
    prometheus: PrometheusMetricSchema.optional(),
    datadog: DatadogMetricSchema.optional(),
    cloudWatch: CloudWatchMetricSchema.optional(),
  }),
});

/** A metric definition. */
export type Metric = z.infer<typeof MetricSchema>;

const MetricNameRefSchema = z.object({ metricName: z.string() });

/** Spec shared by AnalysisTemplate and ClusterAnalysisTemplate. */
export const AnalysisTemplateSpecSchema = z.looseObject({
  metrics: z.array(MetricSchema),
  args: z.array(ArgumentSchema).optional(),
  dryRun: z.array(MetricNameRefSchema).optional(),
  measurementRetention: z.array(z.object({ metricName: z.string(), limit: z.number().int() })).optional(),
});

/** An AnalysisTemplate or ClusterAnalysisTemplate. */
export const AnalysisTemplateSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: AnalysisTemplateSpecSchema,
});

/** An analysis template. */
export type AnalysisTemplate = z.infer<typeof AnalysisTemplateSchema>;

/** Phases shared by runs, metrics and measurements. */
export const AnalysisPhaseSchema = z.enum(['', 'Pending', 'Running', 'Successful', 'Failed', 'Error', 'Inconclusive']);

/** An analysis phase. */
export type AnalysisPhase = z.infer<typeof AnalysisPhaseSchema>;

/** One measurement of a metric. */
export const MeasurementSchema = z.looseObject({
  phase: AnalysisPhaseSchema,
  message: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  value: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  resumeAt: z.string().optional(),
});

/** A measurement. */
export type Measurement = z.infer<typeof MeasurementSchema>;

/** Result of one metric of a run. */
export const MetricResultSchema = z.looseObject({
  name: z.string(),
  phase: AnalysisPhaseSchema,
  measurements: z.array(MeasurementSchema).optional(),
  message: z.string().optional(),
  count: z.number().int().optional(),
  successful: z.number().int().optional(),
  failed: z.number().int().optional(),
  inconclusive: z.number().int().optional(),
  error: z.number().int().optional(),
  consecutiveError: z.number().int().optional(),
  consecutiveSuccess: z.number().int().optional(),
  dryRun: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

/** A metric result. */
export type MetricResult = z.infer<typeof MetricResultSchema>;

const RunSummarySchema = z.looseObject({
  count: z.number().int().optional(),
  successful: z.number().int().optional(),
  failed: z.number().int().optional(),
  inconclusive: z.number().int().optional(),
  error: z.number().int().optional(),
});

/** Status of an AnalysisRun, as Argo Rollouts writes it. */
export const AnalysisRunStatusSchema = z.looseObject({
  phase: AnalysisPhaseSchema.optional(),
  message: z.string().optional(),
  metricResults: z.array(MetricResultSchema).optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  runSummary: RunSummarySchema.optional(),
  dryRunSummary: RunSummarySchema.optional(),
});

/** AnalysisRun status. */
export type AnalysisRunStatus = z.infer<typeof AnalysisRunStatusSchema>;

/** An AnalysisRun. */
export const AnalysisRunSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: AnalysisTemplateSpecSchema.extend({ terminate: z.boolean().optional() }),
  status: AnalysisRunStatusSchema.optional(),
});

/** An analysis run. */
export type AnalysisRun = z.infer<typeof AnalysisRunSchema>;
