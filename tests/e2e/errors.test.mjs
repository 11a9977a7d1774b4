// Errors: uncaught errors and rejections, early errors, console capture, ignoreErrors, an error
// storm, and the agent never throwing into the page, as the collector receives and logs them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor, WASM_EXPORTS } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// Installed before init() so it sees everything that reaches the page: what the agent must
// never add to.
const WATCH = `<script>
window.seen = [];
addEventListener('error', (e) => seen.push('error: ' + e.message));
addEventListener('unhandledrejection', (e) => seen.push('rejection: ' + String(e.reason && e.reason.message || e.reason)));
</script>`;

// The name pkg/'s wasm exports a Rust export under: scripts/build.mjs minifies them and keeps the mapping.
function exportName(name) {
  let mapping;
  try {
    mapping = JSON.parse(readFileSync(new URL('../../target/wasm-rum-boundary.json', import.meta.url), 'utf8'));
  } catch {
    return name; // a build without minification
  }
  return new Map(mapping.exports).get(name) ?? name;
}

async function setup(page, { routes = {} } = {}) {
  const collector = await startCollector();
  const all = { '/ping': (req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('pong'); } };
  for (const [path, make] of Object.entries(routes)) all[path] = html(() => make(collector));
  const site = await startStatic({ routes: all });
  const context = await browser.newContext();
  const p = await context.newPage();
  const console = [];
  p.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  return { collector, site, page: p, console, async close() { await context.close(); await site.stop(); await collector.stop(); } };
}

const config = (c, extra = {}) => ({ url: c.url, app: { name: 'shop' }, batching: { sendTimeout: 200 }, ...extra });

/** The collector's JSON log line for the exception with `value`. */
async function logLine(collector, value) {
  return waitFor(() => collector.logs().find((l) => l.kind === 'exception' && l.value === value), { what: `log line for ${value}` });
}

function assertWireShape(ex) {
  assert.match(ex.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  for (const f of ex.stacktrace?.frames || []) {
    assert.equal(typeof f.function, 'string');
    assert.equal(typeof f.filename, 'string');
    if ('lineno' in f) assert.ok(Number.isInteger(f.lineno), 'lineno is an integer');
    if ('colno' in f) assert.ok(Number.isInteger(f.colno), 'colno is an integer');
  }
  for (const v of Object.values(ex.context || {})) assert.equal(typeof v, 'string');
}

test('uncaught errors in a click handler, a timer and a promise arrive with type, value and parsed stack', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), head: WATCH, body: '<button id="buy">buy</button>', after: `
        function renderSummary(cart) { return cart.total.amount; }
        document.getElementById('buy').addEventListener('click', function onBuy() { renderSummary({}); });
        window.later = () => setTimeout(function tick() { throw new RangeError('timer broke'); }, 0);
        window.chain = () => Promise.resolve().then(function step() { throw new Error('then broke'); });
        window.ready = true;` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.page.waitForFunction(() => window.ready && window.rum.getSession());
    await s.page.click('#buy');
    await s.page.evaluate(() => { later(); chain(); });
    const [click] = await s.collector.waitForItems('exceptions', (e) => e.type === 'TypeError');
    assert.match(click.value, /Cannot read properties of undefined \(reading 'amount'\)/);
    assertWireShape(click);
    const frames = click.stacktrace.frames;
    assert.equal(frames[0].function, 'renderSummary', 'innermost frame first');
    assert.equal(frames[0].filename, `${s.site.origin}/`);
    assert.ok(frames[0].lineno > 0 && frames[0].colno > 0);
    assert.ok(frames.some((f) => f.function.includes('onBuy')));

    const [timer] = await s.collector.waitForItems('exceptions', (e) => e.value === 'timer broke');
    assert.equal(timer.type, 'RangeError');
    assert.equal(timer.stacktrace.frames[0].function, 'tick');
    assertWireShape(timer);

    const [promise] = await s.collector.waitForItems('exceptions', (e) => e.value === 'then broke');
    assert.equal(promise.type, 'Error');
    assert.equal(promise.stacktrace.frames[0].function, 'step');

    for (const value of [click.value, 'timer broke', 'then broke']) {
      const line = await logLine(s.collector, value);
      assert.ok(line.type);
      assert.match(line.stacktrace, /\n\s+at \S+ \(http:\/\/127\.0\.0\.1:\d+\/:\d+:\d+\)/, 'a readable stack in the log line');
    }
    const fetched = await s.page.evaluate(() => fetch('/ping').then((r) => r.text()));
    assert.equal(fetched, 'pong');
  } finally {
    await s.close();
  }
});

