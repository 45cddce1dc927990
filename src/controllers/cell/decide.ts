// The Cell's rollout decision, pure: (cell, observed state, now) → next status, at most one action, and
// Events. Progress lives in the status (stable version, step index, step start, pending weights, abort),
// so a restarted controller continues exactly where it stopped.
//
// Rules (see docs and ../shared semantics):
// - the first version a Cell ever sees goes to 100 % at once;
// - a version above the stable one runs the canary steps; one below it is swapped in at once (rollback);
// - a step that changes weights advances only after the rule was read back with those weights;
// - a failed gate puts the stable version back to 100 % in one write and blocklists the version;
// - weights are split evenly per version, always sum to 100, and never point at a target group that is
//   gone; more than 5 target groups in one forward action is refused before any weight moves.
import semver from 'semver';
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import type { ForwardWeight } from '../../aws/elbv2.js';
import type { EventInput } from '../../runtime/events.js';
import { MAX_FORWARD_TARGET_GROUPS, ruleConditions, rulePriority, sameConditions, sameWeights } from '../listener.js';
import { dnsName } from '../names.js';
import { ruleOfListener, type PriorityHolder } from '../rule.js';
import { type CellAction, type Decision, type GateState, type Observed, attemptId, backgroundRunNamed, gateFor, gateKey, gateName, previousStatus, targetGroupsHash } from './model.js';
import { phaseContext, withPhase, type Phase, type PhaseInput } from './phase.js';
import { canaryWeightAt, gateKindOf, pauseDuration, stepKind, stepsHash, stepsOf, stepsProblem } from './steps.js';
import { blocked, compareVersions, splitWeights, versionsDescending, type VersionedTargetGroup, type WeightedTargetGroup } from './targets.js';

/** How long a written weight may take to show up in DescribeRules before it is written again. */
export const READ_BACK_GRACE_MS = 10_000;
/** How soon to look again while waiting for read-back. */
const READ_BACK_POLL_MS = 1_000;
/**
 * When to read a written rule back: not at once, and at low priority in the work queue, so a burst of
 * Cells (a new cluster's target groups for every Cell) gets all its first writes out before the checks.
 */
export const READ_BACK_DELAY_MS = 500;
/** Safety re-check while a gate runs (gates are also watched). */
const GATE_POLL_MS = 30_000;

/** The state of a pass, shared by the decision steps below. */
interface Ctx {
  readonly obs: Observed;
  readonly prev: CellStatus;
  readonly now: Date;
  readonly stable: string | undefined;
  readonly stableTGs: readonly VersionedTargetGroup[];
  readonly target: string | undefined;
  readonly targetTGs: readonly VersionedTargetGroup[];
  readonly live: NonNullable<Extract<Observed['rule'], { kind: 'owned' }>['rule']> | undefined;
}

/** Decides the next status and at most one action. */
export function decide(obs: Observed): Decision {
  const decision = route(obs);
  return { ...decision, status: withRuleArn(withCanaryWeight(decision.status), obs), events: [...decision.events, ...listenerChangedEvents(obs, decision)] };
}

/**
 * ruleArn: the rule found as ours, also when it was found by priority or by tag (adopted, or status lost),
 * so later passes read it by ARN instead of searching the listener again.
 */
function withRuleArn(status: CellStatus, obs: Observed): CellStatus {
  return obs.rule.kind === 'owned' && status.ruleArn !== obs.rule.rule.arn ? { ...status, ruleArn: obs.rule.rule.arn } : status;
}

/** canaryWeight: the share of the desired version in the last verified weights. */
function withCanaryWeight(status: CellStatus): CellStatus {
  if (!status.targetGroups || status.desiredVersion === undefined) return status;
  const weight = status.targetGroups.filter((t) => t.version === status.desiredVersion).reduce((n, t) => n + t.weight, 0);
  return { ...status, canaryWeight: weight };
}

function route(obs: Observed): Decision {
  const problem = validate(obs);
  if (problem) return invalid(obs, problem);
  if (obs.rule.kind === 'foreign') return conflict(obs, obs.rule.arn, obs.rule.owner);
  const ctx = context(obs);
  return withInferredStable(obs.cell.spec.paused ? paused(ctx) : unpaused(ctx), ctx);
}

/**
 * A stable version inferred from the live weights (an adopted rule, a lost status) is kept in status
 * from the first pass on: inferred again after a canary write, it would name the canary once it holds
 * most of the traffic, and the rollout would be promoted past its steps and gates.
 */
function withInferredStable(decision: Decision, ctx: Ctx): Decision {
  if (ctx.prev.stableVersion !== undefined || ctx.stable === undefined || decision.status.stableVersion !== undefined) return decision;
  return { ...decision, status: { ...decision.status, stableVersion: ctx.stable } };
}

function unpaused(ctx: Ctx): Decision {
  if (!ctx.live) return noRule(ctx);
  if (ctx.stable === undefined || ctx.target === undefined) return bootstrap(ctx);
  const aborting = ctx.prev.abort === true ? undefined : abortOnFailedGate(inFlight(ctx));
  if (aborting) return aborting;
  const order = compareVersions(ctx.target, ctx.stable);
  if (order === 0) return steady(ctx);
  if (order < 0) return rollback(ctx);
  return rollout(ctx);
}

// ---------------------------------------------------------------------------------------------------
// Validation and context

function validate(obs: Observed): string | undefined {
  return ingressProblem(obs) ?? rolloutProblem(obs);
}

function ingressProblem(obs: Observed): string | undefined {
  const { spec } = obs.cell;
  if (spec.ingress.type === 'AWSNetworkLoadBalancer') return 'spec.ingress.type AWSNetworkLoadBalancer is not supported yet; use AWSApplicationLoadBalancer';
  const alb = spec.ingress.awsApplicationLoadBalancer;
  if (!alb) return 'spec.ingress.awsApplicationLoadBalancer is required';
  if (!alb.listenerARN) return 'spec.ingress.awsApplicationLoadBalancer.listenerARN is empty';
  if (ruleConditions(alb.listener?.rule).length === 0) {
    return 'spec.ingress.awsApplicationLoadBalancer.listener.rule needs at least one condition (hosts, pathPatterns, methods, sourceIPs, headers or queryStrings)';
  }
  return undefined;
}

function rolloutProblem(obs: Observed): string | undefined {
  const { spec } = obs.cell;
  if (spec.replicas !== undefined && spec.replicas < 1) return `spec.replicas must be at least 1 (got ${spec.replicas})`;
  if (spec.version !== undefined && semver.valid(spec.version) !== spec.version) return `spec.version ${spec.version} is not strict semver`;
  const startingStep = spec.updateStrategy?.canary?.analysis?.startingStep;
  if (startingStep !== undefined && startingStep > stepsOf(obs.cell).length) return `spec.updateStrategy.canary.analysis.startingStep ${startingStep} is past the last step`;
  return stepsProblem(stepsOf(obs.cell));
}

function context(obs: Observed): Ctx {
  const prev = previousStatus(obs.cell);
  const live = obs.rule.kind === 'owned' ? obs.rule.rule : undefined;
  const stable = prev.stableVersion ?? (live ? liveMajorityVersion(obs, live.weights) : undefined);
  const target = chooseTarget(obs);
  return {
    obs,
    prev,
    now: obs.now,
    stable,
    stableTGs: stable === undefined ? [] : (obs.targetGroups.byVersion.get(stable) ?? []),
    target,
    targetTGs: target === undefined ? [] : (obs.targetGroups.byVersion.get(target) ?? []),
    live,
  };
}

