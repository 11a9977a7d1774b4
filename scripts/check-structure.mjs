#!/usr/bin/env node
// Checks the shape issue 14 asks of the agent's sources (src/):
//   1. the module import graph is acyclic: the agent at the top, features in the middle, core at the
//      bottom (a `crate::…` or `super::…` path names the module it points into);
//   2. no function is over 80 lines outside `#[cfg(test)]` code;
//   3. core/ uses neither web-sys nor js-sys nor wasm-bindgen (it is tested natively).
// `--list` prints the graph.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const MAX_LINES = 80;

function rsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? rsFiles(join(dir, e.name)) : e.name.endsWith('.rs') ? [join(dir, e.name)] : []));
}

/** `src/core/vitals/mod.rs` -> `core::vitals`; `src/lib.rs` -> `crate`. */
function moduleOf(file) {
  const parts = relative(src, file).replace(/\.rs$/, '').split(sep);
  if (parts.at(-1) === 'mod') parts.pop();
  if (parts.length === 1 && parts[0] === 'lib') return 'crate';
  return parts.join('::');
}

const isModule = (m) => m !== '' && (existsSync(join(src, ...m.split('::')) + '.rs') || existsSync(join(src, ...m.split('::'), 'mod.rs')));

/** The longest prefix of `path` (a list of segments) that is a module of the crate. */
function resolve(path) {
  for (let k = path.length; k > 0; k--) {
    const m = path.slice(0, k).join('::');
    if (isModule(m)) return m;
  }
  return null;
}

/** The source without `#[cfg(test)]` items (the test module and test-only functions). */
function withoutTests(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*#\[cfg\(test\)\]/.test(lines[i])) {
      // Skip the item that follows: to its closing brace at the same indent, or a one-line item.
      const indent = lines[i].match(/^\s*/)[0].length;
      let j = i + 1;
      if (!/[{]\s*$/.test(lines[j]) && /;\s*$/.test(lines[j])) { i = j; continue; }
      while (j < lines.length && !(lines[j].startsWith(' '.repeat(indent) + '}') && lines[j].match(/^\s*/)[0].length === indent)) j++;
      i = j;
      continue;
    }
    out.push(lines[i]);
  }
  return out.join('\n');
}

const graph = new Map();
const failures = [];
for (const file of rsFiles(src)) {
  const mod = moduleOf(file);
  const text = withoutTests(readFileSync(file, 'utf8'));
  const code = text.replace(/\/\/.*$/gm, '');
  const deps = new Set();
  for (const m of code.matchAll(/\bcrate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)/g)) {
    const to = resolve(m[1].split('::'));
    if (to && to !== mod) deps.add(to);
  }
  // `super::x` from a file: its parent module's `x` (from a mod.rs, the module's own child).
  const parent = file.endsWith(`${sep}mod.rs`) || mod === 'crate' ? mod : mod.split('::').slice(0, -1).join('::');
  for (const m of code.matchAll(/\bsuper::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)/g)) {
    const base = parent === 'crate' || parent === '' ? [] : parent.split('::');
    const to = resolve([...base, ...m[1].split('::')]) ?? (parent || null);
    if (to && to !== mod) deps.add(to);
  }
  graph.set(mod, deps);
  if (mod === 'core' || mod.startsWith('core::')) {
    const web = code.match(/\b(web_sys|js_sys|wasm_bindgen)::/);
    if (web) failures.push(`${relative(root, file)} uses ${web[1]} (core/ is pure Rust)`);
  }
  // Function lengths: from the `fn` line to the closing brace at its indent.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:pub(?:\([^)]*\))? )?(?:const )?(?:unsafe )?(?:extern "C" )?fn (\w+)/.exec(lines[i]);
    if (!m) continue;
    let j = i;
    while (j < lines.length && !/[{;]\s*$/.test(lines[j])) j++;
    if (j >= lines.length || /;\s*$/.test(lines[j])) continue;
    const indent = m[1].length;
    let k = j + 1;
    while (k < lines.length && !(lines[k].startsWith(' '.repeat(indent) + '}') && lines[k].match(/^\s*/)[0].length === indent)) k++;
    const n = k - i + 1;
    if (n > MAX_LINES) failures.push(`${relative(root, file)}: fn ${m[2]} is ${n} lines (at most ${MAX_LINES})`);
  }
}

// Cycles: a depth-first search that reports each back edge's cycle once.
const state = new Map();
const stack = [];
function visit(m) {
  state.set(m, 'open');
  stack.push(m);
  for (const d of graph.get(m) ?? []) {
    if (!graph.has(d)) continue;
    if (state.get(d) === 'open') failures.push(`import cycle: ${[...stack.slice(stack.indexOf(d)), d].join(' -> ')}`);
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(m, 'done');
}
for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);

if (process.argv.includes('--list')) for (const [m, d] of [...graph].sort()) console.log(`${m} -> ${[...d].sort().join(', ')}`);
for (const f of failures) console.log(`structure: ${f}`);
console.log(`structure: ${graph.size} modules, ${failures.length} problem(s)`);
console.log(`structure check: ${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed`);
process.exit(failures.length ? 1 : 0);
