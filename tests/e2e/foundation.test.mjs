// Foundation: a page loads pkg/, calls init(), and the real collector receives Faro payloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function setup(pages) {
  const collector = await startCollector();
  const routes = {};
  for (const [path, make] of Object.entries(pages)) routes[path] = html(() => make(collector));
  const site = await startStatic({ routes });
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { collector, site, context, page, pageErrors, async close() { await context.close(); await site.stop(); await collector.stop(); } };
}

test('a page that calls init() sends a payload with meta, and pushed items arrive', async () => {
  const s = await setup({
    '/': (c) => agentPage({ config: { url: c.url, app: { name: 'shop', version: '1.2.3', environment: 'test' } },
      after: `rum.pushEvent('checkout_started', {step: 2, plan: 'pro'}); rum.pushLog('hello', {level: 'warn', context: {a: 1}});
              rum.pushMeasurement({type: 'cart', values: {items: 3}}); await rum.flush(); window.done = true;` }),
  });
  try {
    await s.page.goto(`${s.site.origin}/?token=abc&q=1`);
    const [event] = await s.collector.waitForItems('events', (e) => e.name === 'checkout_started');
    assert.deepEqual(event.attributes, { step: '2', plan: 'pro' }, 'attribute values become strings');
    assert.equal(event.meta.sdk.name, 'wasm-rum');
    assert.equal(event.meta.app.name, 'shop');
    assert.equal(event.meta.app.version, '1.2.3');
    assert.match(event.meta.session.id, /^[A-Za-z0-9]{20}$/);
    assert.equal(event.meta.page.url, `${s.site.origin}/?token=REDACTED&q=1`, 'sensitive query values are redacted');
    assert.equal(typeof event.meta.browser.viewportWidth, 'string');
    assert.equal(event.meta.browser.name, 'Chrome');
    assert.equal(event.meta.browser.os, 'Linux');
    assert.equal(event.meta.browser.mobile, false);
    const [log] = await s.collector.waitForItems('logs', (l) => l.message === 'hello');
    assert.equal(log.level, 'warn');
    assert.deepEqual(log.context, { a: '1' });
    const [m] = await s.collector.waitForItems('measurements', (m) => m.type === 'cart');
    assert.equal(m.values.items, 3);
    const req = s.collector.requests().find((r) => r.body.events);
    assert.match(req.content_type, /^text\/plain/, 'sent with sendBeacon as a text/plain string');
    const session = await s.page.evaluate(() => rum.getSession());
    assert.equal(session.id, event.meta.session.id);
    assert.equal(session.sampled, true);
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
  }
});

test('items queued before the page is left are flushed on pagehide', async () => {
  const s = await setup({
    '/': (c) => agentPage({ config: { url: c.url, app: { name: 'shop' }, batching: { sendTimeout: 60000 } },
      after: `for (let i = 0; i < 10; i++) rum.pushEvent('leaving', {i}); window.queued = true;` }),
    '/next': () => '<!doctype html><p>next</p>',
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.page.waitForFunction(() => window.queued && window.rum.getSession());
    await s.page.goto(`${s.site.origin}/next`);
    const got = await s.collector.waitForItems('events', (e) => e.name === 'leaving', { count: 10 });
    assert.equal(got.length, 10);
  } finally {
    await s.close();
  }
});

test('an error thrown after init() but before the wasm is ready is reported once it is', async () => {
  const s = await setup({
    '/': (c) => agentPage({ config: { url: c.url, app: { name: 'shop' }, batching: { sendTimeout: 100 } },
      after: `setTimeout(() => { throw new TypeError('early bird'); }, 0); Promise.reject(new Error('early rejection'));` }),
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [ex] = await s.collector.waitForItems('exceptions', (e) => e.value === 'early bird');
    assert.equal(ex.type, 'TypeError');
    await s.collector.waitForItems('exceptions', (e) => e.value === 'early rejection');
  } finally {
    await s.close();
  }
});

test('a bad config throws one readable error naming the key, and nothing else happens', async () => {
  const s = await setup({ '/': () => '<!doctype html><body>bad config</body>' });
  try {
    const wasmRequests = [];
    s.page.on('request', (r) => { if (!r.url().endsWith('.html') && r.url() !== `${s.site.origin}/`) wasmRequests.push(r.url()); });
    await s.page.goto(`${s.site.origin}/`);
    const results = await s.page.evaluate(async (collectorUrl) => {
      const { init } = await import('/pkg/index.js');
      const attempt = (config) => { try { init(config); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; } };
      return [
        attempt({ app: { name: 'shop' } }),
        attempt({ url: collectorUrl, app: { name: 42 } }),
        attempt({ url: collectorUrl, app: { name: 'shop' }, sessionTracking: { samplingRate: 1.5 } }),
        attempt({ url: collectorUrl, app: { name: 'shop' }, transport: 'carrier-pigeon' }),
      ];
    }, s.collector.url);
    assert.match(results[0], /^TypeError: .*config\.url is required/);
    assert.match(results[1], /^TypeError: .*config\.app\.name must be a string/);
    assert.match(results[2], /^RangeError: .*config\.sessionTracking\.samplingRate must be between 0 and 1/);
    assert.match(results[3], /^TypeError: .*config\.transport must be 'beacon' or 'fetch'/);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(wasmRequests.filter((u) => u.endsWith('.wasm') || u.startsWith(s.collector.origin)), [], 'no wasm loaded, nothing sent');
    assert.equal(s.collector.requests().length, 0);
  } finally {
    await s.close();
  }
});

test('a second init() returns the first handle and warns once; unknown keys warn', async () => {
  const s = await setup({ '/': () => '<!doctype html><body></body>' });
  try {
    const warnings = [];
    s.page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await s.page.goto(`${s.site.origin}/`);
    const same = await s.page.evaluate(async (url) => {
      const { init } = await import('/pkg/index.js');
      const a = init({ url, app: { name: 'shop' }, colour: 'red' });
      const b = init({ url, app: { name: 'other' } });
      init({ url, app: { name: 'third' } });
      return a === b;
    }, s.collector.url);
    assert.equal(same, true);
    await waitFor(() => warnings.length >= 2, { what: 'warnings' });
    assert.equal(warnings.filter((w) => w.includes('config.colour')).length, 1);
    assert.equal(warnings.filter((w) => w.includes('init() was called again')).length, 1);
  } finally {
    await s.close();
  }
});
