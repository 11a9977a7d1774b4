#!/usr/bin/env node
// Fails when the package grows past the ceiling kept in scripts/size-ceiling.json: the sum of gzip -9
// of every .wasm and .js under pkg/ (snippets/ included), that is everything an app ships.
// Lower the ceiling as the size falls; raise it only with a reason.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const { gzipBytes: ceiling, note } = JSON.parse(readFileSync(join(root, 'scripts', 'size-ceiling.json'), 'utf8'));

function shipped(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? shipped(join(dir, e.name)) : /\.(wasm|js)$/.test(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

const files = shipped(pkg);
if (!files.some((f) => f.endsWith('.wasm'))) {
  console.log('size: FAILED: no .wasm under pkg/ (run node scripts/build.mjs first)');
  console.log('size check: 0 passed, 1 failed');
  process.exit(1);
}
let total = 0;
for (const f of files) {
  const raw = readFileSync(f);
  const gz = gzipSync(raw, { level: 9 }).length;
  console.log(`size: pkg/${relative(pkg, f)} ${gz} B gzip (${raw.length} B raw)`);
  total += gz;
}
console.log(`size: ${total} B gzip in all (${files.length} files); ceiling ${ceiling} B (${note})`);
if (total > ceiling) {
  console.log(`size: FAILED: the package grew past its ceiling by ${total - ceiling} B`);
  console.log('size check: 0 passed, 1 failed');
  process.exit(1);
}
console.log('size check: 1 passed, 0 failed');
