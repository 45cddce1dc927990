// okra commands for AnalysisRuns: `create analysisrun` builds a run from an (Cluster)AnalysisTemplate with
// the same merge rules a Cell's analysis step uses (run-builder.ts), and `update analysisrun --phase` sets
// a run's outcome by hand, a test aid to see what a Cell does with it. Unlike okra 0.x, a malformed flag
// or an unknown phase is a one-line error, never a panic.
import { Option, type Command } from 'commander';
import { RolloutsTypes, type AnalysisRun, type AnalysisTemplate } from '../../api/rollouts/analysis.js';
import type { AnalysisArg, Cell } from '../../api/v1alpha1/cell.js';
import { GateSpecError, mergeArgs, mergeTemplates } from '../../analysis/run-builder.js';
import { CliError, ExitCode, globals, keyValues, kubeClient, namespaceOf } from '../common.js';
import { objectName, printDocument, type NameOption } from './shared.js';

/** The label okra 0.x put on runs it created (UTC, YYYYMMDDhhmmss). */
export const TIMESTAMP_LABEL = 'okra.mumo.co/timestamp';

/** A Secret key an argument takes its value from. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** Parses `arg=secret.key,...` (Secret name and key split at the first dot, as okra 0.x did). */
export function secretArgs(value: string, previous: Record<string, SecretKeyRef> = {}): Record<string, SecretKeyRef> {
  const out = { ...previous };
  for (const [arg, ref] of Object.entries(keyValues(value))) {
    const dot = ref.indexOf('.');
    if (dot <= 0 || dot === ref.length - 1) throw new CliError(`--args-from-secrets ${arg}=${ref}: expected ARG=SECRET.KEY (the Secret name, a dot, then the key)`);
    out[arg] = { name: ref.slice(0, dot), key: ref.slice(dot + 1) };
  }
  return out;
}

/** What a run is built from. */
export interface RunFromTemplate {
  readonly template: AnalysisTemplate;
  readonly clusterScope: boolean;
  readonly namespace: string;
  /** A fixed name; else `<template>-` plus a generated suffix. */
  readonly name?: string | undefined;
  readonly args: Readonly<Record<string, string>>;
  readonly secretArgs: Readonly<Record<string, SecretKeyRef>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly now: Date;
}

// CLI args are literals and Secret refs, never fieldRefs, so mergeArgs never reads the Cell it is given.
const NO_CELL: Cell = { metadata: {}, spec: { ingress: {} } };

/** Builds the AnalysisRun (pure); an arg the template does not declare, or one left without a value, is an error. */
export function buildRunFromTemplate(input: RunFromTemplate): AnalysisRun {
  const templateName = input.template.metadata.name ?? '';
  const kind = input.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
  const both = Object.keys(input.args).find((a) => a in input.secretArgs);
  if (both) throw new CliError(`arg ${both} is given by both --args and --args-from-secrets`);
  const given: AnalysisArg[] = [
    ...Object.entries(input.args).map(([name, value]) => ({ name, value })),
    ...Object.entries(input.secretArgs).map(([name, ref]) => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } })),
  ];
  try {
    const merged = mergeTemplates([input.template]);
    const args = mergeArgs(NO_CELL, merged.args, given, `${kind} ${templateName}`);
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: {
        ...(input.name ? { name: input.name } : { generateName: `${templateName}-` }),
        namespace: input.namespace,
        labels: { [TIMESTAMP_LABEL]: timestamp(input.now), ...input.labels },
      },
      spec: {
        metrics: merged.metrics,
        ...(args.length > 0 ? { args } : {}),
        ...(merged.dryRun.length > 0 ? { dryRun: merged.dryRun } : {}),
        ...(merged.measurementRetention.length > 0 ? { measurementRetention: merged.measurementRetention } : {}),
      },
    };
  } catch (err) {
    if (err instanceof GateSpecError) throw new CliError(err.message);
    throw err;
  }
}

/** 20240131235959, in UTC. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Phases `update analysisrun` may set. */
export const SETTABLE_PHASES = ['Successful', 'Failed', 'Error', 'Inconclusive'] as const;

/** A settable phase. */
export type SettablePhase = (typeof SETTABLE_PHASES)[number];

/** Parses --phase, case-insensitively. */
export function parsePhase(value: string): SettablePhase {
  const phase = SETTABLE_PHASES.find((p) => p.toLowerCase() === value.trim().toLowerCase());
  if (!phase) throw new CliError(`--phase must be one of ${SETTABLE_PHASES.join(', ')} (got ${JSON.stringify(value)})`);
  return phase;
}

