// The Dockerfile, tested without Docker (which cannot run here): its instructions are interpreted stage
// by stage in temporary directories that stand in for each stage's filesystem, so the build stage's real
// commands run (npm ci, build, prune) and the runtime stage's pruned install really starts okrad against
// the local stack. A change to the Dockerfile is a change to what this test runs.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus } from './stack/cluster.js';
import { repoRoot } from './stack/paths.js';
import { ManagedProcess, freePort, waitFor } from './stack/process.js';
import { stack } from './support/env.js';
import { createNamespace } from './support/namespaces.js';
import { managementClient } from './support/env.js';

const execFileAsync = promisify(execFile);

/** One instruction of a stage. */
interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** One stage: its base image, name and instructions. */
interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Parses a Dockerfile into stages (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      stages.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** A stage's stand-in filesystem: absolute paths of the image live under `root`. */
class StageFs {
  workdir = '/';
  readonly env: Record<string, string> = {};
  constructor(readonly root: string) {}

  /** Maps an absolute image path into the stand-in. */
  path(p: string): string {
    return join(this.root, p.startsWith('/') ? p : join(this.workdir, p));
  }

  /** Rewrites absolute paths in a shell command so it acts on the stand-in, never on this machine. */
  rewrite(command: string): string {
    return command.replace(/(^|\s)\/(?=[\w.])/g, `$1${this.root}/`);
  }
}

/** Runs every instruction of a stage; COPY --from reads an earlier stage's stand-in. */
async function runStage(stage: Stage, fs: StageFs, context: string, earlier: ReadonlyMap<string, StageFs>): Promise<{ user?: string; entrypoint?: string[] }> {
  let user: string | undefined;
  let entrypoint: string[] | undefined;
  for (const { op, args } of stage.instructions) {
    if (op === 'WORKDIR') {
      fs.workdir = args;
      mkdirSync(fs.path(args), { recursive: true });
    } else if (op === 'ENV') {
      const [key = '', value = ''] = args.split('=');
      fs.env[key] = value;
    } else if (op === 'COPY') {
      copy(args, fs, context, earlier);
    } else if (op === 'RUN') {
      mkdirSync(join(fs.root, 'usr/local/bin'), { recursive: true });
      await execFileAsync('sh', ['-c', fs.rewrite(args)], { cwd: fs.path(fs.workdir), env: { ...process.env, ...fs.env }, maxBuffer: 64 * 1024 * 1024 });
    } else if (op === 'USER') {
      user = args;
    } else if (op === 'ENTRYPOINT') {
      entrypoint = JSON.parse(args) as string[];
    }
  }
  return { ...(user ? { user } : {}), ...(entrypoint ? { entrypoint } : {}) };
}

function copy(args: string, fs: StageFs, context: string, earlier: ReadonlyMap<string, StageFs>): void {
  const parts = args.split(/\s+/);
  const fromFlag = parts[0]?.startsWith('--from=') ? parts.shift()?.slice('--from='.length) : undefined;
  const dest = parts.pop() ?? '.';
  const source = fromFlag ? earlier.get(fromFlag) : undefined;
  if (fromFlag && !source) throw new Error(`COPY --from=${fromFlag}: no such stage`);
  for (const src of parts) {
    const from = source ? source.path(src) : join(context, src);
    const into = dest.endsWith('/') || parts.length > 1 ? join(fs.path(dest), src.split('/').pop() ?? src) : fs.path(dest);
    mkdirSync(dirname(into), { recursive: true });
    cpSync(from, into, { recursive: true, verbatimSymlinks: true });
  }
}

describe('Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'okra-image-'));
  const build = new StageFs(join(work, 'build'));
  const runtime = new StageFs(join(work, 'runtime'));
  let image: { user?: string; entrypoint?: string[] } = {};

  beforeAll(async () => {
    const [buildStage, runtimeStage] = stages;
    if (!buildStage || !runtimeStage) throw new Error('expected a build and a runtime stage');
    await runStage(buildStage, build, repoRoot, new Map());
    image = await runStage(runtimeStage, runtime, repoRoot, new Map([[buildStage.name ?? '0', build]]));
  }, 600_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('builds with the full toolchain and runs on a slim Node LTS image as a non-root user', () => {
    expect(stages.map((s) => s.from)).toEqual(['node:20-bookworm', 'node:20-bookworm-slim']);
    expect(image.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(image.entrypoint?.at(-1)).toBe('/app/dist/src/cli/okrad.js');
  });

  it('ships only production dependencies', () => {
    const modules = join(runtime.path('/app'), 'node_modules');
    expect(existsSync(join(modules, '@kubernetes/client-node'))).toBe(true);
    for (const dev of ['typescript', 'vitest', 'eslint', 'tsx']) expect(existsSync(join(modules, dev)), dev).toBe(false);
  });

  it('puts the CLIs on PATH and they answer --help', async () => {
    for (const cli of ['okra', 'okractl', 'kubectl-okra', 'okrad']) {
      const { stdout } = await execFileAsync(join(runtime.root, 'usr/local/bin', cli), ['--help'], { env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
      expect(stdout, cli).toMatch(/^Usage: /);
    }
  });

  it('starts okrad from the pruned install: ready, then a clean exit on SIGTERM', async () => {
    const namespace = await createNamespace(managementClient(), 'image');
    const port = await freePort();
    const [node = 'node', ...args] = image.entrypoint ?? [];
    const okrad = ManagedProcess.start('okrad-image', node === 'node' ? process.execPath : node, [
      ...args.map((a) => runtime.rewrite(a)),
      `--kubeconfig=${stack().management.kubeconfig}`,
      `--namespace=${namespace}`,
      `--metrics-bind-address=127.0.0.1:${port}`,
      '--region=us-east-1',
      `--aws-endpoint=${stack().moto.endpoint}`,
    ], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
      logFile: join(work, 'okrad.log'),
    });
    try {
      await waitFor('okrad /readyz', async () => (await fetchStatus(`http://127.0.0.1:${port}/readyz`)) === 200, 30_000);
      expect(await fetchStatus(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    } finally {
      await okrad.stop();
    }
    expect(await okrad.waitForExit()).toBe(0);
  });
});
