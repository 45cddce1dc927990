// ALB listener rules behind a narrow port: read a rule's conditions and forward weights, create a tagged
// rule, modify its weights (and conditions), delete it. The SDK adapter always sends and reads the
// ForwardConfig form of the forward action, so comparisons do not depend on how AWS (or moto) echoes it.
// A weight write replaces only the forward action: ModifyRule replaces the whole action list, and a rule
// okra adopted or someone edited may authenticate (authenticate-oidc/-cognito) before it forwards.
import {
  AddTagsCommand,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  RuleNotFoundException,
  SetRulePrioritiesCommand,
  type Action,
  type DescribeRulesCommandOutput,
  type Rule,
  type RuleCondition,
  type TagDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { KeyBatcher } from './batcher.js';
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
   * The rule with this ARN, or undefined when it no longer exists. A DescribeRules call (which may carry
   * other rules too); a caching implementation may answer from a recent describe unless `fresh` is set.
   */
  getRule(ruleArn: string, opts?: { fresh?: boolean }): Promise<ListenerRuleState | undefined>;
  /** The rule at a priority on a listener (all pages), or undefined. */
  findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined>;
  /** Tags of a rule (to decide ownership). */
  ruleTags(ruleArn: string): Promise<Record<string, string>>;
  /** The rule on a listener (all pages) carrying a tag with this value, the first by priority, or undefined. */
  findRuleByTag(listenerArn: string, key: string, value: string): Promise<ListenerRuleState | undefined>;
  /** Creates a rule with a weighted forward action and tags; returns its ARN. */
  createRule(input: { listenerArn: string; priority: number; conditions: readonly RuleCondition[]; weights: readonly ForwardWeight[]; tags: Record<string, string> }): Promise<string>;
  /**
   * Replaces the rule's forward action (and its conditions when given), keeping its other actions as
   * they are. One ModifyRule call, after a DescribeRules call for those actions.
   */
  modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void>;
  /** Moves a rule to another priority. */
  setPriority(ruleArn: string, priority: number): Promise<void>;
  /** Adds tags to a rule (an adopted rule gets our ownership tag), keeping its others. */
  tagRule(ruleArn: string, tags: Record<string, string>): Promise<void>;
  /** Deletes a rule (already gone counts as success). */
  deleteRule(ruleArn: string): Promise<void>;
}

