// okractl describe cell: the Cell view in full (versions, steps, weights, gates with metric results,
// conditions, Events), or the same snapshot as YAML/JSON with -o for scripts.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { globals, kubeClient, namespaceOf } from '../common.js';
import { cellNotFound } from './cells.js';
import { renderCellView, snapshotCell } from './view.js';

/** Registers `describe cell`. */
export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('show an object in detail')
    .command('cell <name>')
    .alias('cells')
    .description('show a Cell: versions, phase, steps, weights per target group, gates and their metrics, conditions, Events')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const ref = { name, namespace: namespaceOf(g) };
      const snapshot = await snapshotCell(kubeClient(g), ref.namespace, ref.name);
      if (!snapshot) throw cellNotFound(ref);
      if (g.output === 'json') process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
      else if (g.output === 'yaml') process.stdout.write(stringify(snapshot));
      else process.stdout.write(renderCellView(snapshot, { detail: true }));
    });
}
