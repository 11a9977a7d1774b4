// The agent as it was before issue 14 (the chunky boundary): its pkg/, built once in a temporary git
// worktree with its own target dir and kept in target/bench-before-issue-14/, so that `npm run bench`
// measures it beside this commit's in the same run (issue 14 asks for before and after, and for a
// per-error cost not worse than before).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** main when the round's issues were filed; issue 14's work starts from it. */
export const BEFORE_ISSUE_14 = '22ad2e086de90ae7c6c3c1659c6e22befd783d72';
const CACHE = process.env.AGENT_OLD_TARGET || join(ROOT, 'target', 'bench-before-issue-14');

/** `{ pkg }`: the directory of that commit's built package, or `{ error }` saying why there is none. */
export function buildBeforeIssue14({ env = process.env } = {}) {
  const pkg = join(CACHE, `pkg-${BEFORE_ISSUE_14.slice(0, 12)}`);
  if (existsSync(join(pkg, 'wasm_rum_bg.wasm'))) return { pkg };
  const git = (args) => execFileSync('git', args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tree = mkdtempSync(join(tmpdir(), 'wasm-rum-before-issue-14-'));
  try {
    try {
      git(['cat-file', '-e', `${BEFORE_ISSUE_14}^{commit}`]);
    } catch {
      return { error: `commit ${BEFORE_ISSUE_14.slice(0, 12)} is not in this clone (shallow?)` };
    }
    git(['worktree', 'add', '--detach', '--force', tree, BEFORE_ISSUE_14]);
    // Its build uses wasm-opt from the binaryen npm package, as ours does.
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    const build = spawnSync('node', ['scripts/build.mjs'], {
      cwd: tree, env: { ...env, CARGO_TARGET_DIR: join(CACHE, 'target') }, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (build.status !== 0) {
      const why = (build.stderr || '').trim().split('\n').filter((l) => /error/i.test(l))[0] || build.error?.message || `exit ${build.status}`;
      return { error: `the build of ${BEFORE_ISSUE_14.slice(0, 12)} failed: ${why}` };
    }
    cpSync(join(tree, 'pkg'), pkg, { recursive: true });
    return { pkg };
  } catch (e) {
    return { error: `no build of ${BEFORE_ISSUE_14.slice(0, 12)}: ${String(e.stderr || e.message).trim().split('\n')[0]}` };
  } finally {
    try { git(['worktree', 'remove', '--force', tree]); } catch { /* never added */ }
    rmSync(tree, { recursive: true, force: true });
  }
}
