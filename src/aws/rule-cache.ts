// A read cache in front of the listener-rule port. A Cell pass needs the rule's weights, but most passes
// (a pause starting, a gate changing phase) follow shortly after a read and cannot have changed it except
// by a hand edit, which the periodic resync exists to catch. So a read is answered from the last describe
// while it is younger than `maxAgeMs`, and always goes to AWS when the caller needs read-back after a
// write (any write through this port also forgets the entry). This keeps ELBv2 reads to at most one per
// weight change plus one per Cell per resync.
//
// Reads that miss the cache in the same turn of the event loop (a resync slice, read-backs falling due
// together) go out as one DescribeRules call with up to MAX_RULES_PER_DESCRIBE ARNs when the inner port
// can batch: ELBv2 throttles Describe calls per account, and each SDK call costs CPU and garbage.
import type { ForwardWeight, ListenerRulesPort, ListenerRuleState, RuleBatchReader, RuleCondition } from './elbv2.js';

/** ARNs per batched DescribeRules call. */
export const MAX_RULES_PER_DESCRIBE = 20;

type Waiter = { resolve: (rule: ListenerRuleState | undefined) => void; reject: (err: unknown) => void };

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
  /** ARNs to describe in the next batch, with everyone waiting for each. */
  private pending = new Map<string, Waiter[]>();

  constructor(
    private readonly inner: ListenerRulesPort & Partial<RuleBatchReader>,
    private readonly options: RuleCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The rule, from the cache when fresh enough; `fresh` forces a describe (read-back after a write). */
  async getRule(ruleArn: string, opts: { fresh?: boolean } = {}): Promise<ListenerRuleState | undefined> {
    const cached = this.entries.get(ruleArn);
    if (!opts.fresh && cached && this.now() - cached.at < this.options.maxAgeMs) return cached.rule;
    const rule = await this.describe(ruleArn);
    if (rule) this.entries.set(ruleArn, { rule, at: this.now() });
    else this.entries.delete(ruleArn);
    return rule;
  }

  private describe(ruleArn: string): Promise<ListenerRuleState | undefined> {
    const reader = this.inner.getRules ? (this.inner as RuleBatchReader) : undefined;
    if (!reader) return this.inner.getRule(ruleArn);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) setImmediate(() => { this.flush(reader); });
      const waiters = this.pending.get(ruleArn) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(ruleArn, waiters);
    });
  }

  private flush(reader: RuleBatchReader): void {
    const batch = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < batch.length; i += MAX_RULES_PER_DESCRIBE) void describeChunk(reader, batch.slice(i, i + MAX_RULES_PER_DESCRIBE));
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

/** One DescribeRules call for a chunk of waiting ARNs; its answer or its error goes to every waiter. */
async function describeChunk(reader: RuleBatchReader, chunk: readonly (readonly [string, Waiter[]])[]): Promise<void> {
  try {
    const rules = await reader.getRules(chunk.map(([arn]) => arn));
    for (const [arn, waiters] of chunk) for (const w of waiters) w.resolve(rules.get(arn));
  } catch (err) {
    for (const [, waiters] of chunk) for (const w of waiters) w.reject(err);
  }
}
