// Builds of earlier commits that `npm run bench` measures beside this commit's, each built once in a
// temporary git worktree with its own target dir and kept under target/: the agent before issue 14
// (the chunky boundary: issue 14 asks for before and after, and for a per-error cost not worse than
// before) and, through scripts/bench/collector.mjs, the collector before issue 13.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** main when the round's issues were filed; issue 14's work starts from it. */
export const BEFORE_ISSUE_14 = '22ad2e086de90ae7c6c3c1659c6e22befd783d72';
const AGENT_CACHE = process.env.AGENT_OLD_TARGET || join(ROOT, 'target', 'bench-before-issue-14');

/**
 * Checks `commit` out in a temporary worktree and runs `cmd args` there with `env`; then `keep(tree)`
 * copies out what is wanted and the worktree goes. Returns what `keep` returns, or `{ error }`.
 */
export function buildAt(commit, cmd, args, { env = process.env, keep, link = [] }) {
  const short = commit.slice(0, 12);
  const git = (a) => execFileSync('git', a, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tree = mkdtempSync(join(tmpdir(), `wasm-rum-${short}-`));
  try {
    try {
      git(['cat-file', '-e', `${commit}^{commit}`]);
    } catch {
      return { error: `commit ${short} is not in this clone (shallow?)` };
    }
    git(['worktree', 'add', '--detach', '--force', tree, commit]);
    for (const name of link) symlinkSync(join(ROOT, name), join(tree, name));
    const build = spawnSync(cmd, args, { cwd: tree, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (build.status !== 0) {
      const why = (build.stderr || '').trim().split('\n').filter((l) => /error/i.test(l))[0] || build.error?.message || `exit ${build.status}`;
      return { error: `the build of ${short} failed: ${why}` };
    }
    return keep(tree);
  } catch (e) {
    return { error: `no build of ${short}: ${String(e.stderr || e.message).trim().split('\n')[0]}` };
  } finally {
    try { git(['worktree', 'remove', '--force', tree]); } catch { /* never added */ }
    rmSync(tree, { recursive: true, force: true });
  }
}

/** `{ pkg }`: the directory of the agent's package before issue 14, or `{ error }` saying why there is none. */
export function buildBeforeIssue14({ env = process.env } = {}) {
  const pkg = join(AGENT_CACHE, `pkg-${BEFORE_ISSUE_14.slice(0, 12)}`);
  if (existsSync(join(pkg, 'wasm_rum_bg.wasm'))) return { pkg };
  // Its build uses wasm-opt from the binaryen npm package, as ours does: node_modules is shared.
  return buildAt(BEFORE_ISSUE_14, 'node', ['scripts/build.mjs'], {
    env: { ...env, CARGO_TARGET_DIR: join(AGENT_CACHE, 'target') },
    link: ['node_modules'],
    keep: (tree) => {
      cpSync(join(tree, 'pkg'), pkg, { recursive: true });
      return { pkg };
    },
  });
}