/**
 * The version holding most of the live traffic, to adopt a rule when the status has no stable version;
 * a tie goes to the lower version, so an adopted half-done canary is run again, never promoted.
 */
function liveMajorityVersion(obs: Observed, weights: readonly ForwardWeight[]): string | undefined {
  const byArn = new Map(selectedTargetGroups(obs).map((t) => [t.arn, t.version]));
  const totals = new Map<string, number>();
  for (const w of weights) {
    const version = byArn.get(w.arn);
    if (version !== undefined) totals.set(version, (totals.get(version) ?? 0) + w.weight);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || compareVersions(a[0], b[0]))[0]?.[0];
}

/** Every target group the Cell selects, of every valid version. */
function selectedTargetGroups(obs: Observed): VersionedTargetGroup[] {
  return [...obs.targetGroups.byVersion.values()].flat();
}

/** The version to run: the pinned one, else the highest not blocklisted. */
function chooseTarget(obs: Observed): string | undefined {
  if (obs.cell.spec.version !== undefined) return obs.cell.spec.version;
  return versionsDescending(obs.targetGroups).find((v) => !blocked(obs.blocklist, v));
}

function replicas(ctx: Ctx): number {
  return ctx.obs.cell.spec.replicas ?? 1;
}

// ---------------------------------------------------------------------------------------------------
// Weights

/** The weights of a state: `canary` percent on the target version, the rest on the stable one. */
function weightsFor(ctx: Ctx, canary: number): WeightedTargetGroup[] {
  if (ctx.stableTGs.length === 0) return splitWeights(100, ctx.targetTGs);
  if (ctx.targetTGs.length === 0 || ctx.target === ctx.stable) return splitWeights(100, ctx.stableTGs);
  return [...splitWeights(100 - canary, ctx.stableTGs), ...splitWeights(canary, ctx.targetTGs)].filter((w) => w.weight > 0);
}

