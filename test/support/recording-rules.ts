// The real ELBv2 adapter, with every call counted and every weight write recorded, so tests can assert
// the sequence of weights okra sent and the number of AWS calls it needed.
import type { ForwardWeight, ListenerRulesPort, ListenerRuleState, RuleCondition } from '../../src/aws/elbv2.js';

/** A ListenerRulesPort that records what passes through it. */
export class RecordingRules implements ListenerRulesPort {
  /** Weights of each create/modify, in order, as `arn → weight`. */
  readonly writes: Record<string, number>[] = [];
  reads = 0;
  writeCount = 0;
  /** ModifyRule calls to fail, as AWS would fail them (throttling, an outage): the first whose weights match fails once. */
  readonly failModify: { when: (weights: readonly ForwardWeight[]) => boolean; error: Error }[] = [];

  /** While set, every rule read (getRule, findRuleByPriority, findRuleByTag) throws it, as AWS in an outage would. */
  failReads: Error | undefined;

  constructor(private readonly inner: ListenerRulesPort) {}

  async getRule(ruleArn: string, opts?: { fresh?: boolean }): Promise<ListenerRuleState | undefined> {
    this.read();
    return this.inner.getRule(ruleArn, opts);
  }

  async findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined> {
    this.read();
    return this.inner.findRuleByPriority(listenerArn, priority);
  }

  async findRuleByTag(listenerArn: string, key: string, value: string): Promise<ListenerRuleState | undefined> {
    this.read();
    return this.inner.findRuleByTag(listenerArn, key, value);
  }

  private read(): void {
    this.reads++;
    if (this.failReads) throw this.failReads;
  }

  async ruleTags(ruleArn: string): Promise<Record<string, string>> {
    this.reads++;
    return this.inner.ruleTags(ruleArn);
  }

  async createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string> {
    this.record(input.weights);
    return this.inner.createRule(input);
  }

  async modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void> {
    const i = this.failModify.findIndex((f) => f.when(input.weights));
    const failure = i >= 0 ? this.failModify.splice(i, 1)[0] : undefined;
    if (failure) throw failure.error;
    this.record(input.weights);
    return this.inner.modifyRule(ruleArn, input);
  }

  async setPriority(ruleArn: string, priority: number): Promise<void> {
    this.writeCount++;
    return this.inner.setPriority(ruleArn, priority);
  }

  async deleteRule(ruleArn: string): Promise<void> {
    this.writeCount++;
    return this.inner.deleteRule(ruleArn);
  }

  async tagRule(ruleArn: string, tags: Record<string, string>): Promise<void> {
    this.writeCount++;
    return this.inner.tagRule(ruleArn, tags);
  }

  private record(weights: readonly ForwardWeight[]): void {
    this.writeCount++;
    this.writes.push(Object.fromEntries(weights.map((w) => [w.arn, w.weight])));
  }
}
