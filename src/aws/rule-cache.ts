// A read cache in front of the listener-rule port. A Cell pass needs the rule's weights, but most passes
// (a pause starting, a gate changing phase) follow shortly after a read and cannot have changed it except
// by a hand edit, which the periodic resync exists to catch. So a read is answered from the last describe
// while it is younger than `maxAgeMs`, and always goes to AWS when the caller needs read-back after a
// write (any write through this port also forgets the entry). This keeps the cache's ELBv2 reads to at
// most one per weight change plus one per Cell per resync (a weight write itself also describes the rule,
// for the actions it must keep).
//
// Reads that miss the cache (a resync slice, read-backs falling due together) are batched below it, by
// the SDK adapter.
//
// A read may be answered after a write that started later (a listener-wide findRuleByPriority in flight
// while the owner writes and reads back). Its answer predates the write, so it must not replace what the
// read-back stored: every write stamps the rule before and after it, and an answer is stored only when
// no stamp of its rule is newer than the start of its read.
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
  /** Write stamps so far; a read remembers the count it started at. */
  private stamps = 0;
  /** The last stamp of each rule written through this port. */
  private readonly stampOf = new Map<string, number>();

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
    const started = this.stamps;
    const rule = await this.inner.getRule(ruleArn);
    if (rule) this.store(rule, started);
    else this.entries.delete(ruleArn);
    return rule;
  }

  /** Caches a rule read that started at stamp count `started`, unless its rule was written since. */
  private store(rule: ListenerRuleState, started: number): void {
    if ((this.stampOf.get(rule.arn) ?? 0) > started) return;
    this.entries.set(rule.arn, { rule, at: this.now() });
  }

  /** Forgets a rule and stamps it, so reads in flight now are not stored. */
  private invalidate(ruleArn: string): void {
    this.entries.delete(ruleArn);
    this.stampOf.set(ruleArn, ++this.stamps);
  }

  /**
   * Runs a write to a rule, stamping it before (reads started earlier) and after (reads that started
   * during the write may describe the rule as it was before it).
   */
  private async write(ruleArn: string, op: () => Promise<void>): Promise<void> {
    this.invalidate(ruleArn);
    try {
      await op();
    } finally {
      this.invalidate(ruleArn);
    }
  }

  async findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined> {
    const started = this.stamps;
    const rule = await this.inner.findRuleByPriority(listenerArn, priority);
    if (rule) this.store(rule, started);
    return rule;
  }

  ruleTags(ruleArn: string): Promise<Record<string, string>> {
    return this.inner.ruleTags(ruleArn);
  }

  async findRuleByTag(listenerArn: string, key: string, value: string): Promise<ListenerRuleState | undefined> {
    const started = this.stamps;
    const rule = await this.inner.findRuleByTag(listenerArn, key, value);
    if (rule) this.store(rule, started);
    return rule;
  }

  async createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string> {
    return this.inner.createRule(input);
  }

  async modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void> {
    await this.write(ruleArn, () => this.inner.modifyRule(ruleArn, input));
  }

  async setPriority(ruleArn: string, priority: number): Promise<void> {
    await this.write(ruleArn, () => this.inner.setPriority(ruleArn, priority));
  }

  async deleteRule(ruleArn: string): Promise<void> {
    await this.write(ruleArn, () => this.inner.deleteRule(ruleArn));
  }

  /** Tags are not cached here: nothing to drop. */
  tagRule(ruleArn: string, tags: Record<string, string>): Promise<void> {
    return this.inner.tagRule(ruleArn, tags);
  }
}
