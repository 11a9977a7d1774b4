// Tracing: fetch and XMLHttpRequest carry a W3C traceparent to the page's origin and the
// allow-listed API only, each request becomes a span whose trace id the backend saw, and the
// page load links to the backend trace named in Server-Timing.
//
// Four loopback servers, given names by Chromium's host resolver so origins look real:
//   shop.test   the page (and same-origin endpoints)      harness startStatic
//   api.test    the allow-listed API (demo-api, CORS for traceparent from shop.test)
//   other.test  an origin not on the list (plain CORS, no traceparent allowed)
//   collector   the wasm-rum collector (127.0.0.1)
// Look-alikes of the API: api.test.evil (same server), localhost (same server), a path outside
// the listed prefix, and the API URL inside another URL's query.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor, ROOT, CHROMIUM_ARGS } from './harness.mjs';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
const PAGE_TP = '00-11112222333344445555666677778888-9999aaaabbbbcccc-01';

let browser;
before(async () => {
  browser = await launchBrowser({ args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.test 127.0.0.1, MAP *.evil 127.0.0.1'] });
});
after(async () => { await browser?.close(); });

/** demo-api on a free port, allowing CORS from `origin`; `log()` is its JSON lines. */
async function startDemoApi(origin) {
  const dir = mkdtempSync(join(tmpdir(), 'demo-api-'));
  const logFile = join(dir, 'api.jsonl');
  const bin = ['debug', 'release'].map((p) => join(ROOT, 'target', p, 'demo-api')).find(existsSync);
  if (!bin) throw new Error('demo-api is not built: run cargo build --workspace --bins');
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--allow-origin', origin, '--log-file', logFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { out += d; const m = /demo-api listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.on('exit', (code) => reject(new Error(`demo-api exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`demo-api did not start: ${out}`)), 10000);
  });
  return {
    port,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []),
    async stop() { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** A server for an origin not on the list: simple CORS only, and it records every request. */
async function startOther() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    // No Access-Control-Allow-Headers: a preflight for traceparent would fail here.
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200, { 'access-control-allow-origin': '*', 'content-type': 'text/plain' });
    res.end(req.method === 'OPTIONS' ? '' : 'other ok');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, seen, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** Same-origin endpoints: every request to /same/* is recorded with its headers and body. */
function sameOriginRoutes(names, seen) {
  const routes = {};
  for (const name of names) {
    routes[`/same/${name}`] = (req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        seen.push({ name, method: req.method, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ name }));
      });
    };
  }
  return routes;
}

async function setup({ config, head = '', after = '', sameNames = [], pageHeaders = {} }) {
  const collector = await startCollector();
  const other = await startOther();
  let site;
  const sameSeen = [];
  const routes = sameOriginRoutes(sameNames, sameSeen);
  // The page origin is known only once the site listens; the API needs it for CORS.
  routes['/'] = html(() => agentPage({ config: config({ collector, api, other, site }), head, after }), pageHeaders);
  site = await startStatic({ routes });
  const pagePort = new URL(site.origin).port;
  const pageOrigin = `http://shop.test:${pagePort}`;
  var api = await startDemoApi(pageOrigin);
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    collector, api, other, site, page, pageErrors, sameSeen, pageOrigin,
    apiOrigin: `http://api.test:${api.port}`,
    async close() { await context.close(); await site.stop(); await api.stop(); await other.stop(); await collector.stop(); },
  };
}

const spanAttr = (span, key) => {
  const a = span.attributes.find((x) => x.key === key);
  return a && (a.value.stringValue ?? (a.value.intValue !== undefined ? Number(a.value.intValue) : undefined));
};

const baseConfig = (extra = '') => ({ collector, api }) => `{
  url: ${JSON.stringify(collector.url)}, app: { name: 'shop', version: '1.0.0', environment: 'test' },
  batching: { sendTimeout: 200 },
  tracing: { propagateTraceHeaderCorsUrls: ['http://api.test:${api?.port ?? 0}/api', /^http:\\/\\/regex\\.test:\\d+\\/api\\/case\\/regex-ok$/] },
  ${extra}
}`;

