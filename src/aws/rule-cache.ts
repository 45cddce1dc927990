// A read cache in front of the listener-rule port. A Cell pass needs the rule's weights, but most passes
// (a pause starting, a gate changing phase) follow shortly after a read and cannot have changed it except
// by a hand edit, which the periodic resync exists to catch. So a read is answered from the last describe
// while it is younger than `maxAgeMs`, and always goes to AWS when the caller needs read-back after a
// write (any write through this port also forgets the entry). This keeps ELBv2 reads to about one per
// weight change plus one per Cell per resync.
import type { ForwardWeight, ListenerRulesPort, ListenerRuleState, RuleCondition } from './elbv2.js';

/** Options of the cache. */
export interface RuleCacheOptions {
  /** Answer from the cache while the last describe is younger than this. */
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

/** A ListenerRulesPort that caches getRule. */
export class CachingListenerRules implements ListenerRulesPort {
  private readonly entries = new Map<string, { rule: ListenerRuleState; at: number }>();
  private readonly now: () => number;

  constructor(
    private readonly inner: ListenerRulesPort,
    private readonly options: RuleCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The rule, from the cache when fresh enough; `fresh` forces a describe (read-back after a write). */
  async getRule(ruleArn: string, opts: { fresh?: boolean } = {}): Promise<ListenerRuleState | undefined> {
    const cached = this.entries.get(ruleArn);
    if (!opts.fresh && cached && this.now() - cached.at < this.options.maxAgeMs) return cached.rule;
    const rule = await this.inner.getRule(ruleArn);
    if (rule) this.entries.set(ruleArn, { rule, at: this.now() });
    else this.entries.delete(ruleArn);
    return rule;
  }

  async findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined> {
    const rule = await this.inner.findRuleByPriority(listenerArn, priority);
    if (rule) this.entries.set(rule.arn, { rule, at: this.now() });
    return rule;
  }

  ruleTags(ruleArn: string): Promise<Record<string, string>> {
    return this.inner.ruleTags(ruleArn);
  }

  async createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string> {
    return this.inner.createRule(input);
  }

  async modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void> {
    this.entries.delete(ruleArn);
    await this.inner.modifyRule(ruleArn, input);
  }

  async setPriority(ruleArn: string, priority: number): Promise<void> {
    this.entries.delete(ruleArn);
    await this.inner.setPriority(ruleArn, priority);
  }

  async deleteRule(ruleArn: string): Promise<void> {
    this.entries.delete(ruleArn);
    await this.inner.deleteRule(ruleArn);
  }
}