/** A rule ARN belongs to a listener when it carries the listener's id path. */
export function ruleOfListener(ruleArn: string, listenerArn: string): boolean {
  return ruleArn.startsWith(`${listenerArn.replace(':listener/', ':listener-rule/')}/`);
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

/** Action types that end a rule's evaluation: a rule has exactly one, last, and okra's is the forward. */
const TERMINAL_ACTIONS: ReadonlySet<string> = new Set(['forward', 'redirect', 'fixed-response']);

function isTerminal(action: Action): boolean {
  return TERMINAL_ACTIONS.has(action.Type ?? '');
}

/**
 * The action list a weight write sends, given the rule's actions as described: every action before the
 * terminal one (authentication) is kept as it is, in its Order, and the terminal action becomes okra's
 * forward at the terminal action's Order. Stickiness stays off, as okra has always written it.
 */
export function actionsWithForward(current: readonly Action[], weights: readonly ForwardWeight[]): Action[] {
  const kept = current.filter((a) => !isTerminal(a)).map(resendable);
  const order = current.find(isTerminal)?.Order ?? nextOrder(kept);
  const forward = forwardAction(weights);
  return [...kept, order === undefined ? forward : { ...forward, Order: order }];
}

/**
 * An action as described, made fit to send back: AWS never describes an OIDC client secret, and a modify
 * may leave the secret out only when it says to keep the existing one.
 */
function resendable(action: Action): Action {
  const oidc = action.AuthenticateOidcConfig;
  if (!oidc) return action;
  const { ClientSecret: _omitted, ...config } = oidc;
  return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
}

/** An Order after every kept action, when a rule described without Orders must now hold several. */
function nextOrder(kept: readonly Action[]): number | undefined {
  return kept.length === 0 ? undefined : Math.max(...kept.map((a) => a.Order ?? 0)) + 1;
}

function toState(rule: Rule): ListenerRuleState {
  const priority = rule.IsDefault === true || rule.Priority === 'default' ? 'default' : Number(rule.Priority);
  return { arn: rule.RuleArn ?? '', priority, conditions: rule.Conditions ?? [], weights: forwardWeights(rule.Actions) };
}

/** One page of a DescribeRules call by rule ARNs. */
export type DescribeRulesPage = (ruleArns: readonly string[], marker: string | undefined) => Promise<Pick<DescribeRulesCommandOutput, 'Rules' | 'NextMarker'>>;

/**
 * Several rules through one DescribeRules call, every page of it. An ARN missing from the answer is
 * described on its own before it counts as gone. AWS refuses the whole call for one bad ARN (RuleNotFound
 * for a deleted rule, ValidationError for a malformed one); then each ARN is described on its own, so
 * only the bad one fails or is gone. Rejects only when the call failed for all of them (throttling).
 */
export async function readRuleBatch(
  page: DescribeRulesPage,
  single: (ruleArn: string) => Promise<Rule | undefined>,
  ruleArns: readonly string[],
): Promise<Map<string, PromiseSettledResult<Rule | undefined>>> {
  const found = await batchAnswer(page, ruleArns);
  const settle = async (arn: string): Promise<PromiseSettledResult<Rule | undefined>> => {
    const rule = found.get(arn);
    if (rule) return { status: 'fulfilled', value: rule };
    return single(arn).then((value) => ({ status: 'fulfilled', value }) as const, (reason: unknown) => ({ status: 'rejected', reason }) as const);
  };
  return new Map(await Promise.all(ruleArns.map(async (arn) => [arn, await settle(arn)] as const)));
}

/** The rules the batch call found; none when AWS refused it or there is one ARN (`single` reads that in one call). */
async function batchAnswer(page: DescribeRulesPage, ruleArns: readonly string[]): Promise<Map<string, Rule>> {
  if (ruleArns.length <= 1) return new Map();
  try {
    return await allPages(page, ruleArns);
  } catch (err) {
    if (!refusesBatch(err)) throw err;
    return new Map();
  }
}

async function allPages(page: DescribeRulesPage, ruleArns: readonly string[]): Promise<Map<string, Rule>> {
  const found = new Map<string, Rule>();
  let marker: string | undefined;
  do {
    const answer = await page(ruleArns, marker);
    for (const rule of answer.Rules ?? []) found.set(rule.RuleArn ?? '', rule);
    marker = answer.NextMarker;
  } while (marker);
  return found;
}

/** Errors by which AWS refuses a whole DescribeRules call because of some of its ARNs. */
function refusesBatch(err: unknown): boolean {
  return err instanceof RuleNotFoundException || (err instanceof Error && err.name === 'ValidationError');
}

/** Rule ARNs per batched DescribeRules call. */
const MAX_RULES_PER_DESCRIBE = 20;

/** One DescribeTags call. */
export type DescribeTagsCall = (ruleArns: readonly string[]) => Promise<readonly TagDescription[]>;

/**
 * Tags of several rules in one DescribeTags call. AWS refuses the whole call when one of them was deleted
 * meanwhile (another object's rule, say); then each is asked on its own and a gone one is left out, so
 * that deletion is never taken for a statement about the rule looked for.
 */
export async function readTagsBatch(describe: DescribeTagsCall, ruleArns: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const read = async (arns: readonly string[]) => (await describe(arns)).map((d) => [d.ResourceArn ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))] as const);
  try {
    return new Map(await read(ruleArns));
  } catch (err) {
    if (!(err instanceof RuleNotFoundException)) throw err;
    const each = await Promise.all(
      ruleArns.map((arn) =>
        read([arn]).catch((e: unknown) => {
          if (e instanceof RuleNotFoundException) return [];
          throw e;
        }),
      ),
    );
    return new Map(each.flat());
  }
}

/** Resource ARNs ELBv2 accepts in one DescribeTags call. */
const MAX_ARNS_PER_DESCRIBE_TAGS = 20;

/** Batched DescribeRules calls running at once (plus one for the describes before writes); more reads wait and join the next call. */
const MAX_DESCRIBES_IN_FLIGHT = 2;

/** Options of the SDK adapter. */
export interface SdkListenerRulesOptions {
  /** Rules per DescribeRules page (AWS allows 1–400); small only to exercise paging in tests. */
  readonly pageSize?: number;
}

/**
 * ListenerRulesPort over the AWS SDK. Rule reads that fall due together (getRule, and the describe before
 * each weight write) go out as one DescribeRules call (see KeyBatcher): ELBv2 throttles Describe calls
 * per account, and when many Cells move at once, fewer calls is what keeps each of them fast.
 */
export class SdkListenerRules implements ListenerRulesPort {
  private readonly client: ElasticLoadBalancingV2Client;
  private readonly pageSize: number;
  private readonly reads: KeyBatcher<Rule | undefined>;
  /**
   * Tags findRuleByTag has read, by rule ARN. Only to skip rules already seen tagged for someone else: a
   * rule retagged by hand since is missed (a second rule is made, as before the search existed), and a
   * match is always read again.
   */
  private readonly knownTags = new Map<string, Record<string, string>>();

  constructor(settings: AwsSettings, observer?: AwsCallObserver, options: SdkListenerRulesOptions = {}) {
    this.client = instrument(new ElasticLoadBalancingV2Client(sdkConfig(settings)), 'elbv2', observer);
    this.pageSize = options.pageSize ?? 400;
    this.reads = new KeyBatcher((arns) => this.describeRules(arns), { maxKeysPerCall: MAX_RULES_PER_DESCRIBE, maxCallsInFlight: MAX_DESCRIBES_IN_FLIGHT });
  }

