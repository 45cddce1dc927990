// ALB listener rules behind a narrow port: read a rule's conditions and forward weights, create a tagged
// rule, modify its weights (and conditions), delete it. The SDK adapter always sends and reads the
// ForwardConfig form of the forward action, so comparisons do not depend on how AWS (or moto) echoes it.
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  RuleNotFoundException,
  SetRulePrioritiesCommand,
  type Action,
  type Rule,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { sdkConfig, type AwsSettings } from './config.js';
import { instrument, type AwsCallObserver } from './instrument.js';

export type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

/** One target group in a forward action. */
export interface ForwardWeight {
  readonly arn: string;
  readonly weight: number;
}

/** A listener rule as okra sees it. */
export interface ListenerRuleState {
  readonly arn: string;
  /** The numeric priority, or 'default' for the listener's default rule. */
  readonly priority: number | 'default';
  readonly conditions: readonly RuleCondition[];
  /** Forward weights; empty when the rule does not forward. */
  readonly weights: readonly ForwardWeight[];
}

/** Listener-rule operations the Cell and the ALB config controllers need. */
export interface ListenerRulesPort {
  /**
   * The rule with this ARN, or undefined when it no longer exists. One DescribeRules call; a caching
   * implementation may answer from a recent describe unless `fresh` is set.
   */
  getRule(ruleArn: string, opts?: { fresh?: boolean }): Promise<ListenerRuleState | undefined>;
  /** The rule at a priority on a listener (all pages), or undefined. */
  findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined>;
  /** Tags of a rule (to decide ownership). */
  ruleTags(ruleArn: string): Promise<Record<string, string>>;
  /** Creates a rule with a weighted forward action and tags; returns its ARN. */
  createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string>;
  /** Replaces the rule's forward action (and its conditions when given). One ModifyRule call. */
  modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void>;
  /** Moves a rule to another priority. */
  setPriority(ruleArn: string, priority: number): Promise<void>;
  /** Deletes a rule (already gone counts as success). */
  deleteRule(ruleArn: string): Promise<void>;
}

/** The forward action okra writes: ForwardConfig with weights, stickiness off. */
export function forwardAction(weights: readonly ForwardWeight[]): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: weights.map((w) => ({ TargetGroupArn: w.arn, Weight: w.weight })),
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
}

/** Reads the forward weights of a rule, whichever form AWS returned the action in. */
export function forwardWeights(actions: readonly Action[] | undefined): ForwardWeight[] {
  const forward = (actions ?? []).find((a) => a.Type === 'forward');
  if (!forward) return [];
  const groups = forward.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) return groups.map((g) => ({ arn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }));
  return forward.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 100 }] : [];
}

function toState(rule: Rule): ListenerRuleState {
  const priority = rule.IsDefault === true || rule.Priority === 'default' ? 'default' : Number(rule.Priority);
  return { arn: rule.RuleArn ?? '', priority, conditions: rule.Conditions ?? [], weights: forwardWeights(rule.Actions) };
}

/** Reads many rules at once (one DescribeRules call), for batching readers. */
export interface RuleBatchReader {
  /** Each ARN mapped to its rule, or to undefined when the rule no longer exists. */
  getRules(ruleArns: readonly string[]): Promise<ReadonlyMap<string, ListenerRuleState | undefined>>;
}

/** ListenerRulesPort over the AWS SDK. */
export class SdkListenerRules implements ListenerRulesPort, RuleBatchReader {
  private readonly client: ElasticLoadBalancingV2Client;

  constructor(settings: AwsSettings, observer?: AwsCallObserver) {
    this.client = instrument(new ElasticLoadBalancingV2Client(sdkConfig(settings)), 'elbv2', observer);
  }

  async getRule(ruleArn: string): Promise<ListenerRuleState | undefined> {
    try {
      const { Rules } = await this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
      const rule = Rules?.[0];
      return rule ? toState(rule) : undefined;
    } catch (err) {
      if (err instanceof RuleNotFoundException) return undefined;
      throw err;
    }
  }

  /**
   * Several rules in one DescribeRules call; a rule that no longer exists maps to undefined. AWS fails
   * the whole call when one ARN is unknown, so that case falls back to one call per rule.
   */
  async getRules(ruleArns: readonly string[]): Promise<ReadonlyMap<string, ListenerRuleState | undefined>> {
    if (ruleArns.length === 1) return new Map([[ruleArns[0] ?? '', await this.getRule(ruleArns[0] ?? '')]]);
    try {
      const { Rules } = await this.client.send(new DescribeRulesCommand({ RuleArns: [...ruleArns] }));
      const found = new Map((Rules ?? []).map((r) => [r.RuleArn ?? '', toState(r)]));
      return new Map(ruleArns.map((arn) => [arn, found.get(arn)]));
    } catch (err) {
      if (!(err instanceof RuleNotFoundException)) throw err;
      return new Map(await Promise.all(ruleArns.map(async (arn) => [arn, await this.getRule(arn)] as const)));
    }
  }

  async findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined> {
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 400, ...(marker ? { Marker: marker } : {}) }));
      // Look rules up by priority, never by position: moto returns them in insertion order.
      const rule = page.Rules?.find((r) => r.Priority === String(priority));
      if (rule) return toState(rule);
      marker = page.NextMarker;
    } while (marker);
    return undefined;
  }

  async ruleTags(ruleArn: string): Promise<Record<string, string>> {
    const { TagDescriptions } = await this.client.send(new DescribeTagsCommand({ ResourceArns: [ruleArn] }));
    return Object.fromEntries((TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  async createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string> {
    const { Rules } = await this.client.send(
      new CreateRuleCommand({
        ListenerArn: input.listenerArn,
        Priority: input.priority,
        Conditions: [...input.conditions],
        Actions: [forwardAction(input.weights)],
        Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const arn = Rules?.[0]?.RuleArn;
    if (!arn) throw new Error('CreateRule returned no rule');
    return arn;
  }

  async modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void> {
    await this.client.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: [forwardAction(input.weights)],
        ...(input.conditions ? { Conditions: [...input.conditions] } : {}),
      }),
    );
  }

  async setPriority(ruleArn: string, priority: number): Promise<void> {
    await this.client.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: priority }] }));
  }

  async deleteRule(ruleArn: string): Promise<void> {
    try {
      await this.client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    } catch (err) {
      if (!(err instanceof RuleNotFoundException)) throw err;
    }
  }
}
