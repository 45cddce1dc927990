// How okractl reads and changes a Cell: a missing Cell is exit code 5 with one line, and every change is
// decided from the Cell as read and written guarded by that read's resourceVersion, so a change never
// applies to a state the user did not see (the controller may have moved a step meanwhile). On a
// conflict the Cell is read and the change decided again.
import { CellType, type Cell } from '../../api/v1alpha1/cell.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import { CliError, ExitCode } from '../common.js';

/** A Cell by name. */
export interface CellRef {
  readonly name: string;
  readonly namespace: string;
}

/** What a command decides to do to a Cell, from the Cell as read. */
export type CellChange =
  /** Nothing to do that makes sense: the command fails with this message (exit 1). */
  | { readonly kind: 'refuse'; readonly message: string }
  /** Already as asked: the command succeeds and prints this. */
  | { readonly kind: 'noop'; readonly message: string }
  /** A JSON merge patch of the status subresource or of the spec, and what to print once written. */
  | { readonly kind: 'patch'; readonly target: 'status' | 'spec'; readonly patch: Readonly<Record<string, unknown>>; readonly message: string };

/** True when the Cell's rollout was aborted (by okractl abort or a failed gate) and not restarted. */
export function isAborted(cell: Cell): boolean {
  const s = cell.status ?? {};
  return s.abort === true || (s.phase === 'Degraded' && s.reason === 'RolloutAborted');
}

/** Optimistic-concurrency attempts before giving up (each one reads the Cell again). */
const MAX_ATTEMPTS = 5;

/** The message of a missing Cell. */
export function cellNotFound(ref: CellRef): CliError {
  return new CliError(`cell "${ref.name}" not found in namespace "${ref.namespace}"`, ExitCode.notFound);
}

/** Reads a Cell; a missing one fails with exit code 5. */
export async function readCell(client: KubeClient, ref: CellRef): Promise<Cell> {
  const cell = await client.get<Cell>(CellType, ref.name, ref.namespace);
  if (!cell) throw cellNotFound(ref);
  return cell;
}

/** Reads the Cell, decides with `plan`, and writes the patch; returns the message to print. */
export async function changeCell(client: KubeClient, ref: CellRef, plan: (cell: Cell) => CellChange): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const cell = await readCell(client, ref);
    const change = plan(cell);
    if (change.kind === 'refuse') throw new CliError(change.message);
    if (change.kind === 'noop') return change.message;
    const body = { metadata: { resourceVersion: cell.metadata.resourceVersion }, [change.target]: change.patch };
    try {
      await client.mergePatch(CellType, ref, body, change.target === 'status' ? { subresource: 'status' } : {});
      return change.message;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
