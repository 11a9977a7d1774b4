#!/usr/bin/env node
// `npm run bench`: size and runtime cost of wasm-rum beside the agents users would pick instead,
// each installed from npm (scripts/bench/peers, pinned) and measured in the same run, plus the
// collector's throughput. Writes BENCHMARKS.md. Figures are medians of several runs; quote ratios.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync, statSync, copyFileSync, readdirSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCollector, collectorMarkdown } from './bench/collector.mjs';
import { BEFORE_ISSUE_14, buildBeforeIssue14 } from './bench/before.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'scripts', 'bench');
const PEERS = join(BENCH, 'peers');
const RUNS = Number(process.env.BENCH_RUNS || 5);
// BENCH_ONLY=wasm-rum,elastic: only those agents' runtime (with the page with no agent), printed
// and not written to BENCHMARKS.md, for comparing changes quickly.
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
const t0 = Date.now();
const say = (...a) => console.log('bench:', ...a);

// Peers, pinned, in their own folder (their peer dependencies conflict with each other's).
const stamp = join(PEERS, 'node_modules', '.bench-lock');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== readFileSync(join(PEERS, 'package-lock.json'), 'utf8')) {
  say('installing the peers (npm ci in scripts/bench/peers)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEERS, stdio: 'inherit' });
  writeFileSync(stamp, readFileSync(join(PEERS, 'package-lock.json'), 'utf8'));
}
if (!existsSync(join(ROOT, 'pkg', 'wasm_rum_bg.wasm'))) execFileSync('node', ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit', env });
const esbuild = await import(join(PEERS, 'node_modules', 'esbuild', 'lib', 'main.js'));
const version = (name) => JSON.parse(readFileSync(join(PEERS, 'node_modules', name, 'package.json'), 'utf8')).version;

const AGENTS = [
  { id: 'wasm-rum', label: 'wasm-rum (this repo)', entry: 'wasm-rum.js', version: JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8')).version },
  { id: 'web-vitals', label: 'web-vitals', entry: 'web-vitals.js', version: version('web-vitals') },
  { id: 'web-vitals-attribution', label: 'web-vitals (attribution build)', entry: 'web-vitals-attribution.js', version: version('web-vitals') },
  { id: 'faro', label: '@grafana/faro-web-sdk', entry: 'faro.js', version: version('@grafana/faro-web-sdk') },
  { id: 'faro-tracing', label: 'faro-web-sdk + faro-web-tracing', entry: 'faro-tracing.js', version: version('@grafana/faro-web-tracing') },
  { id: 'otel', label: 'OpenTelemetry web + fetch + OTLP', entry: 'otel.js', version: version('@opentelemetry/sdk-trace-web') },
  { id: 'sentry', label: '@sentry/browser + tracing', entry: 'sentry.js', version: version('@sentry/browser') },
  { id: 'elastic', label: '@elastic/apm-rum', entry: 'elastic.js', version: version('@elastic/apm-rum') },
  { id: 'datadog', label: '@datadog/browser-rum', entry: 'datadog.js', version: version('@datadog/browser-rum') },
];

// The agent before issue 14, built once (scripts/bench/before.mjs), measured beside this commit's.
const before = buildBeforeIssue14({ env });
if (before.pkg) {
  const entry = join(tmpdir(), `wasm-rum-bench-before-${process.pid}.js`);
  writeFileSync(entry, readFileSync(join(BENCH, 'entries', 'wasm-rum.js'), 'utf8')
    .replace("'../../../pkg/index.js'", JSON.stringify(join(before.pkg, 'index.js')))
    .replace("'/pkg/wasm_rum_bg.wasm'", "'/pkg-before/wasm_rum_bg.wasm'")
    .replace("'/capture/wasm-rum'", "'/capture/wasm-rum-before'"));
  AGENTS.splice(1, 0, { id: 'wasm-rum-before', label: `wasm-rum before issue 14 (${BEFORE_ISSUE_14.slice(0, 7)})`, entry, version: '0.1.0', pkg: before.pkg });
} else say(`no build before issue 14: ${before.error}`);

// 1. Size: each agent bundled from the registry with esbuild, minified, calling only its init.
const work = mkdtempSync(join(tmpdir(), 'wasm-rum-bench-'));
const sizes = (buf) => ({ raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length });
const bundles = {};
for (const a of [{ id: 'none', entry: 'none.js' }, ...AGENTS]) {
  const out = join(work, `${a.id}.js`);
  await esbuild.build({ entryPoints: [a.pkg ? a.entry : join(BENCH, 'entries', a.entry)], bundle: true, minify: true, format: 'esm', target: 'es2020', outfile: out, logLevel: 'error', nodePaths: [join(PEERS, 'node_modules')], define: { 'process.env.NODE_ENV': '"production"' } });
  bundles[a.id] = out;
  if (a.id !== 'none') {
    const js = readFileSync(out);
    a.js = sizes(js);
    if (a.id.startsWith('wasm-rum')) {
      a.wasm = sizes(readFileSync(join(a.pkg || join(ROOT, 'pkg'), 'wasm_rum_bg.wasm')));
      a.total = { raw: a.js.raw + a.wasm.raw, gzip: a.js.gzip + a.wasm.gzip, brotli: a.js.brotli + a.wasm.brotli };
    } else a.total = a.js;
  }
}
const ours = AGENTS[0];
// Every .wasm and .js an app ships from pkg/, snippets included (as scripts/size-check.mjs counts them).
const shipped = (dir, rel = '') => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? shipped(join(dir, e.name), `${rel}${e.name}/`) : /\.(wasm|js)$/.test(e.name) ? [`${rel}${e.name}`] : []);
const pkgFiles = shipped(join(ROOT, 'pkg')).map((f) => ({ f: f.replace(/^snippets\/[^/]+\//, 'snippets/'), ...sizes(readFileSync(join(ROOT, 'pkg', f))) }));
say(`sizes done: ours ${ours.total.gzip} B gzip`);

// twiggy: what the wasm is made of: the shipped build (pruned and optimised as scripts/build.mjs does)
// with its names kept, which scripts/check-no-fmt.mjs writes to target/wasm-rum-named.wasm.
let twiggy = '(twiggy not installed: cargo install twiggy)';
try {
  if (!ONLY) execFileSync('node', ['scripts/check-no-fmt.mjs'], { cwd: ROOT, env, stdio: 'ignore' });
  twiggy = execFileSync('twiggy', ['top', '-n', '15', join(ROOT, 'target', 'wasm-rum-named.wasm')], { env }).toString();
} catch (e) {
  twiggy = `(twiggy failed: ${e.message.split('\n')[0]})`;
}

// 2. Runtime in headless Chromium: every agent in the same page, same run, RUNS runs each.
const counts = {};
const page = (id) => `<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body>
<h1>Benchmark page</h1><p>${'Some text. '.repeat(200)}</p>
<script type="module" src="/bundle/${id}.js"></script></body></html>`;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  const agent = path.startsWith('/capture/') ? path.split('/')[2] : path.startsWith('/api/1/') ? 'sentry' : null;
  if (agent) {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' });
      return res.end();
    }
    counts[agent] = (counts[agent] || 0) + 1;
    req.resume();
    res.writeHead(202, { 'access-control-allow-origin': '*' });
    return res.end('{}');
  }
  if (path === '/api/ping') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"ok":true}'); }
  if (path.startsWith('/page/')) { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page(path.split('/')[2])); }
  if (path.startsWith('/bundle/')) { res.writeHead(200, { 'content-type': 'text/javascript' }); return res.end(readFileSync(bundles[path.split('/')[2].replace('.js', '')])); }
  if (path.startsWith('/pkg-before/') && before.pkg) { res.writeHead(200, { 'content-type': path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }); return res.end(readFileSync(join(before.pkg, path.slice('/pkg-before/'.length)))); }
  if (path.startsWith('/pkg/')) { res.writeHead(200, { 'content-type': path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }); return res.end(readFileSync(join(ROOT, path))); }
  res.writeHead(404); res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const runtime = {};
for (let run = 0; run < RUNS; run++) {
  for (const id of ['none', ...AGENTS.map((a) => a.id)].filter((id) => !ONLY || id === 'none' || ONLY.includes(id))) {
    const context = await browser.newContext();
    const p = await context.newPage();
    const cdp = await context.newCDPSession(p);
    await cdp.send('Performance.enable');
    await p.goto(`${origin}/page/${id}`);
    await p.waitForFunction(() => window.agentReadyAt !== undefined, null, { timeout: 15000 }).catch(() => {});
    // A page that loads and makes a hundred fetch calls.
    await p.evaluate(async () => { for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 10 }, () => fetch('/api/ping').then((r) => r.json()))); });
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    const readyAt = await p.evaluate(() => window.agentReadyAt);
    // Added cost of one fetch call on the main thread: the synchronous time to issue 1000
    // same-origin calls (the wrapper's work: the decision, the header, the span start).
    const fetchMs = await p.evaluate(async () => { const t = performance.now(); const ps = []; for (let i = 0; i < 1000; i++) ps.push(fetch('/api/ping')); const dt = performance.now() - t; await Promise.all(ps.map((x) => x.then((r) => r.text()).catch(() => {}))); return dt; });
    // Cost of capturing one error: 200 ErrorEvents dispatched synchronously to the agent's listeners.
    // The garbage of the 1 100 fetches above is collected first: otherwise whether V8's collection
    // of it lands inside these few milliseconds decides the figure (it swung 16-30 us between runs
    // of one build, while 2 000 errors in a row cost the same with and without it).
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    const errorMs = await p.evaluate(() => { const t = performance.now(); for (let i = 0; i < 200; i++) window.dispatchEvent(new ErrorEvent('error', { error: new Error('bench ' + i), message: 'bench ' + i })); return (performance.now() - t) / 200; });
    await p.evaluate(() => { for (let i = 0; i < 100; i++) window.pushItem?.(i); });
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    // Leave the page the way users do, so every agent sends what it has.
    await p.evaluate(() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); });
    await p.waitForTimeout(id === 'none' ? 50 : 1200);
    await context.close();
    const r = (runtime[id] ||= { task: [], script: [], ready: [], fetch: [], error: [], heap: [] });
    r.task.push(m.TaskDuration * 1000); r.script.push(m.ScriptDuration * 1000); r.ready.push(readyAt ?? NaN); r.fetch.push(fetchMs); r.error.push(errorMs); r.heap.push(heap);
  }
  say(`runtime run ${run + 1}/${RUNS} done`);
}
await browser.close();
server.close();
const med = Object.fromEntries(Object.entries(runtime).map(([id, r]) => [id, Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v.filter((x) => !Number.isNaN(x)))]))]));

