// Finding the listener rule an object owns, shared by the Cell and the ALB config controllers: by the
// ARN recorded in status (one DescribeRules call), else by priority, where the ownership tag decides
// whether the rule is ours; right before creating one, by our tag anywhere on the listener. A rule
// without our tag is never modified unless the object explicitly adopts it.
import { ruleOfListener, type ListenerRulesPort, type ListenerRuleState } from '../aws/elbv2.js';

export { ruleOfListener } from '../aws/elbv2.js';
import { OWNER_TAG } from './listener.js';

/** The rule found for an object. */
export type RuleLookup =
  | { readonly kind: 'absent' }
  | {
      readonly kind: 'owned';
      readonly rule: ListenerRuleState;
      /** Adopted without our tag yet: `claimAdoptedRule` tags it, so it is found by tag if the status is lost. */
      readonly untagged?: true;
    }
  | { readonly kind: 'foreign'; readonly arn: string; readonly owner?: string | undefined };

/** Where to look and who we are. */
export interface RuleQuery {
  readonly listenerArn: string;
  readonly priority: number;
  /** The rule ARN recorded in the object's status, if any. */
  readonly knownArn?: string | undefined;
  /** Our ownership tag value. */
  readonly owner: string;
  /** Take over an untagged rule at the priority (migration from the original okra). */
  readonly adopt?: boolean | undefined;
  /** Describe the rule now even if a cached read is recent (read-back after a write). */
  readonly fresh?: boolean | undefined;
}


/** Finds the rule an object owns. */
export async function findOwnedRule(rules: ListenerRulesPort, query: RuleQuery): Promise<RuleLookup> {
  if (query.knownArn && ruleOfListener(query.knownArn, query.listenerArn)) {
    const rule = await rules.getRule(query.knownArn, { fresh: query.fresh === true });
    if (rule) return { kind: 'owned', rule };
  }
  const found = await rules.findRuleByPriority(query.listenerArn, query.priority);
  if (!found) return { kind: 'absent' };
  const owner = (await rules.ruleTags(found.arn))[OWNER_TAG];
  if (owner === query.owner) return { kind: 'owned', rule: found };
  if (owner === undefined && query.adopt === true) return { kind: 'owned', rule: found, untagged: true };
  return { kind: 'foreign', arn: found.arn, owner };
}

/**
 * Tags a rule adopted from the original okra as ours before anything is written to it: untagged, it could
 * not be found again by tag (a lost status with a changed priority would create a second rule beside it,
 * the old one still forwarding), and removing the adopt annotation would make it foreign to its owner.
 */
export async function claimAdoptedRule(rules: ListenerRulesPort, lookup: RuleLookup, owner: string): Promise<void> {
  if (lookup.kind === 'owned' && lookup.untagged) await rules.tagRule(lookup.rule.arn, { [OWNER_TAG]: owner });
}

/**
 * A rule we tagged anywhere on the listener, asked only right before creating one (it reads every rule's
 * tags): with the status lost (restored from a backup, or the object deleted and created again) while the
 * priority changed, or on a listener used before, our rule may sit at another priority. It is ours to
 * move; creating a second one beside it would leave it forwarding, ahead of ours when its priority is lower.
 */
export async function findTaggedRule(rules: ListenerRulesPort, query: Pick<RuleQuery, 'listenerArn' | 'owner'>): Promise<ListenerRuleState | undefined> {
  return rules.findRuleByTag(query.listenerArn, OWNER_TAG, query.owner);
}

/** A rule other than ours sitting at the priority our rule must move to, with its owner tag if any. */
export interface PriorityHolder {
  readonly arn: string;
  readonly owner?: string | undefined;
}

/**
 * The rule holding `priority` when our rule (in `lookup`) sits elsewhere and must move there; read only
 * then, since it scans the listener. ALB would refuse the move (PriorityInUse), so the controllers say so
 * before any write instead of retrying one that must fail.
 */
export async function findPriorityHolder(rules: ListenerRulesPort, listenerArn: string, lookup: RuleLookup, priority: number): Promise<PriorityHolder | undefined> {
  if (lookup.kind !== 'owned' || typeof lookup.rule.priority !== 'number' || lookup.rule.priority === priority) return undefined;
  const found = await rules.findRuleByPriority(listenerArn, priority);
  if (!found || found.arn === lookup.rule.arn) return undefined;
  return { arn: found.arn, owner: (await rules.ruleTags(found.arn))[OWNER_TAG] };
}
