// Small pieces every okra object command shares: the object's name (positional, or --name as okra 0.x
// spelled it), the event recorder a pass writes to (none under --dry-run), and how a dry run or a single
// object is printed.
import type { KubeClient } from '../../kube/client.js';
import { KubeEventRecorder, MemoryEventRecorder, type EventRecorder } from '../../runtime/events.js';
import { silentLogger } from '../../runtime/log.js';
import { CliError, writeDocument, type GlobalOptions } from '../common.js';

/** The `--name` option object commands accept besides their NAME argument. */
export interface NameOption {
  readonly name?: string;
}

/** The object name from NAME or --name (okra 0.x took only --name); exactly one is needed. */
export function objectName(positional: string | undefined, opts: NameOption, kind: string): string {
  if (positional && opts.name && positional !== opts.name) throw new CliError(`${kind} name given twice: ${positional} and --name ${opts.name}`);
  const name = positional ?? opts.name;
  if (!name) throw new CliError(`missing ${kind} name: pass NAME (or --name NAME)`);
  return name;
}

/** Where a pass records Events: the API server, or nowhere under --dry-run (it must write nothing). */
export function eventRecorder(client: KubeClient, dryRun: boolean): EventRecorder {
  return dryRun ? new MemoryEventRecorder() : new KubeEventRecorder(client, 'okra-cli', silentLogger());
}

/** Prints one object as JSON with -o json, else as YAML (what --dry-run shows). */
export function printDocument(g: GlobalOptions, value: unknown): void {
  writeDocument(g.output === 'json' ? 'json' : 'yaml', value);
}
