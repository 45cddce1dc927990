// The `okra` command tree: the standalone tool that runs each controller's logic once, for CI and
// debugging. Command groups are registered by the pipeline they belong to.
import { Command } from 'commander';
import { addGlobalOptions } from '../common.js';
import { registerCreateCluster, registerDiscoveryGet, registerDiscoverySync } from './discovery.js';

/** Builds the okra program. */
export function okraProgram(): Command {
  const program = addGlobalOptions(
    new Command('okra')
      .description('run okra controller logic once against a cluster and AWS: sync, create, get (for CI and debugging)')
      .version('0.1.0')
      .showHelpAfterError(),
  );
  const create = program.command('create').description('create objects okra works with');
  registerCreateCluster(create);
  const sync = program.command('sync').description('run one controller pass for an object');
  registerDiscoverySync(sync);
  const get = program.command('get').description('list objects');
  registerDiscoveryGet(get);
  return program;
}
