// Cell: one application behind one ALB listener rule, rolled from the stable version's target groups to
// the desired version's in canary steps. Field names follow the original okra (and Argo Rollouts for
// steps), so existing manifests apply unchanged.
import { z } from 'zod';
import { okraType } from '../resource.js';
import {
  SEMVER_PATTERN,
  int32,
  intOrString,
  kubeObject,
  stringMap,
  syncStatusFields,
  timestamp,
} from '../schema.js';
import { ListenerSchema } from './listener.js';

/** Resource type of Cell. */
export const CellType = okraType('Cell');

/** The label okra reads a target group's version from when `versionLabels` is not set. */
export const DEFAULT_VERSION_LABEL = 'okra.mumo.co/version';

/** Selects the AWSTargetGroups a Cell shifts traffic between. */
export const TargetGroupSelectorSchema = z
  .object({
    matchLabels: stringMap('Labels an AWSTargetGroup must all carry to belong to this Cell. Empty matches all.').optional(),
    versionLabels: z
      .array(z.string())
      .optional()
      .describe('Label keys to read the version from, first non-empty wins. Defaults to [okra.mumo.co/version].'),
  })
  .describe('Which AWSTargetGroups in the Cell namespace belong to the Cell and how their versions are read.');

/** An analysis argument as a step passes it to a template. */
export const AnalysisArgSchema = z.object({
  name: z.string().describe('Name of the template argument this sets.'),
  value: z.string().optional().describe('Literal value of the argument.'),
  valueFrom: z
    .object({
      podTemplateHashValue: z.string().optional().describe('Accepted for Argo Rollouts compatibility; not used by okra.'),
      fieldRef: z
        .object({
          fieldPath: z
            .string()
            .describe('Path into the Cell, for example status.desiredVersion or metadata.labels[team].'),
        })
        .optional()
        .describe('Takes the value from a field of the Cell.'),
      secretKeyRef: z
        .object({
          name: z.string().describe('Name of a Secret in the Cell namespace.'),
          key: z.string().describe('Key within the Secret.'),
        })
        .optional()
        .describe('Takes the value from a key of a Secret in the Cell namespace.'),
    })
    .optional()
    .describe('Where the value comes from when it is not a literal.'),
});

/** A step argument. */
export type AnalysisArg = z.infer<typeof AnalysisArgSchema>;

const AnalysisTemplateRefSchema = z.object({
  templateName: z.string().describe('Name of the AnalysisTemplate (or ClusterAnalysisTemplate when clusterScope).'),
  clusterScope: z.boolean().optional().describe('Refer to a ClusterAnalysisTemplate instead of a namespaced one.'),
});

/** A reference to the analysis templates of one gate and the arguments passed to them. */
export const RolloutAnalysisSchema = z.object({
  templates: z
    .array(AnalysisTemplateRefSchema)
    .optional()
    .describe('Templates merged into one AnalysisRun (metrics and args concatenated).'),
  args: z.array(AnalysisArgSchema).optional().describe('Arguments merged over the templates\' own.'),
  dryRun: z
    .array(z.object({ metricName: z.string().describe('Metric name, or a regular expression matching metric names.') }))
    .optional()
    .describe('Metrics measured and shown but never counted toward the verdict, added to the templates\' own (Argo Rollouts RolloutAnalysis.dryRun).'),
  measurementRetention: z
    .array(z.object({ metricName: z.string().describe('Metric name, or a regular expression matching metric names.'), limit: int32('Measurements to keep.') }))
    .optional()
    .describe('How many measurements to keep per metric, added to the templates\' own.'),
});

/** Background analysis: runs alongside the steps from `startingStep` on. */
export const BackgroundAnalysisSchema = RolloutAnalysisSchema.extend({
  startingStep: int32('Index of the step from which the background analysis runs.').min(0).optional(),
}).describe('Analysis that runs in the background while the steps proceed; a failure aborts the rollout.');

const ExperimentTemplateSchema = z.object({
  name: z.string().describe('Name of the experiment template.'),
  specRef: z.string().describe('Name of a ReplicaSet in the Cell namespace whose pod template is used.'),
  replicas: int32('Replicas to run for this template.').min(0).optional(),
  metadata: z
    .object({
      labels: stringMap('Labels for the template pods.').optional(),
      annotations: stringMap('Annotations for the template pods.').optional(),
    })
    .optional()
    .describe('Extra pod metadata (accepted for Argo Rollouts compatibility).'),
  selector: z
    .looseObject({})
    .optional()
    .describe('Label selector for the template pods; defaults to the ReplicaSet selector.'),
  weight: int32('Accepted for Argo Rollouts compatibility; not used by okra.').optional(),
});

