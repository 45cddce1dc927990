// `okra get cells|pauses|analysisruns|versionblocklists`: kubectl-style tables of the objects a rollout
// is made of, with the columns that matter for it (phase, versions, step, the Cell a gate belongs to).
import type { Command } from 'commander';
import type { ResourceType } from '../../api/resource.js';
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import { CellType, type Cell } from '../../api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { VersionBlocklistType, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import { GateLabels } from '../../controllers/cell/gates.js';
import type { KubeObject } from '../../kube/client.js';
import { age, globals, kubeClient, namespaceOf, printObjects } from '../common.js';
import { stepLabel } from '../okractl/view.js';

/** One `get` subcommand: what it lists and how a row looks. */
interface Listing<T extends KubeObject> {
  readonly name: string;
  readonly alias: string;
  readonly description: string;
  readonly type: ResourceType;
  readonly headers: readonly string[];
  readonly row: (obj: T) => string[];
}

/** A Cell's row: where its rollout stands (the step 1-based, as okractl shows it). */
export function cellRow(c: Cell): string[] {
  const s = c.status ?? {};
  const rolling = s.desiredVersion !== undefined && s.desiredVersion !== s.stableVersion;
  return [
    c.metadata.namespace ?? '',
    c.metadata.name ?? '',
    s.phase ?? '',
    s.stableVersion ?? '',
    s.desiredVersion ?? '',
    rolling ? `${s.canaryWeight ?? 0}%` : '',
    stepLabel(c),
    age(c.metadata.creationTimestamp),
  ];
}

const cells: Listing<Cell> = {
  name: 'cells',
  alias: 'cell',
  description: 'list Cells with their phase, versions, canary weight and step',
  type: CellType,
  headers: ['namespace', 'name', 'phase', 'stable', 'desired', 'canary', 'step', 'age'],
  row: cellRow,
};

const pauses: Listing<Pause> = {
  name: 'pauses',
  alias: 'pause',
  description: 'list Pauses with their phase, expiry and Cell',
  type: PauseType,
  headers: ['namespace', 'name', 'phase', 'cell', 'expires', 'age'],
  row: (p) => [p.metadata.namespace ?? '', p.metadata.name ?? '', p.status?.phase ?? '', p.metadata.labels?.[GateLabels.cell] ?? '', p.spec.expireTime, age(p.metadata.creationTimestamp)],
};

const analysisRuns: Listing<AnalysisRun> = {
  name: 'analysisruns',
  alias: 'analysisrun',
  description: 'list AnalysisRuns with their phase and the Cell and step they gate',
  type: RolloutsTypes.analysisRun,
  headers: ['namespace', 'name', 'phase', 'cell', 'step', 'age', 'message'],
  row: (r) => [
    r.metadata.namespace ?? '',
    r.metadata.name ?? '',
    r.status?.phase ?? '',
    r.metadata.labels?.[GateLabels.cell] ?? '',
    r.metadata.labels?.[GateLabels.stepIndex] ?? '',
    age(r.metadata.creationTimestamp),
    r.status?.message ?? '',
  ],
};

const blocklists: Listing<VersionBlocklist> = {
  name: 'versionblocklists',
  alias: 'versionblocklist',
  description: 'list VersionBlocklists (versions a Cell will not roll out)',
  type: VersionBlocklistType,
  headers: ['namespace', 'name', 'versions', 'age'],
  row: (b) => [b.metadata.namespace ?? '', b.metadata.name ?? '', b.spec.items.map((i) => i.version).join(','), age(b.metadata.creationTimestamp)],
};

function register<T extends KubeObject>(get: Command, listing: Listing<T>): void {
  get
    .command(listing.name)
    .alias(listing.alias)
    .description(listing.description)
    .option('-l, --selector <selector>', 'label selector')
    .option('-A, --all-namespaces', 'list in every namespace')
    .action(async (opts: { selector?: string; allNamespaces?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const namespace = opts.allNamespaces ? undefined : namespaceOf(g);
      const { items } = await kubeClient(g).list<T>(listing.type, { namespace, labelSelector: opts.selector });
      printObjects(g, items, listing.headers, listing.row);
    });
}

/** Registers `get cells`, `get pauses`, `get analysisruns` and `get versionblocklists`. */
export function registerRolloutGet(get: Command): void {
  register(get, cells);
  register(get, pauses);
  register(get, analysisRuns);
  register(get, blocklists);
}
