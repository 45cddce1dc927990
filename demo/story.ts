// The demo's three acts, each waiting on the Cell's status while the live view redraws: bootstrap 1.0.0,
// roll out 2.0.0 through its steps with a passing analysis, reject 3.0.0 on a failing analysis. The weight
// changes okrad makes are recorded for the closing summary.
import { RolloutsTypes, type AnalysisRun } from '../src/api/rollouts/analysis.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../src/api/v1alpha1/awstargetgroup.js';
import { CellType, type Cell } from '../src/api/v1alpha1/cell.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import { renderCellView, snapshotCell } from '../src/cli/okractl/view.js';
import type { SecretObject } from '../src/kube/remote.js';
import { CoreTypes } from '../src/api/resource.js';
import { DEMO_NAMESPACE } from './manifests.js';
import type { Screen } from './screen.js';
import type { DemoWorld } from './world.js';

/** One act of the story. */
interface Act {
  readonly title: string;
  readonly version: string;
  readonly done: (cell: Cell, blocklist: VersionBlocklist | undefined) => boolean;
  readonly timeoutMs: number;
}

const ACTS: readonly Act[] = [
  { title: 'bootstrap 1.0.0: two clusters appear; the first version takes 100% at once', version: '1.0.0', done: (c) => c.status?.phase === 'Completed' && c.status.stableVersion === '1.0.0', timeoutMs: 120_000 },
  {
    title: 'roll out 2.0.0: setWeight 20 → analysis (passes) → setWeight 50 → pause 5s → 100%',
    version: '2.0.0',
    done: (c) => c.status?.phase === 'Completed' && c.status.stableVersion === '2.0.0',
    timeoutMs: 150_000,
  },
  {
    title: 'reject 3.0.0: setWeight 20 → analysis (fails) → back to 2.0.0, 3.0.0 blocklisted',
    version: '3.0.0',
    done: (c, b) => c.status?.phase === 'Degraded' && c.status.canaryWeight === 0 && (b?.spec.items ?? []).some((i) => i.version === '3.0.0'),
    timeoutMs: 150_000,
  },
];

/** What the story ended with. */
export interface StoryOutcome {
  readonly ok: boolean;
  readonly summary: string;
}

interface Recording {
  readonly started: number;
  readonly weights: { at: number; line: string }[];
  readonly acts: { title: string; seconds: number }[];
}

/** Plays the three acts. */
export async function runStory(world: DemoWorld, screen: Screen): Promise<StoryOutcome> {
  const rec: Recording = { started: Date.now(), weights: [], acts: [] };
  for (const [index, act] of ACTS.entries()) {
    const actStart = Date.now();
    const clusters = await world.launch(act.version);
    screen.note(`(${index + 1}) EKS cluster(s) ${clusters.join(', ')} with version ${act.version} created, TargetGroupBinding(s) applied`);
    await playAct(world, screen, rec, index);
    rec.acts.push({ title: act.title, seconds: Math.round((Date.now() - actStart) / 100) / 10 });
    screen.note(`(${index + 1}) done in ${rec.acts.at(-1)?.seconds ?? 0}s`);
  }
  return { ok: true, summary: await summary(world, rec) };
}

