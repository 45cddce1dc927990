// AWSTargetGroupSet: finds TargetGroupBindings in workload clusters and mirrors them as AWSTargetGroups.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, matchLabelsSelector, stringMap, syncStatusFields } from '../schema.js';

/** Resource type of AWSTargetGroupSet. */
export const AWSTargetGroupSetType = okraType('AWSTargetGroupSet');

/** Spec of an AWSTargetGroupSet. */
export const AWSTargetGroupSetSpecSchema = z.object({
  arn: z.string().optional().describe('Unused; kept for compatibility with the original okra.'),
  generators: z
    .array(
      z.object({
        awseks: z
          .object({
            clusterSelector: matchLabelsSelector(
              'Selects Argo CD cluster Secrets in this namespace. Empty selects none.',
            ).optional(),
            bindingSelector: matchLabelsSelector(
              'Selects TargetGroupBindings in every namespace of each cluster. Empty selects all.',
            ).optional(),
          })
          .optional()
          .describe('Discover TargetGroupBindings in the clusters of Argo CD cluster Secrets.'),
      }),
    )
    .min(1)
    .describe('Discovery sources; each is synced and their results combined.'),
  template: z
    .object({
      metadata: z
        .object({ labels: stringMap('Labels added to every generated AWSTargetGroup.').optional() })
        .optional()
        .describe('Metadata of the generated AWSTargetGroups.'),
    })
    .optional()
    .describe('Template for the generated AWSTargetGroups.'),
  versionLabel: z
    .string()
    .optional()
    .describe('Label a binding must carry to be mirrored. Defaults to okra.mumo.co/version.'),
  syncInterval: z.string().optional().describe('How often clusters are listed again, such as 30s or 5m. Defaults to 1m.'),
});

/** AWSTargetGroupSet spec. */
export type AWSTargetGroupSetSpec = z.infer<typeof AWSTargetGroupSetSpecSchema>;

/** Per-cluster result of the last sync. */
export const TargetGroupSetClusterSchema = z.object({
  name: z.string().describe('Name of the Argo CD cluster Secret.'),
  targetGroups: z.number().int().describe('AWSTargetGroups applied from this cluster.'),
  skipped: z
    .array(z.object({ binding: z.string().describe('namespace/name of the binding.'), reason: z.string().describe('Why.') }))
    .optional()
    .describe('Bindings that were not mirrored, with the reason.'),
  error: z.string().optional().describe('Why the cluster could not be listed; its AWSTargetGroups are kept.'),
});

/** Status of an AWSTargetGroupSet. */
export const AWSTargetGroupSetStatusSchema = z.object({
  ...syncStatusFields,
  clusters: z.array(TargetGroupSetClusterSchema).optional().describe('Per-cluster results of the last sync.'),
});

/** AWSTargetGroupSet status. */
export type AWSTargetGroupSetStatus = z.infer<typeof AWSTargetGroupSetStatusSchema>;

/** An AWSTargetGroupSet object. */
export const AWSTargetGroupSetSchema = kubeObject(AWSTargetGroupSetSpecSchema, AWSTargetGroupSetStatusSchema);

/** An AWSTargetGroupSet. */
export type AWSTargetGroupSet = z.infer<typeof AWSTargetGroupSetSchema>;
