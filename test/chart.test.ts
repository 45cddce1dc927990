// The Helm chart charts/okra, as a user installs it: it lints, its schema refuses bad values, it renders
// what the values say, the real apiserver accepts the rendered objects, and its RBAC grants exactly what
// okrad's controllers call (asked of the apiserver's authorizer as the chart's ServiceAccount, the way
// `kubectl auth can-i --as` does, and proven by running okrad with the rendered arguments and that
// ServiceAccount's token).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PauseType, type Pause } from '../src/api/v1alpha1/pause.js';
import { mapLimit } from '../src/runtime/concurrency.js';
import { managementClient, stack, uniqueSuffix } from './support/env.js';
import { kubectl } from './support/kubectl.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';
import { repoRoot, stackPaths } from './stack/paths.js';

const execFileAsync = promisify(execFile);
const chart = join(repoRoot, 'charts', 'okra');
const client = managementClient();
const tmp = mkdtempSync(join(tmpdir(), 'okra-chart-'));

/** A rendered Kubernetes object, loosely typed: tests read the fields they assert on. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string | number } };
  readinessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; emptyDir?: unknown }[];
}

/** Result of a command that may fail. */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(bin: string, args: readonly string[], input?: string): Promise<Run> {
  const child = execFileAsync(bin, args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(tmp, 'helm-cache'), HELM_CONFIG_HOME: join(tmp, 'helm-config'), HELM_DATA_HOME: join(tmp, 'helm-data') } });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs helm with values given as an object (written to a file, so types survive: no --set coercion). */
async function helm(args: readonly string[], values?: Record<string, unknown>): Promise<Run> {
  const valueArgs: string[] = [];
  if (values) {
    const file = join(tmp, `values-${uniqueSuffix()}.json`);
    writeFileSync(file, JSON.stringify(values));
    valueArgs.push('--values', file);
  }
  return run(stackPaths().helm, [...args, ...valueArgs]);
}

/** `helm template` output, failing the test with helm's message when it does not render. */
async function renderText(release: string, namespace: string, values: Record<string, unknown> = {}, only: readonly string[] = []): Promise<string> {
  const showOnly = only.flatMap((t) => ['--show-only', `templates/${t}`]);
  const res = await helm(['template', release, chart, '--namespace', namespace, ...showOnly], values);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return res.stdout;
}

