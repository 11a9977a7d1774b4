// Shared end-to-end harness: free loopback ports, the real collector binary started and stopped
// per test, a static server for pkg/ and test pages, Chromium through playwright-core, and
// helpers that wait for items at the collector.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PAGES = join(ROOT, 'tests', 'e2e', 'pages');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function waitFor(fn, { timeout = 10000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''));
    await new Promise((r) => setTimeout(r, interval));
  }
}

function binary(name) {
  for (const profile of ['debug', 'release']) {
    const p = join(ROOT, 'target', profile, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} is not built: run cargo build --workspace --bins`);
}

// Whole lines only: the collector's file sinks write from their own thread, and a read can land
// in the middle of a write.
const readLines = (file) => {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
};

/**
 * Starts the real collector on a free loopback port with a dump file and JSON log lines.
 * Returns {origin, url (…/collect), payloads(), requests(), logs(), items(kind), waitForItems(), stop()}.
 */
export async function startCollector({ args = [], cors = true, logFormat = 'json', listen = '127.0.0.1:0' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-rum-collector-'));
  const dump = join(dir, 'dump.jsonl');
  const log = join(dir, 'log.jsonl');
  const argv = ['--listen', listen, '--dump-file', dump, '--log-file', log, '--log-format', logFormat, ...(cors ? ['--cors-origin', '*'] : []), ...args];
  const child = spawn(binary('wasm-rum-collector'), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => { out += d; });
  const origin = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`collector did not start: ${out}`)), 15000);
  });
  const requests = () => readLines(dump).map((l) => JSON.parse(l));
  const payloads = () => requests().map((r) => r.body);
  /** Every item of `kind` (logs, exceptions, measurements, events) with its payload's meta. */
  const items = (kind) => payloads().flatMap((p) => (p[kind] || []).map((it) => ({ ...it, meta: p.meta })));
  /** Every span sent in `traces`. */
  const spans = () => payloads().flatMap((p) => (p.traces?.resourceSpans || []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, resource: rs.resource })))));
  return {
    origin,
    url: `${origin}/collect`,
    dir,
    requests,
    payloads,
    items,
    spans,
    logs: () => readLines(log).map((l) => JSON.parse(l)),
    waitForItems: (kind, pred = () => true, opts = {}) =>
      waitFor(() => { const got = items(kind).filter(pred); return got.length >= (opts.count || 1) ? got : null; }, { what: `${opts.count || 1} ${kind} at the collector`, ...opts }),
    async metrics() {
      return (await fetch(`${origin}/metrics`)).text();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };

/**
 * A static server on a free loopback port: `/pkg/*` from pkg/, `/node_modules/*`, and pages from
 * tests/e2e/pages. `routes` maps a path to `(req, res) => void` for custom answers; `headers`
 * adds response headers to every static file.
 */
export async function startStatic({ routes = {}, headers = {}, root = PAGES } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (routes[path]) return routes[path](req, res);
    let file;
    if (path.startsWith('/pkg/')) file = join(ROOT, normalize(path));
    else if (path.startsWith('/node_modules/')) file = join(ROOT, normalize(path));
    else file = join(root, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(ROOT) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store', ...headers });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, server, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** Headless Chromium from Debian, no downloads. */
export async function launchBrowser(options = {}) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, ...options });
}

/** A page with an HTML body that loads pkg/ and calls init(config) as a module script. */
export function agentPage({ config, body = '', head = '', after = '' }) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>wasm-rum test</title>${head}</head><body>${body}
<script type="module">
import { init } from '/pkg/index.js';
window.rum = init(${typeof config === 'string' ? config : JSON.stringify(config)});
${after}
</script></body></html>`;
}

/**
 * A head script that keeps the agent's wasm instance's exports in `window.wasmExports` as the page's
 * WebAssembly API hands them out (pkg/index.js bundles the glue, so a test cannot import it).
 */
export const WASM_EXPORTS = `<script>
for (const k of ['instantiateStreaming', 'instantiate']) {
  const f = WebAssembly[k];
  WebAssembly[k] = async (...a) => { const r = await f.apply(WebAssembly, a); window.wasmExports = (r.instance || r).exports; return r; };
}
</script>`;

/** Serves `html` at `path` from a route handler. */
export const html = (text, extraHeaders = {}) => (req, res) => {
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store', ...extraHeaders });
  res.end(typeof text === 'function' ? text(req) : text);
};

/** Parses Prometheus text into [{name, labels, value}]. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function metricValue(text, name, labels = {}) {
  return parseMetrics(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/**
 * A fresh browser context and page, with everything the page printed (`console`: `{type, text}`)
 * and every uncaught page error (`pageErrors`) recorded; `close()` closes the context.
 */
export async function openPage(browser, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const console = [];
  page.on('console', (m) => console.push({ type: m.type(), text: m.text() }));
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { context, page, console, pageErrors, close: () => context.close() };
}