/** Weights as status shows them: every target group in the rule, named when known. */
function weightsStatus(ctx: Ctx, weights: readonly ForwardWeight[]): NonNullable<CellStatus['targetGroups']> {
  const known = new Map(selectedTargetGroups(ctx.obs).map((t) => [t.arn, t]));
  return weights
    .map((w) => {
      const tg = known.get(w.arn);
      return { name: tg?.name ?? '(unknown)', arn: w.arn, ...(tg ? { version: tg.version } : {}), weight: w.weight };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.arn.localeCompare(b.arn));
}

type Ensure = { readonly done: true; readonly status: CellStatus } | { readonly done: false; readonly decision: Decision };

/** What ensureWeights shows while it writes or waits, and the Events of the write. */
interface Pending {
  readonly phase: PhaseInput;
  readonly events?: readonly EventInput[];
}

/**
 * Makes the live rule carry `desired` (and the spec's conditions and priority). Returns done (with
 * `status` plus the verified weights, phase untouched) once the rule was read back that way; otherwise
 * the decision that writes (or waits for read-back), in the `pending` phase.
 */
function ensureWeights(ctx: Ctx, desired: readonly WeightedTargetGroup[], status: CellStatus, pending: Pending): Ensure {
  const live = ctx.live;
  if (!live) throw new Error('ensureWeights needs the live rule');
  const rule = ctx.obs.cell.spec.ingress.awsApplicationLoadBalancer?.listener?.rule;
  const conditions = ruleConditions(rule);
  const verified = { ...status, pendingWeights: undefined, targetGroups: weightsStatus(ctx, live.weights) };
  const shown = withPhase(verified, pending.phase, phaseContext(ctx.obs));
  const conditionsOk = conditionsWait(live, rulePriority(rule)) || sameConditions(live.conditions, conditions);
  // Weights first: a priority move that keeps failing must never hold up a rollback or a drift repair.
  if (conditionsOk && settledAt(ctx, live.weights, desired)) return atPriority(ctx, rulePriority(rule), verified, shown);
  const refused = refusedWrite(ctx, desired, verified, pending);
  if (refused) return { done: false, decision: refused };
  if (conditionsOk && stillPropagating(ctx, desired)) {
    return { done: false, decision: { status: { ...shown, pendingWeights: ctx.prev.pendingWeights }, events: [], requeueAfterMs: READ_BACK_POLL_MS, requeueLowPriority: true } };
  }
  const action: CellAction = { kind: 'SetWeights', ruleArn: live.arn, weights: desired, ...(conditionsOk ? {} : { conditions }) };
  const events = [...(pending.events ?? []), ...driftEvents(ctx, desired, conditionsOk)];
  const next = { ...shown, pendingWeights: { targetGroups: desired.map((w) => ({ arn: w.arn, weight: w.weight })), requestedAt: ctx.now.toISOString() } };
  return { done: false, decision: { status: next, action, events, requeueAfterMs: READ_BACK_DELAY_MS, requeueLowPriority: true } };
}

/**
 * Conditions are rewritten only at the spec's priority: rewritten first at another, lower one, the rule
 * could take requests meant for the rules in between. A pending move goes first; they follow.
 */
function conditionsWait(live: NonNullable<Ctx['live']>, priority: number): boolean {
  return typeof live.priority === 'number' && live.priority !== priority;
}

/**
 * Done once the rule with the right weights also sits at the spec's priority; else the move, unless
 * another rule holds that priority: ALB would refuse the move, so the Cell says why and waits, its rule
 * serving on at the old priority with the weights just verified.
 */
function atPriority(ctx: Ctx, priority: number, verified: CellStatus, shown: CellStatus): Ensure {
  const live = ctx.live;
  if (!live || typeof live.priority !== 'number' || live.priority === priority) return { done: true, status: verified };
  const holder = ctx.obs.priorityHolder;
  if (holder && holder.arn !== live.arn) return { done: false, decision: priorityInUse(ctx, verified, holder, priority) };
  return { done: false, decision: { status: shown, action: { kind: 'SetPriority', ruleArn: live.arn, priority }, events: [], requeueAfterMs: 0 } };
}

/** Degraded while another rule holds the priority the Cell's rule must move to; one Event when that starts. */
function priorityInUse(ctx: Ctx, verified: CellStatus, holder: PriorityHolder, priority: number): Decision {
  const owner = holder.owner ? ` (owner: ${holder.owner})` : '';
  const message = `listener rule ${ctx.live?.arn ?? ''} cannot move to priority ${priority}: it is held by ${holder.arn}${owner}, which this Cell does not own. The rule keeps serving at priority ${String(ctx.live?.priority)}; free the priority or pick another`;
  const events: EventInput[] = ctx.prev.reason === 'PriorityInUse' ? [] : [{ type: 'Warning', reason: 'PriorityInUse', message }];
  return { status: withPhase(verified, { phase: 'Degraded', reason: 'PriorityInUse', message }, phaseContext(ctx.obs)), events, requeueAfterMs: 60_000 };
}

/** ALB refuses a forward action over 5 target groups: say so instead of retrying a write that must fail. */
function tooManyTargetGroups(ctx: Ctx, status: CellStatus, count: number): Decision {
  const message = `the listener rule would need ${count} target groups in one forward action; ALB allows ${MAX_FORWARD_TARGET_GROUPS}. Reduce the clusters per version`;
  const events: EventInput[] = ctx.prev.reason === 'TooManyTargetGroups' ? [] : [{ type: 'Warning', reason: 'TooManyTargetGroups', message }];
  return { status: withPhase(status, { phase: 'Degraded', reason: 'TooManyTargetGroups', message }, phaseContext(ctx.obs)), events };
}

function progressing(reason: string, message: string): PhaseInput {
  return { phase: 'Progressing', reason, message };
}

/** True when the live weights are `desired` and no other write may still be on its way to hide. */
function settledAt(ctx: Ctx, live: readonly ForwardWeight[], desired: readonly WeightedTargetGroup[]): boolean {
  return sameWeights(live, desired) && !otherWriteUnsettled(ctx, desired);
}

/** A forward action ALB must never get (empty) or cannot take (over 5 target groups): say why instead. */
function refusedWrite(ctx: Ctx, desired: readonly WeightedTargetGroup[], verified: CellStatus, pending: Pending): Decision | undefined {
  if (desired.length === 0) return keepRule(ctx, pending.phase.message);
  if (desired.length > MAX_FORWARD_TARGET_GROUPS) return tooManyTargetGroups(ctx, verified, desired.length);
  return undefined;
}

/**
 * True while a write of other weights may still be on its way into DescribeRules: the rule showing
 * `desired` then may be the read from before that write, so only writing `desired` again settles it.
 */
function otherWriteUnsettled(ctx: Ctx, desired: readonly WeightedTargetGroup[]): boolean {
  const pending = ctx.prev.pendingWeights;
  return pending !== undefined && !sameWeights(pending.targetGroups, desired) && ctx.now.getTime() - Date.parse(pending.requestedAt) < READ_BACK_GRACE_MS;
}

/** True while weights just written may not show in DescribeRules yet (read-back grace period). */
function stillPropagating(ctx: Ctx, desired: readonly WeightedTargetGroup[]): boolean {
  const pending = ctx.prev.pendingWeights;
  return pending !== undefined && sameWeights(pending.targetGroups, desired) && ctx.now.getTime() - Date.parse(pending.requestedAt) < READ_BACK_GRACE_MS;
}

/** An Event when the rule no longer has weights okra had verified on it: someone changed it by hand. */
function driftEvents(ctx: Ctx, desired: readonly WeightedTargetGroup[], conditionsOk: boolean): EventInput[] {
  const lastVerified = (ctx.prev.targetGroups ?? []).map((t) => ({ arn: t.arn, weight: t.weight }));
  const hadDesired = ctx.prev.pendingWeights === undefined && lastVerified.length > 0 && sameWeights(lastVerified, desired);
  if (!hadDesired && conditionsOk) return [];
  const live = (ctx.live?.weights ?? []).map((w) => `${w.arn.split('/').slice(-2, -1)[0] ?? w.arn}=${w.weight}`).join(', ');
  const what = conditionsOk ? `weights (${live})` : 'conditions';
  return [{ type: 'Warning', reason: 'DriftCorrected', message: `listener rule ${what} were changed outside okra; restoring them` }];
}

// ---------------------------------------------------------------------------------------------------
// States

function invalid(obs: Observed, problem: string): Decision {
  const prev = previousStatus(obs.cell);
  const events: EventInput[] = prev.message === problem ? [] : [{ type: 'Warning', reason: 'InvalidSpec', message: problem }];
  return { status: withPhase(prev, { phase: 'InvalidSpec', reason: 'InvalidSpec', message: problem }, phaseContext(obs)), events };
}

function conflict(obs: Observed, arn: string, owner: string | undefined): Decision {
  const prev = previousStatus(obs.cell);
  const priority = rulePriority(obs.cell.spec.ingress.awsApplicationLoadBalancer?.listener?.rule);
  const message = `the listener rule at priority ${priority} (${arn}) is not owned by this Cell${owner ? ` (owner: ${owner})` : ''}; okra will not modify it. Pick another priority, or annotate the Cell with okra.mumo.co/adopt-rule=true to take it over`;
  const events: EventInput[] = prev.reason === 'RuleConflict' ? [] : [{ type: 'Warning', reason: 'RuleConflict', message }];
  return { status: withPhase(prev, { phase: 'Degraded', reason: 'RuleConflict', message }, phaseContext(obs)), events, requeueAfterMs: 60_000 };
}

function hold(ctx: Ctx, phase: Phase, message: string, reason = phase as string): Decision {
  return { status: withPhase(ctx.prev, { phase, reason, message }, phaseContext(ctx.obs)), events: [] };
}

const PAUSED_MESSAGE = 'spec.paused is set: steps and gates are frozen';

/**
 * spec.paused freezes progress, never safety (as in Argo Rollouts, where an abort still happens on a
 * paused rollout): no step advances and no new version starts, but a failed gate or okractl abort still
 * sends stable back to 100 %, and a target group that is gone loses its traffic.
 */
function paused(ctx: Ctx): Decision {
  if (!ctx.live) return hold(ctx, 'Paused', PAUSED_MESSAGE);
  // The version in flight is the one in status: a newer one that appeared while paused waits for resume.
  const frozen = inFlight(ctx);
  if (ctx.prev.abort === true) return unpaused(frozen);
  // Checked before any weights: a failed analysis aborts whatever the rule shows (hand edits included).
  const aborting = abortOnFailedGate(frozen);
  if (aborting) return aborting;
  const blocked = blockedWhilePaused(frozen);
  if (blocked) return blocked;
  const gone = goneTargetGroups(ctx);
  if (gone.length === 0) return pausedHold(ctx);
  return withoutGoneTargetGroups(frozen, gone);
}

/** The context with the version in status as the target: the rollout in flight, whatever appeared since. */
function inFlight(ctx: Ctx): Ctx {
  const version = ctx.prev.desiredVersion ?? ctx.stable;
  return { ...ctx, target: version, targetTGs: version === undefined ? [] : (ctx.obs.targetGroups.byVersion.get(version) ?? []) };
}

/**
 * A canary blocked while paused stops as it would unpaused: stable takes its traffic back, and unless
 * spec.version pins it the rollout is over, so an unblock starts it again from the first step.
 */
function blockedWhilePaused(frozen: Ctx): Decision | undefined {
  const blockedBy = frozen.target !== frozen.stable && frozen.stableTGs.length > 0 ? targetBlocked(frozen) : undefined;
  if (blockedBy === undefined) return undefined;
  return frozen.obs.cell.spec.version === undefined ? steady({ ...frozen, target: frozen.stable, targetTGs: frozen.stableTGs }) : heldAtStable(frozen, blockedBy);
}

/**
 * The abort of the rollout in flight (`ctx` from inFlight) when its current step's gate or its background
 * analysis failed. Judged on the attempt in status, before anything else: the canary's clusters removed,
 * replaced or cut below `replicas` after the failure (what operators do next), stable's target groups
 * gone, or a newer version appearing must not lose the verdict, or the failed version would get traffic
 * again, or be promoted.
 */
function abortOnFailedGate(ctx: Ctx): Decision | undefined {
  const hash = gateKey(ctx.prev);
  if (hash === undefined || ctx.target === undefined || ctx.target === ctx.stable || ctx.prev.desiredVersion !== ctx.target || ctx.prev.promoteFull === true) return undefined;
  const index = Math.min(ctx.prev.currentStepIndex ?? 0, stepsOf(ctx.obs.cell).length);
  const background = backgroundVerdict(ctx, index, hash);
  if (background.kind === 'abort') return abort(ctx, background.cause, true);
  const failed = failedStepGate(ctx, index, hash);
  return failed ? abort({ ...ctx, prev: failed.status }, failed.cause, true) : undefined;
}

/**
 * Paused with nothing to protect: status stays as it is, except that a write still waiting for
 * read-back is verified when the rule shows it (or dropped after the grace period; resume redoes it).
 */
function pausedHold(ctx: Ctx): Decision {
  const pending = ctx.prev.pendingWeights;
  const live = ctx.live?.weights ?? [];
  if (pending === undefined) return hold(ctx, 'Paused', PAUSED_MESSAGE);
  if (sameWeights(live, pending.targetGroups)) return hold({ ...ctx, prev: { ...ctx.prev, pendingWeights: undefined, targetGroups: weightsStatus(ctx, live) } }, 'Paused', PAUSED_MESSAGE);
  if (ctx.now.getTime() - Date.parse(pending.requestedAt) >= READ_BACK_GRACE_MS) return hold({ ...ctx, prev: { ...ctx.prev, pendingWeights: undefined } }, 'Paused', PAUSED_MESSAGE);
  return { ...hold(ctx, 'Paused', PAUSED_MESSAGE), requeueAfterMs: READ_BACK_POLL_MS, requeueLowPriority: true };
}

/** Target groups the live rule sends traffic to that the Cell no longer selects. */
function goneTargetGroups(ctx: Ctx): string[] {
  const known = new Set(selectedTargetGroups(ctx.obs).map((t) => t.arn));
  return (ctx.live?.weights ?? []).filter((w) => w.weight > 0 && !known.has(w.arn)).map((w) => w.arn);
}

/** Paused, but the rule points at target groups that are gone: the same split between versions, over what exists. */
function withoutGoneTargetGroups(ctx: Ctx, gone: readonly string[]): Decision {
  const names = gone.map((arn) => arn.split('/').slice(-2, -1)[0] ?? arn).join(', ');
  const desired = safeWeightsWhilePaused(ctx);
  if (desired.length === 0) return hold(ctx, 'Degraded', `${PAUSED_MESSAGE}; target group(s) ${names} are gone and no version may take their traffic`, 'NoSafeTarget');
  const message = `${PAUSED_MESSAGE}; target group(s) ${names} are gone, so their traffic moves to the ones left`;
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: { phase: 'Paused', reason: 'TargetGroupsGone', message }, events: [{ type: 'Warning', reason: 'TargetGroupsGone', message }] });
  if (!ensured.done) return ensured.decision;
  return hold({ ...ctx, prev: ensured.status }, 'Paused', PAUSED_MESSAGE);
}