interface CreateRunOptions {
  templateName: string;
  clusterScope?: boolean;
  args?: Record<string, string>;
  argsFromSecrets?: Record<string, SecretKeyRef>;
  name?: string;
  labels?: Record<string, string>;
  dryRun?: boolean;
}

async function readTemplate(cmd: Command, opts: CreateRunOptions): Promise<AnalysisTemplate> {
  const g = globals(cmd);
  const type = opts.clusterScope ? RolloutsTypes.clusterAnalysisTemplate : RolloutsTypes.analysisTemplate;
  const namespace = opts.clusterScope ? undefined : namespaceOf(g);
  const template = await kubeClient(g).get<AnalysisTemplate>(type, opts.templateName, namespace);
  if (!template) throw new CliError(`${type.kind} ${opts.templateName} not found${namespace ? ` in namespace ${namespace}` : ''}`, ExitCode.notFound);
  return template;
}

/** Registers `create analysisrun`. */
export function registerCreateAnalysisRun(create: Command): void {
  create
    .command('analysisrun')
    .description('create an AnalysisRun from an AnalysisTemplate (or ClusterAnalysisTemplate) and print its name')
    .requiredOption('--template-name <name>', 'AnalysisTemplate to build the run from')
    .option('--cluster-scope', 'use the ClusterAnalysisTemplate of that name')
    .option('--args <k=v,...>', 'template arguments with a literal value', keyValues)
    .option('--args-from-secrets <arg=secret.key,...>', 'template arguments taken from a key of a Secret in the namespace', secretArgs)
    .option('--name <name>', 'name of the run (default: <template>- plus a generated suffix)')
    .option('--labels <k=v,...>', 'extra labels, for example argo-rollouts.argoproj.io/controller-instance-id=okra for okrad\'s builtin engine', keyValues)
    .option('--dry-run', 'print the run as YAML; create nothing')
    .action(async (opts: CreateRunOptions, cmd: Command) => {
      const g = globals(cmd);
      const template = await readTemplate(cmd, opts);
      const run = buildRunFromTemplate({
        template,
        clusterScope: opts.clusterScope === true,
        namespace: namespaceOf(g),
        name: opts.name,
        args: opts.args ?? {},
        secretArgs: opts.argsFromSecrets ?? {},
        labels: opts.labels ?? {},
        now: new Date(),
      });
      if (opts.dryRun) {
        printDocument(g, run);
        return;
      }
      const created = await kubeClient(g).create<AnalysisRun>(RolloutsTypes.analysisRun, run);
      if (g.output === 'yaml' || g.output === 'json') printDocument(g, created);
      else process.stdout.write(`${created.metadata.name ?? ''}\n`);
    });
}

/** Registers `update analysisrun`. */
export function registerUpdateAnalysisRun(update: Command): void {
  update
    .command('analysisrun')
    .description("set an AnalysisRun's status.phase by hand (a test aid: see what a Cell does with the outcome)")
    .argument('[name]', 'AnalysisRun name')
    .option('--name <name>', 'AnalysisRun name (as okra 0.x spelled it)')
    .addOption(new Option('--phase <phase>', 'Successful, Failed, Error or Inconclusive (any case)').argParser(parsePhase).makeOptionMandatory())
    .option('--dry-run', 'print the run as it would be written; change nothing')
    .action(async (positional: string | undefined, opts: NameOption & { phase: SettablePhase; dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const client = kubeClient(g);
      const ref = { name: objectName(positional, opts, 'AnalysisRun'), namespace: namespaceOf(g) };
      const run = await client.get<AnalysisRun>(RolloutsTypes.analysisRun, ref.name, ref.namespace);
      if (!run) throw new CliError(`AnalysisRun ${ref.namespace}/${ref.name} not found`, ExitCode.notFound);
      // AnalysisRun has no status subresource: its status is written on the main resource, as Argo Rollouts does.
      const status = { phase: opts.phase, message: `phase set to ${opts.phase} by okra update analysisrun` };
      if (opts.dryRun) {
        printDocument(g, { ...run, status: { ...run.status, ...status } });
        return;
      }
      await client.mergePatch(RolloutsTypes.analysisRun, ref, { status });
      process.stdout.write(`analysisrun/${ref.name} phase set to ${opts.phase}\n`);
    });
}
