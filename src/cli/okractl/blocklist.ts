// okractl block / unblock: edit the VersionBlocklist named after a Cell (the one its controller reads and
// writes on a failed analysis). Pure list edits plus a read-modify-write guarded by resourceVersion,
// retried on a conflict, so an entry the controller adds meanwhile is never lost.
import type { Command } from 'commander';
import semver from 'semver';
import type { Cell } from '../../api/v1alpha1/cell.js';
import { VersionBlocklistType, type BlockedVersion, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists, isConflict } from '../../kube/errors.js';
import { CliError, globals, kubeClient, namespaceOf } from '../common.js';
import { isAborted, readCell, type CellRef } from './cells.js';

/** Cause recorded when `--cause` is not given. */
export const DEFAULT_CAUSE = 'blocked by okractl block';

const MAX_ATTEMPTS = 5;

/** The version if it is strict semver (as Cells compare versions), else a CLI error. */
export function checkVersion(version: string): string {
  if (semver.valid(version) !== version) throw new CliError(`version ${JSON.stringify(version)} is not a strict semantic version (for example 1.2.3)`);
  return version;
}

/** The items with `version` added, or undefined when it is already there. */
export function withBlocked(items: readonly BlockedVersion[], version: string, cause: string): BlockedVersion[] | undefined {
  if (items.some((i) => i.version === version)) return undefined;
  return [...items, { version, cause }];
}

/** The items without `version`, or undefined when it is not there. */
export function withoutBlocked(items: readonly BlockedVersion[], version: string): BlockedVersion[] | undefined {
  const rest = items.filter((i) => i.version !== version);
  return rest.length === items.length ? undefined : rest;
}

/**
 * Applies `edit` to the Cell's blocklist items (an absent blocklist has none) and writes the result;
 * `edit` returning undefined means nothing to change. Returns whether something was written.
 */
async function editBlocklist(client: KubeClient, ref: CellRef, edit: (items: readonly BlockedVersion[]) => BlockedVersion[] | undefined): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current = await client.get<VersionBlocklist>(VersionBlocklistType, ref.name, ref.namespace);
    const items = edit(current?.spec.items ?? []);
    if (items === undefined) return false;
    try {
      if (current) await client.replace<VersionBlocklist>(VersionBlocklistType, { ...current, spec: { items } });
      else await client.create<VersionBlocklist>(VersionBlocklistType, { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'VersionBlocklist', metadata: { ...ref }, spec: { items } });
      return true;
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err)) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Removes a version from the Cell's blocklist; false when it was not blocked. */
export async function unblockVersion(client: KubeClient, ref: CellRef, version: string): Promise<boolean> {
  return editBlocklist(client, ref, (items) => withoutBlocked(items, version));
}

async function block(client: KubeClient, ref: CellRef, version: string, cause: string): Promise<string> {
  const cell = await readCell(client, ref);
  const added = await editBlocklist(client, ref, (items) => withBlocked(items, version, cause));
  if (!added) return `version ${version} is already blocked for cell/${ref.name}`;
  const s = cell.status ?? {};
  const live = s.desiredVersion === version && s.stableVersion !== version && s.abort !== true;
  return `version ${version} blocked for cell/${ref.name}${live ? `: its rollout stops and ${s.stableVersion ?? 'the stable version'} goes back to 100%` : ''}`;
}

/**
 * The line `unblock` adds when the Cell is aborted on that very version: the controller holds an aborted
 * version until okractl retry clears the abort, so unblocking alone runs nothing again.
 */
export function abortedHint(cell: Cell, version: string): string | undefined {
  const s = cell.status ?? {};
  if (!isAborted(cell) || s.desiredVersion !== version || s.stableVersion === version) return undefined;
  const name = cell.metadata.name ?? '';
  return `cell/${name} stays aborted on ${version} until okractl retry ${name} (which runs its steps again)`;
}

async function unblock(client: KubeClient, ref: CellRef, version: string, ignoreNotFound: boolean): Promise<string[]> {
  const hint = abortedHint(await readCell(client, ref), version);
  const hints = hint === undefined ? [] : [hint];
  if (await unblockVersion(client, ref, version)) return [`version ${version} unblocked for cell/${ref.name}`, ...hints];
  const blocked = (await client.get<VersionBlocklist>(VersionBlocklistType, ref.name, ref.namespace))?.spec.items.map((i) => i.version) ?? [];
  const message = `version ${version} is not blocked for cell/${ref.name} (blocked: ${blocked.length > 0 ? blocked.join(', ') : 'none'})`;
  if (ignoreNotFound) return [message, ...hints];
  throw new CliError(message);
}

/** Registers block and unblock. */
export function registerBlocklistCommands(program: Command): void {
  program
    .command('block <cell> <version>')
    .description('add a version to the Cell\'s VersionBlocklist: the Cell will not roll it out (a rollout of it in progress stops)')
    .option('--cause <text>', 'why the version is blocked (shown in the Cell\'s status)', DEFAULT_CAUSE)
    .action(async (name: string, version: string, opts: { cause: string }, cmd: Command) => {
      const g = globals(cmd);
      const message = await block(kubeClient(g), { name, namespace: namespaceOf(g) }, checkVersion(version), opts.cause);
      process.stdout.write(`${message}\n`);
    });
  program
    .command('unblock <cell> <version>')
    .description('remove a version from the Cell\'s VersionBlocklist, so the Cell may roll it out again (a rollout aborted on it needs okractl retry)')
    .option('--ignore-not-found', 'succeed when the version is not blocked')
    .action(async (name: string, version: string, opts: { ignoreNotFound?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const lines = await unblock(kubeClient(g), { name, namespace: namespaceOf(g) }, checkVersion(version), opts.ignoreNotFound === true);
      process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    });
}
