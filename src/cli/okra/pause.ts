// okra commands for Pauses: `sync pause` runs the Pause controller's pass once (Started, or Expired past
// expireTime), `cancel pause` ends a running Pause early so its Cell step passes at its next pass.
import type { Command } from 'commander';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { cancelPause, pausePhase, reconcilePause } from '../../controllers/pause/reconciler.js';
import type { KubeClient } from '../../kube/client.js';
import { systemClock } from '../../runtime/clock.js';
import { CliError, ExitCode, globals, kubeClient, namespaceOf, type GlobalOptions } from '../common.js';
import { objectName, printDocument, type NameOption } from './shared.js';

interface PauseTarget {
  readonly g: GlobalOptions;
  readonly client: KubeClient;
  readonly ref: { readonly name: string; readonly namespace: string };
  readonly pause: Pause;
}

async function pauseTarget(positional: string | undefined, opts: NameOption, cmd: Command): Promise<PauseTarget> {
  const g = globals(cmd);
  const client = kubeClient(g);
  const ref = { name: objectName(positional, opts, 'Pause'), namespace: namespaceOf(g) };
  const pause = await client.get<Pause>(PauseType, ref.name, ref.namespace);
  if (!pause) throw new CliError(`Pause ${ref.namespace}/${ref.name} not found`, ExitCode.notFound);
  return { g, client, ref, pause };
}

/** Why a Pause cannot be cancelled (the rule cancelPause enforces), or undefined. */
export function cancelProblem(pause: Pause): string | undefined {
  const phase = pause.status?.phase;
  if (phase === 'Cancelled' || phase === 'Expired') return `cannot cancel already ${phase.toLowerCase()} pause`;
  return undefined;
}

/** Registers `sync pause`. */
export function registerPauseSync(sync: Command): void {
  sync
    .command('pause')
    .description('run one Pause controller pass: Started, or Expired once expireTime has passed')
    .argument('[name]', 'Pause name')
    .option('--name <name>', 'Pause name (as okra 0.x spelled it)')
    .option('--dry-run', 'print the Pause as the pass would write it; write nothing')
    .action(async (positional: string | undefined, opts: NameOption & { dryRun?: boolean }, cmd: Command) => {
      const t = await pauseTarget(positional, opts, cmd);
      if (opts.dryRun) {
        printDocument(t.g, { ...t.pause, status: { ...t.pause.status, phase: pausePhase(t.pause, systemClock.now()) } });
        return;
      }
      await reconcilePause({ client: t.client, clock: systemClock }, t.ref);
      const phase = (await t.client.get<Pause>(PauseType, t.ref.name, t.ref.namespace))?.status?.phase ?? '';
      const until = phase === 'Started' ? ` (until ${t.pause.spec.expireTime})` : '';
      process.stdout.write(`pause/${t.ref.name} ${phase}${until}\n`);
    });
}

/** Registers `cancel pause`. */
export function registerPauseCancel(cancel: Command): void {
  cancel
    .command('pause')
    .description('cancel a running Pause: the Cell step it gates passes at the next pass')
    .argument('[name]', 'Pause name')
    .option('--name <name>', 'Pause name (as okra 0.x spelled it)')
    .option('--dry-run', 'print the Pause as it would be written; write nothing')
    .action(async (positional: string | undefined, opts: NameOption & { dryRun?: boolean }, cmd: Command) => {
      const t = await pauseTarget(positional, opts, cmd);
      const problem = cancelProblem(t.pause);
      if (problem) throw new CliError(`pause/${t.ref.name}: ${problem}`);
      if (opts.dryRun) {
        printDocument(t.g, { ...t.pause, status: { ...t.pause.status, phase: 'Cancelled' } });
        return;
      }
      await cancelPause({ client: t.client, clock: systemClock }, t.ref);
      process.stdout.write(`pause/${t.ref.name} cancelled\n`);
    });
}
