#!/usr/bin/env node
// Fails when the agent's wasm carries core::fmt or panic-formatting code (each pulls in several KB).
// Reads the function names of the wasm built with names: wasm-bindgen's output, which
// `node scripts/build.mjs` keeps in target/wasm-rum-bindgen.wasm, pruned (scripts/prune-table.mjs) and
// optimised (scripts/wasm-opt.mjs) as the shipped wasm is but with its names kept, into target/wasm-rum-named.wasm (for twiggy too).
// Or give a wasm with a name section to read as it is.
//   node scripts/check-no-fmt.mjs [file.wasm] [--list]
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIMISE, wasmOpt } from './wasm-opt.mjs';
import { pruneTable } from './prune-table.mjs';
import { orderFunctions, functionNames } from './order-functions.mjs';
import { PATH, zeroPanicData } from './zero-panic-data.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const list = args.includes('--list');
const given = args.find((a) => !a.startsWith('--'));
const bindgen = join(root, 'target', 'wasm-rum-bindgen.wasm');
const file = given ?? join(root, 'target', 'wasm-rum-named.wasm');
// rustc writes crate hashes into demangled names: `core[c5930c85a12de822]::fmt::write`.
const FORBIDDEN = [
  /\bcore(\[[0-9a-f]+\])?::fmt::/,
  // Not `core::panicking::panic_fmt` itself: every panic site calls it, and in the `tiny` build it is
  // 54 B that hand the (never read) message to the trapping handler. What costs is formatting code.
  /\bcore(\[[0-9a-f]+\])?::str::slice_error_fail/,
  /\bcore(\[[0-9a-f]+\])?::result::unwrap_failed\b/,
  /\bcore(\[[0-9a-f]+\])?::option::expect_failed\b/,
  // Indexing out of bounds and Vec::remove's check: each site also keeps its message and file path
  // (use get / get_mut and core::remove_at).
  /\bcore(\[[0-9a-f]+\])?::panicking::panic_bounds_check\b/,
  /::remove::assert_failed\b/,
];

if (!existsSync(given ?? bindgen)) {
  console.log(`no-fmt: FAILED: ${given ?? bindgen} is missing (node scripts/build.mjs writes it)`);
  console.log('no-fmt check: 0 passed, 1 failed');
  process.exit(1);
}
if (!given) {
  // The bindgen copy comes from a release build, which is the `tiny` one.
  pruneTable(bindgen, { tiny: true, out: file, log: () => {} });
  wasmOpt([...OPTIMISE, '--debuginfo', file, '-o', file]);
  orderFunctions(file, { keepNames: true });
  zeroPanicData(file);
}

const names = functionNames(readFileSync(file));
if (!names) {
  console.log(`no-fmt: FAILED: ${file} has no function names (build it without name stripping)`);
  console.log('no-fmt check: 0 passed, 1 failed');
  process.exit(1);
}
const found = names.filter((n) => FORBIDDEN.some((re) => re.test(n)));
if (list) for (const n of found) console.log(`no-fmt: ${n}`);
console.log(`no-fmt: ${found.length} core::fmt / panic-formatting functions among ${names.length} in ${file}`);
if (found.length) {
  if (!list) for (const n of found.slice(0, 20)) console.log(`no-fmt: ${n}`);
  if (!list && found.length > 20) console.log(`no-fmt: ... and ${found.length - 20} more (--list shows all)`);
  console.log('no-fmt: FAILED: find what reaches them with twiggy paths / dominators');
  console.log('no-fmt check: 0 passed, 1 failed');
  process.exit(1);
}
// scripts/zero-panic-data.mjs ran on the shipped wasm: no panic location's path is left in it.
const shipped = join(root, 'pkg', 'wasm_rum_bg.wasm');
if (!given && existsSync(shipped) && new RegExp(PATH.source).test(readFileSync(shipped).toString('latin1'))) {
  console.log(`no-fmt: FAILED: ${shipped} still holds panic file paths (scripts/zero-panic-data.mjs)`);
  console.log('no-fmt check: 0 passed, 1 failed');
  process.exit(1);
}
console.log('no-fmt check: 1 passed, 0 failed');
