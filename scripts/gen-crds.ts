// `npm run gen:crds`: writes crds/*.yaml and the Helm chart's copy from the zod schemas.
// `--check` writes nothing and exits 1 when the committed files differ from the schemas.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/api/crd-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [join(root, 'crds'), join(root, 'charts', 'okra', 'crds')];
const check = process.argv.includes('--check');

let stale = 0;
for (const dir of targets) {
  for (const [file, content] of renderCrdFiles()) {
    const path = join(dir, file);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      console.error(`stale: ${path} (run npm run gen:crds)`);
      stale++;
      continue;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
