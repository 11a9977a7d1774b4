// Source maps (issue 16): an error thrown in Chromium from a TypeScript source of this test's
// own, bundled and minified by esbuild with a map, reaches the real collector through the real
// agent; the collector maps its frames to the .ts file, line, column and function, in download
// mode (only from allowed origins, one fetch per script however many errors) and in directory
// mode (keyed by release, no request to the site), and a broken map changes nothing but the frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCollector, startStatic, launchBrowser, agentPage, html, waitFor, metricValue } from './harness.mjs';

const SOURCE = `interface Item { name: string; price: number }
interface Cart { items: Item[] }

export function totalOf(cart: Cart): number {
  let sum = 0;
  for (const item of cart.items) sum += item.price;
  if (sum > 100) {
    throw new RangeError('cart total ' + sum + ' is over the limit');
  }
  return sum;
}

function checkout(cart: Cart): string {
  return 'paid ' + totalOf(cart).toFixed(2);
}

(window as any).checkout = checkout;
`;
// Where V8 puts the frame of totalOf: the \`new RangeError\` expression (1-based).
const THROW_LINE = SOURCE.split('\n').findIndex((l) => l.includes('new RangeError')) + 1;
const THROW_COL = SOURCE.split('\n')[THROW_LINE - 1].indexOf('new RangeError') + 1;
const RELEASE = '2.4.1';

let browser;
let work;
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'wasm-rum-sourcemaps-'));
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'checkout.ts'), SOURCE);
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
  // Public maps (`//# sourceMappingURL=app.js.map`) and hidden ones (no comment: Vite's
  // build.sourcemap: 'hidden'), both minified.
  for (const [out, sourcemap] of [['public', 'linked'], ['hidden', 'external']]) {
    execFileSync(esbuild, [join(work, 'src', 'checkout.ts'), '--bundle', '--minify', `--sourcemap=${sourcemap}`, '--format=iife', `--outfile=${join(work, out, 'app.js')}`], { stdio: 'pipe' });
  }
  const minified = readFileSync(join(work, 'public', 'app.js'), 'utf8');
  assert.ok(!minified.includes('totalOf'), 'the bundle is minified: totalOf is renamed');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * The shop: a page with the agent and the bundle (`/assets/app.js?v=…`), the bundle and its map
 * served from `dir`; `requests` lists what the collector asked for (its user agent).
 */
async function startShop({ dir = 'public', map = null, mapDelay = 0 } = {}) {
  const requests = [];
  const file = (name, type, body) => (req, res) => {
    if (/wasm-rum-collector/.test(req.headers['user-agent'] || '')) requests.push(new URL(req.url, 'http://x').pathname);
    const send = () => {
      let content;
      try { content = body ? body() : readFileSync(join(work, dir, name)); } catch { res.writeHead(404); return res.end(); }
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(content);
    };
    if (mapDelay && name.endsWith('.map')) setTimeout(send, mapDelay); else send();
  };
  let collectorUrl = '';
  const routes = {
    '/': html(() => agentPage({
      config: { url: collectorUrl, app: { name: 'shop', release: RELEASE }, batching: { sendTimeout: 100 } },
      head: '<script src="/assets/app.js?v=7"></script>',
      body: '<button id="pay">pay</button>',
      after: `document.getElementById('pay').addEventListener('click', () => checkout({ items: [{ name: 'lamp', price: 120 }] }));
window.ready = true;`,
    })),
    '/assets/app.js': file('app.js', 'text/javascript'),
    '/assets/app.js.map': file('app.js.map', 'application/json', map && (() => map)),
  };
  const site = await startStatic({ routes });
  return { ...site, requests, setCollector(url) { collectorUrl = url; } };
}