const SAME = ['f-plain', 'f-object', 'f-array', 'f-headers', 'f-request', 'f-request-init', 'f-url', 'x-async', 'x-sync', 'f-page-set'];

test('traceparent reaches the page origin and the allow-listed API only, and each request becomes a span with the same trace id', async () => {
  // The API port is not known when the config is written (api starts after the site), so the
  // page reads it from its own query string.
  const s = await setup({
    sameNames: SAME,
    config: () => `{
      url: window.COLLECTOR, app: { name: 'shop', version: '1.0.0', environment: 'test' },
      batching: { sendTimeout: 200 },
      tracing: { propagateTraceHeaderCorsUrls: [window.API + '/api', new RegExp('^http://regex\\\\.test:\\\\d+/api/case/regex-ok$')] },
    }`,
    head: `<script>const q = new URLSearchParams(location.search); window.COLLECTOR = q.get('collector'); window.API = q.get('api'); window.APIPORT = q.get('apiport'); window.OTHER = q.get('other');</script>`,
    after: `
      await rum.flush();
      const xhr = (method, url, { sync = false, headers = {} } = {}) => new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open(method, url, !sync);
        for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
        x.onloadend = () => resolve({ status: x.status });
        x.send();
        if (sync) resolve({ status: x.status });
      });
      const f = (input, init) => fetch(input, init).then((r) => r.text().then(() => ({ status: r.status })), (e) => ({ error: e.name + ': ' + e.message }));
      const API = window.API, P = window.APIPORT, OTHER = window.OTHER;
      const cases = {
        'f-plain': () => f('/same/f-plain'),
        'f-object': () => f('/same/f-object', { headers: { 'x-app': 'object' } }),
        'f-array': () => f('/same/f-array', { headers: [['x-app', 'array']] }),
        'f-headers': () => f('/same/f-headers', { headers: new Headers({ 'x-app': 'headers' }) }),
        'f-request': () => f(new Request('/same/f-request', { method: 'POST', body: 'request body', headers: { 'x-app': 'request' } })),
        'f-request-init': () => f(new Request('/same/f-request-init', { headers: { 'x-app': 'dropped' } }), { method: 'PUT', body: 'init body', headers: { 'x-app': 'init' } }),
        'f-url': () => f(new URL('/same/f-url', location.href)),
        'x-async': () => xhr('GET', '/same/x-async', { headers: { 'x-app': 'xhr' } }),
        'x-sync': () => xhr('GET', '/same/x-sync', { sync: true }),
        'f-page-set': () => f('/same/f-page-set', { headers: { traceparent: '${PAGE_TP}' } }),
        'api-fetch': () => f(API + '/api/case/api-fetch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
        'api-xhr': () => xhr('GET', API + '/api/case/api-xhr'),
        'api-page-set': () => f(API + '/api/case/api-page-set', { headers: [['traceparent', '${PAGE_TP}']] }),
        'api-xhr-page-set': () => xhr('GET', API + '/api/case/api-xhr-page-set', { headers: { traceparent: '${PAGE_TP}' } }),
        'api-500': () => f(API + '/api/status/500'),
        'regex-ok': () => f('http://regex.test:' + P + '/api/case/regex-ok?q=1'),
        'regex-query': () => f('http://regex.test:' + P + '/api/case/regex-no?u=/api/case/regex-ok'),
        'path-outside': () => f('http://api.test:' + P + '/apix/case/path-outside'),
        'lookalike-evil': () => f('http://api.test.evil:' + P + '/api/case/lookalike-evil'),
        'lookalike-localhost': () => f('http://localhost:' + P + '/api/case/lookalike-localhost'),
        'other-fetch': () => f(OTHER + '/other-fetch?next=' + encodeURIComponent(API + '/api/case/x'), { headers: { 'content-type': 'text/plain' } }),
        'other-query': () => f(OTHER + '/other-query?next=' + API + '/api/case/x'),
        'other-xhr': () => xhr('GET', OTHER + '/other-xhr'),
        'other-request': () => f(new Request(OTHER + '/other-request', { method: 'POST', body: 'x' })),
      };
      const results = {};
      for (const [name, run] of Object.entries(cases)) results[name] = await run();
      window.results = results;`,
  });
  try {
    const q = new URLSearchParams({ collector: s.collector.url, api: s.apiOrigin, apiport: String(s.api.port), other: `http://other.test:${s.other.port}` });
    await s.page.goto(`${s.pageOrigin}/?${q}`);
    const results = await s.page.waitForFunction(() => window.results, null, { timeout: 20000 }).then((h) => h.jsonValue());
    for (const [name, r] of Object.entries(results)) {
      assert.equal(r.error, undefined, `${name} must not fail: ${r.error}`);
      assert.equal(r.status, name === 'api-500' ? 500 : 200, `${name} status`);
    }

    // Same origin: every way of giving headers carries a fresh, valid traceparent; the page's own headers and bodies arrive unchanged.
    const same = Object.fromEntries(s.sameSeen.map((r) => [r.name, r]));
    for (const name of SAME.filter((n) => n !== 'f-page-set')) {
      assert.ok(same[name], `${name} reached the page origin`);
      assert.match(same[name].headers.traceparent ?? '', TRACEPARENT, `${name} carries a valid traceparent`);
    }
    assert.equal(same['f-object'].headers['x-app'], 'object');
    assert.equal(same['f-array'].headers['x-app'], 'array');
    assert.equal(same['f-headers'].headers['x-app'], 'headers');
    assert.equal(same['f-request'].headers['x-app'], 'request');
    assert.equal(same['f-request'].method, 'POST');
    assert.equal(same['f-request'].body, 'request body');
    assert.equal(same['f-request-init'].headers['x-app'], 'init', 'init.headers replaces the Request headers, as without the agent');
    assert.equal(same['f-request-init'].method, 'PUT');
    assert.equal(same['f-request-init'].body, 'init body');
    assert.equal(same['x-async'].headers['x-app'], 'xhr');
    assert.equal(same['f-page-set'].headers.traceparent, PAGE_TP, 'a page-set traceparent is kept');
    const traceIds = SAME.filter((n) => n !== 'f-page-set').map((n) => same[n].headers.traceparent.slice(3, 35));
    assert.equal(new Set(traceIds).size, traceIds.length, 'each request starts its own trace');

    // The allow-listed API: the header arrives (after a CORS preflight the API allows).
    const apiLog = s.api.log();
    const apiGot = (path) => apiLog.filter((l) => l.method !== 'OPTIONS' && l.path.startsWith(path));
    for (const c of ['api-fetch', 'api-xhr']) {
      const [line] = apiGot(`/api/case/${c}`);
      assert.match(line?.traceparent ?? '', TRACEPARENT, `${c} carries traceparent to the API`);
    }
    assert.match(apiGot('/api/status/500')[0].traceparent, TRACEPARENT);
    assert.match(apiGot('/api/case/regex-ok')[0].traceparent, TRACEPARENT, 'a RegExp entry matches the URL without its query');
    assert.equal(apiGot('/api/case/api-page-set')[0].traceparent, PAGE_TP, 'page-set traceparent kept (fetch)');
    assert.equal(apiGot('/api/case/api-xhr-page-set')[0].traceparent, PAGE_TP, 'page-set traceparent kept (XHR)');
    // Look-alikes reach the same server and get nothing, and were not preflighted.
    for (const path of ['/api/case/regex-no', '/apix/case/path-outside', '/api/case/lookalike-evil', '/api/case/lookalike-localhost']) {
      const lines = apiLog.filter((l) => l.path.startsWith(path));
      assert.equal(lines.length, 1, `${path} arrived once`);
      assert.equal(lines[0].method, 'GET', `${path} was not preflighted`);
      assert.equal(lines[0].traceparent, null, `${path} carries no traceparent`);
    }

    // The origin not on the list: no traceparent, no preflight, every request answered.
    assert.deepEqual(s.other.seen.filter((r) => r.method === 'OPTIONS'), [], 'nothing preflighted at the other origin');
    assert.equal(s.other.seen.length, 4);
    for (const r of s.other.seen) assert.equal(r.headers.traceparent, undefined, `${r.url} carries no traceparent`);

    // The collector gets a span per request, whose ids are the header's, with the API's trace id.
    const spans = await waitFor(() => { const sp = s.collector.spans(); return sp.length >= Object.keys(results).length ? sp : null; }, { timeout: 15000, what: 'a span per request' });
    const spanFor = (path) => spans.filter((sp) => { const u = spanAttr(sp, 'url.full') || ''; return u.endsWith(path) || u.includes(path + '?'); });
    const headerOf = { ...Object.fromEntries(SAME.map((n) => [n, same[n].headers.traceparent])) };
    for (const c of ['api-fetch', 'api-xhr']) headerOf[c] = apiGot(`/api/case/${c}`)[0].traceparent;
    for (const [name, tp] of Object.entries(headerOf)) {
      if (name === 'f-page-set') continue;
      const found = spanFor(name === 'api-fetch' || name === 'api-xhr' ? `/api/case/${name}` : `/same/${name}`);
      assert.equal(found.length, 1, `one span for ${name}`);
      assert.equal(found[0].traceId, tp.slice(3, 35), `${name}: span trace id = header trace id`);
      assert.equal(found[0].spanId, tp.slice(36, 52), `${name}: span id = header parent id`);
    }
    const apiSpan = spanFor('/api/case/api-fetch')[0];
    assert.equal(apiSpan.name, 'POST');
    assert.equal(apiSpan.kind, 3);
    assert.equal(spanAttr(apiSpan, 'http.request.method'), 'POST');
    assert.equal(spanAttr(apiSpan, 'url.full'), `${s.apiOrigin}/api/case/api-fetch`);
    assert.equal(spanAttr(apiSpan, 'server.address'), 'api.test');
    assert.equal(spanAttr(apiSpan, 'server.port'), s.api.port);
    assert.equal(spanAttr(apiSpan, 'http.response.status_code'), 200);
    assert.match(spanAttr(apiSpan, 'session.id'), /^[A-Za-z0-9]+$/);
    assert.ok(BigInt(apiSpan.endTimeUnixNano) >= BigInt(apiSpan.startTimeUnixNano));
    const resource = Object.fromEntries(apiSpan.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.equal(resource['service.name'], 'shop');
    assert.equal(resource['service.version'], '1.0.0');
    assert.equal(resource['deployment.environment.name'], 'test');
    const failed = spanFor('/api/status/500')[0];
    assert.equal(failed.status.code, 2);
    assert.equal(spanAttr(failed, 'error.type'), '500');
    // Page-set traceparent: the span joins the page's trace under the page's span.
    for (const c of ['/same/f-page-set', '/api/case/api-page-set', '/api/case/api-xhr-page-set']) {
      const [sp] = spanFor(c);
      assert.equal(sp.traceId, PAGE_TP.slice(3, 35), `${c} joins the page's trace`);
      assert.equal(sp.parentSpanId, PAGE_TP.slice(36, 52));
    }
    // Requests without the header are still recorded, with their own trace ids.
    for (const c of ['/other-fetch', '/other-xhr', '/other-request', '/api/case/lookalike-evil']) assert.equal(spanFor(c).length, 1, `span for ${c}`);
    // The collector's own requests are never traced.
    assert.equal(spans.filter((sp) => spanAttr(sp, 'url.full').startsWith(s.collector.origin)).length, 0);

    // The API answered Server-Timing with the trace id it got: the resource event carries it.
    const apiTrace = headerOf['api-fetch'].slice(3, 35);
    const [res] = await s.collector.waitForItems('events', (e) => e.name === 'faro.performance.resource' && e.trace?.trace_id === apiTrace, { timeout: 10000 });
    assert.equal(res.domain, 'browser');
    assert.equal(res.attributes.initiatorType, 'fetch');
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
  }
});

test('a navigation served with Server-Timing traceparent produces a page-load event with the server trace id', async () => {
  const serverTrace = '0af7651916cd43dd8448eb211c80319c';
  const serverSpan = 'b7ad6b7169203331';
  const s = await setup({
    config: baseConfig(),
    pageHeaders: { 'server-timing': `db;dur=12, traceparent;desc=00-${serverTrace}-${serverSpan}-01` },
  });
  try {
    await s.page.goto(`${s.pageOrigin}/`);
    const [nav] = await s.collector.waitForItems('events', (e) => e.name === 'faro.performance.navigation', { timeout: 10000 });
    assert.equal(nav.domain, 'browser');
    assert.deepEqual(nav.trace, { trace_id: serverTrace, span_id: serverSpan });
    assert.equal(nav.attributes.type, 'navigate');
    assert.equal(nav.attributes.name, `${s.pageOrigin}/`);
    for (const k of ['ttfb', 'duration', 'pageLoadTime', 'domProcessingTime', 'onLoadTime', 'requestTime', 'responseTime']) {
      assert.match(nav.attributes[k], /^\d+$/, `${k} is whole milliseconds`);
    }
    assert.ok(Number(nav.attributes.pageLoadTime) > 0);
  } finally {
    await s.close();
  }
});

test('an invalid Server-Timing traceparent (uppercase) is ignored: the page-load event has no trace', async () => {
  const s = await setup({
    config: baseConfig(),
    pageHeaders: { 'server-timing': 'traceparent;desc="00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"' },
  });
  try {
    await s.page.goto(`${s.pageOrigin}/`);
    const [nav] = await s.collector.waitForItems('events', (e) => e.name === 'faro.performance.navigation', { timeout: 10000 });
    assert.equal(nav.trace, undefined);
  } finally {
    await s.close();
  }
});

// The same scenario with and without the agent must observe the same things.
const BEHAVIOUR = `
  const out = window.partial = {};
  out.fetchShape = [typeof fetch, fetch.length, fetch.name];
  const p = fetch('/same/b-plain');
  out.isPromise = p instanceof Promise;
  const r = await p;
  out.response = [r instanceof Response, r.status, r.ok, r.type, await r.text()];
  out.networkError = await fetch('http://127.0.0.1:1/').then(() => 'resolved', (e) => [e.constructor.name, e.name]);
  out.badUrl = await fetch('http://[bad').then(() => 'resolved', (e) => e.name);
  out.badHeaders = await fetch('/same/b-plain', { headers: { 'bad name': 'x' } }).then(() => 'resolved', (e) => e.name);
  const ac = new AbortController();
  const aborted = fetch('/same/b-slow', { signal: ac.signal });
  ac.abort();
  out.abort = await aborted.then(() => 'resolved', (e) => e.name);
  const stream = await fetch('/same/b-stream');
  const reader = stream.body.getReader();
  let chunks = 0, text = '';
  for (;;) { const { done, value } = await reader.read(); if (done) break; chunks++; text += new TextDecoder().decode(value); }
  out.stream = [text, chunks > 0];
  const req = new Request('/same/b-plain', { method: 'POST', body: 'abc' });
  await fetch(req);
  out.requestUsed = req.bodyUsed;
  const pageInit = { headers: { a: '1' } };
  await fetch('/same/b-plain', pageInit);
  out.initUntouched = JSON.stringify(pageInit);
  out.unhandled = await new Promise((resolve) => {
    addEventListener('unhandledrejection', (e) => { e.preventDefault(); resolve(e.reason.name); }, { once: true });
    fetch('http://127.0.0.1:1/');
    setTimeout(() => resolve('no event'), 3000);
  });
  out.xhr = await new Promise((resolve) => {
    const x = new XMLHttpRequest();
    const seen = [];
    x.onreadystatechange = () => seen.push('rs' + x.readyState);
    for (const t of ['loadstart', 'load', 'loadend', 'error']) x.addEventListener(t, () => seen.push(t));
    x.open('POST', '/same/b-plain');
    seen.push('opened' + x.readyState);
    x.send('xhr body');
    x.onloadend = () => resolve([seen, x.status, x.responseText]);
  });
  out.xhrError = await new Promise((resolve) => {
    const x = new XMLHttpRequest();
    const seen = [];
    for (const t of ['error', 'load', 'loadend']) x.addEventListener(t, () => seen.push(t));
    x.open('GET', 'http://127.0.0.1:1/');
    x.send();
    x.onloadend = () => resolve([seen, x.status]);
  });
  const sx = new XMLHttpRequest();
  sx.open('GET', '/same/b-plain', false);
  sx.send();
  out.syncXhr = [sx.status, sx.readyState, sx.responseText];
  try { new XMLHttpRequest().send(); out.sendUnopened = 'no error'; } catch (e) { out.sendUnopened = e.name; }
  try { XMLHttpRequest.prototype.open.call({}, 'GET', '/'); out.illegalThis = 'no error'; } catch (e) { out.illegalThis = e.name; }
  try { fetch.call({}, '/same/b-plain').catch(() => {}); out.fetchOtherThis = 'ok'; } catch (e) { out.fetchOtherThis = e.name; }
  window.behaviour = out;`;

function behaviourRoutes() {
  return {
    '/same/b-plain': (req, res) => { let b = ''; req.on('data', (d) => { b += d; }); req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain:' + req.method + ':' + b); }); },
    '/same/b-slow': (req, res) => { setTimeout(() => { res.writeHead(200); res.end('slow'); }, 2000); },
    '/same/b-stream': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => { res.write('two,'); setTimeout(() => res.end('three'), 50); }, 50);
    },
  };
}