const ExperimentAnalysisSchema = z.object({
  name: z.string().describe('Name of the analysis within the experiment.'),
  templateName: z.string().describe('AnalysisTemplate to run.'),
  clusterScope: z.boolean().optional().describe('Refer to a ClusterAnalysisTemplate instead of a namespaced one.'),
  args: z.array(AnalysisArgSchema).optional().describe('Arguments passed to the template.'),
  requiredForCompletion: z.boolean().optional().describe('The experiment ends only once this analysis completes.'),
});

/** An experiment step: an Argo Rollouts Experiment the step waits on. */
export const ExperimentStepSchema = z.object({
  duration: z.string().optional().describe('How long the experiment runs, for example 10m.'),
  templates: z.array(ExperimentTemplateSchema).describe('Pod templates to run in the experiment.'),
  analyses: z.array(ExperimentAnalysisSchema).optional().describe('Analyses run as part of the experiment.'),
});

/** One canary step. Exactly one action is set. */
export const CanaryStepSchema = z
  .object({
    setWeight: int32('Sets the canary (desired version) total weight to this percentage.').min(0).max(100).optional(),
    pause: z
      .object({
        duration: intOrString(
          'How long to wait: seconds as an integer, or a duration such as 30s, 5m, 1h. Absent: wait until promoted.',
        ).optional(),
      })
      .optional()
      .describe('Waits for a duration, or until promoted with `okractl promote` when no duration is set.'),
    analysis: RolloutAnalysisSchema.optional().describe('Runs an AnalysisRun; the step passes when it succeeds.'),
    experiment: ExperimentStepSchema.optional().describe('Runs an Argo Rollouts Experiment and gates on its phase.'),
    setCanaryScale: z
      .object({
        weight: int32('Accepted for Argo Rollouts compatibility; not supported by okra.').optional(),
        replicas: int32('Accepted for Argo Rollouts compatibility; not supported by okra.').optional(),
        matchTrafficWeight: z.boolean().optional().describe('Accepted for Argo Rollouts compatibility; not supported.'),
      })
      .optional()
      .describe('Argo Rollouts step that okra does not support; a Cell using it reports InvalidSpec.'),
  })
  .meta({
    description: 'One canary step: exactly one of setWeight, pause, analysis, experiment.',
    'x-kubernetes-validations': [
      {
        rule: '(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) + (has(self.experiment) ? 1 : 0) + (has(self.setCanaryScale) ? 1 : 0) == 1',
        message: 'a step must set exactly one of setWeight, pause, analysis, experiment',
      },
    ],
  });

/** A canary step. */
export type CanaryStep = z.infer<typeof CanaryStepSchema>;

/** The ALB ingress of a Cell. */
export const AwsApplicationLoadBalancerSchema = z.object({
  listenerARN: z.string().describe('ARN of the ALB listener whose rule okra manages.'),
  listener: ListenerSchema.optional().describe('The rule okra creates and owns on the listener.'),
  targetGroupSelector: TargetGroupSelectorSchema.optional(),
});

/** Spec of a Cell. */
export const CellSpecSchema = z.object({
  ingress: z
    .object({
      type: z
        .enum(['AWSApplicationLoadBalancer', 'AWSNetworkLoadBalancer'])
        .optional()
        .describe('Load balancer type. Only AWSApplicationLoadBalancer is supported today.'),
      awsApplicationLoadBalancer: AwsApplicationLoadBalancerSchema.optional().describe(
        'The ALB listener and target groups the Cell shifts traffic on.',
      ),
      awsNetworkLoadBalancer: z
        .object({
          listenerARN: z.string().optional().describe('NLB listener ARN (declared for compatibility; unsupported).'),
          targetGroupSelector: TargetGroupSelectorSchema.optional(),
        })
        .optional()
        .describe('Declared for compatibility with the original okra; not supported.'),
    })
    .describe('Where the Cell receives traffic.'),
  replicas: int32('Target groups the desired version needs before its rollout starts. Defaults to 1.').min(0).optional(),
  version: z
    .string()
    .regex(new RegExp(SEMVER_PATTERN))
    .optional()
    .describe('Pins the desired version (strict semver). Below the stable version it rolls back at once.'),
  paused: z.boolean().optional().describe('Freezes the rollout: no step advances and no gate or new version starts. Safety still acts: a failed gate, a manual abort or a blocklisted canary returns stable to 100 %, and the traffic of a target group that is gone moves to the ones left.'),
  cleanupOnDelete: z
    .boolean()
    .optional()
    .describe('Delete the listener rule when the Cell is deleted. By default traffic stays where it is.'),
  updateStrategy: z
    .object({
      type: z.enum(['Canary', 'BlueGreen']).optional().describe('Strategy type; only Canary is implemented.'),
      blueGreen: z.object({}).optional().describe('Declared for compatibility with the original okra; unused.'),
      canary: z
        .object({
          steps: z.array(CanaryStepSchema).max(100).optional().describe('Steps run in order for every new version.'),
          analysis: BackgroundAnalysisSchema.optional(),
        })
        .optional()
        .describe('Canary steps and background analysis.'),
    })
    .optional()
    .describe('How a new version is rolled out.'),
});