/** Clicks pay in Chromium and returns the collector's JSON log line of the RangeError. */
async function throwInChromium(shop, collector) {
  shop.setCollector(collector.url);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${shop.origin}/`);
    await page.waitForFunction(() => window.ready && window.rum && window.rum.getSession());
    await page.click('#pay');
    await page.evaluate(() => window.rum.flush());
    return await waitFor(() => collector.logs().find((l) => l.kind === 'exception' && l.type === 'RangeError'), { what: 'the RangeError log line' });
  } finally {
    await context.close();
  }
}

/** The top frame of the log line's stacktrace: {fn, file, line, col}. */
function topFrame(line) {
  const m = /\n {2}at (?:(\S+) \()?(.+?):(\d+):(\d+)\)?(?:\n|$)/.exec(line.stacktrace);
  assert.ok(m, `a frame in ${line.stacktrace}`);
  return { fn: m[1], file: m[2], line: Number(m[3]), col: Number(m[4]) };
}

function assertMapped(frame) {
  assert.match(frame.file, /(^|\/)src\/checkout\.ts$/, `mapped to checkout.ts: ${JSON.stringify(frame)}`);
  assert.equal(frame.line, THROW_LINE);
  assert.ok(Math.abs(frame.col - THROW_COL) <= 1, `column ${frame.col} is ${THROW_COL} ±1`);
  assert.equal(frame.fn, 'totalOf');
}

/**
 * The exception payload the agent sent, as it was posted (for replays), once the dump file has it
 * (its sink writes apart from the log file's).
 */
async function sentBody(collector) {
  const r = await waitFor(() => collector.requests().find((q) => q.body.exceptions?.some((e) => e.type === 'RangeError')), { what: 'the RangeError request in the dump' });
  return { ...r.body, logs: [], measurements: [], events: [], traces: undefined };
}

async function post(collector, body) {
  const res = await fetch(collector.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.status;
}

test('download mode maps the top frame of a minified bundle to the .ts file, line, column and function', async () => {
  const shop = await startShop();
  const collector = await startCollector({ args: ['--sourcemaps-download', '--sourcemaps-origin', shop.origin] });
  try {
    const line = await throwInChromium(shop, collector);
    assertMapped(topFrame(line));
    // The caller is mapped too: checkout, in the same file.
    assert.match(line.stacktrace, /\n {2}at checkout \(.*src\/checkout\.ts:14:\d+\)/);
    // The query string is not part of what is fetched.
    assert.deepEqual(shop.requests, ['/assets/app.js', '/assets/app.js.map']);
    const metrics = await collector.metrics();
    assert.ok(metricValue(metrics, 'rum_sourcemap_lookups_total', { result: 'mapped' }) >= 2, metrics);
  } finally {
    await collector.stop();
    await shop.stop();
  }
});

test('an origin not allowed is never fetched and its frames stay as they were', async () => {
  const shop = await startShop();
  const collector = await startCollector({ args: ['--sourcemaps-download', '--sourcemaps-origin', 'https://shop.example.com'] });
  try {
    const line = await throwInChromium(shop, collector);
    const top = topFrame(line);
    assert.equal(top.file, `${shop.origin}/assets/app.js?v=7`);
    assert.notEqual(top.fn, 'totalOf');
    assert.deepEqual(shop.requests, []);
    assert.ok(metricValue(await collector.metrics(), 'rum_sourcemap_lookups_total', { result: 'not_allowed' }) >= 1);
  } finally {
    await collector.stop();
    await shop.stop();
  }
});

test('directory mode maps with the release\'s hidden map and sends no request to the site', async () => {
  // The site serves a bundle without a sourceMappingURL and no map; CI put the map in the release's folder.
  const shop = await startShop({ dir: 'hidden' });
  const maps = join(work, 'maps');
  mkdirSync(join(maps, RELEASE), { recursive: true });
  copyFileSync(join(work, 'hidden', 'app.js.map'), join(maps, RELEASE, 'app.js.map'));
  copyFileSync(join(work, 'hidden', 'app.js'), join(maps, RELEASE, 'app.js'));
  const collector = await startCollector({ args: ['--sourcemaps-dir', `${shop.origin}/assets/=${maps}/{release}`] });
  try {
    const line = await throwInChromium(shop, collector);
    assertMapped(topFrame(line));
    assert.deepEqual(shop.requests, []);
    // Another release has no folder: the frame stays minified.
    const other = await sentBody(collector);
    other.meta.app.release = '9.9.9';
    other.exceptions = other.exceptions.map((e) => ({ ...e, value: 'other release' }));
    assert.equal(await post(collector, other), 202);
    const unmapped = await waitFor(() => collector.logs().find((l) => l.value === 'other release'), { what: 'the other release line' });
    assert.match(topFrame(unmapped).file, /\/assets\/app\.js\?v=7$/);
  } finally {
    await collector.stop();
    await shop.stop();
  }
});

test('a corrupt map leaves the frame unmapped and the payload is still accepted with 202', async () => {
  const shop = await startShop({ map: '{"version":3,"mappings":"!!!not a map' });
  const collector = await startCollector({ args: ['--sourcemaps-download', '--sourcemaps-origin', shop.origin] });
  try {
    const line = await throwInChromium(shop, collector);
    assert.equal(topFrame(line).file, `${shop.origin}/assets/app.js?v=7`);
    const replay = await sentBody(collector);
    replay.exceptions = replay.exceptions.map((e) => ({ ...e, value: 'replayed' }));
    assert.equal(await post(collector, replay), 202);
    await waitFor(() => collector.logs().find((l) => l.value === 'replayed'), { what: 'the replayed line' });
    const metrics = await collector.metrics();
    assert.ok(metricValue(metrics, 'rum_sourcemap_lookups_total', { result: 'invalid' }) >= 2, metrics);
    // The failure is remembered: the broken map was fetched once for both payloads.
    assert.deepEqual(shop.requests, ['/assets/app.js', '/assets/app.js.map']);
  } finally {
    await collector.stop();
    await shop.stop();
  }
});

test('twenty concurrent errors from one script fetch it and its map at most twice', async () => {
  // A slow map, so that the twenty payloads arrive while the first fetch is in flight.
  const shop = await startShop({ mapDelay: 300 });
  const capture = await startCollector();
  let body;
  try {
    await throwInChromium(shop, capture);
    body = await sentBody(capture);
  } finally {
    await capture.stop();
  }
  const collector = await startCollector({ args: ['--sourcemaps-download', '--sourcemaps-origin', shop.origin] });
  try {
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      post(collector, { ...body, exceptions: body.exceptions.map((e) => ({ ...e, value: `storm ${i}` })) })));
    assert.deepEqual(statuses, Array(20).fill(202));
    const lines = await waitFor(() => { const l = collector.logs().filter((x) => /^storm /.test(x.value)); return l.length === 20 ? l : null; }, { what: 'twenty lines' });
    for (const l of lines) assertMapped(topFrame(l));
    const count = (p) => shop.requests.filter((r) => r === p).length;
    assert.ok(count('/assets/app.js.map') <= 2, `map fetched ${count('/assets/app.js.map')} times`);
    assert.ok(count('/assets/app.js') <= 2, `script fetched ${count('/assets/app.js')} times`);
  } finally {
    await collector.stop();
    await shop.stop();
  }
});
