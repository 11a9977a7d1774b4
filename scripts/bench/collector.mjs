// The collector's throughput under wrk: payloads per second, p99 latency, CPU time per payload
// and RSS, with 16 and with 50 connections, beside a build of the commit before issue 13 (the
// hardening) in the same run: runs alternate between the two builds, each figure is the median
// of RUNS. Used by scripts/bench.mjs; runs alone too: `node scripts/bench/collector.mjs`
// (set COLLECTOR_BIN to measure another build as "this commit").
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAt } from './before.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONNECTIONS = [16, 50];
/** Runs per build and connection count; the rows show their medians. */
export const RUNS = 3;
/** The last main commit before issue 13's work: the build the collector must not be worse than. */
export const BEFORE_ISSUE_13 = 'ea8ef2ecf98f4bc1db397606bf78e4f2b3837a76';
/** Where that build is cached (its own target dir, so it never disturbs this tree's). */
const OLD_TARGET = process.env.COLLECTOR_OLD_TARGET || join(ROOT, 'target', 'bench-before-issue-13');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

const payload = JSON.stringify({
  meta: { sdk: { name: 'wasm-rum', version: '0.1.0' }, app: { name: 'bench', environment: 'prod' }, session: { id: 'benchsession01' }, page: { url: 'https://shop.example/product/42' }, browser: { name: 'Chrome', mobile: false, viewportWidth: '1280', viewportHeight: '720' } },
  measurements: [{ type: 'web-vitals', values: { lcp: 1234.5, delta: 1234.5 }, context: { rating: 'good', navigation_type: 'navigate' } }],
  events: [{ name: 'click', domain: 'browser', attributes: { target: 'button#buy' } }],
  logs: [{ message: 'checkout ready', level: 'info', context: { step: '2' } }],
});

/** User + system CPU of a process so far, in seconds. */
function cpuSeconds(pid) {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** One wrk run (1 thread, `connections`, 10 s) against a fresh collector. */
async function run(bin, work, connections) {
  const col = spawn(bin, ['--listen', '127.0.0.1:0', '--rate-limit', '0', '--log-file', '/dev/null'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const base = await new Promise((resolve, reject) => {
      col.stdout.on('data', (d) => { const m = /listening on (http:\/\/[\d.:]+)/.exec(String(d)); if (m) resolve(m[1]); });
      col.on('exit', (code) => reject(new Error(`collector exited with ${code}`)));
    });
    const cpu0 = cpuSeconds(col.pid);
    const out = spawnSync('wrk', ['-t1', `-c${connections}`, '-d10s', '--latency', '-s', join(work, 'post.lua'), `${base}/collect`], { encoding: 'utf8' }).stdout || '';
    const cpu = cpuSeconds(col.pid) - cpu0;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${col.pid}/status`, 'utf8'))?.[1] || 0);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] || 0);
    if (!rps || !requests) throw new Error(`wrk printed no rate: ${out.slice(0, 200)}`);
    return {
      connections,
      rps: Number(rps),
      p99: /99%\s+([\d.]+\w+)/.exec(out)?.[1],
      cpuUs: (cpu * 1e6) / requests,
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || 0),
      rssMiB: rss / 1024,
    };
  } finally {
    col.kill();
  }
}

/** `1.83ms`, `950.00us`, `1.2s` in ms. */
function ms(latency) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(latency || '');
  if (!m) return NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The median run's figures (each figure's own median) of several runs. */
function medianRow(runs) {
  const p99 = runs.map((r) => r.p99).sort((a, b) => ms(a) - ms(b))[Math.floor(runs.length / 2)];
  return {
    connections: runs[0].connections,
    runs: runs.length,
    rps: Math.round(median(runs.map((r) => r.rps))),
    p99,
    cpuUs: median(runs.map((r) => r.cpuUs)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    rssMiB: median(runs.map((r) => r.rssMiB)),
  };
}

/**
 * The release collector of the commit before issue 13, built once in a temporary git worktree
 * with its own target dir and kept there: { bin } or { error } saying why there is none.
 */
export function buildBeforeIssue13({ env = process.env } = {}) {
  const bin = join(OLD_TARGET, `wasm-rum-collector-${BEFORE_ISSUE_13.slice(0, 12)}`);
  if (existsSync(bin)) return { bin };
  return buildAt(BEFORE_ISSUE_13, 'cargo', ['build', '--quiet', '--release', '--locked', '-p', 'wasm-rum-collector'], {
    env: { ...env, CARGO_TARGET_DIR: OLD_TARGET },
    keep: () => {
      mkdirSync(OLD_TARGET, { recursive: true });
      copyFileSync(join(OLD_TARGET, 'release', 'wasm-rum-collector'), bin);
      return { bin };
    },
  });
}

/**
 * Builds the release collector (unless `bin` is given) and the one before issue 13 (unless
 * `old` is false), and measures both at each connection count, alternating between them.
 * Returns { rows: [{ build, connections, rps, p99, cpuUs, non2xx, rssMiB }], oldError }.
 */
export async function benchCollector({ env = process.env, bin, old = true, runs = RUNS } = {}) {
  if (!bin) {
    execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'wasm-rum-collector'], { cwd: ROOT, env, stdio: 'inherit' });
    bin = join(env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'release', 'wasm-rum-collector');
  }
  const builds = [{ build: 'this commit', bin }];
  let oldError;
  if (old) {
    const before = buildBeforeIssue13({ env });
    if (before.bin) builds.push({ build: `before issue 13 (${BEFORE_ISSUE_13.slice(0, 7)})`, bin: before.bin });
    else oldError = before.error;
  }
  const work = mkdtempSync(join(tmpdir(), 'wasm-rum-bench-collector-'));
  try {
    writeFileSync(join(work, 'post.lua'), `wrk.method = "POST"\nwrk.body = ${JSON.stringify(payload)}\nwrk.headers["Content-Type"] = "text/plain;charset=UTF-8"\n`);
    const results = new Map();
    for (let i = 0; i < runs; i++) {
      for (const c of CONNECTIONS) {
        // Alternate which build goes first, so neither always runs on a warmer machine.
        const order = i % 2 === 0 ? builds : [...builds].reverse();
        for (const b of order) {
          const key = `${b.build}|${c}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(await run(b.bin, work, c));
        }
      }
    }
    const rows = [];
    for (const c of CONNECTIONS) {
      for (const b of builds) rows.push({ build: b.build, ...medianRow(results.get(`${b.build}|${c}`)) });
    }
    return { rows, oldError };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The rows as markdown. */
export function collectorMarkdown({ rows, oldError }) {
  let md = '| build | wrk connections | payloads/s | p99 latency | CPU per payload | non-2xx | RSS after the run |\n|---|---:|---:|---:|---:|---:|---:|\n';
  for (const r of rows) {
    md += `| ${r.build} | ${r.connections} | ${r.rps} | ${r.p99} | ${r.cpuUs.toFixed(1)} µs | ${r.non2xx} | ${r.rssMiB.toFixed(1)} MiB |\n`;
  }
  if (oldError) md += `\nNo row for the build before issue 13: ${oldError}.\n`;
  const runs = rows[0]?.runs ?? RUNS;
  return md + `\nwrk: 1 thread, 10 s per run, a fresh collector each; medians of ${runs} runs per row, the two builds alternating; a payload of a measurement, an event and a log; rate limit off; log lines to /dev/null; CPU is the collector's user + system time over the requests wrk made; the client and the server share the machine's cores.\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  console.log(collectorMarkdown(await benchCollector({ env, bin: process.env.COLLECTOR_BIN, runs: Number(process.env.COLLECTOR_RUNS) || RUNS })));
}