test('rejections with a string, an object and undefined give readable values', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), after: `
        await new Promise((r) => setTimeout(r, 100));
        Promise.reject('plain string reason');
        Promise.reject({ code: 42, reason: 'nope' });
        Promise.reject(undefined);` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [str] = await s.collector.waitForItems('exceptions', (e) => e.value === 'plain string reason');
    assert.equal(str.type, 'UnhandledRejection');
    assertWireShape(str);
    const [obj] = await s.collector.waitForItems('exceptions', (e) => e.value === '{"code":42,"reason":"nope"}');
    assert.equal(obj.type, 'UnhandledRejection');
    await s.collector.waitForItems('exceptions', (e) => e.value === 'undefined');
    const line = await logLine(s.collector, '{"code":42,"reason":"nope"}');
    assert.equal(line.type, 'UnhandledRejection');
  } finally {
    await s.close();
  }
});

test('an error before the wasm is ready is reported once it is, with its stack', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), after: `
        function early() { throw new TypeError('before wasm'); }
        setTimeout(early, 0);` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [ex] = await s.collector.waitForItems('exceptions', (e) => e.value === 'before wasm');
    assert.equal(ex.type, 'TypeError');
    assert.equal(ex.context.early, 'true', 'it was queued by the entry module');
    assert.equal(ex.stacktrace.frames[0].function, 'early');
    assert.equal(ex.stacktrace.frames[0].filename, `${s.site.origin}/`);
    assertWireShape(ex);
    assert.match((await logLine(s.collector, 'before wasm')).stacktrace, /at early \(/);
  } finally {
    await s.close();
  }
});

test('captureConsole on: calls become logs, console.error(Error) an exception, and the console still prints', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c, { captureConsole: true }), after: `
        await rum.flush(); // resolves once the agent runs: console wrapped, listeners installed
        console.warn('careful', { step: 2 });
        console.info('cart ready', 3);
        console.log('not captured: log is disabled by default');
        console.error('plain error text');
        console.error('checkout failed:', new TypeError('card declined'));
        await rum.flush();` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [warn] = await s.collector.waitForItems('logs', (l) => l.message === 'careful {"step":2}');
    assert.equal(warn.level, 'warn');
    const [info] = await s.collector.waitForItems('logs', (l) => l.message === 'cart ready 3');
    assert.equal(info.level, 'info');
    const [err] = await s.collector.waitForItems('logs', (l) => l.message === 'plain error text');
    assert.equal(err.level, 'error');
    const [ex] = await s.collector.waitForItems('exceptions', (e) => e.value === 'card declined');
    assert.equal(ex.type, 'TypeError');
    assert.equal(ex.context.console, 'checkout failed: TypeError: card declined');
    assertWireShape(ex);
    assert.equal(s.collector.items('logs').filter((l) => l.message.startsWith('not captured')).length, 0);
    // The page's console messages reach the test through DevTools, maybe after the items.
    for (const line of ['warning: careful', 'info: cart ready 3', 'log: not captured', 'error: plain error text', 'error: checkout failed:']) {
      await waitFor(() => s.console.some((c) => c.startsWith(line)), { what: `console still prints ${line}` });
    }
  } finally {
    await s.close();
  }
});

test('captureConsole off: console calls are not sent', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), after: `
        await rum.flush(); // resolves once the agent runs: console wrapped, listeners installed
        console.warn('quiet warn'); console.error('quiet error'); console.error(new Error('quiet exception'));
        rum.pushEvent('marker'); await rum.flush();` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.collector.waitForItems('events', (e) => e.name === 'marker');
    assert.equal(s.collector.items('logs').length, 0);
    assert.equal(s.collector.items('exceptions').length, 0);
    // The page's console messages reach the test through DevTools, maybe after the marker.
    await waitFor(() => s.console.some((c) => c === 'error: quiet error'), { what: 'the console still printing' });
  } finally {
    await s.close();
  }
});