if (ONLY) {
  for (const [id, r] of Object.entries(med)) {
    const d = (k) => (r[k] - med.none[k]).toFixed(1);
    console.log(`${id}: main-thread added ${d('task')} ms, script added ${d('script')} ms, +per fetch ${(r.fetch - med.none.fetch).toFixed(1)} us, per error ${(r.error * 1000).toFixed(1)} us, ready ${r.ready.toFixed(1)} ms`);
  }
  process.exit(0);
}

// 3. The collector: payloads per second, p99 latency and CPU per payload from wrk (16 and 50 connections)
// and its memory, beside the build of the commit before issue 13 (built once, cached).
let collectorRow = 'wrk or the release build is missing';
try {
  collectorRow = collectorMarkdown(await benchCollector({ env }));
} catch (e) {
  collectorRow = `failed: ${e.message.split('\n')[0]}`;
}
rmSync(work, { recursive: true, force: true });

// 4. BENCHMARKS.md
const kb = (b) => (b / 1024).toFixed(1);
const ratio = (a, b) => (b ? (a / b).toFixed(2) + '×' : 'n/a');
const sentOk = (id) => (counts[id] || 0) > 0;
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const base = med.none;
let md = `# Benchmarks\n\nWritten by \`npm run bench\` on ${new Date().toISOString()} (${cpus().length} × ${cpus()[0]?.model?.trim() || 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Chromium headless). ${RUNS} runs per agent, medians. The machine is shared and noisy: read the ratios, not the last digit.\n\n`;
md += `## Size: what an app ships\n\nEach agent bundled from npm with esbuild (minified, ESM) with an entry that only initialises it; ours is the bundled entry module and glue plus the \`.wasm\`. Goal: the whole agent at most 20 KB gzip.\n\n| agent | version | raw | gzip -9 | brotli | ours ÷ it (gzip) |\n|---|---|---:|---:|---:|---:|\n`;
for (const a of AGENTS) md += `| ${a.label} | ${a.version} | ${kb(a.total.raw)} KB | ${kb(a.total.gzip)} KB | ${kb(a.total.brotli)} KB | ${a.id === 'wasm-rum' ? '1.00×' : ratio(ours.total.gzip, a.total.gzip)} |\n`;
md += `\nOurs in parts: bundled JS ${kb(ours.js.raw)} KB raw / ${kb(ours.js.gzip)} KB gzip; wasm ${kb(ours.wasm.raw)} KB raw / ${kb(ours.wasm.gzip)} KB gzip. As published in \`pkg/\` (minified by scripts/build.mjs): ${pkgFiles.map((f) => `${f.f} ${kb(f.raw)} KB (${kb(f.gzip)} KB gzip)`).join(', ')}.\n\n`;
md += `Status against the 20 KB goal: ${ours.total.gzip <= 20480 ? 'met' : `**not met**: ${kb(ours.total.gzip)} KB gzip, ${kb(ours.total.gzip - 20480)} KB over`}.\n\n### What the wasm is made of (twiggy top, names kept)\n\n\`\`\`\n${twiggy.trim()}\n\`\`\`\n\n`;
md += `## Runtime cost in headless Chromium\n\nThe same page for every agent: it loads the agent, makes a hundred same-origin \`fetch\` calls, then issues a thousand more at once, collects its garbage and dispatches 200 \`ErrorEvent\`s, pushes 100 items where the agent has an API, and is hidden so the agent sends. Main-thread time is DevTools' \`TaskDuration\` and \`ScriptDuration\` at the end of the load and the first hundred calls, minus the page with no agent. A row counts only if that agent's posts reached the capture server in this run.\n\n| agent | sent? (posts) | main-thread added | script added | ratio to Faro+tracing | ready after | +per fetch | per error | JS heap |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n`;
const faroT = med['faro-tracing'] ? med['faro-tracing'].task - base.task : NaN;
for (const a of AGENTS) {
  const r = med[a.id];
  if (!sentOk(a.id)) { md += `| ${a.label} | **failed: nothing reached the capture server** | | | | | | | |\n`; continue; }
  const added = r.task - base.task;
  md += `| ${a.label} | yes (${counts[a.id]}) | ${fmt(added)} ms | ${fmt(r.script - base.script)} ms | ${ratio(Math.max(added, 0), faroT)} | ${fmt(r.ready)} ms | ${fmt(((r.fetch - base.fetch) / 1000) * 1000, 1)} µs | ${fmt(r.error * 1000, 1)} µs | ${kb(r.heap)} KB |\n`;
}
md += `| (no agent) | | 0 | 0 | | | 0 | ${fmt(base.error * 1000, 1)} µs | ${kb(base.heap)} KB |\n\n`;
md += `"ready after" is when the agent is collecting, from navigation start (ours: once the wasm has loaded and \`getSession()\` answers; the JS agents: when their init returned). "+per fetch" is the extra wall time per call over the page's own \`fetch\`: the main-thread time to issue 1000 calls, divided by 1000 (the response side runs later and is part of the main-thread figure). The JS heap does not include our wasm linear memory.\n\n`;
{
  const added = (id) => (med[id] ? med[id].task - base.task : NaN);
  const fetchCost = (id) => (med[id] ? fmt(med[id].fetch - base.fetch, 1) : 'n/a');
  md += `Goals (issue 14): main-thread time added ≤ 0.15× Faro with web-tracing and below Elastic's (ours: ${ratio(Math.max(added('wasm-rum'), 0), faroT)} of Faro's, ${ratio(Math.max(added('wasm-rum'), 0), added('elastic'))} of Elastic's); per-fetch overhead ≤ 100 µs (ours ${fetchCost('wasm-rum')} µs, Elastic ${fetchCost('elastic')} µs); per error not worse than before issue 14 (ours ${med['wasm-rum'] ? fmt(med['wasm-rum'].error * 1000, 1) : 'n/a'} µs, before ${med['wasm-rum-before'] ? fmt(med['wasm-rum-before'].error * 1000, 1) : 'n/a'} µs). Before issue 14, in this run: ${med['wasm-rum-before'] ? `${fmt(added('wasm-rum-before'))} ms main-thread added, ${fetchCost('wasm-rum-before')} µs per fetch` : 'not measured'}.\n\n`;
}
md += `## Collector\n\n${collectorRow}\n\nTook ${Math.round((Date.now() - t0) / 1000)} s.\n`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
say(`wrote BENCHMARKS.md in ${Math.round((Date.now() - t0) / 1000)} s`);