/**
 * Where the traffic may go once gone target groups are dropped: the canary keeps the share the live rule
 * gives its version (so nothing advances or is undone), under the rules an unpaused Cell follows: a
 * blocked version, one short of `replicas` or one that would overflow the forward action gets nothing,
 * and a version with no target group left hands its share to the other. Empty: nowhere is safe.
 */
function safeWeightsWhilePaused(ctx: Ctx): WeightedTargetGroup[] {
  const target = ctx.target;
  if (target === undefined || target === ctx.stable || ctx.targetTGs.length === 0) return splitWeights(100, ctx.stableTGs);
  if (ctx.stableTGs.length === 0) return targetBlocked(ctx) || ctx.targetTGs.length < replicas(ctx) ? [] : splitWeights(100, ctx.targetTGs);
  if (rolloutBlocker(ctx)) return splitWeights(100, ctx.stableTGs);
  return weightsFor(ctx, liveShare(ctx, target));
}

/** The percentage of the live rule's traffic on a version's target groups (gone ones named in status count). */
function liveShare(ctx: Ctx, version: string): number {
  const versions = new Map<string, string | undefined>((ctx.prev.targetGroups ?? []).map((t) => [t.arn, t.version]));
  for (const t of selectedTargetGroups(ctx.obs)) versions.set(t.arn, t.version);
  const weights = ctx.live?.weights ?? [];
  const total = weights.reduce((n, w) => n + w.weight, 0);
  const share = weights.filter((w) => versions.get(w.arn) === version).reduce((n, w) => n + w.weight, 0);
  return total === 0 ? 0 : Math.round((share / total) * 100);
}

/** The target is the version whose rollout was aborted (until okractl retry or a newer version). */
function targetAborted(ctx: Ctx): boolean {
  return ctx.prev.abort === true && ctx.prev.desiredVersion === ctx.target;
}

/** No rule yet (or it was deleted): recreate it on stable, or create it for the first version unless blocked. */
function noRule(ctx: Ctx): Decision {
  const aborted = targetAborted(ctx);
  if (aborted && ctx.stableTGs.length === 0) return hold(ctx, 'Degraded', `rollout of ${ctx.target ?? ''} was aborted, and stable ${ctx.stable ?? ''} has no target groups left; no listener rule is created`, 'NoSafeTarget');
  const blockedBy = ctx.stableTGs.length > 0 ? undefined : targetBlocked(ctx);
  if (blockedBy) return hold(ctx, 'Pending', blockedBy, 'VersionBlocked');
  const count = ctx.stableTGs.length > 0 ? ctx.stableTGs.length : ctx.targetTGs.length;
  return count > MAX_FORWARD_TARGET_GROUPS ? tooManyTargetGroups(ctx, ctx.prev, count) : createRule(ctx);
}

function createRule(ctx: Ctx): Decision {
  const fromStable = ctx.stableTGs.length > 0;
  const weights = fromStable ? splitWeights(100, ctx.stableTGs) : splitWeights(100, ctx.targetTGs);
  if (weights.length === 0 || (!fromStable && ctx.targetTGs.length < replicas(ctx))) return waitingForTargets(ctx);
  const rule = ctx.obs.cell.spec.ingress.awsApplicationLoadBalancer?.listener?.rule;
  const version = weights[0]?.version ?? '';
  const status = withPhase(
    { ...ctx.prev, pendingWeights: { targetGroups: weights.map((w) => ({ arn: w.arn, weight: w.weight })), requestedAt: ctx.now.toISOString() } },
    { phase: 'Progressing', reason: 'CreatingRule', message: `creating the listener rule with ${version} at 100%` },
    ctx.obs,
  );
  const action: CellAction = { kind: 'CreateRule', priority: rulePriority(rule), conditions: ruleConditions(rule), weights };
  return { status, action, events: [ruleCreatedEvent(ctx, version)], requeueAfterMs: READ_BACK_DELAY_MS, requeueLowPriority: true };
}

/** Why a rule is created: the Cell's first, one that went missing, or the first on a new listener. */
function ruleCreatedEvent(ctx: Ctx, version: string): EventInput {
  const before = ctx.prev.ruleArn;
  const listener = ctx.obs.cell.spec.ingress.awsApplicationLoadBalancer?.listenerARN ?? '';
  if (before && ruleOfListener(before, listener)) return { type: 'Warning', reason: 'RuleCreated', message: `listener rule was missing; recreating it with ${version} at 100%` };
  return { type: 'Normal', reason: 'RuleCreated', message: `creating the listener rule with ${version} at 100%` };
}

