// ClusterSet: discovers EKS clusters by tags and writes one Argo CD cluster Secret per ACTIVE cluster.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, stringMap, syncStatusFields } from '../schema.js';

/** Resource type of ClusterSet. */
export const ClusterSetType = okraType('ClusterSet');

/** One EKS discovery source. */
export const AwsEksClusterGeneratorSchema = z.object({
  selector: z
    .object({
      matchTags: stringMap('EKS cluster tags that must all be present with exactly these values. Empty matches all.')
        .optional(),
    })
    .optional()
    .describe('Which EKS clusters this generator selects.'),
  region: z.string().optional().describe('AWS region to list clusters in. Defaults to the controller\'s region.'),
  roleARN: z
    .string()
    .optional()
    .describe('IAM role written into the Secret\'s awsAuthConfig.roleARN; clients assume it to get a token.'),
  versionFromTag: z
    .string()
    .optional()
    .describe('EKS cluster tag whose value becomes the Secret\'s version label (okra.mumo.co/version).'),
});

/** Spec of a ClusterSet. */
export const ClusterSetSpecSchema = z.object({
  generators: z
    .array(z.object({ awseks: AwsEksClusterGeneratorSchema.optional().describe('Discover EKS clusters by tags.') }))
    .min(1)
    .describe('Discovery sources. A cluster that any generator selects belongs to the set (the first match decides its settings); within a generator every matchTag must match.'),
  template: z
    .object({
      metadata: z
        .object({
          labels: stringMap('Labels put on every generated Secret and used to find the Secrets this set owns.')
            .optional(),
          annotations: stringMap('Annotations put on every generated Secret.').optional(),
        })
        .describe('Metadata of the generated Secrets.'),
    })
    .describe('Template for the generated Argo CD cluster Secrets.'),
  versionLabel: z
    .string()
    .optional()
    .describe('Label key that carries the version taken from versionFromTag. Defaults to okra.mumo.co/version.'),
  syncInterval: z
    .string()
    .optional()
    .describe('How often EKS is listed again, as a duration such as 30s or 5m. Defaults to 1m.'),
  prune: z
    .boolean()
    .optional()
    .describe('Delete Secrets of clusters that no longer match (after a complete listing). Defaults to true. When false, Secrets also carry no owner reference, so deleting the ClusterSet leaves them in place.'),
});

/** ClusterSet spec. */
export type ClusterSetSpec = z.infer<typeof ClusterSetSpecSchema>;

/** One discovered cluster and the state of its Secret. */
export const ClusterEntrySchema = z.object({
  name: z.string().describe('EKS cluster name.'),
  version: z.string().optional().describe('Version taken from the versionFromTag tag.'),
  secret: z.string().optional().describe('Name of the Argo CD cluster Secret.'),
  state: z
    .enum(['Synced', 'Skipped', 'Pruned', 'Error'])
    .describe('Synced: Secret written; Skipped: cluster not ACTIVE; Pruned: Secret deleted; Error: see message.'),
  message: z.string().optional().describe('Why the cluster is in this state.'),
});

/** Status of a ClusterSet. */
export const ClusterSetStatusSchema = z.object({
  ...syncStatusFields,
  clusters: z
    .object({
      names: z.array(z.string()).optional().describe('Names of the clusters with a Secret.'),
      items: z.array(ClusterEntrySchema).optional().describe('Every matching cluster with its state.'),
    })
    .optional()
    .describe('Clusters discovered in the last sync.'),
});

/** ClusterSet status. */
export type ClusterSetStatus = z.infer<typeof ClusterSetStatusSchema>;

/** A ClusterSet object. */
export const ClusterSetSchema = kubeObject(ClusterSetSpecSchema, ClusterSetStatusSchema);

/** A ClusterSet. */
export type ClusterSet = z.infer<typeof ClusterSetSchema>;
