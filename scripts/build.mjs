#!/usr/bin/env node
// Builds pkg/, the npm package users install: wasm-pack's `--target web` output plus pkg-template/.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const dev = process.argv.includes('--dev');
const t0 = Date.now();
execFileSync('wasm-pack', ['build', dev ? '--dev' : '--release', '--target', 'web', '--mode', 'no-install',
  '--out-dir', 'pkg', '--out-name', 'wasm_rum', '--no-pack', '--no-typescript', '--no-opt'], { cwd: root, stdio: 'inherit',
  env: { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` } });
// wasm-opt from the binaryen npm package (v132): Debian's binaryen 108 mis-optimises wasm-bindgen's
// two-table modules (the externref table), and the glue then fails in WebAssembly.Table.set().
if (!dev) {
  const wasm = join(pkg, 'wasm_rum_bg.wasm');
  execFileSync(join(root, 'node_modules', '.bin', 'wasm-opt'), ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
    '--enable-reference-types', '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue', wasm, '-o', wasm], { stdio: 'inherit' });
}
for (const f of readdirSync(join(root, 'pkg-template'))) cpSync(join(root, 'pkg-template', f), join(pkg, f), { recursive: true });
rmSync(join(pkg, '.gitignore'), { force: true });
// The package version follows Cargo.toml.
const version = /^version = "([^"]+)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
manifest.version = version;
// Only list files that exist (snippets/ appears once a JS snippet is used).
manifest.files = manifest.files.filter((f) => existsSync(join(pkg, f)));
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`build: pkg/ ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