/**
 * The Cell's rule is now one on a new listener (created, or found there): the rule on the previous
 * listener is left as it is, since deleting it could cut traffic still sent to that load balancer. Its
 * ARN leaves status with this pass, so the Event names it and its last verified weights.
 */
function listenerChangedEvents(obs: Observed, decision: Decision): EventInput[] {
  const before = previousStatus(obs.cell);
  const listener = obs.cell.spec.ingress.awsApplicationLoadBalancer?.listenerARN ?? '';
  if (!before.ruleArn || !listener || ruleOfListener(before.ruleArn, listener)) return [];
  if (obs.rule.kind !== 'owned' && decision.action?.kind !== 'CreateRule') return [];
  const last = (before.targetGroups ?? []).map((t) => `${t.name} ${t.weight}%`).join(', ');
  const message = `listenerARN changed to ${listener}: the rule ${before.ruleArn} on the previous listener is left as it is${last ? ` (last verified: ${last})` : ''} and okra no longer manages it; delete it once no traffic needs it`;
  return [{ type: 'Warning', reason: 'ListenerChanged', message }];
}

function waitingForTargets(ctx: Ctx): Decision {
  const have = ctx.targetTGs.length;
  const message =
    ctx.target === undefined
      ? 'waiting for AWSTargetGroups matching the target group selector'
      : `waiting for ${replicas(ctx)} target group(s) of version ${ctx.target} (have ${have})`;
  return { status: withPhase(ctx.prev, { phase: 'Pending', reason: 'WaitingForTargetGroups', message }, phaseContext(ctx.obs)), events: [] };
}

/** No stable version yet: the first version goes to 100 % at once. */
function bootstrap(ctx: Ctx): Decision {
  const blockedBy = targetBlocked(ctx);
  if (blockedBy) return hold(ctx, 'Pending', blockedBy, 'VersionBlocked');
  if (ctx.target === undefined || ctx.targetTGs.length < replicas(ctx)) return noTargetsWithRule(ctx);
  const desired = splitWeights(100, ctx.targetTGs);
  const message = `bootstrapping: ${ctx.target} takes 100% at once (nothing to canary against)`;
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: progressing('Bootstrapping', message), events: [{ type: 'Normal', reason: 'Bootstrap', message }] });
  if (!ensured.done) return ensured.decision;
  return complete(ctx, ensured.status, ctx.target, []);
}

/** A rule exists but no version can serve: keep the rule as it is, never empty it. */
function noTargetsWithRule(ctx: Ctx): Decision {
  if (ctx.target !== undefined || ctx.stable === undefined) return waitingForTargets(ctx);
  return hold(ctx, 'Degraded', `no AWSTargetGroups left for any version (stable ${ctx.stable}); the listener rule is left as it is`, 'NoTargetGroups');
}


/** The target is the stable version: keep it at 100 %, re-split for scale-out/in, restore drift. */
function steady(ctx: Ctx): Decision {
  if (ctx.stableTGs.length === 0) return noTargetsWithRule(ctx);
  const desired = splitWeights(100, ctx.stableTGs);
  const ensured = ensureWeights(ctx, desired, ctx.prev, {
    phase: progressing('ApplyingWeights', `applying ${ctx.stable ?? ''} at 100% on ${desired.length} target group(s)`),
    events: scaleEvents(ctx, desired),
  });
  if (!ensured.done) return ensured.decision;
  return complete(ctx, ensured.status, ctx.stable ?? '', []);
}

function scaleEvents(ctx: Ctx, desired: readonly WeightedTargetGroup[]): EventInput[] {
  const before = (ctx.prev.targetGroups ?? []).filter((t) => t.weight > 0).map((t) => t.arn).sort();
  const after = desired.map((w) => w.arn).sort();
  if (ctx.prev.pendingWeights !== undefined || before.length === 0 || before.join() === after.join()) return [];
  return [{ type: 'Normal', reason: 'Scaled', message: `${ctx.stable ?? ''} now spans ${after.length} target group(s) (was ${before.length}); re-split at once` }];
}

/** A completed, verified state (or an aborted one, which stays Degraded until the next rollout). */
function complete(ctx: Ctx, status: CellStatus, version: string, events: readonly EventInput[]): Decision {
  const steps = stepsOf(ctx.obs.cell).length;
  const aborted = ctx.prev.abort === true && ctx.prev.desiredVersion !== undefined && ctx.prev.desiredVersion !== version;
  const base = {
    ...status,
    stableVersion: version,
    ...(aborted ? {} : { desiredVersion: version, currentStepIndex: steps, abort: undefined, abortedAt: undefined }),
    promoteStep: undefined,
    promoteFull: undefined,
    gates: undefined,
  };
  const phase = aborted
    ? { phase: 'Degraded' as const, reason: 'RolloutAborted', message: abortMessage(ctx) }
    : { phase: 'Completed' as const, reason: 'Completed', message: `${version} serves 100% on ${ctx.stableTGs.length || ctx.targetTGs.length} target group(s)` };
  const firstTime = ctx.prev.phase !== phase.phase || ctx.prev.stableVersion !== version;
  const done: EventInput[] = firstTime && !aborted ? [{ type: 'Normal', reason: 'RolloutCompleted', message: phase.message }] : [];
  return { status: withPhase(base, phase, phaseContext(ctx.obs)), events: [...events, ...done] };
}

/** The abort's own message, also after another problem (a rule conflict, a blocked move) was shown since. */
function abortMessage(ctx: Ctx): string {
  const { prev } = ctx;
  if (prev.reason === 'RolloutAborted' && prev.message) return prev.message;
  const cause = ctx.obs.blocklist.find((b) => b.version === prev.desiredVersion)?.cause;
  return `rollout of ${prev.desiredVersion ?? ''} was aborted${cause ? `: ${cause}` : ''}`;
}

/** The target is below the stable version: swap at once, no steps (manual rollback). */
function rollback(ctx: Ctx): Decision {
  const blockedBy = targetBlocked(ctx);
  if (blockedBy) return heldAtStable(ctx, blockedBy);
  if (ctx.targetTGs.length === 0) return waitingForTargets(ctx);
  const desired = splitWeights(100, ctx.targetTGs);
  const message = `rolling back from ${ctx.stable ?? ''} to ${ctx.target ?? ''} at once`;
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: progressing('RollingBack', message), events: [{ type: 'Warning', reason: 'RolledBack', message }] });
  if (!ensured.done) return ensured.decision;
  return complete({ ...ctx, stableTGs: ctx.targetTGs }, ensured.status, ctx.target ?? '', []);
}

// ---------------------------------------------------------------------------------------------------
// Rollout

/** Why the (pinned) target version is blocklisted, or undefined: a blocked version never gets traffic. */
function targetBlocked(ctx: Ctx): string | undefined {
  const entry = ctx.target === undefined ? undefined : blocked(ctx.obs.blocklist, ctx.target);
  return entry ? `version ${ctx.target ?? ''} is in the VersionBlocklist (${entry.cause}); remove it with okractl unblock to roll it out` : undefined;
}