/** Cell spec. */
export type CellSpec = z.infer<typeof CellSpecSchema>;

/** A target group in the Cell's forward action with the weight last read back from AWS. */
export const CellTargetGroupStatusSchema = z.object({
  name: z.string().describe('AWSTargetGroup name.'),
  arn: z.string().describe('Target group ARN.'),
  version: z.string().optional().describe('Version of the target group.'),
  weight: int32('Weight last read back from the listener rule.'),
});

/** A gate (analysis, experiment, pause) the rollout waits on. */
export const CellGateStatusSchema = z.object({
  step: z.string().describe('Step index, or "bg" for background analysis.'),
  kind: z.enum(['AnalysisRun', 'Experiment', 'Pause', 'Manual']).describe('What the gate is.'),
  name: z.string().describe('Name of the gate object.'),
  phase: z.string().describe('Phase of the gate object, for example Running, Successful, Failed.'),
  message: z.string().optional().describe('Message reported by the gate object.'),
});

/** Status of a Cell: the rollout's progress, so a restarted controller resumes where it stopped. */
export const CellStatusSchema = z.object({
  ...syncStatusFields,
  phase: z
    .enum(['Pending', 'Progressing', 'Paused', 'Completed', 'Degraded', 'InvalidSpec'])
    .optional()
    .describe('Pending, Progressing, Paused, Completed, Degraded or InvalidSpec.'),
  desiredVersion: z.string().optional().describe('The version being rolled out (or completed).'),
  stableVersion: z.string().optional().describe('The last version whose rollout completed.'),
  canaryWeight: int32('Total weight of the desired version in the listener rule.').optional(),
  currentStepIndex: int32('Index of the step in progress; equals the number of steps once all passed.').optional(),
  currentStepStartedAt: timestamp('When the current step started.').optional(),
  targetGroupsHash: z
    .string()
    .optional()
    .describe('Hash of the desired version\'s target-group set the current steps run against.'),
  stepsHash: z
    .string()
    .optional()
    .describe('Hash of the canary steps the current rollout runs; when the steps change mid-rollout, it restarts from the first step, as in Argo Rollouts.'),
  attempt: z
    .string()
    .optional()
    .describe('Identifies this rollout attempt. Its gates (AnalysisRuns, Experiments, Pauses) carry it in name and labels, so a later attempt on the same target groups never reuses an earlier attempt\'s results.'),
  targetGroups: z.array(CellTargetGroupStatusSchema).optional().describe('Current forward weights per target group.'),
  ignoredTargetGroups: z
    .array(z.object({ name: z.string().describe('AWSTargetGroup name.'), reason: z.string().describe('Why it is ignored.') }))
    .optional()
    .describe('Selected AWSTargetGroups that were ignored, for example for an invalid version label.'),
  gates: z.array(CellGateStatusSchema).optional().describe('Gates of the current step and background analysis.'),
  ruleArn: z.string().optional().describe('ARN of the listener rule this Cell owns.'),
  pendingWeights: z
    .object({
      targetGroups: z
        .array(z.object({ arn: z.string().describe('Target group ARN.'), weight: int32('Requested weight.') }))
        .describe('The weights written.'),
      requestedAt: timestamp('When they were written.'),
    })
    .optional()
    .describe('Weights written to the listener rule and not yet read back; a step advances only after read-back.'),
  abort: z.boolean().optional().describe('The rollout was aborted; traffic is back on the stable version.'),
  abortedAt: timestamp('When the rollout was aborted.').optional(),
  promoteFull: z.boolean().optional().describe('Set by okractl promote --full: skip the remaining steps.'),
  promoteStep: int32('Set by okractl promote: the step index to treat as passed.').optional(),
  clusters: z
    .object({ names: z.array(z.string()).optional().describe('Names of the clusters behind the desired version.') })
    .optional()
    .describe('Clusters serving the Cell (kept for compatibility with the original okra).'),
});

/** Cell status. */
export type CellStatus = z.infer<typeof CellStatusSchema>;

/** A Cell object. */
export const CellSchema = kubeObject(CellSpecSchema, CellStatusSchema);

/** A Cell. */
export type Cell = z.infer<typeof CellSchema>;
