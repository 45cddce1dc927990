// `npm run gen:crds`: writes crds/*.yaml, the Helm chart's copy and docs/crd-reference.md from the zod schemas.
// `--check` writes nothing and exits 1 when the committed files differ from the schemas.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/api/crd-files.js';
import { renderCrdReference } from '../src/api/crd-reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [join(root, 'crds'), join(root, 'charts', 'okra', 'crds')];
const check = process.argv.includes('--check');

const outputs: [string, string][] = [
  ...targets.flatMap((dir) => [...renderCrdFiles()].map(([file, content]): [string, string] => [join(dir, file), content])),
  [join(root, 'docs', 'crd-reference.md'), renderCrdReference()],
];

let stale = 0;
for (const [path, content] of outputs) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) continue;
  if (check) {
    console.error(`stale: ${path} (run npm run gen:crds)`);
    stale++;
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  console.log(`wrote ${path}`);
}
process.exit(stale > 0 ? 1 : 0);
