// What every okra CLI shares: global flags (kubeconfig, namespace, AWS region and endpoint, output,
// verbosity), building clients from them, printing tables/YAML/JSON, and turning failures into one
// line a person can act on (the stack only with --verbose) and an exit code a script can use.
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { AwsSettings } from '../aws/config.js';
import { KubeClient } from '../kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../kube/connection.js';
import { sanitize, TerminalError } from '../runtime/errors.js';

/** Exit codes shared by the CLIs. */
export const ExitCode = {
  ok: 0,
  error: 1,
  rolledBack: 2,
  timedOut: 3,
  invalidSpec: 4,
  notFound: 5,
} as const;

/** An error that carries its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** For `.catch`: a pass that refused the object's spec (a TerminalError) exits 4, naming the object. */
export function invalidSpecExit(what: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof TerminalError) throw new CliError(`${what}: ${err.message}`, ExitCode.invalidSpec);
    throw err;
  };
}

/** Global flags, as commander parses them. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  region?: string;
  awsEndpoint?: string;
  output?: 'table' | 'yaml' | 'json';
  verbose?: boolean;
}

/** Adds the global flags to a program. */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace (default: the context namespace, else "default")')
    .option('--region <region>', 'AWS region (default: $AWS_REGION or $AWS_DEFAULT_REGION)')
    .option('--aws-endpoint <url>', 'override every AWS endpoint, for example a local emulator (default: $AWS_ENDPOINT_URL)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json']).default('table'))
    .option('-v, --verbose', 'print details (stack traces) on errors');
}

/** The global options of the root program, from inside any subcommand. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** A management-cluster API client from the global flags. */
export function kubeClient(opts: GlobalOptions): KubeClient {
  return new KubeClient(connectionFromKubeConfig(loadKubeConfig(opts.kubeconfig, opts.context)));
}

/** The namespace to use: --namespace, else the kubeconfig context's, else "default". */
export function namespaceOf(opts: GlobalOptions): string {
  if (opts.namespace) return opts.namespace;
  const kc = loadKubeConfig(opts.kubeconfig, opts.context);
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/** AWS settings from the global flags and the standard environment. */
export function awsSettingsOf(opts: GlobalOptions): AwsSettings {
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('no AWS region: pass --region or set AWS_REGION');
  const endpoint = opts.awsEndpoint ?? process.env.AWS_ENDPOINT_URL;
  return { region, ...(endpoint ? { endpoint } : {}) };
}

/** Parses `k=v,k2=v2` (and repeated flags) into a map; a pair without '=' is an error naming it. */
export function keyValues(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const pair of value.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected KEY=VALUE, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** Renders rows as a kubectl-style table with upper-case headers. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

/** A document format of `-o`. */
export type DocumentFormat = 'yaml' | 'json';

/** Writes one document as JSON, else as YAML. */
export function writeDocument(format: DocumentFormat, value: unknown): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
}

/** The list document kubectl prints: the same shape for zero, one or many items, so `jq '.items[]'` always works. */
export function listDocument<T>(items: readonly T[]): { apiVersion: 'v1'; kind: 'List'; metadata: { resourceVersion: '' }; items: readonly T[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** Prints a listing as a table (via `toRow`), or with -o yaml|json as one List document, whatever the count. */
export function printObjects<T>(opts: GlobalOptions, items: readonly T[], headers: readonly string[], toRow: (item: T) => string[]): void {
  if (opts.output === 'json' || opts.output === 'yaml') writeDocument(opts.output, listDocument(items));
  else process.stdout.write(`${items.length === 0 ? 'No resources found.' : table(headers, items.map(toRow))}\n`);
}

/** Prints one object asked for by name: the object itself with -o yaml|json (as kubectl does), else a one-row table. */
export function printObject<T>(opts: GlobalOptions, item: T, headers: readonly string[], toRow: (item: T) => string[]): void {
  if (opts.output === 'json' || opts.output === 'yaml') writeDocument(opts.output, item);
  else process.stdout.write(`${table(headers, [toRow(item)])}\n`);
}

/** Human age of a timestamp, like kubectl: 45s, 12m, 3h, 2d. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/**
 * Keeps the AWS SDK's "Node 22 will be required in 2027" notice out of CLI stderr, where scripts read
 * one-line errors. Node 20 is supported by the SDK versions we pin; set the variable yourself to see it.
 */
export function quietAwsSdkNodeWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Runs a program: parses argv, maps failures to one line on stderr and an exit code. */
export async function runCli(program: Command, argv: readonly string[]): Promise<number> {
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return reportFailure(program, err);
  }
}

function reportFailure(program: Command, err: unknown): number {
  const code = (err as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version') return ExitCode.ok;
  if (code?.startsWith('commander.')) return ExitCode.error;
  const verbose = program.opts<GlobalOptions>().verbose === true || process.argv.includes('--verbose') || process.argv.includes('-v');
  process.stderr.write(`error: ${err instanceof Error ? sanitize(err.message) : String(err)}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return err instanceof CliError ? err.exitCode : ExitCode.error;
}
