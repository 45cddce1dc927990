// `npm run demo` end to end, as a newcomer runs it (here with --keep, to also look around afterwards):
// it must tell the whole story (bootstrap, a passing rollout, a rejected one), print the summary, leave
// a working cluster okractl can talk to, and stop everything on Ctrl-C with exit code 0.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchStatus } from './stack/cluster.js';
import { repoRoot } from './stack/paths.js';
import { runCli } from './support/cli.js';

describe('npm run demo', () => {
  it('hot-swaps 1.0.0 → 2.0.0, rejects 3.0.0, and with --keep leaves a cluster okractl can use', async () => {
    const demo = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'demo', 'run.ts'), '--keep'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    demo.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => { resolve(code); }));
    try {
      await waitForOutput(() => out, 'Everything is still running', 240_000, exited);
      expect(out).toContain('✓ (1) bootstrap 1.0.0');
      expect(out).toContain('✓ (2) roll out 2.0.0');
      expect(out).toContain('✓ (3) reject 3.0.0');
      expect(out).toMatch(/web-blue-a \(1\.0\.0\) 40%, web-blue-b \(1\.0\.0\) 40%, web-green \(2\.0\.0\) 20%/);
      expect(out).toMatch(/\n\s+\d+s\s+web-green \(2\.0\.0\) 80%, web-red \(3\.0\.0\) 20%\n\s+\d+s\s+web-green \(2\.0\.0\) 100%\n/);
      expect(out).toMatch(/VersionBlocklist web: 3\.0\.0: AnalysisRun \S+ Failed/);

      const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1] ?? '';
      const cells = await runCli('okractl', ['-n', 'okra-demo', 'get', 'cells'], { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfig });
      expect(cells.code).toBe(0);
      expect(cells.stdout).toMatch(/web\s+Degraded\s+3\.0\.0\s+2\.0\.0/);
      const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1] ?? '';

      demo.kill('SIGINT');
      expect(await exited).toBe(0);
      // Everything it started is gone.
      expect(await fetchStatus(`${server}/readyz`)).toBe(0);
    } finally {
      demo.kill('SIGKILL');
    }
  }, 300_000);
});

async function waitForOutput(read: () => string, text: string, timeoutMs: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let code: number | null | undefined;
  void exited.then((c) => { code = c; });
  while (!read().includes(text)) {
    if (code !== undefined) throw new Error(`demo exited with ${String(code)} before "${text}":\n${read().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs / 1000}s:\n${read().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
