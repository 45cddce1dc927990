// okractl get: kubectl-style tables of okra's kinds (or their YAML/JSON with -o), by resource name,
// singular or short alias, in one namespace or all.
import type { Command } from 'commander';
import { BINDING_CLUSTER_LABEL, VERSION_LABEL } from '../../api/labels.js';
import type { ResourceType } from '../../api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { AWSTargetGroupSetType, type AWSTargetGroupSet } from '../../api/v1alpha1/awstargetgroupset.js';
import { CellType, type Cell } from '../../api/v1alpha1/cell.js';
import { ClusterSetType, type ClusterSet } from '../../api/v1alpha1/clusterset.js';
import { VersionBlocklistType, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import type { KubeObject } from '../../kube/client.js';
import { age, CliError, ExitCode, globals, kubeClient, namespaceOf, printObject, printObjects } from '../common.js';
import { stepLabel } from './view.js';

/** A kind `get` lists: its names on the command line, its table columns and how one object fills them. */
export interface Listable {
  readonly type: ResourceType;
  /** Plural first (as shown in help and errors), then singular and short aliases. */
  readonly names: readonly string[];
  readonly headers: readonly string[];
  readonly row: (obj: KubeObject, now: number) => string[];
}

function readyOf(obj: { status?: { conditions?: readonly { type: string; status: string }[] | undefined } | undefined }): string {
  return obj.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

function cellRow(obj: KubeObject, now: number): string[] {
  const cell = obj as Cell;
  const s = cell.status ?? {};
  const canary = s.canaryWeight === undefined ? '' : `${s.canaryWeight}%`;
  return [cell.metadata.name ?? '', s.phase ?? '', s.desiredVersion ?? '', s.stableVersion ?? '', canary, stepLabel(cell), age(cell.metadata.creationTimestamp, now)];
}

function clusterSetRow(obj: KubeObject, now: number): string[] {
  const set = obj as ClusterSet;
  const clusters = set.status?.clusters?.names?.length ?? 0;
  const lastSync = set.status?.lastSyncTime ? age(set.status.lastSyncTime, now) : '';
  return [set.metadata.name ?? '', set.status?.phase ?? '', readyOf(set), String(clusters), lastSync, age(set.metadata.creationTimestamp, now)];
}

function targetGroupSetRow(obj: KubeObject, now: number): string[] {
  const set = obj as AWSTargetGroupSet;
  const clusters = set.status?.clusters ?? [];
  const targetGroups = clusters.reduce((n, c) => n + c.targetGroups, 0);
  return [set.metadata.name ?? '', set.status?.phase ?? '', readyOf(set), String(clusters.length), String(targetGroups), age(set.metadata.creationTimestamp, now)];
}

function targetGroupRow(obj: KubeObject, now: number): string[] {
  const tg = obj as AWSTargetGroup;
  const labels = tg.metadata.labels ?? {};
  return [tg.metadata.name ?? '', labels[VERSION_LABEL] ?? '', labels[BINDING_CLUSTER_LABEL] ?? '', tg.spec.arn, age(tg.metadata.creationTimestamp, now)];
}

function blocklistRow(obj: KubeObject, now: number): string[] {
  const list = obj as VersionBlocklist;
  return [list.metadata.name ?? '', list.spec.items.map((i) => i.version).join(',') || '<none>', age(list.metadata.creationTimestamp, now)];
}

/** Every kind `get` knows. */
export const LISTABLES: readonly Listable[] = [
  { type: CellType, names: ['cells', 'cell'], headers: ['name', 'phase', 'desired', 'stable', 'canary', 'step', 'age'], row: cellRow },
  { type: ClusterSetType, names: ['clustersets', 'clusterset', 'cs'], headers: ['name', 'phase', 'ready', 'clusters', 'last sync', 'age'], row: clusterSetRow },
  {
    type: AWSTargetGroupSetType,
    names: ['awstargetgroupsets', 'awstargetgroupset', 'tgs', 'atgs'],
    headers: ['name', 'phase', 'ready', 'clusters', 'target groups', 'age'],
    row: targetGroupSetRow,
  },
  { type: AWSTargetGroupType, names: ['awstargetgroups', 'awstargetgroup', 'tg', 'atg'], headers: ['name', 'version', 'cluster', 'arn', 'age'], row: targetGroupRow },
  { type: VersionBlocklistType, names: ['versionblocklists', 'versionblocklist', 'vbl', 'blocklist'], headers: ['name', 'versions', 'age'], row: blocklistRow },
];

/** The kind a command-line resource name means (case-insensitive), or undefined. */
export function listableOf(name: string): Listable | undefined {
  const wanted = name.toLowerCase();
  return LISTABLES.find((l) => l.names.includes(wanted) || `${l.names[0] ?? ''}.${l.type.group}` === wanted);
}

interface GetOptions {
  allNamespaces?: boolean;
  selector?: string;
}

async function get(cmd: Command, resource: string, name: string | undefined, opts: GetOptions): Promise<void> {
  const kind = listableOf(resource);
  if (!kind) throw new CliError(`unknown resource type "${resource}": use one of ${LISTABLES.map((l) => l.names[0] ?? '').join(', ')}`);
  const g = globals(cmd);
  const client = kubeClient(g);
  const now = Date.now();
  const all = opts.allNamespaces === true;
  const namespace = all ? undefined : namespaceOf(g);
  const headers = all ? ['namespace', ...kind.headers] : kind.headers;
  const row = (obj: KubeObject): string[] => (all ? [obj.metadata.namespace ?? '', ...kind.row(obj, now)] : kind.row(obj, now));
  // As kubectl: a get by NAME prints the object, a listing always a List (also of one item or none).
  if (name === undefined) {
    printObjects(g, (await client.list(kind.type, { namespace, labelSelector: opts.selector })).items, headers, row);
    return;
  }
  if (all) throw new CliError('a resource cannot be retrieved by name across all namespaces');
  const found = await client.get(kind.type, name, namespace);
  if (!found) throw new CliError(`${kind.names[1] ?? ''} "${name}" not found in namespace "${namespace ?? ''}"`, ExitCode.notFound);
  printObject(g, found, headers, row);
}

/** Registers `get`. */
export function registerGet(program: Command): void {
  const kinds = LISTABLES.map((l) => `  ${l.names.join(', ')}`).join('\n');
  program
    .command('get <resource> [name]')
    .description('list okra objects as a table (-o yaml|json for the objects)')
    .option('-A, --all-namespaces', 'list in every namespace')
    .option('-l, --selector <selector>', 'label selector, for example app=web')
    .addHelpText('after', `\nResources (and aliases):\n${kinds}`)
    .action(async (resource: string, name: string | undefined, opts: GetOptions, cmd: Command) => {
      await get(cmd, resource, name, opts);
    });
}
