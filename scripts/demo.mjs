#!/usr/bin/env node
// `npm run demo`: builds what is missing, starts the collector, the demo API and the demo shop on
// loopback, drives headless Chromium through a short user journey, and prints what the system saw.
// `--serve` leaves everything running for a person to open; `--check` prints only the verdicts.
// Exits non-zero when something does not match (a trace id missing on one side, a p75 outside
// the bucket the histogram puts it in).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, resolve, relative, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, startCollector, launchBrowser, waitFor, parseMetrics } from '../tests/e2e/harness.mjs';

const serve = process.argv.includes('--serve');
const check = process.argv.includes('--check');
const log = (...a) => { if (!check) console.log(...a); };
const problems = [];
const fail = (msg) => { problems.push(msg); console.log(`MISMATCH: ${msg}`); };

// 1. Build what is missing.
const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
execFileSync('cargo', ['build', '--quiet', '--workspace', '--bins'], { cwd: ROOT, stdio: 'inherit', env });
const wasm = join(ROOT, 'pkg', 'wasm_rum_bg.wasm');
if (!existsSync(wasm) || statSync(wasm).mtimeMs < Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'pkg-template')), newest(join(ROOT, 'js')))) {
  log('demo: building pkg/');
  execFileSync('node', ['scripts/build.mjs'], { cwd: ROOT, stdio: check ? 'ignore' : 'inherit', env });
}

// 2. The servers: the demo shop (static), the collector, the demo API, and Prometheus if installed.
const work = mkdtempSync(join(tmpdir(), 'wasm-rum-demo-'));
const pageTraces = [];
const APP = join(ROOT, 'examples', 'demo-app');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
// The shop's script is served as production serves it: bundled and minified by esbuild, with a
// map beside it (`//# sourceMappingURL=app.js.map`), whose sources are named from the repo root.
const dist = join(work, 'dist');
execFileSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [join(APP, 'app.js'), '--bundle', '--minify', '--sourcemap', '--format=esm', '--external:/pkg/index.js', `--outfile=${join(dist, 'app.js')}`], { stdio: 'pipe' });
const mapFile = join(dist, 'app.js.map');
const map = JSON.parse(readFileSync(mapFile, 'utf8'));
map.sources = map.sources.map((s) => relative(ROOT, resolve(dirname(mapFile), s)));
writeFileSync(mapFile, JSON.stringify(map));
let config = {};
const site = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  // The shop's client-side routes (/product/:id) are index.html too, for a reload.
  const page = { '/': 'index.html', '/checkout': 'checkout.html' }[path] || (/^\/product\/\d+$/.test(path) ? 'index.html' : undefined);
  if (page) {
    // The backend names its trace for this page view, as instrumented servers do.
    const tp = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    pageTraces.push({ path, traceparent: tp });
    const html = readFileSync(join(APP, page), 'utf8').replace('<head>', `<head><script>window.DEMO_CONFIG = ${JSON.stringify(config)};</script>`);
    res.writeHead(200, { 'content-type': 'text/html', 'server-timing': `traceparent;desc=${tp}` });
    return res.end(html);
  }
  const bundled = ['/app.js', '/app.js.map'].includes(path);
  const file = path.startsWith('/pkg/') ? join(ROOT, path) : bundled ? join(dist, path) : join(APP, path);
  if (!(bundled || file.startsWith(ROOT)) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => site.listen(0, '127.0.0.1', r));