async function render(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<Manifest[]> {
  return parseManifests(await renderText(release, namespace, values));
}

function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function find(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}

function podSpec(manifests: readonly Manifest[]): PodSpec {
  return (find(manifests, 'Deployment') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

function okrad(manifests: readonly Manifest[]): Container {
  const container = podSpec(manifests).containers.find((c) => c.name === 'okrad');
  if (!container) throw new Error('no okrad container');
  return container;
}

function rulesOf(manifests: readonly Manifest[]): PolicyRule[] {
  return manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role').flatMap((m) => (m as unknown as { rules: PolicyRule[] }).rules);
}

/** Every string of every rule that could be a wildcard. */
function ruleTokens(rule: PolicyRule): string[] {
  return [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.resourceNames ?? []), ...(rule.nonResourceURLs ?? []), ...rule.verbs];
}

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('helm lint', () => {
  it('passes with the default values', async () => {
    const res = await helm(['lint', '--strict', chart]);
    expect(res.stderr + res.stdout).toContain('0 chart(s) failed');
    expect(res.code).toBe(0);
  });

  it.each([
    ['a wrong type', { replicaCount: 'two' }, '/replicaCount'],
    ['an env map instead of a list (the original chart’s broken default)', { extraEnv: {} }, '/extraEnv'],
    ['an unknown key (a typo)', { replicas: 2 }, 'replicas'],
    ['an unknown analysis engine', { analysisEngine: 'kayenta' }, '/analysisEngine'],
    ['a resync period that is not a duration', { resyncPeriod: 'often' }, '/resyncPeriod'],
  ])('fails on %s, naming the value', async (_case, values, path) => {
    const [lint, template] = await Promise.all([helm(['lint', '--strict', chart], values), helm(['template', 'okra', chart], values)]);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout + lint.stderr).toContain(path);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toContain(path);
  });
});

describe('helm template with the default values', () => {
  let manifests: Manifest[];
  beforeAll(async () => {
    manifests = await render('okra', 'okra-system');
  });

  it('runs okrad as the chart version with leader election and the documented defaults', () => {
    const c = okrad(manifests);
    expect(c.image).toBe('ghcr.io/mumoshu/okra:0.1.0');
    expect(c.args).toEqual([
      '--metrics-bind-address=:8080',
      '--resync-period=2m',
      '--log-level=info',
      '--workers=8',
      '--analysis-engine=builtin',
      '--analysis-instance-id=okra',
      '--leader-elect',
      '--leader-election-id=okra',
    ]);
    expect(find(manifests, 'Deployment').spec).toMatchObject({ replicas: 1 });
  });

  it('gives okrad its namespace from the downward API and a writable HOME, nothing else', () => {
    expect(okrad(manifests).env).toEqual([
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'HOME', value: '/tmp' },
    ]);
  });

  it('runs hardened: non-root as the image user, read-only root with a /tmp emptyDir, no privileges', () => {
    const pod = podSpec(manifests);
    const c = okrad(manifests);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.anything() as unknown }));
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String) as unknown, memory: expect.any(String) as unknown });
    expect(c.resources.limits).toMatchObject({ memory: expect.any(String) as unknown });
  });

  it('probes /healthz and /readyz on the metrics port, which the Service exposes', () => {
    const c = okrad(manifests);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    const service = find(manifests, 'Service');
    expect(service.spec).toMatchObject({ ports: [{ name: 'metrics', port: 8080, targetPort: 'metrics' }] });
    const labels = (find(manifests, 'Deployment').spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(labels).toMatchObject((service.spec as { selector: Record<string, string> }).selector);
  });

  it('creates its ServiceAccount and binds every role to it, in the release namespace', () => {
    const sa = find(manifests, 'ServiceAccount');
    expect(sa.metadata).toMatchObject({ name: 'okra', namespace: 'okra-system' });
    expect(podSpec(manifests).serviceAccountName).toBe('okra');
    const bindings = manifests.filter((m) => m.kind.endsWith('Binding'));
    expect(bindings.map((b) => `${b.kind}/${b.metadata.name}`).sort()).toEqual(['ClusterRoleBinding/okra-cluster', 'ClusterRoleBinding/okra-manager', 'RoleBinding/okra']);
    for (const b of bindings) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'okra', namespace: 'okra-system' }]);
    expect(find(manifests, 'Role').metadata.namespace).toBe('okra-system');
  });

  it('has no wildcard in any RBAC rule and no ServiceMonitor', () => {
    const rules = rulesOf(manifests);
    expect(rules.length).toBeGreaterThan(10);
    expect(rules.flatMap(ruleTokens).filter((t) => t.includes('*'))).toEqual([]);
    expect(manifests.some((m) => m.kind === 'ServiceMonitor')).toBe(false);
  });
});

const IRSA_ROLE = 'arn:aws:iam::123456789012:role/okra';