test('what a page observes of fetch and XHR is the same with the agent as without it', async () => {
  const collector = await startCollector();
  const site = await startStatic({
    routes: {
      ...behaviourRoutes(),
      '/without': html(`<!doctype html><script type="module">${BEHAVIOUR}</script>`),
      '/with': html(() => agentPage({ config: { url: collector.url, app: { name: 'shop' }, batching: { sendTimeout: 200 } }, after: `await rum.flush(); ${BEHAVIOUR}` })),
    },
  });
  const context = await browser.newContext();
  try {
    const run = async (path) => {
      const page = await context.newPage();
      await page.goto(`${site.origin}${path}`);
      const out = await page.waitForFunction(() => window.behaviour, null, { timeout: 20000 }).then((h) => h.jsonValue(), async (e) => {
        throw new Error(`${path}: ${e.message}; observed so far: ${JSON.stringify(await page.evaluate(() => window.partial))}`);
      });
      await page.close();
      return out;
    };
    const without = await run('/without');
    const withAgent = await run('/with');
    assert.deepEqual(withAgent, without);
    assert.equal(without.abort, 'AbortError');
    assert.deepEqual(without.stream, ['one,two,three', true]);
    // The agent did record them: the aborted fetch is a span with error.type AbortError.
    const spans = await waitFor(() => { const sp = collector.spans().filter((x) => (spanAttr(x, 'url.full') || '').endsWith('/same/b-slow')); return sp.length ? sp : null; }, { what: 'the aborted span' });
    assert.equal(spanAttr(spans[0], 'error.type'), 'AbortError');
    assert.equal(spans[0].status.code, 2);
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
});

test('shutdown() restores fetch and XHR; a wrapper another library installed after ours keeps working', async () => {
  const collector = await startCollector();
  const seen = [];
  const record = (name) => (req, res) => { seen.push({ name, traceparent: req.headers.traceparent }); res.writeHead(200, { 'content-type': 'text/plain' }); res.end(name); };
  const site = await startStatic({
    routes: {
      '/same/one': record('one'), '/same/two': record('two'), '/same/three': record('three'), '/same/four': record('four'),
      '/restore': html(() => agentPage({
        config: { url: collector.url, app: { name: 'shop' } },
        head: `<script>window.orig = { fetch: window.fetch, open: XMLHttpRequest.prototype.open, send: XMLHttpRequest.prototype.send, set: XMLHttpRequest.prototype.setRequestHeader };</script>`,
        after: `
          await rum.flush();
          const P = XMLHttpRequest.prototype;
          const wrapped = [window.fetch !== orig.fetch, P.open !== orig.open, P.send !== orig.send, P.setRequestHeader !== orig.set];
          await fetch('/same/one');
          await rum.shutdown();
          const restored = [window.fetch === orig.fetch, P.open === orig.open, P.send === orig.send, P.setRequestHeader === orig.set];
          const after = await fetch('/same/two').then((r) => r.text());
          window.done = { wrapped, restored, after };`,
      })),
      '/later': html(() => agentPage({
        config: { url: collector.url, app: { name: 'shop' } },
        after: `
          await rum.flush();
          const ours = window.fetch;
          let calls = 0;
          window.fetch = function libFetch(input, init) { calls++; return ours.call(this, input, init); };
          const libFetch = window.fetch;
          const sendOurs = XMLHttpRequest.prototype.send;
          let xhrCalls = 0;
          XMLHttpRequest.prototype.send = function libSend(body) { xhrCalls++; return sendOurs.call(this, body); };
          const first = await fetch('/same/three').then((r) => r.text());
          await rum.shutdown();
          const stillLib = window.fetch === libFetch;
          const second = await fetch('/same/four').then((r) => r.text());
          const xhrStatus = await new Promise((resolve) => { const x = new XMLHttpRequest(); x.open('GET', '/same/four'); x.onloadend = () => resolve(x.status); x.send(); });
          window.done = { first, second, stillLib, calls, xhrCalls, xhrStatus };`,
      })),
    },
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${site.origin}/restore`);
    const r = await page.waitForFunction(() => window.done, null, { timeout: 15000 }).then((h) => h.jsonValue());
    assert.deepEqual(r.wrapped, [true, true, true, true], 'fetch and XHR were wrapped while running');
    assert.deepEqual(r.restored, [true, true, true, true], 'shutdown restored every original');
    assert.equal(r.after, 'two');
    assert.match(seen.find((x) => x.name === 'one').traceparent, TRACEPARENT);
    assert.equal(seen.find((x) => x.name === 'two').traceparent, undefined, 'no header after shutdown');

    const page2 = await context.newPage();
    await page2.goto(`${site.origin}/later`);
    const l = await page2.waitForFunction(() => window.done, null, { timeout: 15000 }).then((h) => h.jsonValue());
    assert.equal(l.first, 'three');
    assert.match(seen.find((x) => x.name === 'three').traceparent, TRACEPARENT, 'our wrapper works under the library');
    assert.equal(l.stillLib, true, 'shutdown left the later wrapper in place');
    assert.equal(l.second, 'four', 'fetch still works through our pass-through');
    assert.equal(l.xhrStatus, 200, 'XHR still works through our pass-through');
    assert.deepEqual([l.calls, l.xhrCalls], [2, 1]);
    assert.ok(seen.filter((x) => x.name === 'four').every((x) => x.traceparent === undefined), 'the pass-through adds nothing');
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
});

test("the fetch transport's own posts go through the fetch saved at install: no span, and a wrapper the page adds later never sees them", async () => {
  const collector = await startCollector();
  const site = await startStatic({
    routes: {
      '/same/ping': (req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('pong'); },
      '/': html(() => agentPage({
        config: { url: collector.url, app: { name: 'shop' }, transport: 'fetch', batching: { sendTimeout: 100 } },
        after: `
          await rum.flush();
          // A wrapper the page installs after init(), over ours: it sees every fetch the page makes.
          const current = window.fetch;
          window.pageSaw = [];
          window.fetch = function pageFetch(input, init) {
            pageSaw.push(String(typeof Request === 'function' && input instanceof Request ? input.url : input));
            return current.apply(this, arguments);
          };
          await fetch('/same/ping');
          rum.pushEvent('own-post');
          await rum.flush();`,
      })),
    },
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await collector.waitForItems('events', (e) => e.name === 'own-post');
    // The page's request is a span, sent (like the event) by the agent's own posts.
    await waitFor(() => collector.spans().some((sp) => (spanAttr(sp, 'url.full') || '').endsWith('/same/ping')), { what: 'the span of /same/ping' });
    const saw = await page.evaluate(() => window.pageSaw);
    assert.deepEqual(saw, ['/same/ping'], "the page's wrapper saw only the page's own request");
    assert.equal(collector.spans().filter((sp) => (spanAttr(sp, 'url.full') || '').startsWith(collector.origin)).length, 0, 'no span for a post to the collector');
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
});