const siteOrigin = `http://127.0.0.1:${site.address().port}`;
// The collector maps the frames of the shop's minified script with its map (download mode).
const collector = await startCollector({ args: ['--sourcemaps-download', '--sourcemaps-origin', siteOrigin] });
const apiLog = join(work, 'api.jsonl');
const api = spawn(join(ROOT, 'target', 'debug', 'demo-api'), ['--listen', '127.0.0.1:0', '--allow-origin', siteOrigin, '--log-file', apiLog], { stdio: ['ignore', 'pipe', 'inherit'] });
const apiOrigin = await new Promise((resolve, reject) => {
  let out = '';
  api.stdout.on('data', (d) => { out += d; const m = /listening on (http:\/\/[\d.:]+)/.exec(out); if (m) resolve(m[1]); });
  api.on('exit', (c) => reject(new Error(`demo-api exited with ${c}`)));
});
config = { collectorUrl: collector.url, apiOrigin };
let prometheus = null;
let promPort = 0;
if (existsSync('/usr/bin/prometheus')) {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  promPort = probe.address().port;
  await new Promise((r) => probe.close(r));
  // The shipped frontend SLO rules, evaluated every second; exemplars kept (the fetch traces).
  const rules = join(ROOT, 'examples', 'grafana', 'rules', 'frontend-slo.yml');
  writeFileSync(join(work, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '${rules}'\nscrape_configs:\n  - job_name: wasm-rum\n    static_configs:\n      - targets: ['${collector.origin.replace('http://', '')}']\n`);
  prometheus = spawn('/usr/bin/prometheus', [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--enable-feature=exemplar-storage'], { stdio: 'ignore' });
}
const stopAll = async () => {
  api.kill();
  prometheus?.kill();
  site.closeAllConnections?.();
  await new Promise((r) => site.close(r));
  await collector.stop();
  rmSync(work, { recursive: true, force: true });
};

log(`demo: shop ${siteOrigin}  collector ${collector.origin}  API ${apiOrigin}${prometheus ? `  Prometheus http://127.0.0.1:${promPort}` : ''}`);
if (serve) {
  console.log(`\nOpen ${siteOrigin}/ (and ${siteOrigin}/?sample=0 for an unsampled session).`);
  console.log(`Collector metrics: ${collector.origin}/metrics   Ctrl-C stops everything.`);
  process.on('SIGINT', async () => { await stopAll(); process.exit(0); });
  await new Promise(() => {});
}

// 3. The journey.
const browser = await launchBrowser();
const sent = [];
async function visit(context, url, actions) {
  const page = await context.newPage();
  page.on('request', (r) => { if (r.url().startsWith(apiOrigin)) sent.push({ url: r.url(), traceparent: r.headers().traceparent }); });
  await page.goto(url);
  await page.waitForFunction(() => window.rum && window.rum.getSession());
  await page.waitForTimeout(900);
  await actions(page);
  return page;
}
const clickAndWait = async (page, id, ms = 400) => { await page.click('#' + id); await page.waitForTimeout(ms); };
try {
  const a = await browser.newContext();
  const p = await visit(a, `${siteOrigin}/`, async (page) => {
    for (const id of ['slow', 'products', 'slow-api', 'failing-api', 'throw']) await clickAndWait(page, id, 600);
    // Two client-side route changes: soft navigations, each with its own vitals.
    for (const id of ['product-1', 'product-2']) await clickAndWait(page, id, 800);
  });
  await p.goto(`${siteOrigin}/checkout`);
  await p.waitForFunction(() => window.rum && window.rum.getSession());
  await p.waitForTimeout(900);
  await clickAndWait(p, 'pay', 600);
  await p.goto(`${siteOrigin}/`);
  await p.waitForFunction(() => window.rum && window.rum.getSession());
  await p.waitForTimeout(900);
  await clickAndWait(p, 'products', 600);
  await p.close({ runBeforeUnload: true });
  // An unsampled session: nothing is sent until its error promotes it.
  const b = await browser.newContext();
  const q = await visit(b, `${siteOrigin}/?sample=0`, async (page) => {
    await clickAndWait(page, 'products', 600);
    await clickAndWait(page, 'throw', 600);
  });
  await q.goto(`${siteOrigin}/checkout`);
  await q.waitForTimeout(800);
  await q.close({ runBeforeUnload: true });
  await a.close();
  await b.close();
} finally {
  await browser.close();
}
await new Promise((r) => setTimeout(r, 1500));

// 4. The report.
const measurements = collector.items('measurements').filter((m) => m.type === 'web-vitals');
// A page's route as the collector labels it: id-like segments (here, numbers) become `:id`.
const route = (url) => (new URL(url).pathname || '/').replace(/\/\d+(?=\/|$)/g, '/:id');
const RATINGS = { lcp: [2500, 4000], inp: [200, 500], cls: [0.1, 0.25], fcp: [1800, 3000], ttfb: [800, 1800] };
const rate = (m, v) => (v > RATINGS[m][1] ? 'poor' : v > RATINGS[m][0] ? 'needs-improvement' : 'good');
const SECONDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 1.8, 2.5, 3, 4, 6, 10, 20];
const CLS = [0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1];
const metricsText = await collector.metrics();
const samples = parseMetrics(metricsText);
/** Prometheus' histogram_quantile over our buckets, summed over ratings. */
function histogramQuantile(q, family, metric, page) {
  const buckets = new Map();
  for (const s of samples.filter((s) => s.name === `${family}_bucket` && s.labels.app === 'demo-shop' && s.labels.metric === metric && s.labels.page === page)) {
    buckets.set(s.labels.le, (buckets.get(s.labels.le) || 0) + s.value);
  }
  const les = [...buckets.keys()].filter((l) => l !== '+Inf').map(Number).sort((x, y) => x - y);
  const total = buckets.get('+Inf') || 0;
  if (!total) return null;
  const rank = q * total;
  let lower = 0, below = 0;
  for (const le of les) {
    const cum = buckets.get(String(le)) ?? buckets.get(le.toString());
    if (cum >= rank) return lower + (le - lower) * (rank - below) / (cum - below);
    lower = le; below = cum;
  }
  return les[les.length - 1];
}
const bucketOf = (bounds, v) => bounds.findIndex((b) => v <= b);
log('\n== Web Vitals, p75 per page (raw values, and Prometheus-style over the histogram)');
const firstById = new Map();
for (const m of measurements) if (!firstById.has(m.context.id)) firstById.set(m.context.id, m);
const byPage = new Map();
for (const m of firstById.values()) {
  // The route the metric measures (a soft navigation's), as the collector labels `page`.
  const page = route(m.context.navigation_url || m.meta.page.url);
  for (const metric of Object.keys(RATINGS)) {
    if (!(metric in m.values)) continue;
    const key = `${page} ${metric}`;
    if (!byPage.has(key)) byPage.set(key, []);
    byPage.get(key).push(m.values[metric]);
  }
}
for (const [key, values] of [...byPage.entries()].sort()) {
  const [page, metric] = key.split(' ');
  const sorted = [...values].sort((x, y) => x - y);
  const p75 = sorted[Math.ceil(0.75 * sorted.length) - 1];
  const isCls = metric === 'cls';
  const est = histogramQuantile(0.75, isCls ? 'web_vitals_cls' : 'web_vitals_seconds', metric, page);
  const raw = isCls ? p75 : p75 / 1000;
  const bounds = isCls ? CLS : SECONDS;
  const unit = isCls ? '' : ' ms';
  log(`  ${page.padEnd(13)} ${metric.toUpperCase().padEnd(5)} p75 ${String(isCls ? p75.toFixed(4) : Math.round(p75)).padStart(6)}${unit.padEnd(4)} ${rate(metric, p75).padEnd(18)} n=${values.length}  histogram p75 ≈ ${est === null ? 'none' : isCls ? est.toFixed(4) : Math.round(est * 1000) + ' ms'}`);
  if (est === null) fail(`${page} ${metric}: the collector's histogram has no series`);
  else if (bucketOf(bounds, raw) !== bucketOf(bounds, est)) fail(`${page} ${metric}: p75 ${raw} is outside the histogram bucket of its estimate ${est}`);
}
if (!byPage.size) fail('no web vitals reached the collector');

log('\n== Errors (top frame)');
const exceptions = collector.items('exceptions');
for (const e of exceptions) {
  const f = e.stacktrace?.frames?.[0];
  log(`  ${e.type}: ${e.value}\n      at ${f ? `${f.function || '?'} (${f.filename}:${f.lineno}:${f.colno})` : 'no frames'}   session ${e.meta.session.id} sampled=${e.meta.session.attributes?.isSampled}`);
}
if (exceptions.length < 2) fail(`expected the thrown error from both sessions, got ${exceptions.length}`);
// The collector's lines carry the frames mapped with the shop's source map.
const mappedTop = (l) => (/\n {2}at (.*)/.exec(l.stacktrace || '') || [])[1];
const mapped = await waitFor(() => { const l = collector.logs().filter((x) => x.kind === 'exception'); return l.length >= exceptions.length ? l : null; }, { what: 'exception lines' }).catch(() => []);
for (const l of mapped) log(`  mapped by the collector: ${l.type}: ${l.value}\n      at ${mappedTop(l)}`);
if (!mapped.some((l) => /^applyCoupon \(examples\/demo-app\/app\.js:\d+:\d+\)$/.test(mappedTop(l) || ''))) fail('the collector did not map the top frame to applyCoupon in examples/demo-app/app.js');

log('\n== API calls: trace id seen by the browser, the collector and the API');
const spans = collector.spans();
const apiLines = existsSync(apiLog) ? readFileSync(apiLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
for (const r of sent) {
  const trace = r.traceparent?.split('-')[1];
  const span = trace && spans.find((s) => s.traceId === trace);
  const seenByApi = trace && apiLines.some((l) => l.traceparent?.split('-')[1] === trace);
  log(`  ${new URL(r.url).pathname.padEnd(18)} browser ${trace || 'NONE'}  collector ${span ? 'yes' : 'NO '}  api ${seenByApi ? 'yes' : 'NO'}`);
  if (!trace) fail(`${r.url} left the browser without traceparent`);
  else if (!seenByApi) fail(`${r.url}: trace ${trace} not in the API's log`);
}
// Spans of the unsampled session exist only from its promotion on; every sampled call has one.
const sampledCalls = sent.filter((r) => r.traceparent?.endsWith('-01'));
for (const r of sampledCalls) {
  const trace = r.traceparent.split('-')[1];
  if (!spans.some((s) => s.traceId === trace)) fail(`${r.url}: no span at the collector for trace ${trace}`);
}
if (!sent.length) fail('no API call was made');

log('\n== Page loads tied to their backend trace (Server-Timing)');
const navEvents = collector.items('events').filter((e) => e.name === 'faro.performance.navigation');
for (const e of navEvents) log(`  ${route(e.meta.page.url).padEnd(10)} trace ${e.trace?.trace_id || 'none'}`);
for (const e of navEvents) if (!pageTraces.some((t) => t.traceparent.split('-')[1] === e.trace?.trace_id)) fail(`page load ${e.meta.page.url} not tied to the server's trace`);

log('\n== The unsampled session');
const promoted = exceptions.find((e) => e.meta.session.attributes?.isSampled === 'true' && collector.items('events').some((x) => x.meta.session.id === e.meta.session.id && x.meta.page.url.includes('sample=0')));
log(promoted ? `  session ${promoted.meta.session.id} was promoted by "${promoted.value}" and sent what it had buffered` : '  not seen');
if (!promoted) fail('the unsampled session was not promoted by its error');

const query = 'histogram_quantile(0.75, sum by (le, page) (rate(web_vitals_seconds_bucket{app="demo-shop",metric="lcp"}[5m])))';
log(`\n== Prometheus\n  query: ${query}`);
if (prometheus) {
  const instant = 'histogram_quantile(0.75, sum by (le, page) (web_vitals_seconds_bucket{app="demo-shop",metric="lcp"}))';
  const answer = await waitFor(async () => {
    const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(instant)}`).then((x) => x.json()).catch(() => null);
    return r?.data?.result?.length ? r.data.result : null;
  }, { timeout: 20000, what: 'Prometheus to scrape the collector' }).catch(() => null);
  if (!answer) fail('Prometheus returned no LCP series');
  for (const s of answer || []) {
    const mine = histogramQuantile(0.75, 'web_vitals_seconds', 'lcp', s.metric.page);
    log(`  ${s.metric.page.padEnd(13)} Prometheus p75 LCP ${(Number(s.value[1]) * 1000).toFixed(0)} ms (ours over the same buckets: ${(mine * 1000).toFixed(0)} ms)`);
    if (Math.abs(Number(s.value[1]) - mine) > 1e-6) fail(`Prometheus and our histogram disagree for ${s.metric.page}`);
  }
  const promQuery = async (q) => (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).then((x) => x.json()).catch(() => null))?.data?.result || [];

  // The error rate: exceptions per page view, views of head-sampled sessions weighted by
  // 1/sampling rate, those of the promoted session not added (docs/backend.md, Frontend SLOs).
  const views = collector.items('events').filter((e) => e.name === 'page_view');
  const estimated = views.filter((e) => e.attributes?.session_sampled !== 'false').reduce((n, e) => n + 1 / Math.min(1, Math.max(0.001, Number(e.attributes?.sampling_rate) > 0 ? Number(e.attributes.sampling_rate) : 1)), 0);
  const errorPages = new Set(exceptions.map((e) => e.meta.page.id || e.meta.page.url));
  log(`\n== Error rate (exceptions per estimated page view: app:rum_error_rate:ratio_rate5m's formula over the journey's totals)`);
  if (!views.length) {
    fail('no page_view events reached the collector (the agent sends one per view)');
  } else {
    const want = exceptions.length / estimated;
    const total = 'sum(rum_exceptions_total{app="demo-shop"}) / sum(rum_page_views_total{app="demo-shop"})';
    const got = await waitFor(async () => { const r = await promQuery(total); return r.length && Math.abs(Number(r[0].value[1]) - want) < 1e-9 ? Number(r[0].value[1]) : null; }, { timeout: 20000, what: 'the error rate in Prometheus' }).catch(() => null);
    log(`  ${exceptions.length} exceptions / ${estimated} estimated views (${views.length} received) = ${want.toFixed(3)} per view; Prometheus: ${got === null ? 'no match' : got.toFixed(3)}`);
    const withErrors = await promQuery('sum(rum_page_views_with_errors_total{app="demo-shop"})');
    log(`  views with an error: ${withErrors[0]?.value[1] ?? 'none'} (pages with exceptions in the dump: ${errorPages.size})`);
    if (got === null) fail(`Prometheus' error rate is not the journey's ${want}`);
  }

  // Fetch latency per route, with one trace id from the exemplars Prometheus stored.
  log('\n== Fetch p95 per route (rum_http_client_duration_seconds, exemplar trace id)');
  const p95 = 'histogram_quantile(0.95, sum by (le, route) (rum_http_client_duration_seconds_bucket{app="demo-shop"}))';
  const routes = await waitFor(async () => { const r = await promQuery(p95); return r.length ? r : null; }, { timeout: 20000, what: 'fetch latency in Prometheus' }).catch(() => []);
  if (!routes.length) fail('Prometheus has no rum_http_client_duration_seconds series');
  const now = Math.floor(Date.now() / 1000);
  const apiTraces = new Set(apiLines.map((l) => l.traceparent?.split('-')[1]).filter(Boolean));
  for (const r of routes) {
    const sel = `rum_http_client_duration_seconds_bucket{app="demo-shop",route="${r.metric.route}"}`;
    const ex = await waitFor(async () => {
      const a = await fetch(`http://127.0.0.1:${promPort}/api/v1/query_exemplars?query=${encodeURIComponent(sel)}&start=${now - 3600}&end=${now + 60}`).then((x) => x.json()).catch(() => null);
      return a?.data?.flatMap((s) => s.exemplars).find((e) => e.labels.trace_id) || null;
    }, { timeout: 10000, what: `an exemplar for ${r.metric.route}` }).catch(() => null);
    const id = ex?.labels.trace_id;
    log(`  ${String(r.metric.route).padEnd(18)} p95 ${Number.isFinite(Number(r.value[1])) ? Math.round(Number(r.value[1]) * 1000) + ' ms' : r.value[1]}   trace ${id || 'NONE'}${id && apiTraces.has(id) ? ' (received by the API)' : ''}`);
    if (!id) fail(`no exemplar for ${r.metric.route}`);
    else if (!apiTraces.has(id)) fail(`the exemplar of ${r.metric.route} names trace ${id}, which the API never received in traceparent`);
  }
} else {
  log('  (Prometheus is not installed: scripts/bootstrap installs it)');
}

await stopAll();
console.log(problems.length ? `\ndemo: ${problems.length} problem(s)` : `\ndemo: everything matched (${sent.length} API calls, ${exceptions.length} errors, ${firstById.size} web-vitals reports)`);
process.exit(problems.length ? 1 : 0);
