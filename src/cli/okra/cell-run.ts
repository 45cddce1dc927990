// The loop behind `okra run cell`: the Cell controller's work queue reduced to one key. Each round
// evaluates the Cell's gates, runs one Cell pass, prints a line when the Cell's state changed, and sleeps
// for as long as the pass asked (never longer than --interval), until the Cell completes, rolls back,
// turns out invalid, the version it follows stops short, or the timeout passes. It talks to the world
// only through a CellDriver.
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { CellPass } from '../../controllers/cell/reconciler.js';
import { sleep as realSleep } from '../../runtime/clock.js';
import { TerminalError, errorMessage } from '../../runtime/errors.js';
import { CliError, ExitCode } from '../common.js';
import { follow, type Followed } from '../followed.js';
import { finishOf, formatMs, progressLine, type Finish } from './cell-report.js';

/** What the loop drives. */
export interface CellDriver {
  /** Evaluates the Cell's gates (AnalysisRuns, Pauses); resolves with when they next need a look (ms). */
  gates(): Promise<number | undefined>;
  /** Runs one Cell pass. */
  pass(): Promise<CellPass>;
  /** The Cell's VersionBlocklist as the last pass saw it (absent: judged without it). */
  blocklist?(): readonly BlockedVersion[];
}

/** How long and how often to run. */
export interface LoopOptions {
  readonly untilComplete: boolean;
  readonly timeoutMs: number;
  /** The longest sleep between passes. */
  readonly intervalMs: number;
  /** The rollout to follow from the start: --for-version, else the version in flight before the first pass. */
  readonly followed?: Followed | undefined;
  /** Consecutive failed rounds (API or AWS errors) before giving up; default 5. */
  readonly maxFailures?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface LoopState {
  lastLine: string | undefined;
  lastStatus: CellStatus | undefined;
  followed: Followed | undefined;
  failures: number;
}

/** Runs rounds until the Cell is done or the timeout passes; resolves with the exit code and a message. */
export async function driveCell(driver: CellDriver, opts: LoopOptions, print: (line: string) => void): Promise<Finish> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const deadline = now() + opts.timeoutMs;
  const state: LoopState = { lastLine: undefined, lastStatus: undefined, followed: opts.followed, failures: 0 };
  for (;;) {
    const round = await runRound(driver, opts, state, print);
    if (round.finish) return round.finish;
    const left = deadline - now();
    if (left <= 0) return timedOut(opts.timeoutMs, state.lastStatus);
    await sleep(Math.min(round.waitMs, left));
  }
}

function timedOut(timeoutMs: number, status: CellStatus | undefined): Finish {
  return { code: ExitCode.timedOut, message: `timed out after ${formatMs(timeoutMs)}; the Cell is ${status ? progressLine(status) : 'not reconciled yet'}` };
}

/** One round: gates, then the Cell pass (so the pass sees the gates' latest phases). */
async function runRound(driver: CellDriver, opts: LoopOptions, state: LoopState, print: (line: string) => void): Promise<{ finish?: Finish; waitMs: number }> {
  let gateWaitMs: number | undefined;
  let pass: CellPass;
  try {
    gateWaitMs = await driver.gates();
    pass = await driver.pass();
  } catch (err) {
    return failedRound(err, opts, state, print);
  }
  state.failures = 0;
  const decision = pass.decision;
  if (!decision) throw new CliError('the Cell no longer exists (or is being deleted)', ExitCode.notFound);
  state.lastStatus = decision.status;
  const line = progressLine(decision.status);
  if (line !== state.lastLine) print(line);
  state.lastLine = line;
  state.followed = follow(state.followed, decision.status);
  const finish = finishOf(decision, opts.untilComplete, state.followed, driver.blocklist?.());
  if (finish) return { finish, waitMs: 0 };
  return { waitMs: Math.min(opts.intervalMs, pass.requeueAfterMs ?? opts.intervalMs, gateWaitMs ?? opts.intervalMs) };
}

/** A spec problem ends the run (4); other failures are retried like the controller would, a few times. */
function failedRound(err: unknown, opts: LoopOptions, state: LoopState, print: (line: string) => void): { finish?: Finish; waitMs: number } {
  if (err instanceof TerminalError) return { finish: { code: ExitCode.invalidSpec, message: `invalid spec: ${err.message}` }, waitMs: 0 };
  if (err instanceof CliError) throw err;
  state.failures += 1;
  const max = opts.maxFailures ?? 5;
  if (state.failures >= max) throw err;
  print(`pass failed (${state.failures}/${max}), retrying: ${errorMessage(err)}`);
  return { waitMs: opts.intervalMs };
}
