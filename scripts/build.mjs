#!/usr/bin/env node
// Builds pkg/, the npm package users install: wasm-pack's `--target web` output plus pkg-template/,
// then shrinks what ships (the readable sources stay in js/ and pkg-template/):
//   0. scripts/prune-table.mjs points the function-table slots nothing can call at one `unreachable`
//      stub (slot numbers unchanged), so that wasm-opt removes the code only the table kept alive;
//   1. wasm-opt (scripts/wasm-opt.mjs) optimises, scripts/order-functions.mjs puts alike functions side by
//      side for gzip, and wasm-opt strips names and producers and minifies the import and export
//      names; the glue's import object and its `wasm.*` uses are renamed to match, and its loader is
//      cut to the two inputs the entry module hands it (trimLoader);
//   2. esbuild minifies every .js under pkg/ (glue, entry module, snippets/) as a bundler would, keeping
//      the exports, the `import.meta.url` lookups and patch.js's function names, then bundles them into one
//      index.js (wasm_rum.js and snippets/ removed), which terser then compresses once more.
// wasm-bindgen's output before wasm-opt is kept in target/wasm-rum-bindgen.wasm (names included), the
// minification mapping in target/wasm-rum-boundary.json.
// `--dev` skips all three (and builds with std, for readable panics); `--no-minify` optimises the wasm but keeps the names on the boundary and the JS readable.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { join, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIMISE, wasmOpt } from './wasm-opt.mjs';
import { pruneTable } from './prune-table.mjs';
import { orderFunctions } from './order-functions.mjs';
import { zeroPanicData } from './zero-panic-data.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const dev = process.argv.includes('--dev');
const minify = !dev && !process.argv.includes('--no-minify');
const boundary = join(root, 'target', 'wasm-rum-boundary.json');
const t0 = Date.now();
execFileSync('wasm-pack', ['build', dev ? '--dev' : '--release', '--target', 'web', '--mode', 'no-install',
  '--out-dir', 'pkg', '--out-name', 'wasm_rum', '--no-pack', '--no-typescript', '--no-opt',
  // `tiny`: no std in the shipped wasm (src/lib.rs); a dev build keeps std's panic messages.
  ...(dev ? [] : ['--', '--features', 'tiny'])], { cwd: root, stdio: 'inherit',
  env: { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` } });
for (const f of readdirSync(join(root, 'pkg-template'))) cpSync(join(root, 'pkg-template', f), join(pkg, f), { recursive: true });
rmSync(join(pkg, '.gitignore'), { force: true });

if (!dev) {
  const wasm = join(pkg, 'wasm_rum_bg.wasm');
  // wasm-bindgen's output, names kept: scripts/check-no-fmt.mjs optimises it the same way and reads them.
  mkdirSync(join(root, 'target'), { recursive: true });
  cpSync(wasm, join(root, 'target', 'wasm-rum-bindgen.wasm'));
  rmSync(boundary, { force: true });
  // Before wasm-opt: it needs the names, and wasm-opt then drops what the stubbed slots freed.
  pruneTable(wasm, { tiny: true });
  // Names kept for scripts/order-functions.mjs, which sorts the functions for gzip and drops them.
  wasmOpt([...OPTIMISE, '--strip-producers', '--strip-target-features', '--debuginfo', wasm, '-o', wasm]);
  orderFunctions(wasm);
  // Panic messages and paths, and core::fmt's leftover digit table, zeroed in place.
  zeroPanicData(wasm);
  if (minify) {
    // Import and export names minified (all imports move to module "a"), in a run of its own: --converge
    // would repeat the pass. It prints the mapping, with which the glue's side is renamed to match.
    const mapping = JSON.parse(wasmOpt(['--minify-imports-and-exports-and-modules', wasm, '-o', wasm]));
    // For tests that call a raw export by its Rust name (tests/e2e/errors.test.mjs's wasm trap).
    writeFileSync(boundary, JSON.stringify(mapping) + '\n');
    const glue = join(pkg, 'wasm_rum.js');
    writeFileSync(glue, renameBoundary(readFileSync(glue, 'utf8'), mapping));
  }
  const glue = join(pkg, 'wasm_rum.js');
  writeFileSync(glue, trimLoader(readFileSync(glue, 'utf8')));
}
if (minify) {
  const esbuild = await import('esbuild');
  for (const f of jsFiles(pkg)) {
    // patch.js keeps function names: the wrappers it installs are what a page sees as
    // window.fetch and XMLHttpRequest.prototype.open/send/setRequestHeader, names included (+140 B gzip).
    const keepNames = f.endsWith(`${sep}patch.js`);
    const { code } = await esbuild.transform(readFileSync(f, 'utf8'), { minify: true, keepNames, format: 'esm', target: 'esnext', legalComments: 'none' });
    writeFileSync(f, code);
  }
  // Then one module: the entry, the glue and the snippets bundled into index.js, as an app's bundler
  // would (-1.0 KB gzip against the five files compressed one by one, and one request instead of five).
  // Each file is minified above first, so that patch.js's wrappers keep their names.
  const entry = join(pkg, 'index.js');
  const { outputFiles } = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, minify: true,
    format: 'esm', target: 'esnext', legalComments: 'none' });
  // Then terser over the bundle: its compressor and mangler find what esbuild's leave (-0.35 KB gzip
  // in 2026-12). patch.js's wrapper names survive: esbuild's keepNames sets them with defineProperty.
  const { minify: terser } = await import('terser');
  const { code } = await terser(outputFiles[0].text, { module: true, compress: { passes: 2, hoist_funs: true }, mangle: true });
  writeFileSync(entry, code);
  rmSync(join(pkg, 'wasm_rum.js'));
  rmSync(join(pkg, 'snippets'), { recursive: true, force: true });
}

// The package version follows Cargo.toml.
const version = /^version = "([^"]+)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
manifest.version = version;
// Only list files that exist (snippets/ appears once a JS snippet is used).
manifest.files = manifest.files.filter((f) => existsSync(join(pkg, f)));
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`build: pkg/ ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

/** Every .js file under `dir`, snippets/ included. */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

/**
 * The glue's loader cut to the two inputs the entry module (pkg-template/index.js) ever hands it:
 * `{ module_or_path }` holding a Response that is ok and served as application/wasm, or the bytes
 * of one that was not. Its other branches (a URL, string or Request to fetch, the deprecated
 * positional argument, a Response that is not ok, the MIME-type fallback and its warning) cannot
 * run, and cost about 300 B gzip. Fails the build if the glue's loader is not the one it expects.
 */
function trimLoader(glue) {
  const cut = (text, from, to, by) => {
    const a = text.indexOf(from);
    const b = a < 0 ? -1 : text.indexOf(to, a);
    if (a < 0 || b < 0 || text.indexOf(from, a + 1) >= 0) throw new Error(`build: the glue's ${from.trim()} is not the one scripts/build.mjs trims`);
    return text.slice(0, a) + by + text.slice(b);
  };
  glue = cut(glue, 'async function __wbg_load(module, imports) {', 'function initSync(module) {', `async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (typeof WebAssembly.instantiateStreaming === 'function') return await WebAssembly.instantiateStreaming(module, imports);
        module = await module.arrayBuffer();
    }
    const instance = await WebAssembly.instantiate(module, imports);
    return instance instanceof WebAssembly.Instance ? { instance, module } : instance;
}

`);
  return cut(glue, 'async function __wbg_init_once(module_or_path) {', '    const { instance, module } = await __wbg_load(', `async function __wbg_init_once({ module_or_path }) {
    const imports = __wbg_get_imports();
`);
}

/**
 * Renames the glue's side of the JS/wasm boundary to the names `--minify-imports-and-exports-and-modules`
 * gave the wasm (its mapping: imports [module, name, short], exports [name, short]; every import moves
 * to module "a"). Fails the build on anything it cannot match, so a wasm-bindgen upgrade that changes
 * the glue's shape cannot ship a package whose imports do not line up.
 */
function renameBoundary(glue, { imports, exports }) {
  const MODULE = './wasm_rum_bg.js';
  const once = (text, re, to, what) => {
    let n = 0;
    const out = text.replace(re, (...m) => (n++, typeof to === 'function' ? to(...m) : to));
    if (n !== 1) throw new Error(`build: ${what} found ${n} times in the glue, expected once`);
    return out;
  };
  const escape = (s) => s.replace(/[$]/g, '\\$&');
  for (const [module, name, short] of imports) {
    if (module !== MODULE) throw new Error(`build: wasm import from an unexpected module ${module}`);
    glue = once(glue, new RegExp(`^(\\s+)${escape(name)}:`, 'gm'), (_, indent) => `${indent}${short}:`, `import ${name}`);
  }
  glue = once(glue, new RegExp(`"${MODULE.replace(/[.]/g, '\\.')}": import0`, 'g'), 'a: import0', 'the import module');
  const exported = new Map(exports);
  return glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (_, name) => {
    if (!exported.has(name)) throw new Error(`build: the glue uses wasm.${name}, which the wasm does not export`);
    return `wasm.${exported.get(name)}`;
  });
}