/** Why the target version may not start (or continue) its canary, or undefined. */
function rolloutBlocker(ctx: Ctx): string | undefined {
  const blockedBy = targetBlocked(ctx);
  if (blockedBy) return blockedBy;
  if (ctx.targetTGs.length < replicas(ctx)) return `waiting for ${replicas(ctx)} target group(s) of version ${ctx.target ?? ''} (have ${ctx.targetTGs.length})`;
  const count = ctx.stableTGs.length + ctx.targetTGs.length;
  if (count > MAX_FORWARD_TARGET_GROUPS) {
    return `a canary of ${ctx.target ?? ''} needs ${count} target groups in one forward action (${ctx.stableTGs.length} stable + ${ctx.targetTGs.length} canary); ALB allows ${MAX_FORWARD_TARGET_GROUPS}. Reduce the clusters per version`;
  }
  return undefined;
}

function rollout(ctx: Ctx): Decision {
  // An aborted version stays aborted whatever its target groups do, until okractl retry (which clears
  // abort) or a different version supersedes it; a blocked one never gets traffic, not even by default.
  const aborted = targetAborted(ctx);
  if (ctx.stableTGs.length === 0) return aborted ? keepRule(ctx, `rollout of ${ctx.target ?? ''} was aborted`) : stableGone(ctx);
  if (aborted) return abortedHold(ctx);
  const blocker = rolloutBlocker(ctx);
  if (blocker) return heldAtStable(ctx, blocker);
  const hash = targetGroupsHash(ctx.targetTGs);
  const fresh = ctx.prev.desiredVersion !== ctx.target || ctx.prev.targetGroupsHash !== hash || ctx.prev.abort === true;
  const started = fresh || stepsChanged(ctx) ? startRollout(ctx, hash) : { status: withStepsHash(ctx), events: [] as EventInput[] };
  const next: Ctx = { ...ctx, prev: started.status };
  const decision = runCurrentStep(next, gateKey(next.prev) ?? hash);
  return { ...decision, events: [...started.events, ...decision.events] };
}

/** Nothing may safely take the traffic: leave the rule exactly as it is and say why. */
function keepRule(ctx: Ctx, why: string): Decision {
  const message = `${why}, and stable ${ctx.stable ?? ''} has no target groups left; the listener rule is left as it is`;
  return hold(ctx, 'Degraded', message, 'NoSafeTarget');
}

/** The stable version has no target groups left: there is nothing to canary against or fall back to. */
function stableGone(ctx: Ctx): Decision {
  const blockedBy = targetBlocked(ctx);
  if (blockedBy) return keepRule(ctx, blockedBy);
  if (ctx.targetTGs.length < replicas(ctx)) return waitingForTargets(ctx);
  const message = `stable ${ctx.stable ?? ''} has no target groups left: ${ctx.target ?? ''} takes 100% without steps`;
  const ensured = ensureWeights(ctx, splitWeights(100, ctx.targetTGs), ctx.prev, { phase: progressing('StableGone', message), events: [{ type: 'Warning', reason: 'StableGone', message }] });
  if (!ensured.done) return ensured.decision;
  return complete({ ...ctx, stableTGs: ctx.targetTGs }, ensured.status, ctx.target ?? '', []);
}

function heldAtStable(ctx: Ctx, reason: string): Decision {
  if (ctx.stableTGs.length === 0) return keepRule(ctx, reason);
  const desired = splitWeights(100, ctx.stableTGs);
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: progressing('RestoringStable', `${reason}; keeping ${ctx.stable ?? ''} at 100%`) });
  if (!ensured.done) return ensured.decision;
  const tooMany = reason.includes('forward action');
  const phase = tooMany ? 'Degraded' : 'Pending';
  const code = tooMany ? 'TooManyTargetGroups' : reason.includes('VersionBlocklist') ? 'VersionBlocked' : 'WaitingForTargetGroups';
  const events: EventInput[] = tooMany && ctx.prev.reason !== code ? [{ type: 'Warning', reason: code, message: reason }] : [];
  return { status: withPhase(ensured.status, { phase, reason: code, message: reason }, phaseContext(ctx.obs)), events };
}

/**
 * The steps were edited while this rollout runs them. As in Argo Rollouts the rollout restarts from the
 * first step: continuing by index would run whatever step now sits there, skipping an analysis added
 * before it, or passing one that replaced a pause on the pause's timer. Not after promote --full, which
 * skips the steps anyway. A status without the hash (written before it existed) records it instead.
 */
function stepsChanged(ctx: Ctx): boolean {
  return ctx.prev.stepsHash !== undefined && ctx.prev.stepsHash !== stepsHash(ctx.obs.cell) && ctx.prev.promoteFull !== true;
}

function withStepsHash(ctx: Ctx): CellStatus {
  return ctx.prev.stepsHash === undefined ? { ...ctx.prev, stepsHash: stepsHash(ctx.obs.cell) } : ctx.prev;
}

/** Why a rollout (re)starts: the Event that says so. */
function startEvent(ctx: Ctx, hash: string): EventInput {
  const [previous, target, stable] = [ctx.prev.desiredVersion, ctx.target ?? '', ctx.stable ?? ''];
  const inFlight = previous !== undefined && previous !== stable && ctx.prev.abort !== true;
  if (inFlight && previous === target && ctx.prev.targetGroupsHash === hash) {
    return { type: 'Normal', reason: 'StepsChanged', message: `the canary steps changed: ${target} restarts them from the first step` };
  }
  if (inFlight) return { type: 'Normal', reason: 'RolloutSuperseded', message: `rollout of ${previous} superseded: ${target} starts its steps against stable ${stable}` };
  return { type: 'Normal', reason: 'RolloutStarted', message: `rolling out ${target} over stable ${stable}` };
}

function startRollout(ctx: Ctx, hash: string): { status: CellStatus; events: EventInput[] } {
  const status: CellStatus = {
    ...ctx.prev,
    desiredVersion: ctx.target,
    targetGroupsHash: hash,
    stepsHash: stepsHash(ctx.obs.cell),
    attempt: attemptId(hash, ctx.now),
    currentStepIndex: 0,
    currentStepStartedAt: ctx.now.toISOString(),
    abort: undefined,
    abortedAt: undefined,
    promoteStep: undefined,
    promoteFull: undefined,
    gates: undefined,
  };
  return { status, events: [startEvent(ctx, hash)] };
}

/** An aborted rollout stays on stable, Degraded, until retried or superseded. */
function abortedHold(ctx: Ctx): Decision {
  const desired = splitWeights(100, ctx.stableTGs);
  const message = ctx.prev.message ?? `rollout of ${ctx.target ?? ''} was aborted`;
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: { phase: 'Degraded', reason: 'RolloutAborted', message } });
  if (!ensured.done) return ensured.decision;
  return { status: withPhase(ensured.status, { phase: 'Degraded', reason: 'RolloutAborted', message }, phaseContext(ctx.obs)), events: [] };
}