async function playAct(world: DemoWorld, screen: Screen, rec: Recording, index: number): Promise<void> {
  const act = ACTS[index];
  if (!act) return;
  const deadline = Date.now() + act.timeoutMs;
  for (;;) {
    const state = await observe(world);
    record(world, rec, state.cell);
    screen.show(await frame(world, state, { index, rec, color: screen.tty }));
    if (state.cell && act.done(state.cell, state.blocklist)) return;
    if (Date.now() > deadline) throw new Error(`act ${index + 1} did not finish within ${act.timeoutMs / 1000}s (Cell: ${state.cell?.status?.phase ?? '?'}: ${state.cell?.status?.message ?? ''})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

interface Observed {
  readonly cell: Cell | undefined;
  readonly blocklist: VersionBlocklist | undefined;
  readonly secrets: SecretObject[];
  readonly targetGroups: AWSTargetGroup[];
}

async function observe(world: DemoWorld): Promise<Observed> {
  const [cell, blocklist, secrets, targetGroups] = await Promise.all([
    world.client.get<Cell>(CellType, 'web', DEMO_NAMESPACE),
    world.client.get<VersionBlocklist>(VersionBlocklistType, 'web', DEMO_NAMESPACE),
    world.client.list<SecretObject>(CoreTypes.secret, { namespace: DEMO_NAMESPACE, labelSelector: 'argocd.argoproj.io/secret-type=cluster' }),
    world.client.list<AWSTargetGroup>(AWSTargetGroupType, { namespace: DEMO_NAMESPACE }),
  ]);
  return { cell, blocklist, secrets: secrets.items, targetGroups: targetGroups.items };
}

/** Remembers each distinct set of weights the rule was seen with. */
function record(world: DemoWorld, rec: Recording, cell: Cell | undefined): void {
  const line = (cell?.status?.targetGroups ?? [])
    .filter((t) => t.weight > 0)
    .map((t) => `${world.clusterOf(t.arn) ?? t.name} (${t.version ?? '?'}) ${t.weight}%`)
    .join(', ');
  if (line !== '' && line !== rec.weights.at(-1)?.line) rec.weights.push({ at: Date.now(), line });
}

async function frame(world: DemoWorld, state: Observed, ctx: { index: number; rec: Recording; color: boolean }): Promise<string> {
  const elapsed = Math.round((Date.now() - ctx.rec.started) / 1000);
  const acts = ACTS.map((a, i) => `  ${i < ctx.index ? '✓' : i === ctx.index ? '▶' : '·'} (${i + 1}) ${a.title}`);
  const secrets = state.secrets.map((s) => `${s.metadata.name ?? ''} ${s.metadata.labels?.['okra.mumo.co/version'] ?? ''}`).sort();
  const snapshot = await snapshotCell(world.client, DEMO_NAMESPACE, 'web');
  const blocked = (state.blocklist?.spec.items ?? []).map((i) => `${i.version} (${i.cause})`);
  return [
    `okra demo: a cluster hot-swap behind an ALB listener rule                    ${elapsed}s`,
    ...acts,
    '',
    `EKS clusters → Argo CD cluster Secrets (ClusterSet):  ${secrets.join(', ') || '(none yet)'}`,
    `TargetGroupBindings → AWSTargetGroups (AWSTargetGroupSet):  ${state.targetGroups.length}`,
    '',
    snapshot ? renderCellView(snapshot, { color: ctx.color, width: 78 }).trimEnd() : 'Cell web: not created yet',
    '',
    `VersionBlocklist web:  ${blocked.join('; ') || '(empty)'}`,
  ].join('\n');
}

async function summary(world: DemoWorld, rec: Recording): Promise<string> {
  const runs = (await world.client.list<AnalysisRun>(RolloutsTypes.analysisRun, { namespace: DEMO_NAMESPACE })).items;
  const blocklist = await world.client.get<VersionBlocklist>(VersionBlocklistType, 'web', DEMO_NAMESPACE);
  const t = (at: number): string => `${String(Math.round((at - rec.started) / 1000)).padStart(4)}s`;
  return [
    '',
    'Summary',
    ...rec.acts.map((a, i) => `  ✓ (${i + 1}) ${a.title}  [${a.seconds}s]`),
    '',
    'Weights of the listener rule, as okrad wrote and read them back:',
    ...rec.weights.map((w) => `  ${t(w.at)}  ${w.line}`),
    '',
    'Analysis runs (evaluated by okrad\'s builtin engine):',
    ...runs.map((r) => `  ${r.metadata.name ?? ''}: ${r.status?.phase ?? '?'}${r.status?.message ? ` (${r.status.message})` : ''}`),
    '',
    `VersionBlocklist web: ${(blocklist?.spec.items ?? []).map((i) => `${i.version}: ${i.cause}`).join('; ') || '(empty)'}`,
  ].join('\n');
}
