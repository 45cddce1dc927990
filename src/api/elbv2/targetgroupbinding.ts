// Subset schema of the AWS Load Balancer Controller's TargetGroupBinding (elbv2.k8s.aws/v1beta1): only
// the fields okra reads.
import { z } from 'zod';
import type { ResourceType } from '../resource.js';
import { ObjectMetaSchema } from '../schema.js';

/** Resource type of TargetGroupBinding. */
export const TargetGroupBindingType: ResourceType = {
  group: 'elbv2.k8s.aws',
  version: 'v1beta1',
  kind: 'TargetGroupBinding',
  plural: 'targetgroupbindings',
  namespaced: true,
};

/** A TargetGroupBinding. */
export const TargetGroupBindingSchema = z.looseObject({
  metadata: ObjectMetaSchema,
  spec: z.looseObject({
    targetGroupARN: z.string().optional(),
    targetType: z.string().optional(),
    serviceRef: z.looseObject({ name: z.string(), port: z.union([z.number(), z.string()]) }).optional(),
  }),
});

/** A target group binding. */
export type TargetGroupBinding = z.infer<typeof TargetGroupBindingSchema>;
