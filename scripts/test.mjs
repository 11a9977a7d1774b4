#!/usr/bin/env node
// `npm test`: bootstrap, then every check in order, each stage named and timed; stops at the first failure.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}`, WASM_RUM_REQUIRE_PROMETHEUS: '1' };
const only = process.argv.slice(2);

const stages = [
  ['bootstrap', 'bash', ['scripts/bootstrap']],
  ['cargo fmt --check', 'cargo', ['fmt', '--all', '--check']],
  // src/'s import graph acyclic, no function over 80 lines, core/ free of web-sys (issue 14).
  ['structure check', 'node', ['scripts/check-structure.mjs']],
  // Debian's prometheus package (scripts/bootstrap) ships promtool; missing, the stage fails.
  ['promtool check rules', 'promtool', ['check', 'rules', 'examples/grafana/rules/frontend-slo.yml']],
  ['promtool test rules', 'promtool', ['test', 'rules', 'examples/grafana/rules/frontend-slo.test.yml']],
  ['clippy (native)', 'cargo', ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings']],
  ['clippy (wasm32)', 'cargo', ['clippy', '-p', 'wasm-rum', '--target', 'wasm32-unknown-unknown', '--', '-D', 'warnings']],
  ['cargo test --workspace', 'cargo', ['test', '--workspace']],
  // The build's own wasm rewriting (scripts/zero-panic-data.mjs) on modules made by the tests.
  ['build script tests', 'node', ['--test', 'tests/scripts/']],
  ['build collector and demo-api', 'cargo', ['build', '--workspace', '--bins']],
  ['build pkg/', 'node', ['scripts/build.mjs']],
  ['size check', 'node', ['scripts/size-check.mjs']],
  // The wasm built with names (target/, from the build above) has no core::fmt code (issue 14).
  ['no core::fmt in the wasm', 'node', ['scripts/check-no-fmt.mjs']],
  ['wasm-pack test --headless --chrome', 'wasm-pack', ['test', '--headless', '--chrome', '--mode', 'no-install', '--', '-p', 'wasm-rum']],
  ['end-to-end tests', 'node', ['--test', '--test-concurrency=1', 'tests/e2e/']],
  ['demo check (npm run demo, quiet)', 'node', ['scripts/demo.mjs', '--check']],
];

const t0 = Date.now();
let passed = 0;
for (const [name, cmd, args] of stages) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  const t = Date.now();
  console.log(`\n=== stage: ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  if (r.status !== 0) {
    const why = r.error?.code === 'ENOENT' ? `${cmd} is not installed (scripts/bootstrap installs it)` : `exit ${r.status ?? r.signal}`;
    console.log(`=== FAILED: ${name} (${secs}s, ${why})`);
    console.log(`stages: ${passed} passed, 1 failed`);
    process.exit(1);
  }
  passed++;
  console.log(`=== ok: ${name} (${secs}s)`);
}
console.log(`\nall stages passed in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
console.log(`stages: ${passed} passed, 0 failed`);
