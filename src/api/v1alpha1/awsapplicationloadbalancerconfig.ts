// AWSApplicationLoadBalancerConfig: makes one ALB listener rule match the object, on its own.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, syncStatusFields } from '../schema.js';
import { ListenerSchema } from './listener.js';

/** Resource type of AWSApplicationLoadBalancerConfig. */
export const AWSApplicationLoadBalancerConfigType = okraType('AWSApplicationLoadBalancerConfig');

/** Spec of an AWSApplicationLoadBalancerConfig. */
export const AWSApplicationLoadBalancerConfigSpecSchema = z.object({
  listenerARN: z.string().describe('ARN of the ALB listener.'),
  listener: ListenerSchema.optional().describe('The rule to create or keep in sync on the listener.'),
});

/** AWSApplicationLoadBalancerConfig spec. */
export type AWSApplicationLoadBalancerConfigSpec = z.infer<typeof AWSApplicationLoadBalancerConfigSpecSchema>;

/** Status of an AWSApplicationLoadBalancerConfig. */
export const AWSApplicationLoadBalancerConfigStatusSchema = z.object({
  ...syncStatusFields,
  ruleARN: z.string().optional().describe('ARN of the listener rule this object manages.'),
});

/** An AWSApplicationLoadBalancerConfig object. */
export const AWSApplicationLoadBalancerConfigSchema = kubeObject(
  AWSApplicationLoadBalancerConfigSpecSchema,
  AWSApplicationLoadBalancerConfigStatusSchema,
);

/** An AWSApplicationLoadBalancerConfig. */
export type AWSApplicationLoadBalancerConfig = z.infer<typeof AWSApplicationLoadBalancerConfigSchema>;
