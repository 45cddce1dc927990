// The `okractl` command tree: kubectl-style operations on Cells that talk only to the API server (the
// controller does the work; okractl reads state and sets the fields the controller honours). Installed
// as `kubectl-okra` it is a kubectl plugin, so its name, and with it every usage line, follows argv[1].
import { basename } from 'node:path';
import { Command } from 'commander';
import { addGlobalOptions } from '../common.js';
import { registerBlocklistCommands } from './blocklist.js';
import { registerDescribe } from './describe.js';
import { registerGet } from './get.js';
import { registerRolloutCommands } from './rollout.js';
import { registerWatch } from './watch.js';

/** The name to show in help: `kubectl okra` when run as the kubectl plugin, else the binary's name. */
export function programName(argv1: string | undefined): string {
  const base = basename(argv1 ?? '').replace(/\.(c|m)?(js|ts)$/, '');
  if (base.startsWith('kubectl-')) return `kubectl ${base.slice('kubectl-'.length)}`;
  return base === '' || base === 'okractl' ? 'okractl' : base;
}

/** Builds the okractl program. */
export function okractlProgram(name = programName(process.argv[1])): Command {
  const program = addGlobalOptions(
    new Command(name)
      .description('operate okra Cells through the API server: get, describe, watch, promote, abort, retry, pause, resume, block, unblock')
      .version('0.1.0')
      .showHelpAfterError()
      // Every subcommand's help lists the global flags too (commands inherit this when created).
      .configureHelp({ showGlobalOptions: true }),
  );
  registerGet(program);
  registerDescribe(program);
  registerWatch(program);
  registerRolloutCommands(program);
  registerBlocklistCommands(program);
  return program;
}
