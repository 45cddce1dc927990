// AWSTargetGroup: a known AWS target group with a version label; the unit a Cell rolls out.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, syncStatusFields } from '../schema.js';

/** Resource type of AWSTargetGroup. */
export const AWSTargetGroupType = okraType('AWSTargetGroup');

/** Spec of an AWSTargetGroup. */
export const AWSTargetGroupSpecSchema = z.object({
  arn: z.string().describe('ARN of the AWS target group.'),
});

/** Status of an AWSTargetGroup. */
export const AWSTargetGroupStatusSchema = z.object({
  ...syncStatusFields,
  clusters: z
    .object({ names: z.array(z.string()).optional().describe('Clusters behind this target group.') })
    .optional()
    .describe('Kept for compatibility with the original okra.'),
});

/** An AWSTargetGroup object. */
export const AWSTargetGroupSchema = kubeObject(AWSTargetGroupSpecSchema, AWSTargetGroupStatusSchema);

/** An AWSTargetGroup. */
export type AWSTargetGroup = z.infer<typeof AWSTargetGroupSchema>;
