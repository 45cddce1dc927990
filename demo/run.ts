// `npm run demo`: okra's whole job on a laptop with nothing set up. It starts the local stack (a
// management kube-apiserver, moto) plus one kube-apiserver per "EKS cluster", creates an ALB in moto,
// runs okrad, and tells the story of a cluster hot-swap in a live view:
//   (1) two clusters of 1.0.0 appear → the Cell bootstraps 1.0.0 at 100%;
//   (2) a 2.0.0 cluster appears → setWeight 20 → analysis passes → setWeight 50 → pause → 100%;
//   (3) a 3.0.0 cluster appears → setWeight 20 → analysis fails → traffic back on 2.0.0, 3.0.0 blocklisted.
// It ends with a summary and exits 0; `--keep` leaves everything running until Ctrl-C.
import { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietAwsSdkNodeWarning } from '../src/cli/common.js';
import { DemoWorld } from './world.js';
import { Screen } from './screen.js';
import { runStory } from './story.js';

interface Flags {
  keep: boolean;
}

async function main(flags: Flags): Promise<number> {
  const screen = new Screen(process.stdout, process.stdout.isTTY);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'okra-demo-'));
  // Ctrl-C must stop the apiservers, etcd and moto too, not just this process.
  const interrupted = new Promise<'interrupted'>((resolve) => {
    process.once('SIGINT', () => { resolve('interrupted'); });
    process.once('SIGTERM', () => { resolve('interrupted'); });
  });
  screen.print(`okra demo: starting a management apiserver, four workload apiservers and moto in ${dir} ...`);
  const world = await DemoWorld.start(dir, (line) => { screen.print(line); });
  try {
    const outcome = await Promise.race([runStory(world, screen), interrupted]);
    if (outcome === 'interrupted') return INTERRUPTED;
    screen.print(outcome.summary);
    screen.print(`Finished in ${Math.round((Date.now() - started) / 1000)}s.`);
    if (flags.keep) {
      screen.print(world.howToLookAround());
      await interrupted;
    }
    return outcome.ok ? 0 : 1;
  } catch (err) {
    screen.print(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    screen.print(`okrad's log: ${world.okradLog}`);
    return 1;
  } finally {
    await world.stop({ keepFiles: flags.keep });
  }
}

/** Exit code after Ctrl-C during the story (128 + SIGINT). */
const INTERRUPTED = 130;

quietAwsSdkNodeWarning();
const program = new Command('demo')
  .description('run the okra demo: a full cluster hot-swap on a local stack')
  .option('--keep', 'leave the stack and okrad running at the end (until Ctrl-C) and print how to use okractl against it', false)
  .action(async (flags: Flags) => {
    process.exitCode = await main(flags);
  });
await program.parseAsync(process.argv);
