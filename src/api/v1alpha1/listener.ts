// The ALB listener rule an okra Cell or AWSApplicationLoadBalancerConfig manages.
import { z } from 'zod';
import { int32 } from '../schema.js';

/** One target group in the rule's weighted forward action. */
export const ForwardTargetGroupSchema = z.object({
  name: z.string().describe('Name of the AWSTargetGroup this entry stands for; used to match entries to target groups.'),
  arn: z.string().describe('ARN of the AWS target group traffic is forwarded to.'),
  weight: int32('Relative weight of this target group in the forward action (0-999).').min(0).max(999),
});

/** A forward target group with its weight. */
export type ForwardTargetGroup = z.infer<typeof ForwardTargetGroupSchema>;

/** The listener rule: its identity (priority), its match conditions and its forward action. */
export const ListenerRuleSchema = z.object({
  priority: int32('Rule priority on the listener; also the rule identity. 0 or absent means 100.')
    .min(0)
    .max(50000)
    .optional(),
  hosts: z.array(z.string()).optional().describe('Host names matched by a host-header condition.'),
  pathPatterns: z.array(z.string()).optional().describe('Path patterns matched by a path-pattern condition.'),
  methods: z
    .array(z.string())
    .optional()
    .describe('HTTP request methods matched by an http-request-method condition (upper-cased when sent).'),
  sourceIPs: z.array(z.string()).optional().describe('Source CIDR blocks matched by a source-ip condition.'),
  headers: z
    .record(z.string(), z.array(z.string()))
    .optional()
    .describe('HTTP header name to accepted values; one http-header condition per header.'),
  queryStrings: z
    .record(z.string(), z.string())
    .optional()
    .describe('Query-string key to value; all pairs form one query-string condition.'),
  forward: z
    .object({
      targetGroups: z
        .array(ForwardTargetGroupSchema)
        .optional()
        .describe('Target groups and weights of the forward action. A Cell computes these itself.'),
    })
    .optional()
    .describe('The weighted forward action of the rule.'),
});

/** A listener rule definition. */
export type ListenerRule = z.infer<typeof ListenerRuleSchema>;

/** The rule priority okra uses when none is given. */
export const DEFAULT_RULE_PRIORITY = 100;

/** The listener and rule a Cell or ALB config manages. */
export const ListenerSchema = z.object({
  rule: ListenerRuleSchema.optional().describe('The listener rule okra owns on this listener.'),
});
