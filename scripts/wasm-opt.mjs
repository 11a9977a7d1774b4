// The wasm-opt settings shared by scripts/build.mjs (what ships) and scripts/check-no-fmt.mjs (the same
// code with its names kept). wasm-opt comes from the binaryen npm package (v132): Debian's binaryen 108
// mis-optimises wasm-bindgen's two-table modules (the externref table), and the glue then fails in
// WebAssembly.Table.set().
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// What the wasm-bindgen output uses: without them wasm-opt rejects bulk-memory and externref code.
export const FEATURES = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-reference-types',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue'];
// Measured one by one in 2026-12 (gzip -9 of the wasm): -Oz, then no inlining of single-caller functions
// (-2.2 KB: the inlined copies grow the raw size but compress worse), --converge (-0.1 KB),
// --low-memory-unused (-0.1 KB: folds constant offsets into loads and stores; safe because Rust puts the
// stack first, below 1 MiB, and the data above it, so the low 1 KiB is only reached by a 1 MiB stack
// overflow). -fimfs=0 changed nothing (-Oz does no flexible inlining) and is left out.
export const OPTIMISE = ['-Oz', '--one-caller-inline-max-function-size=0', '--converge', '--low-memory-unused'];

/** Runs wasm-opt with the features above; returns what it printed (the minification mapping, if asked). */
export function wasmOpt(args) {
  return execFileSync(join(root, 'node_modules', '.bin', 'wasm-opt'), [...FEATURES, ...args], { encoding: 'utf8' });
}