function runCurrentStep(ctx: Ctx, hash: string): Decision {
  const steps = stepsOf(ctx.obs.cell);
  const index = ctx.prev.promoteFull === true ? steps.length : Math.min(ctx.prev.currentStepIndex ?? 0, steps.length);
  const background = backgroundVerdict(ctx, index, hash);
  // A failing background analysis aborts up to the moment the promotion is verified (promote --full
  // is the operator overriding the analysis, as in Argo Rollouts).
  if (background.kind === 'abort' && ctx.prev.promoteFull !== true) return abort(ctx, background.cause, true);
  if (index >= steps.length) return promote(ctx);
  // Before any write: a failed gate must abort even while a priority or conditions repair keeps failing.
  const failed = failedStepGate(ctx, index, hash);
  if (failed !== undefined) return abort({ ...ctx, prev: failed.status }, failed.cause, true);
  const label = `step ${index + 1}/${steps.length}`;
  const canary = canaryWeightAt(steps, index);
  const ensured = ensureWeights(ctx, weightsFor(ctx, canary), ctx.prev, { phase: progressing('ApplyingWeights', `${label}: applying ${canary}% to ${ctx.target ?? ''}`) });
  if (!ensured.done) return ensured.decision;
  const status = withBackgroundGate(ctx, ensured.status, hash);
  const held = backgroundHold(ctx, status, background, index);
  return held ?? runStepKind(ctx, status, { index, label, hash });
}

/** `status` showing the background run's phase (unless a newer run, not seen yet, is the current one). */
function withBackgroundGate(ctx: Ctx, status: CellStatus, hash: string): CellStatus {
  const gate = gateFor(ctx.obs.backgroundGate, 'bg', hash);
  if (gate === undefined || !isCurrentBackgroundRun(status, gate)) return status;
  return { ...status, gates: [...(status.gates ?? []).filter((g) => g.step !== 'bg'), gateStatus(gate, 'bg')] };
}

/**
 * Starts the background analysis, or holds on an inconclusive one, before the step itself runs. Promote
 * clears that hold as in Argo Rollouts: a new background run starts, so the canary stays watched.
 */
function backgroundHold(ctx: Ctx, status: CellStatus, background: BackgroundVerdict, index: number): Decision | undefined {
  if (background.kind === 'start') return startGate(ctx, status, { gate: 'background', stepIndex: index, name: background.name });
  if (background.kind !== 'inconclusive') return undefined;
  if (ctx.prev.promoteStep === index) return restartBackground(ctx, status, background.gate, index);
  return waitPaused(ctx, status, `background analysis ${background.gate.name} is Inconclusive (${background.gate.message ?? 'no message'}); promote or abort`);
}

/**
 * The promoted Inconclusive background run is followed by a new one, named in status so later passes
 * judge it and not the old run. A step that itself waits for a promote (a pause, an Inconclusive gate)
 * is passed in the same write, as one promote passes both in Argo Rollouts; the promote is then used
 * up, so a later Inconclusive run pauses again.
 */
function restartBackground(ctx: Ctx, status: CellStatus, old: GateState, index: number): Decision {
  const name = restartedRunName(old.name);
  const steps = stepsOf(ctx.obs.cell);
  const step = steps[index];
  const stepWaits = (step !== undefined && stepKind(step) === 'pause') || gateFor(ctx.obs.stepGate, index, old.hash)?.phase === 'Inconclusive';
  const restarted = { step: 'bg', kind: 'AnalysisRun', name, phase: 'Pending' } as const;
  const next: CellStatus = stepWaits
    ? { ...status, currentStepIndex: index + 1, currentStepStartedAt: ctx.now.toISOString(), promoteStep: undefined, gates: [restarted] }
    : { ...status, promoteStep: undefined, gates: [...(status.gates ?? []).filter((g) => g.step !== 'bg'), restarted] };
  const message = `background analysis ${old.name} was Inconclusive and is promoted; ${name} now watches ${ctx.target ?? ''}`;
  const events: EventInput[] = [{ type: 'Normal', reason: 'BackgroundAnalysisRestarted', message }];
  if (stepWaits) events.push({ type: 'Normal', reason: 'StepCompleted', message: `${ctx.target ?? ''}: step ${index + 1}/${steps.length} promoted` });
  const started = startGate(ctx, next, { gate: 'background', stepIndex: index, name });
  return { ...started, events };
}

/** The name of the run after `name`: web-bg-analysis-x → web-bg-analysis-x-r2 → …-r3. */
export function restartedRunName(name: string): string {
  const numbered = /^(.*)-r(\d+)$/.exec(name);
  return dnsName([numbered ? `${numbered[1] ?? ''}-r${Number(numbered[2]) + 1}` : `${name}-r2`]);
}

interface StepRef {
  readonly index: number;
  readonly label: string;
  readonly hash: string;
}

function runStepKind(ctx: Ctx, status: CellStatus, ref: StepRef): Decision {
  const step = stepsOf(ctx.obs.cell)[ref.index];
  const kind = step ? stepKind(step) : undefined;
  if (kind === 'setWeight' || step === undefined) return advance(ctx, status, ref.index);
  if (kind === 'pause') return pauseStep(ctx, status, ref);
  return gateStep(ctx, status, ref, kind === 'experiment' ? 'experiment' : 'analysis');
}

function pauseStep(ctx: Ctx, status: CellStatus, ref: StepRef): Decision {
  const step = stepsOf(ctx.obs.cell)[ref.index];
  const duration = step ? pauseDuration(step) : 'indefinite';
  if (ctx.prev.promoteStep === ref.index) return advance(ctx, status, ref.index, 'promoted');
  if (duration === 'indefinite' || duration === undefined) return waitPaused(ctx, status, `${ref.label}: paused until promoted (okractl promote)`);
  const startedAt = Date.parse(ctx.prev.currentStepStartedAt ?? ctx.now.toISOString());
  const endsAt = startedAt + duration;
  const gate = stepGate(ctx, ref);
  if (ctx.now.getTime() >= endsAt || gate?.phase === 'Successful') return advance(ctx, status, ref.index);
  const name = gateName(ctx.obs.cell, ref.index, 'pause', ref.hash);
  if (!gate) return startGate(ctx, status, { gate: 'step', stepIndex: ref.index, name });
  const message = `${ref.label}: paused for ${Math.round(duration / 1000)}s, resumes at ${new Date(endsAt).toISOString()}`;
  return { status: withPhase(withStepGate(status, gate, ref.index), { phase: 'Progressing', reason: 'Pausing', message }, phaseContext(ctx.obs)), events: [], requeueAfterMs: endsAt - ctx.now.getTime() };
}

/** The observed gate if it is this step's, of this attempt and of the kind the step is now. */
function stepGate(ctx: Ctx, ref: StepRef): GateState | undefined {
  const gate = gateFor(ctx.obs.stepGate, ref.index, ref.hash);
  return gate?.kind === gateKindOf(stepsOf(ctx.obs.cell)[ref.index]) ? gate : undefined;
}

function gateStep(ctx: Ctx, status: CellStatus, ref: StepRef, kind: 'analysis' | 'experiment'): Decision {
  const gate = stepGate(ctx, ref);
  if (!gate) return startGate(ctx, status, { gate: 'step', stepIndex: ref.index, name: gateName(ctx.obs.cell, ref.index, kind, ref.hash) });
  const withGate = withStepGate(status, gate, ref.index);
  if (gate.phase === 'Successful') return advance(ctx, withGate, ref.index);
  if (gate.phase === 'Inconclusive') {
    if (ctx.prev.promoteStep === ref.index) return advance(ctx, withGate, ref.index, 'promoted');
    return waitPaused(ctx, withGate, `${ref.label}: ${gate.kind} ${gate.name} is Inconclusive${gate.message ? ` (${gate.message})` : ''}; promote or abort`);
  }
  const message = `${ref.label}: waiting for ${gate.kind} ${gate.name} (${gate.phase})`;
  return { status: withPhase(withGate, { phase: 'Progressing', reason: 'WaitingForGate', message }, phaseContext(ctx.obs)), events: [], requeueAfterMs: GATE_POLL_MS };
}