test('ignoreErrors drops messages matching a string or a RegExp', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => `<!doctype html><body><script type="module">
        import { init } from '/pkg/index.js';
        window.rum = init({ url: ${JSON.stringify(c.url)}, app: { name: 'shop' }, batching: { sendTimeout: 200 },
          ignoreErrors: ['ResizeObserver loop', /^Ignored by regexp \\d+$/] });
        await new Promise((r) => setTimeout(r, 100));
        setTimeout(() => { throw new Error('ResizeObserver loop completed with undelivered notifications.'); });
        setTimeout(() => { throw new Error('Ignored by regexp 42'); });
        rum.pushError(new Error('Ignored by regexp 7'));
        setTimeout(() => { throw new Error('Kept: regexp 42 is anchored'); });
        setTimeout(() => rum.flush(), 50);
      </script></body>`,
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.collector.waitForItems('exceptions', (e) => e.value === 'Kept: regexp 42 is anchored');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(s.collector.items('exceptions').map((e) => e.value), ['Kept: regexp 42 is anchored']);
  } finally {
    await s.close();
  }
});

test('pushError parses the stack it is given and keeps string context; duplicates in a row fold', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), after: `
        function pay() { return new Error('payment refused'); }
        const e = pay();
        rum.pushError(e, { context: { order: 17, step: 'pay' } });
        rum.pushError(e, { context: { order: 17, step: 'pay' } });
        rum.pushError(e, { context: { order: 17, step: 'pay' } });
        rum.pushError('a string', { type: 'CustomFailure' });
        await rum.flush();` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [ex] = await s.collector.waitForItems('exceptions', (e) => e.value === 'payment refused');
    assert.deepEqual(ex.context, { order: '17', step: 'pay', count: '3' });
    assert.equal(ex.stacktrace.frames[0].function, 'pay');
    assert.equal(s.collector.items('exceptions').filter((e) => e.value === 'payment refused').length, 1, 'folded into one item');
    const [custom] = await s.collector.waitForItems('exceptions', (e) => e.value === 'a string');
    assert.equal(custom.type, 'CustomFailure');
  } finally {
    await s.close();
  }
});

test('an error storm of 10 000 throws sends a bounded number of items, the page stays responsive, and drops are counted', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c, { batching: { sendTimeout: 1000 } }), after: `
        await rum.flush(); // resolves once the agent runs: console wrapped, listeners installed
        let ticks = 0, maxGap = 0, last = performance.now();
        const iv = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; ticks++; }, 5);
        const t0 = performance.now();
        // 10 000 real uncaught throws, each in its own task (a MessageChannel has no timer
        // clamping), so the page's own timer can run between them.
        await new Promise((done) => {
          const ch = new MessageChannel();
          let i = 0;
          ch.port1.onmessage = () => {
            const n = i++;
            if (n + 1 < 10000) ch.port2.postMessage(0); else setTimeout(done, 0);
            throw new Error('storm ' + n);
          };
          ch.port2.postMessage(0);
        });
        const total = performance.now() - t0;
        await new Promise((r) => setTimeout(r, 30));
        clearInterval(iv);
        await rum.flush();
        window.storm = { total, ticks, maxGap };` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const storm = await s.page.waitForFunction(() => window.storm, null, { timeout: 60000 }).then((h) => h.jsonValue());
    const [dropped] = await s.collector.waitForItems('events', (e) => e.name === 'wasm-rum.items_dropped' && e.attributes.reason === 'rate_limit', { timeout: 15000 });
    const sent = s.collector.items('exceptions').filter((e) => e.value.startsWith('storm '));
    console.log(`storm: ${sent.length} items sent, ${dropped.attributes.count} dropped, total ${storm.total.toFixed(0)} ms, ${storm.ticks} timer ticks, longest gap ${storm.maxGap.toFixed(0)} ms`);
    assert.ok(sent.length <= 30 + 2, `at most maxPerMinute (+ a few) items, got ${sent.length}`);
    assert.ok(sent.length >= 25, `the first errors are sent, got ${sent.length}`);
    assert.equal(Number(dropped.attributes.count), 10000 - sent.length, 'every other error is counted as dropped');
    assert.ok(storm.ticks > 0, 'a timer kept ticking');
    assert.ok(storm.total < 10000, `the storm took ${storm.total} ms`);
    assert.ok(storm.maxGap < 250, `longest main-thread gap ${storm.maxGap} ms`);
    const line = await waitFor(() => s.collector.logs().find((l) => l.kind === 'event' && l.event_name === 'wasm-rum.items_dropped' && l.event_data_reason === 'rate_limit'), { what: 'dropped log line' });
    assert.equal(line.event_data_count, dropped.attributes.count);
  } finally {
    await s.close();
  }
});

// Hardening: real triggers from real apps; after each, the page saw nothing of ours and its
// fetch still works.
async function assertPageUnharmed(s) {
  const seen = await s.page.evaluate(() => window.seen);
  assert.deepEqual(seen.filter((m) => !m.includes('page-own')), [], 'window.onerror saw nothing of ours');
  assert.equal(await s.page.evaluate(() => fetch('/ping').then((r) => r.text())), 'pong');
}

