// okractl watch cell: a live view of a rollout until it ends, with an exit code a pipeline can act on
// (0 Completed, 2 the rollout stopped: rolled back, did not complete or Degraded, 4 InvalidSpec,
// 3 timed out, 5 Cell missing). It follows the version in flight when it starts (or --for-version), so
// a Cell Completed on the old version after that version was blocklisted or lost its target groups is
// reported as the failure it is, not as success.
//
// It polls (one snapshot per second by default) rather than using API server watches: the view combines
// four kinds of objects (the Cell, its gates, the AnalysisRuns' metric results, Events), and a metric
// measured by the analysis engine changes no Cell field, so a Cell watch alone would miss it while four
// watches would each need list-then-watch, resourceVersion expiry and reconnect handling in a short-lived
// CLI. A snapshot is four GETs/LISTs per interval, served from the API server's watch cache, and polling
// keeps the frame identical to `describe` (same snapshotCell). A second of latency is fine for a person.
import type { Command } from 'commander';
import { parseDuration } from '../../api/duration.js';
import type { Cell } from '../../api/v1alpha1/cell.js';
import { VersionBlocklistType, type BlockedVersion, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import type { KubeClient } from '../../kube/client.js';
import { isForbidden } from '../../kube/errors.js';
import { sleep } from '../../runtime/clock.js';
import { CliError, ExitCode, globals, kubeClient, namespaceOf } from '../common.js';
import { asked, blocklistMatters, follow, forVersionFlag, judgeFollowed, type Followed } from '../followed.js';
import { cellNotFound, type CellRef } from './cells.js';
import { renderCellView, snapshotCell, type CellSnapshot } from './view.js';

/** Whether a watch is over, and with which exit code and closing line. */
export type WatchVerdict = { readonly done: false } | { readonly done: true; readonly code: number; readonly message: string };

/**
 * The outcome a Cell shows: Completed → 0, Degraded → 2, InvalidSpec → 4, anything else still running.
 * With `followed` (the first version seen in flight, or --for-version; see followed.ts) only
 * that version's rollout counts: a watch started before the controller noticed the new version does not
 * end on the previous Completed, and one whose version was dropped (blocklisted, target groups gone,
 * superseded) ends with 2 instead of the old version's Completed. A status older than the spec
 * (observedGeneration behind) says nothing yet, and neither does one whose weights are written but not
 * read back (an abort is Degraded at once; traffic is back on stable only after read-back).
 */
export function watchVerdict(cell: Cell, followed?: Followed, blocklist?: readonly BlockedVersion[]): WatchVerdict {
  const s = cell.status ?? {};
  if (settling(cell)) return { done: false };
  if (s.phase === 'InvalidSpec') return ended(cell, ExitCode.invalidSpec, `has an invalid spec: ${s.message ?? ''}`);
  const outcome = judgeFollowed(followed, s, blocklist);
  switch (outcome.kind) {
    case 'stopped':
      return ended(cell, ExitCode.rolledBack, outcome.message);
    case 'completed':
      return ended(cell, ExitCode.ok, `Completed: ${outcome.message}`);
    case 'waiting':
      return { done: false };
    case 'current':
      return phaseVerdict(cell);
  }
}

/** The verdict of a settled phase of the version watched: Completed → 0, Degraded → 2, else running. */
function phaseVerdict(cell: Cell): WatchVerdict {
  const s = cell.status ?? {};
  if (s.phase === 'Completed') return ended(cell, ExitCode.ok, `Completed: ${s.message ?? ''}`);
  if (s.phase === 'Degraded') return ended(cell, ExitCode.rolledBack, `Degraded: ${s.message ?? s.reason ?? ''}`);
  return { done: false };
}

function ended(cell: Cell, code: number, what: string): WatchVerdict {
  return { done: true, code, message: `cell/${cell.metadata.name ?? ''} ${what}` };
}

function settling(cell: Cell): boolean {
  const observed = cell.status?.observedGeneration;
  const generation = cell.metadata.generation;
  return (observed !== undefined && generation !== undefined && observed < generation) || cell.status?.pendingWeights !== undefined;
}

/** What a frame shows, without the times that move every second: a new plain frame only when it changes. */
export function frameKey(snapshot: CellSnapshot): string {
  const { lastSyncTime: _lastSync, ...status } = snapshot.cell.status ?? {};
  return JSON.stringify({ status, paused: snapshot.cell.spec.paused, gates: snapshot.gates, events: snapshot.events });
}

/** Where frames go. */
export interface Terminal {
  /** A terminal: redraw in place, in colour. Otherwise: append a frame only when it changed. */
  readonly tty: boolean;
  readonly color: boolean;
  readonly columns?: number | undefined;
  write(text: string): void;
}

/** Home the cursor and clear the screen. */
const CLEAR = '\u001b[H\u001b[2J';

function draw(snapshot: CellSnapshot, term: Terminal, lastKey: string | undefined): string {
  const key = frameKey(snapshot);
  if (term.tty) {
    const frame = renderCellView(snapshot, { color: term.color, now: new Date(), ...(term.columns ? { width: term.columns } : {}) });
    term.write(`${CLEAR}${frame}`);
  } else if (key !== lastKey) {
    term.write(`${lastKey === undefined ? '' : '\n'}${renderCellView(snapshot, { now: new Date() })}`);
  }
  return key;
}

/** Options of one watch. */
export interface WatchOptions {
  readonly intervalMs: number;
  readonly timeoutMs?: number | undefined;
  readonly version?: string | undefined;
}

/**
 * The Cell's VersionBlocklist entries (none when it has no VersionBlocklist). Undefined when the user may
 * not read VersionBlocklists: the watch then judges from the Cell alone, as it did before reading them.
 */
async function readBlocklist(client: KubeClient, ref: CellRef): Promise<BlockedVersion[] | undefined> {
  try {
    return (await client.get<VersionBlocklist>(VersionBlocklistType, ref.name, ref.namespace))?.spec.items ?? [];
  } catch (err) {
    if (isForbidden(err)) return undefined;
    throw err;
  }
}

/** Shows the Cell until its rollout ends; resolves 0 on Completed, throws a CliError with the exit code otherwise. */
export async function watchCell(client: KubeClient, ref: CellRef, opts: WatchOptions, term: Terminal): Promise<number> {
  const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
  let lastKey: string | undefined;
  let followed = asked(opts.version);
  for (;;) {
    const snapshot = await snapshotCell(client, ref.namespace, ref.name);
    if (!snapshot) throw cellNotFound(ref);
    lastKey = draw(snapshot, term, lastKey);
    followed = follow(followed, snapshot.cell.status ?? {});
    const verdict = await judge(client, ref, snapshot.cell, followed);
    if (verdict.done) {
      if (verdict.code !== ExitCode.ok) throw new CliError(verdict.message, verdict.code);
      term.write(`${verdict.message}\n`);
      return ExitCode.ok;
    }
    const left = deadline === undefined ? opts.intervalMs : deadline - Date.now();
    if (left <= 0) throw timedOut(ref, snapshot.cell);
    await sleep(Math.min(opts.intervalMs, left));
  }
}

/** The verdict on one snapshot, reading the VersionBlocklist (one more GET) only while the Cell is on another version. */
async function judge(client: KubeClient, ref: CellRef, cell: Cell, followed: Followed | undefined): Promise<WatchVerdict> {
  const blocklist = blocklistMatters(followed, cell.status ?? {}) ? await readBlocklist(client, ref) : undefined;
  return watchVerdict(cell, followed, blocklist);
}

function timedOut(ref: CellRef, cell: Cell): CliError {
  const s = cell.status ?? {};
  return new CliError(`timed out waiting for cell/${ref.name} (${s.phase ?? 'no status'}: ${s.message ?? ''})`, ExitCode.timedOut);
}

function durationOption(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new CliError(`${flag} ${JSON.stringify(value)} is not a duration (for example 30s, 5m, 1h)`);
  return ms;
}

/** --interval: 0 would poll the API server in a busy loop. */
function intervalOption(value: string): number {
  const ms = durationOption('--interval', value);
  if (ms <= 0) throw new CliError(`--interval ${JSON.stringify(value)} must be longer than 0 (for example 500ms, 1s)`);
  return ms;
}

/** The default --timeout: a Cell waiting for a promotion must not hold a CI job forever. */
export const DEFAULT_WATCH_TIMEOUT = '30m';

/** The watch flags as commander hands them over. */
export interface WatchFlags {
  readonly timeout: string;
  readonly forVersion?: string | undefined;
  readonly interval: string;
}

/** The flags as a watch needs them; `--timeout 0` means no limit (as in kubectl rollout status). */
export function watchOptions(flags: WatchFlags): WatchOptions {
  const timeoutMs = durationOption('--timeout', flags.timeout);
  const version = flags.forVersion === undefined ? undefined : forVersionFlag(flags.forVersion);
  return { intervalMs: intervalOption(flags.interval), timeoutMs: timeoutMs === 0 ? undefined : timeoutMs, version };
}

/** Registers `watch cell`. */
export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('follow an object live')
    .command('cell <name>')
    .alias('cells')
    .description('show a Cell\'s rollout live until it ends: exit 0 Completed, 2 the rollout stopped (rolled back, did not complete, Degraded), 4 InvalidSpec, 3 timed out')
    .option('--timeout <duration>', 'give up after this long (exit 3); 0 waits without limit', DEFAULT_WATCH_TIMEOUT)
    .option('--for-version <version>', 'wait for the rollout of this version (ignore the outcome of earlier ones); without it, the first version seen in flight')
    .option('--interval <duration>', 'how often to refresh', '1s')
    .action(async (name: string, flags: WatchFlags, cmd: Command) => {
      const g = globals(cmd);
      const tty = process.stdout.isTTY;
      const term: Terminal = { tty, color: tty && !process.env.NO_COLOR, columns: process.stdout.columns, write: (t) => process.stdout.write(t) };
      await watchCell(kubeClient(g), { name, namespace: namespaceOf(g) }, watchOptions(flags), term);
    });
}