/** `status` showing the step's gate next to the background analysis' entry. */
function withStepGate(status: CellStatus, gate: GateState, index: number): CellStatus {
  return { ...status, gates: [gateStatus(gate, index), ...(status.gates ?? []).filter((g) => g.step === 'bg')] };
}

/** The current step's gate if it Failed or Errored: why to abort, and the status that shows it. */
function failedStepGate(ctx: Ctx, index: number, hash: string): { cause: string; status: CellStatus } | undefined {
  const gate = gateFor(ctx.obs.stepGate, index, hash);
  if (gate?.phase !== 'Failed' && gate?.phase !== 'Error') return undefined;
  return { cause: `${gate.kind} ${gate.name} ${gate.phase}${gate.message ? `: ${gate.message}` : ''}`, status: withStepGate(ctx.prev, gate, index) };
}

function gateStatus(gate: GateState, step: number | 'bg'): NonNullable<CellStatus['gates']>[number] {
  return { step: String(step), kind: gate.kind, name: gate.name, phase: gate.phase, ...(gate.message ? { message: gate.message } : {}) };
}

type BackgroundVerdict = { kind: 'start'; name: string } | { kind: 'abort'; cause: string } | { kind: 'inconclusive'; gate: GateState } | { kind: 'none' };

function backgroundVerdict(ctx: Ctx, index: number, hash: string): BackgroundVerdict {
  const analysis = ctx.obs.cell.spec.updateStrategy?.canary?.analysis;
  if (!analysis?.templates?.length || index < (analysis.startingStep ?? 0)) return { kind: 'none' };
  const gate = gateFor(ctx.obs.backgroundGate, 'bg', hash);
  if (gate && isCurrentBackgroundRun(ctx.prev, gate)) return verdictOf(gate);
  // No run yet, or the one a promote started (named in status) is not seen: the one seen, if any, was
  // already decided on. Start it, again if need be (creating is idempotent), so a create that failed or
  // a run deleted by hand never leaves the canary unwatched.
  return { kind: 'start', name: backgroundRunNamed(ctx.prev) ?? gateName(ctx.obs.cell, 'bg', 'analysis', hash) };
}

/** True unless status names a newer background run than `gate` (started by a promote, not seen yet). */
function isCurrentBackgroundRun(status: CellStatus, gate: GateState): boolean {
  const current = backgroundRunNamed(status);
  return current === undefined || current === gate.name;
}

function verdictOf(gate: GateState): BackgroundVerdict {
  if (gate.phase === 'Failed' || gate.phase === 'Error') return { kind: 'abort', cause: `background ${gate.kind} ${gate.name} ${gate.phase}${gate.message ? `: ${gate.message}` : ''}` };
  if (gate.phase === 'Inconclusive') return { kind: 'inconclusive', gate };
  return { kind: 'none' };
}

function startGate(ctx: Ctx, status: CellStatus, { gate, stepIndex, name }: { gate: 'step' | 'background'; stepIndex: number; name: string }): Decision {
  const message = `step ${stepIndex + 1}/${stepsOf(ctx.obs.cell).length}: starting ${gate === 'background' ? 'background analysis' : 'gate'} ${name}`;
  return { status: withPhase(status, { phase: 'Progressing', reason: 'StartingGate', message }, phaseContext(ctx.obs)), action: { kind: 'StartGate', gate, stepIndex, name }, events: [], requeueAfterMs: 0 };
}

function waitPaused(ctx: Ctx, status: CellStatus, message: string): Decision {
  const events: EventInput[] = ctx.prev.phase === 'Paused' && ctx.prev.message === message ? [] : [{ type: 'Normal', reason: 'Paused', message }];
  return { status: withPhase(status, { phase: 'Paused', reason: 'WaitingForPromotion', message }, phaseContext(ctx.obs)), events };
}

/**
 * Completes step `index` and goes straight on with the next one in the same pass (so a step's weight
 * is written without waiting for another pass); still at most one action, since the next step either
 * acts, waits, or completes at once too.
 */
function advance(ctx: Ctx, status: CellStatus, index: number, how = 'passed'): Decision {
  const steps = stepsOf(ctx.obs.cell);
  const next: CellStatus = { ...status, currentStepIndex: index + 1, currentStepStartedAt: ctx.now.toISOString(), promoteStep: undefined, gates: (status.gates ?? []).filter((g) => g.step === 'bg') };
  const message = `step ${index + 1}/${steps.length} ${how}`;
  const completed: EventInput = { type: 'Normal', reason: 'StepCompleted', message: `${ctx.target ?? ''}: ${message}` };
  const after = runCurrentStep({ ...ctx, prev: withPhase(next, { phase: 'Progressing', reason: 'StepCompleted', message }, phaseContext(ctx.obs)) }, gateKey(next) ?? '');
  return { ...after, events: [completed, ...after.events] };
}

/** All steps passed (or promote --full): the target version takes 100 % and becomes stable. */
function promote(ctx: Ctx): Decision {
  const desired = splitWeights(100, ctx.targetTGs);
  const ensured = ensureWeights(ctx, desired, ctx.prev, { phase: progressing('Promoting', `all steps passed: promoting ${ctx.target ?? ''} to 100%`) });
  if (!ensured.done) return ensured.decision;
  return complete({ ...ctx, stableTGs: ctx.targetTGs }, ensured.status, ctx.target ?? '', []);
}

/** A failed gate (or okractl abort): stable back to 100 % in one write; optionally blocklist the version. */
function abort(ctx: Ctx, cause: string, blocklist: boolean): Decision {
  const weights = splitWeights(100, ctx.stableTGs);
  // With stable's target groups gone nothing may safely take the traffic: the version is still aborted
  // (and blocklisted), and the rule is left as it is, as for any aborted version then.
  const message =
    weights.length > 0
      ? `rolled back ${ctx.target ?? ''} to ${ctx.stable ?? ''}: ${cause}`
      : `aborted ${ctx.target ?? ''}: ${cause}; stable ${ctx.stable ?? ''} has no target groups left, so the listener rule is left as it is`;
  const pendingWeights = weights.length > 0 ? { targetGroups: weights.map((w) => ({ arn: w.arn, weight: w.weight })), requestedAt: ctx.now.toISOString() } : undefined;
  const status = withPhase(
    { ...ctx.prev, abort: true, abortedAt: ctx.now.toISOString(), pendingWeights },
    { phase: 'Degraded', reason: 'RolloutAborted', message },
    ctx.obs,
  );
  const action: CellAction = { kind: 'Abort', ruleArn: ctx.live?.arn ?? '', weights, version: ctx.target ?? '', cause, blocklist };
  return { status, action, events: [{ type: 'Warning', reason: 'RolloutAborted', message }], requeueAfterMs: 0 };
}