test('hardening: a beforeSend that throws keeps items flowing', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => `<!doctype html><head>${WATCH}</head><body><script type="module">
        import { init } from '/pkg/index.js';
        window.rum = init({ url: ${JSON.stringify(c.url)}, app: { name: 'shop' }, batching: { sendTimeout: 100 },
          beforeSend() { throw new Error('hook bug'); } });
        rum.pushEvent('after-hook'); setTimeout(() => { throw new Error('page-own error'); }, 50);
        await rum.flush(); window.done = true;
      </script></body>`,
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.collector.waitForItems('events', (e) => e.name === 'after-hook');
    await s.collector.waitForItems('exceptions', (e) => e.value === 'page-own error');
    await assertPageUnharmed(s);
  } finally {
    await s.close();
  }
});

test('hardening: attributes that are not strings are sent as strings', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), head: WATCH, after: `
        const cyclic = {}; cyclic.self = cyclic;
        rum.pushEvent('odd', { n: 1, b: true, o: { a: 1 }, f: () => 1, sym: Symbol('s'), big: 10n, cyclic, nul: null, u: undefined });
        rum.pushError(new Error('odd context'), { context: { n: 2, cyclic } });
        await rum.flush();` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    const [ev] = await s.collector.waitForItems('events', (e) => e.name === 'odd');
    for (const v of Object.values(ev.attributes)) assert.equal(typeof v, 'string');
    assert.equal(ev.attributes.n, '1');
    assert.equal(ev.attributes.o, '{"a":1}');
    const [ex] = await s.collector.waitForItems('exceptions', (e) => e.value === 'odd context');
    assert.equal(ex.context.n, '2');
    await assertPageUnharmed(s);
  } finally {
    await s.close();
  }
});

test('hardening: localStorage full or denied does not stop the agent', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c, { sessionTracking: { persistent: true } }), head: WATCH + `<script>
        Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
        Storage.prototype.getItem = function () { throw new DOMException('The operation is insecure.', 'SecurityError'); };
        </script>`, after: `rum.pushEvent('no-storage'); setTimeout(() => { throw new Error('page-own after storage'); }, 50); await rum.flush();` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.collector.waitForItems('events', (e) => e.name === 'no-storage');
    await s.collector.waitForItems('exceptions', (e) => e.value === 'page-own after storage');
    await assertPageUnharmed(s);
  } finally {
    await s.close();
  }
});

test('hardening: a wasm trap stops the agent quietly, warns once and reports once', async () => {
  const s = await setup(null, {
    routes: {
      '/': (c) => agentPage({ config: config(c), head: WATCH + WASM_EXPORTS, after: `
        await rum.flush(); // resolves once the agent runs: console wrapped, listeners installed
        // A real trap from the real instance: with its memory overwritten, every pointer the
        // wasm loads is 0xffffffff, so the next call reads outside its memory
        // (WebAssembly.RuntimeError) before it can do anything else.
        const wasm = window.wasmExports;
        new Uint8Array(wasm[${JSON.stringify(exportName('memory'))}].buffer).fill(0xff);
        rum.pushEvent('trap');
        rum.pushEvent('trap again');
        rum.pushLog('after death');
        setTimeout(() => { throw new Error('page-own after trap'); }, 0);
        await new Promise((r) => setTimeout(r, 100));
        window.session = rum.getSession();
        window.done = true;` }),
    },
  });
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.page.waitForFunction(() => window.done);
    const [failure] = await s.collector.waitForItems('exceptions', (e) => e.type === 'WasmRumFailure');
    assert.match(failure.value, /RuntimeError/);
    assert.equal(s.collector.items('exceptions').filter((e) => e.type === 'WasmRumFailure').length, 1, 'reported once');
    assert.equal(s.console.filter((c) => c.includes('the agent failed and is off')).length, 1, 'warned once');
    assert.equal(await s.page.evaluate(() => window.session), null);
    const seen = await s.page.evaluate(() => window.seen);
    assert.deepEqual(seen, ['error: Uncaught Error: page-own after trap'], 'only the page saw its own error, none of ours');
    assert.equal(await s.page.evaluate(() => fetch('/ping').then((r) => r.text())), 'pong');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.collector.items('exceptions').filter((e) => e.value === 'page-own after trap').length, 0, 'a dead agent sends nothing more');
  } finally {
    await s.close();
  }
});
