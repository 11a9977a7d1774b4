// The collector's throughput under wrk: payloads per second, p99 latency and RSS, with 16 and with
// 50 connections. Used by scripts/bench.mjs; runs alone too: `node scripts/bench/collector.mjs`
// (set COLLECTOR_BIN to measure another build, e.g. one of an older commit).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONNECTIONS = [16, 50];

const payload = JSON.stringify({
  meta: { sdk: { name: 'wasm-rum', version: '0.1.0' }, app: { name: 'bench', environment: 'prod' }, session: { id: 'benchsession01' }, page: { url: 'https://shop.example/product/42' }, browser: { name: 'Chrome', mobile: false, viewportWidth: '1280', viewportHeight: '720' } },
  measurements: [{ type: 'web-vitals', values: { lcp: 1234.5, delta: 1234.5 }, context: { rating: 'good', navigation_type: 'navigate' } }],
  events: [{ name: 'click', domain: 'browser', attributes: { target: 'button#buy' } }],
  logs: [{ message: 'checkout ready', level: 'info', context: { step: '2' } }],
});

/** One wrk run (1 thread, `connections`, 10 s) against a fresh collector. */
async function run(bin, work, connections) {
  const col = spawn(bin, ['--listen', '127.0.0.1:0', '--rate-limit', '0', '--log-file', '/dev/null'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const base = await new Promise((resolve, reject) => {
      col.stdout.on('data', (d) => { const m = /listening on (http:\/\/[\d.:]+)/.exec(String(d)); if (m) resolve(m[1]); });
      col.on('exit', (code) => reject(new Error(`collector exited with ${code}`)));
    });
    const out = spawnSync('wrk', ['-t1', `-c${connections}`, '-d10s', '--latency', '-s', join(work, 'post.lua'), `${base}/collect`], { encoding: 'utf8' }).stdout || '';
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${col.pid}/status`, 'utf8'))?.[1] || 0);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
    if (!rps) throw new Error(`wrk printed no rate: ${out.slice(0, 200)}`);
    return { connections, rps: Math.round(Number(rps)), p99: /99%\s+([\d.]+\w+)/.exec(out)?.[1], non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || '0', rssMiB: (rss / 1024).toFixed(1) };
  } finally {
    col.kill();
  }
}

/** Builds the release collector (unless `bin` is given) and measures it at each connection count. */
export async function benchCollector({ env = process.env, bin } = {}) {
  if (!bin) {
    execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'wasm-rum-collector'], { cwd: ROOT, env, stdio: 'inherit' });
    bin = join(ROOT, 'target', 'release', 'wasm-rum-collector');
  }
  const work = mkdtempSync(join(tmpdir(), 'wasm-rum-bench-collector-'));
  try {
    writeFileSync(join(work, 'post.lua'), `wrk.method = "POST"\nwrk.body = ${JSON.stringify(payload)}\nwrk.headers["Content-Type"] = "text/plain;charset=UTF-8"\n`);
    const rows = [];
    for (const c of CONNECTIONS) rows.push(await run(bin, work, c));
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The rows as markdown. */
export function collectorMarkdown(rows) {
  let md = '| wrk connections | payloads/s | p99 latency | non-2xx | RSS after the run |\n|---:|---:|---:|---:|---:|\n';
  for (const r of rows) md += `| ${r.connections} | ${r.rps} | ${r.p99} | ${r.non2xx} | ${r.rssMiB} MiB |\n`;
  return md + '\nwrk: 1 thread, 10 s per run, a fresh collector each; a payload of a measurement, an event and a log; rate limit off; log lines to /dev/null; the client and the server share the machine\'s cores.\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  console.log(collectorMarkdown(await benchCollector({ env, bin: process.env.COLLECTOR_BIN })));
}