  /** The rule as AWS describes it now (a describe that starts after this call), or undefined when it is gone. */
  async getRule(ruleArn: string): Promise<ListenerRuleState | undefined> {
    const rule = await this.reads.load(ruleArn);
    return rule ? toState(rule) : undefined;
  }

  /** Several rules in one DescribeRules call (see readRuleBatch for what happens when AWS refuses it). */
  private describeRules(ruleArns: readonly string[]): Promise<Map<string, PromiseSettledResult<Rule | undefined>>> {
    const page: DescribeRulesPage = (arns, marker) =>
      this.client.send(new DescribeRulesCommand({ RuleArns: [...arns], PageSize: this.pageSize, ...(marker ? { Marker: marker } : {}) }));
    return readRuleBatch(page, (arn) => this.describeRule(arn), ruleArns);
  }

  /** One rule in a DescribeRules call of its own, or undefined when it no longer exists. */
  private async describeRule(ruleArn: string): Promise<Rule | undefined> {
    try {
      const { Rules } = await this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
      return Rules?.[0];
    } catch (err) {
      if (err instanceof RuleNotFoundException) return undefined;
      throw err;
    }
  }

  async findRuleByPriority(listenerArn: string, priority: number): Promise<ListenerRuleState | undefined> {
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: this.pageSize, ...(marker ? { Marker: marker } : {}) }));
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

  /**
   * Tags already read are remembered per rule (see knownTags), so searches one after another (a fresh
   * install creating many Cells' rules on one listener) read only the tags of rules they have not seen.
   * The rule found is confirmed with a fresh read of its tags before it is returned.
   */
  async findRuleByTag(listenerArn: string, key: string, value: string): Promise<ListenerRuleState | undefined> {
    const rules = (await this.listenerRules(listenerArn)).map(toState).filter((r): r is ListenerRuleState & { priority: number } => r.priority !== 'default');
    rules.sort((a, b) => a.priority - b.priority);
    this.forgetTagsOfGoneRules(listenerArn, new Set(rules.map((r) => r.arn)));
    const unread = rules.filter((r) => !this.knownTags.has(r.arn)).map((r) => r.arn);
    for (let i = 0; i < unread.length; i += MAX_ARNS_PER_DESCRIBE_TAGS) {
      for (const [arn, tags] of await this.tagsOf(unread.slice(i, i + MAX_ARNS_PER_DESCRIBE_TAGS))) this.knownTags.set(arn, tags);
    }
    const match = rules.find((r) => this.knownTags.get(r.arn)?.[key] === value);
    if (!match) return undefined;
    const now = await this.ruleTags(match.arn);
    this.knownTags.set(match.arn, now);
    return now[key] === value ? match : undefined;
  }

  /** Drops remembered tags of this listener's rules that its latest scan no longer shows. */
  private forgetTagsOfGoneRules(listenerArn: string, present: ReadonlySet<string>): void {
    for (const arn of this.knownTags.keys()) if (ruleOfListener(arn, listenerArn) && !present.has(arn)) this.knownTags.delete(arn);
  }

  /** Tags of several rules (see readTagsBatch). */
  private tagsOf(ruleArns: readonly string[]): Promise<Map<string, Record<string, string>>> {
    return readTagsBatch(async (arns) => (await this.client.send(new DescribeTagsCommand({ ResourceArns: [...arns] }))).TagDescriptions ?? [], ruleArns);
  }

  /** Every rule of a listener, all pages. */
  private async listenerRules(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: this.pageSize, ...(marker ? { Marker: marker } : {}) }));
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
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
    this.knownTags.set(arn, { ...input.tags });
    return arn;
  }

  async modifyRule(ruleArn: string, input: { weights: readonly ForwardWeight[]; conditions?: readonly RuleCondition[] | undefined }): Promise<void> {
    // Described right before the write (never from a cache), so an action added by hand since our last
    // read is kept too. Urgent: it goes first, and slow reads never hold it up (an abort's included).
    const current = await this.reads.load(ruleArn, { urgent: true });
    if (!current) throw new RuleNotFoundException({ message: `listener rule ${ruleArn} not found`, $metadata: {} });
    await this.client.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: actionsWithForward(current.Actions ?? [], input.weights),
        ...(input.conditions ? { Conditions: [...input.conditions] } : {}),
      }),
    );
  }

  async setPriority(ruleArn: string, priority: number): Promise<void> {
    await this.client.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: priority }] }));
  }

  async tagRule(ruleArn: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(new AddTagsCommand({ ResourceArns: [ruleArn], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    // A later tag search must see the new owner without a restart.
    this.knownTags.delete(ruleArn);
  }

  async deleteRule(ruleArn: string): Promise<void> {
    try {
      await this.client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    } catch (err) {
      if (!(err instanceof RuleNotFoundException)) throw err;
    }
  }
}
