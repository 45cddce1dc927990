// Listener-rule decisions shared by the Cell and the AWSApplicationLoadBalancerConfig controllers, pure:
// the ALB conditions a rule spec means, order-insensitive comparison (AWS may return conditions and
// values in any order), traffic-equivalent weight comparison, and the ownership tag.
import type { RuleCondition, ForwardWeight } from '../aws/elbv2.js';
import { DEFAULT_RULE_PRIORITY, type ListenerRule } from '../api/v1alpha1/listener.js';
import { canonical } from '../runtime/status.js';

/** Tag on every rule okra creates: `<Kind>/<namespace>/<name>` of the owning object. */
export const OWNER_TAG = 'okra.mumo.co/owner';
/** Annotation that lets an object take over an existing, untagged rule at its priority (migration). */
export const ADOPT_RULE_ANNOTATION = 'okra.mumo.co/adopt-rule';

/** ALB takes at most this many target groups in one forward action. */
export const MAX_FORWARD_TARGET_GROUPS = 5;

/** The ownership tag value of an object. */
export function ownerTag(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

/** The rule priority: 0 or absent means 100, as in the original okra. */
export function rulePriority(rule: ListenerRule | undefined): number {
  const priority = rule?.priority;
  return priority === undefined || priority === 0 ? DEFAULT_RULE_PRIORITY : priority;
}

const sorted = (values: readonly string[] | undefined): string[] => [...(values ?? [])].sort();

/**
 * The ALB conditions of a rule spec, in a fixed order (host, path, method, source IP, one per header
 * sorted by name, one query-string condition with pairs sorted), so the same spec always produces the
 * same request.
 */
export function ruleConditions(rule: ListenerRule | undefined): RuleCondition[] {
  if (!rule) return [];
  const hosts = sorted(rule.hosts);
  const paths = sorted(rule.pathPatterns);
  const methods = sorted(rule.methods?.map((m) => m.toUpperCase()));
  const sources = sorted(rule.sourceIPs);
  const out: RuleCondition[] = [
    ...(hosts.length ? [{ Field: 'host-header', HostHeaderConfig: { Values: hosts } }] : []),
    ...(paths.length ? [{ Field: 'path-pattern', PathPatternConfig: { Values: paths } }] : []),
    ...(methods.length ? [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: methods } }] : []),
    ...(sources.length ? [{ Field: 'source-ip', SourceIpConfig: { Values: sources } }] : []),
  ];
  for (const name of Object.keys(rule.headers ?? {}).sort()) {
    out.push({ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: name, Values: sorted(rule.headers?.[name]) } });
  }
  const query = Object.entries(rule.queryStrings ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (query.length > 0) out.push({ Field: 'query-string', QueryStringConfig: { Values: query.map(([Key, Value]) => ({ Key, Value })) } });
  return out;
}

/** Where each condition kind keeps its values; the legacy `Values` field is the fallback. */
const VALUE_READERS: readonly ((c: RuleCondition) => readonly string[] | undefined)[] = [
  (c) => c.HostHeaderConfig?.Values,
  (c) => c.PathPatternConfig?.Values,
  (c) => c.HttpRequestMethodConfig?.Values,
  (c) => c.SourceIpConfig?.Values,
  (c) => c.HttpHeaderConfig?.Values,
  (c) => c.QueryStringConfig?.Values?.map((v) => `${v.Key ?? ''}=${v.Value ?? ''}`),
  (c) => c.Values,
];

/** A comparable form of one condition: its field and sorted values, whatever form AWS used. */
function conditionKey(c: RuleCondition): string {
  const values = VALUE_READERS.map((read) => read(c)).find((v) => v !== undefined) ?? [];
  return canonical([c.Field, c.HttpHeaderConfig?.HttpHeaderName ?? '', [...values].sort()]);
}

/** True when two condition lists match the same requests. */
export function sameConditions(a: readonly RuleCondition[], b: readonly RuleCondition[]): boolean {
  return canonical(a.map(conditionKey).sort()) === canonical(b.map(conditionKey).sort());
}

/** True when two forward actions send the same share of traffic to each target group. */
export function sameWeights(a: readonly ForwardWeight[], b: readonly ForwardWeight[]): boolean {
  const shares = (ws: readonly ForwardWeight[]): string => {
    const total = ws.reduce((n, w) => n + w.weight, 0);
    return canonical(
      ws
        .filter((w) => w.weight > 0)
        .map((w) => [w.arn, total === 0 ? 0 : Math.round((w.weight / total) * 10_000)])
        .sort(([x], [y]) => String(x).localeCompare(String(y))),
    );
  };
  return shares(a) === shares(b);
}