/** Values a user changes most, all at once. */
function customValues(watchNamespace: string): Record<string, unknown> {
  return {
    replicaCount: 2,
    analysisEngine: 'argo-rollouts',
    watchNamespace,
    region: 'eu-west-1',
    resyncPeriod: '30s',
    logLevel: 'debug',
    workers: 4,
    image: { tag: 'v9.9.9' },
    serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': IRSA_ROLE } },
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    extraEnv: [
      { name: 'DD_API_KEY', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=400' },
    ],
    extraArgs: ['--log-level=trace'],
  };
}

describe('helm template with non-default values', () => {
  let manifests: Manifest[];
  beforeAll(async () => {
    manifests = await render('prod', 'ops', customValues('team-a'));
  });

  it('annotates the ServiceAccount for IRSA', () => {
    expect(find(manifests, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': IRSA_ROLE });
  });

  it('passes every setting to okrad as flags, extra arguments last', () => {
    const c = okrad(manifests);
    expect(c.image).toBe('ghcr.io/mumoshu/okra:v9.9.9');
    expect(c.args).toEqual([
      '--metrics-bind-address=:8080',
      '--resync-period=30s',
      '--log-level=debug',
      '--workers=4',
      '--analysis-engine=argo-rollouts',
      '--analysis-instance-id=okra',
      '--leader-elect',
      '--leader-election-id=okra',
      '--namespace=team-a',
      '--region=eu-west-1',
      '--log-level=trace',
    ]);
    expect(find(manifests, 'Deployment').spec).toMatchObject({ replicas: 2 });
  });

  it('appends extraEnv after the chart’s own variables', () => {
    expect(okrad(manifests).env.map((e) => e.name)).toEqual(['POD_NAMESPACE', 'HOME', 'DD_API_KEY', 'NODE_OPTIONS']);
    expect(okrad(manifests).env[2]).toEqual({ name: 'DD_API_KEY', valueFrom: { secretKeyRef: { name: 'datadog', key: 'api-key' } } });
  });

  it('scrapes the metrics Service with a ServiceMonitor carrying the extra labels', () => {
    const monitor = find(manifests, 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(find(manifests, 'Service').metadata.labels).toMatchObject(spec.selector.matchLabels);
  });

  it('grants the namespaced permissions in the watched namespace only, and own-namespace Secret reads', () => {
    const manager = find(manifests, 'RoleBinding', 'prod-okra-manager');
    expect(manager.metadata.namespace).toBe('team-a');
    expect(manager.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prod-okra-manager' });
    expect(manifests.filter((m) => m.kind === 'ClusterRoleBinding').map((m) => m.metadata.name)).toEqual(['prod-okra-cluster']);
    const own = find(manifests, 'Role', 'prod-okra');
    expect(own.metadata.namespace).toBe('ops');
    expect(own.rules).toContainEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] });
    expect(rulesOf(manifests).flatMap(ruleTokens).filter((t) => t.includes('*'))).toEqual([]);
  });
});

describe('NOTES', () => {
  it('tells what was installed, how to check it, and what AWS setup is missing', async () => {
    const kubeconfig = ['--kubeconfig', stack().management.kubeconfig];
    const [plain, custom] = await Promise.all([
      helm(['install', 'okra', chart, '--namespace', 'okra-system', '--dry-run=client', ...kubeconfig]),
      helm(['install', 'prod', chart, '--namespace', 'ops', '--dry-run=client', ...kubeconfig], { ...customValues('team-a'), serviceMonitor: { enabled: false } }),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    const notes = plain.stdout.slice(plain.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl -n okra-system rollout status deployment/okra');
    expect(notes).toContain('all namespaces');
    expect(notes).toContain('Lease "okra" in "okra-system"');
    expect(notes).toContain('port-forward service/okra-metrics 8080');
    expect(notes).toContain('no eks.amazonaws.com/role-arn annotation');
    expect(notes).toContain('no AWS region');
    const customNotes = custom.stdout.slice(custom.stdout.indexOf('NOTES:'));
    expect(customNotes).toContain('namespace "team-a" only');
    expect(customNotes).toContain('analysisEngine: argo-rollouts');
    expect(customNotes).not.toContain('role-arn annotation');
    expect(customNotes).not.toContain('no AWS region');
  });
});

describe('kubectl apply --dry-run=server', () => {
  let ns: string;
  let watched: string;
  beforeAll(async () => {
    [ns, watched] = await Promise.all([createNamespace(client, 'chart-dry'), createNamespace(client, 'chart-dry-watched')]);
  });
  afterAll(async () => {
    await Promise.all([deleteNamespace(client, ns), deleteNamespace(client, watched)]);
  });

  it.each([
    ['default values', (): Record<string, unknown> => ({})],
    ['non-default values (without the ServiceMonitor, whose CRD is not installed)', (): Record<string, unknown> => ({ ...customValues(watched), serviceMonitor: { enabled: false } })],
  ])('the apiserver accepts every rendered object with %s', async (_case, values) => {
    const text = await renderText(`okra-${uniqueSuffix()}`, ns, values());
    const out = await kubectl('management', ['apply', '--dry-run=server', '-f', '-'], text);
    // kubectl names each object kind.group/name, e.g. deployment.apps/okra-x or serviceaccount/okra-x.
    const expected = parseManifests(text).map((m) => {
      const group = m.apiVersion.includes('/') ? `.${m.apiVersion.split('/')[0] ?? ''}` : '';
      return `${m.kind.toLowerCase()}${group}/${m.metadata.name} created (server dry run)`;
    });
    expect(out.trim().split('\n').sort()).toEqual(expected.sort());
  });
});

const OKRA = 'okra.mumo.co';
const ARGO = 'argoproj.io';

/** Where a permission is checked: a namespace okrad watches, its own namespace, or cluster-wide. */
type Scope = 'watched' | 'own' | 'cluster';

/** One permission: verbs on a resource (group-qualified for kubectl), optionally a subresource or a name. */
interface Access {
  readonly verbs: readonly string[];
  readonly resource: string;
  readonly subresource?: string;
  readonly scope: Scope;
  /** Who needs it (allowed table) or why it must be refused (denied table). */
  readonly why: string;
}

/**
 * Every API call okrad makes on the management cluster, from the code: informers (list, watch), client.get
 * (get), create, apply and mergePatch (patch), replace (update), delete; status writes on /status except
 * for AnalysisRuns (no status subresource); `update` on <owner>/finalizers for the ownerReferences with
 * blockOwnerDeletion okrad sets.
 */
const NEEDED: readonly Access[] = [
  { verbs: ['get', 'list', 'watch', 'patch'], resource: `cells.${OKRA}`, scope: 'watched', why: 'Cell: informer, fresh read, finalizer patch' },
  { verbs: ['patch'], resource: `cells.${OKRA}`, subresource: 'status', scope: 'watched', why: 'Cell: status' },
  { verbs: ['update'], resource: `cells.${OKRA}`, subresource: 'finalizers', scope: 'watched', why: 'Cell: owns Pauses, AnalysisRuns, Experiments' },
  { verbs: ['get', 'list', 'watch', 'create', 'update'], resource: `versionblocklists.${OKRA}`, scope: 'watched', why: 'Cell: blockVersion (get, create, replace), informer' },
  { verbs: ['list', 'watch', 'patch', 'delete'], resource: `awstargetgroups.${OKRA}`, scope: 'watched', why: 'Cell informer; AWSTargetGroupSet apply and delete' },
  { verbs: ['get', 'list', 'watch', 'create', 'delete'], resource: `pauses.${OKRA}`, scope: 'watched', why: 'Pause: informer, read; Cell: create, delete superseded' },
  { verbs: ['patch'], resource: `pauses.${OKRA}`, subresource: 'status', scope: 'watched', why: 'Pause: status' },
  { verbs: ['get', 'list', 'watch'], resource: `clustersets.${OKRA}`, scope: 'watched', why: 'ClusterSet: informer, read' },
  { verbs: ['patch'], resource: `clustersets.${OKRA}`, subresource: 'status', scope: 'watched', why: 'ClusterSet: status' },
  { verbs: ['update'], resource: `clustersets.${OKRA}`, subresource: 'finalizers', scope: 'watched', why: 'ClusterSet: owns cluster Secrets' },
  { verbs: ['get', 'list', 'watch'], resource: `awstargetgroupsets.${OKRA}`, scope: 'watched', why: 'AWSTargetGroupSet: informer, read' },
  { verbs: ['patch'], resource: `awstargetgroupsets.${OKRA}`, subresource: 'status', scope: 'watched', why: 'AWSTargetGroupSet: status' },
  { verbs: ['update'], resource: `awstargetgroupsets.${OKRA}`, subresource: 'finalizers', scope: 'watched', why: 'AWSTargetGroupSet: owns AWSTargetGroups' },
  { verbs: ['get', 'list', 'watch'], resource: `awsapplicationloadbalancerconfigs.${OKRA}`, scope: 'watched', why: 'ALB config: informer, read' },
  { verbs: ['patch'], resource: `awsapplicationloadbalancerconfigs.${OKRA}`, subresource: 'status', scope: 'watched', why: 'ALB config: status' },
  { verbs: ['get', 'list', 'watch', 'patch', 'delete'], resource: 'secrets', scope: 'watched', why: 'ClusterSet apply/delete, informers, analysis secret reads' },
  { verbs: ['create'], resource: 'events', scope: 'watched', why: 'every controller: Events' },
  { verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'], resource: `analysisruns.${ARGO}`, scope: 'watched', why: 'Cell gates; builtin engine status patch' },
  { verbs: ['get'], resource: `analysistemplates.${ARGO}`, scope: 'watched', why: 'Cell: analysis step templates' },
  { verbs: ['list', 'watch', 'create', 'delete'], resource: `experiments.${ARGO}`, scope: 'watched', why: 'Cell: experiment steps' },
  { verbs: ['get'], resource: 'replicasets.apps', scope: 'watched', why: 'Cell: experiment specRef' },
  { verbs: ['get'], resource: `clusteranalysistemplates.${ARGO}`, scope: 'cluster', why: 'Cell: clusterScope templates' },
  { verbs: ['list'], resource: 'targetgroupbindings.elbv2.k8s.aws', scope: 'cluster', why: 'AWSTargetGroupSet: in-cluster Argo CD cluster' },
  { verbs: ['get'], resource: '/apis/argoproj.io/v1alpha1', scope: 'cluster', why: 'okrad: is Argo Rollouts installed (system:discovery)' },
  { verbs: ['create'], resource: 'leases.coordination.k8s.io', scope: 'own', why: 'leader election: first campaign' },
  { verbs: ['get', 'update'], resource: 'leases.coordination.k8s.io/okra', scope: 'own', why: 'leader election: renew' },
];

/** Things okrad never does, so its ServiceAccount must not be able to. */
const REFUSED: readonly Access[] = [
  { verbs: ['*'], resource: '*', scope: 'cluster', why: 'no wildcard grant' },
  { verbs: ['delete'], resource: 'namespaces', scope: 'cluster', why: 'never touches namespaces' },
  { verbs: ['list'], resource: 'nodes', scope: 'cluster', why: 'never reads nodes' },
  { verbs: ['create', 'escalate', 'bind'], resource: 'clusterroles.rbac.authorization.k8s.io', scope: 'cluster', why: 'no RBAC escalation' },
  { verbs: ['impersonate'], resource: 'users', scope: 'cluster', why: 'no impersonation' },
  { verbs: ['create'], resource: `clusteranalysistemplates.${ARGO}`, scope: 'cluster', why: 'templates are only read' },
  { verbs: ['create'], resource: 'pods', scope: 'watched', why: 'runs no workloads' },
  { verbs: ['create', 'update', 'deletecollection'], resource: 'secrets', scope: 'watched', why: 'Secrets are only applied (patch)' },
  { verbs: ['create', 'update', 'delete'], resource: `cells.${OKRA}`, scope: 'watched', why: 'Cells belong to users' },
  { verbs: ['update'], resource: `cells.${OKRA}`, subresource: 'status', scope: 'watched', why: 'status is patched, not replaced' },
  { verbs: ['create', 'delete'], resource: `clustersets.${OKRA}`, scope: 'watched', why: 'ClusterSets belong to users' },
  { verbs: ['deletecollection'], resource: `analysisruns.${ARGO}`, scope: 'watched', why: 'gates are deleted one by one' },
  { verbs: ['create', 'delete'], resource: `analysistemplates.${ARGO}`, scope: 'watched', why: 'templates are only read' },
  { verbs: ['list', 'patch'], resource: 'replicasets.apps', scope: 'watched', why: 'only the named ReplicaSet is read' },
  { verbs: ['patch', 'delete'], resource: 'events', scope: 'watched', why: 'Events are only created' },
  { verbs: ['update', 'delete'], resource: 'leases.coordination.k8s.io/other-lease', scope: 'own', why: 'only its own Lease' },
  { verbs: ['create'], resource: 'leases.coordination.k8s.io', scope: 'watched', why: 'Leases only in its own namespace' },
];

/** One `kubectl auth can-i` question. */
interface Question {
  readonly verb: string;
  readonly access: Access;
  readonly namespace: string | undefined;
}

function expand(table: readonly Access[], where: { watched: string; own: string }): Question[] {
  return table.flatMap((access) =>
    access.verbs.map((verb) => ({ verb, access, namespace: access.scope === 'cluster' ? undefined : where[access.scope] })),
  );
}

function describeQuestion(q: Question): string {
  const sub = q.access.subresource ? `/${q.access.subresource}` : '';
  return `${q.verb} ${q.access.resource}${sub} in ${q.namespace ?? '(cluster)'} — ${q.access.why}`;
}

/** The groups the apiserver gives a ServiceAccount (and an impersonated one, as `kubectl auth can-i --as`). */
function serviceAccountGroups(user: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${user.split(':')[2] ?? ''}`, 'system:authenticated'];
}

/** The SubjectAccessReview for a question: what `kubectl auth can-i` sends, for any resource, served or not. */
function review(user: string, q: Question): object {
  const spec = { user, groups: serviceAccountGroups(user) };
  if (q.access.resource.startsWith('/')) {
    return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { ...spec, nonResourceAttributes: { verb: q.verb, path: q.access.resource } } };
  }
  const [groupResource = '', name = ''] = q.access.resource.split('/');
  const [resource = '', ...group] = groupResource.split('.');
  const attributes = { verb: q.verb, resource, group: resource === '*' ? '*' : group.join('.'), subresource: q.access.subresource ?? '', name, namespace: q.namespace ?? '' };
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { ...spec, resourceAttributes: attributes } };
}

/**
 * The authorizer's answer to every question, from one `kubectl create` of a List of SubjectAccessReviews.
 * One process per table instead of one `kubectl auth can-i` per question (hundreds of them) keeps this fast;
 * the last RBAC test checks that `kubectl auth can-i --as` gives the same answers.
 */
async function answers(user: string, questions: readonly Question[]): Promise<boolean[]> {
  const list = { apiVersion: 'v1', kind: 'List', items: questions.map((q) => review(user, q)) };
  // kubectl prints each created review in order; one line per answer.
  const out = await kubectl('management', ['create', '-f', '-', '-o', 'jsonpath={.status.allowed}{"\\n"}'], JSON.stringify(list));
  const results = out.trim().split('\n');
  if (results.length !== questions.length) throw new Error(`asked ${questions.length} questions, got ${results.length} answers: ${out}`);
  return results.map((r) => r === 'true');
}

/** The questions whose answer is not `expected`, described for the failure message. */
async function wrongAnswers(user: string, questions: readonly Question[], expected: boolean): Promise<string[]> {
  const allowed = await answers(user, questions);
  return questions.filter((_q, i) => allowed[i] !== expected).map(describeQuestion);
}

/** `kubectl auth can-i <verb> <resource> --as=<user>`: true for "yes", false for "no". */
async function canI(user: string, q: Question): Promise<boolean> {
  const scope = q.namespace ? ['--namespace', q.namespace] : q.access.resource.startsWith('/') ? [] : ['--all-namespaces'];
  const sub = q.access.subresource ? [`--subresource=${q.access.subresource}`] : [];
  const args = ['--kubeconfig', stack().management.kubeconfig, 'auth', 'can-i', q.verb, q.access.resource, ...sub, ...scope, `--as=${user}`];
  const res = await run(stackPaths().kubectl, args);
  const answer = res.stdout.trim().split(/\s+/).at(-1);
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return answer === 'yes';
}

describe('RBAC, applied for real and checked with the apiserver’s authorizer', () => {
  const suffix = uniqueSuffix();
  const clusterWide = `okra-all-${suffix}`;
  const scoped = `okra-ns-${suffix}`;
  let ns: string;
  let watched: string;
  const sa = (release: string): string => `system:serviceaccount:${ns}:${release}`;

  beforeAll(async () => {
    [ns, watched] = await Promise.all([createNamespace(client, 'chart-rbac'), createNamespace(client, 'chart-watched')]);
    const only = ['serviceaccount.yaml', 'rbac.yaml'];
    const texts = await Promise.all([renderText(clusterWide, ns, {}, only), renderText(scoped, ns, { watchNamespace: watched }, only)]);
    await kubectl('management', ['apply', '-f', '-'], texts.join('\n---\n'));
  });
  afterAll(async () => {
    await kubectl('management', ['delete', 'clusterrole,clusterrolebinding', '-l', `app.kubernetes.io/instance in (${clusterWide},${scoped})`, '--ignore-not-found']);
    await Promise.all([deleteNamespace(client, ns), deleteNamespace(client, watched)]);
  });

  it('lets a cluster-wide install do every call its controllers make, in any namespace', async () => {
    // A namespace nobody created: cluster-wide grants do not depend on it.
    const questions = expand(NEEDED, { watched: `team-${suffix}`, own: ns });
    expect(await wrongAnswers(sa(clusterWide), questions, true)).toEqual([]);
  });

  it('refuses a cluster-wide install everything its controllers never do', async () => {
    const questions = expand(REFUSED, { watched: `team-${suffix}`, own: ns });
    expect(await wrongAnswers(sa(clusterWide), questions, false)).toEqual([]);
  });

  it('lets a watchNamespace install do every call in the watched namespace, and read Secrets in its own', async () => {
    const ownSecrets: Access = { verbs: ['get'], resource: 'secrets', scope: 'own', why: 'default datadog Secret in okrad’s namespace' };
    const questions = expand([...NEEDED, ownSecrets], { watched, own: ns });
    expect(await wrongAnswers(sa(scoped), questions, true)).toEqual([]);
  });

  it('confines a watchNamespace install to the watched namespace', async () => {
    const elsewhere = NEEDED.filter((a) => a.scope === 'watched');
    const questions = [...expand(elsewhere, { watched: 'default', own: ns }), ...expand(REFUSED, { watched, own: ns })];
    const ownSecretWrites: Access = { verbs: ['list', 'watch', 'patch', 'delete'], resource: 'secrets', scope: 'own', why: 'only reads in its own namespace' };
    expect(await wrongAnswers(sa(scoped), [...questions, ...expand([ownSecretWrites], { watched, own: ns })], false)).toEqual([]);
  });

  it('gets the same answers from kubectl auth can-i --as', async () => {
    const sample = [
      ...expand([NEEDED.find((a) => a.subresource === 'status')!, NEEDED.find((a) => a.resource.startsWith('/'))!, NEEDED.at(-1)!], { watched, own: ns }),
      ...expand([REFUSED[0]!, REFUSED.find((a) => a.resource.includes('other-lease'))!], { watched, own: ns }),
      ...expand([NEEDED.find((a) => a.resource === 'secrets')!], { watched: 'default', own: ns }),
    ];
    const [reviewed, kubectlSays] = await Promise.all([answers(sa(scoped), sample), mapLimit(sample, 4, (q) => canI(sa(scoped), q))]);
    expect(kubectlSays).toEqual(reviewed);
    expect(kubectlSays).toContain(true);
    expect(kubectlSays).toContain(false);
  });

  it('is enough for okrad itself: started with the rendered arguments and the ServiceAccount token, it syncs, leads and reconciles', async () => {
    const token = (await kubectl('management', ['create', 'token', scoped, '--namespace', ns, '--duration=1h'])).trim();
    const kubeconfig = writeKubeconfig(token);
    const deployment = parseManifests(await renderText(scoped, ns, { watchNamespace: watched }, ['deployment.yaml']));
    const proc = startOkrad(okrad(deployment).args, { KUBECONFIG: kubeconfig, POD_NAMESPACE: ns });
    let exitCode: number;
    try {
      const port = await proc.started;
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      await vi.waitFor(async () => {
        expect(await kubectl('management', ['get', 'lease', 'okra', '--namespace', ns, '-o', 'jsonpath={.spec.holderIdentity}'])).not.toBe('');
      }, { timeout: 20_000, interval: 200 });
      await client.create<Pause>(PauseType, { apiVersion: `${OKRA}/v1alpha1`, kind: 'Pause', metadata: { name: 'over', namespace: watched }, spec: { expireTime: '2020-01-01T00:00:00Z' } });
      await vi.waitFor(async () => {
        expect((await client.get<Pause>(PauseType, 'over', watched))?.status?.phase).toBe('Expired');
      }, { timeout: 20_000, interval: 200 });
    } finally {
      exitCode = await proc.stop();
    }
    expect(exitCode).toBe(0);
    // On SIGTERM it released its Lease (an update), so a standby would take over at once.
    expect(await kubectl('management', ['get', 'lease', 'okra', '--namespace', ns, '-o', 'jsonpath={.spec.holderIdentity}'])).toBe('');
    expect(proc.output()).not.toMatch(/forbidden/i);
  });

  function writeKubeconfig(token: string): string {
    const file = join(tmp, `sa-${uniqueSuffix()}.kubeconfig`);
    const { server, caPem } = stack().management;
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'management', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      users: [{ name: 'okrad', user: { token } }],
      contexts: [{ name: 'okrad', context: { cluster: 'management', user: 'okrad' } }],
      'current-context': 'okrad',
    };
    writeFileSync(file, JSON.stringify(config));
    return file;
  }
});

/** A running okrad process started from source. */
interface OkradProcess {
  /** Resolves with the metrics port once okrad logged that it started (its informers synced). */
  readonly started: Promise<number>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  output(): string;
}

/** Runs src/cli/okrad.ts with `args` (metrics on a free loopback port) and only `env` plus moto's AWS settings. */
function startOkrad(args: readonly string[], env: Record<string, string>): OkradProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'okrad.ts'), ...args, '--metrics-bind-address=127.0.0.1:0'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: stack().region,
      AWS_ENDPOINT_URL: stack().moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => { resolve(code ?? -1); }));
  const started = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`okrad did not start within 40s:\n${out.slice(-4000)}`)); }, 40_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const port = /"port":(\d+)[^\n]*okrad started|okrad started[^\n]*"port":(\d+)/.exec(out);
      if (port) {
        clearTimeout(timer);
        resolve(Number(port[1] ?? port[2]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`okrad exited with ${code}:\n${out.slice(-4000)}`)); });
  });
  return {
    started,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    output: () => out,
  };
}
