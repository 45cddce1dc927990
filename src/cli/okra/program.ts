// The `okra` command tree: the standalone tool that runs each controller's logic once, for CI and
// debugging. Command groups are registered by the pipeline they belong to.
import { Command } from 'commander';
import { addGlobalOptions } from '../common.js';
import { registerAlbConfigSync } from './albconfig.js';
import { registerCreateAnalysisRun, registerUpdateAnalysisRun } from './analysis.js';
import { registerCellPlan, registerCellRun, registerCellSync } from './cell.js';
import { registerCreateCluster, registerDiscoveryGet, registerDiscoverySync } from './discovery.js';
import { registerRolloutGet } from './get.js';
import { registerPauseCancel, registerPauseSync } from './pause.js';

/** Builds the okra program. */
export function okraProgram(): Command {
  const program = addGlobalOptions(
    new Command('okra')
      .description('run okra controller logic once against a cluster and AWS: sync, plan, run, create, update, cancel, get (for CI and debugging)')
      .version('0.1.0')
      .showHelpAfterError(),
  );
  const create = program.command('create').description('create objects okra works with');
  registerCreateCluster(create);
  registerCreateAnalysisRun(create);
  const sync = program.command('sync').description('run one controller pass for an object');
  registerDiscoverySync(sync);
  registerCellSync(sync);
  registerPauseSync(sync);
  registerAlbConfigSync(sync);
  const plan = program.command('plan').description("show what an object's next controller pass would do, writing nothing");
  registerCellPlan(plan);
  const run = program.command('run').description('run controller passes in-process until an object is done');
  registerCellRun(run);
  const update = program.command('update').description('change objects by hand (test aids)');
  registerUpdateAnalysisRun(update);
  const cancel = program.command('cancel').description('cancel running objects');
  registerPauseCancel(cancel);
  const get = program.command('get').description('list objects');
  registerDiscoveryGet(get);
  registerRolloutGet(get);
  return program;
}
