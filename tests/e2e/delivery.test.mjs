// Delivery, as a careful user and a long-lived page see it: memory stays flat over thousands of
// batches, nothing is lost when the page is left (both transports, any navigation, tab close),
// consent holds on every path (no send, no storage write while paused), and every drop is reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor, WASM_EXPORTS } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const ready = (p) => p.waitForFunction(() => window.rum && window.rum.getSession());

// The wasm's memory: the one Memory among the running instance's exports (their names are minified).
const WASM_MEMORY = `window.wasmMemory = async () => Object.values(window.wasmExports).find((v) => v instanceof WebAssembly.Memory).buffer.byteLength;
window.completed = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name.startsWith(window.collectorUrl)) window.completed++; }).observe({ type: 'resource' });`;

for (const transport of ['fetch', 'beacon']) {
  test(`transport '${transport}': wasm memory stays flat over three rounds of 500 batches of 20 KB`, async () => {
    const collector = await startCollector({ args: ['--rate-limit', '0'] });
    const config = { url: collector.url, transport, app: { name: 'memory' }, batching: { sendTimeout: 60000, itemLimit: 1000 } };
    const site = await startStatic({ routes: { '/': html(agentPage({ config, head: WASM_EXPORTS, after: `window.collectorUrl = ${JSON.stringify(collector.url)};\n${WASM_MEMORY}` })) } });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(site.origin + '/');
      await ready(page);
      const sizes = [await page.evaluate(() => window.wasmMemory())];
      for (let round = 1; round <= 3; round++) {
        await page.evaluate(async (round) => {
          const pad = 'm'.repeat(5000);
          for (let b = 0; b < 500; b++) {
            for (let i = 0; i < 4; i++) rum.pushLog(`round ${round} batch ${b} item ${i} ${pad}`);
            await rum.flush();
          }
        }, round);
        // Every request of the round has completed (its answer handled right after).
        await page.waitForFunction((n) => window.completed >= n, round * 500, { timeout: 60000 });
        await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
        sizes.push(await page.evaluate(() => window.wasmMemory()));
      }
      const mib = sizes.map((b) => (b / 1048576).toFixed(1));
      console.log(`${transport}: wasm memory ${mib.join(' -> ')} MiB over three rounds of 500 batches`);
      assert.ok(sizes[3] - sizes[2] < 4 * 1048576, `memory grew ${mib[2]} -> ${mib[3]} MiB between rounds 2 and 3`);
      const got = await collector.waitForItems('logs', (l) => l.message.startsWith('round 3 '), { count: 2000, timeout: 30000 });
      assert.equal(got.length, 2000, 'every item of the last round arrived');
    } finally {
      await context.close(); await site.stop(); await collector.stop();
    }
  });
}

// Leaving the page: the last batch goes with keepalive (fetch) or as a beacon, whatever the page
// is left for, and all 40 items arrive.
const leaving = {
  'same-origin navigation': async (page, s) => { await page.evaluate((u) => { location.href = u; }, s.site.origin + '/away'); await page.waitForURL('**/away'); },
  'cross-origin navigation': async (page, s) => { await page.evaluate((u) => { location.href = u; }, s.other.origin + '/away'); await page.waitForURL(s.other.origin + '/away'); },
  'tab close': async (page) => { await page.close({ runBeforeUnload: true }); },
};

for (const transport of ['fetch', 'beacon']) {
  for (const [how, leave] of Object.entries(leaving)) {
    test(`transport '${transport}': 40 items pushed just before ${how} all arrive`, async () => {
      const collector = await startCollector();
      const config = { url: collector.url, transport, app: { name: 'leave' }, batching: { sendTimeout: 60000 } };
      const site = await startStatic({ routes: { '/': html(agentPage({ config })), '/away': html('<!doctype html><p>away</p>') } });
      const other = await startStatic({ routes: { '/away': html('<!doctype html><p>elsewhere</p>') } });
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(site.origin + '/');
        await ready(page);
        await page.evaluate(() => { for (let i = 0; i < 40; i++) rum.pushLog('leaving ' + i, { context: { pad: 'p'.repeat(200) } }); });
        await leave(page, { site, other });
        const got = await collector.waitForItems('logs', (l) => l.message.startsWith('leaving '), { count: 40 });
        assert.equal(new Set(got.map((l) => l.message)).size, 40, '40 distinct items');
      } finally {
        await context.close(); await site.stop(); await other.stop(); await collector.stop();
      }
    });
  }
}

/** Records the agent's storage writes and every request to `origin` the page makes. */
async function watch(context, page, origin) {
  await context.addInitScript(() => {
    window.storageWrites = [];
    for (const m of ['setItem', 'removeItem']) {
      const orig = Storage.prototype[m];
      Storage.prototype[m] = function (k, ...rest) {
        if (String(k).startsWith('wasm_rum')) window.storageWrites.push(`${m} ${k}`);
        return orig.call(this, k, ...rest);
      };
    }
  });
  const requests = [];
  page.on('request', (r) => { if (r.url().startsWith(origin)) requests.push(r.url()); });
  // A request the test makes itself, after which every request the agent started before has been seen.
  const settle = async () => {
    const mark = `${origin}/ready?mark=${Math.random()}`;
    await page.evaluate((u) => fetch(u).catch(() => {}), mark);
    await waitFor(() => requests.includes(mark), { what: 'the marker request' });
    return requests.filter((u) => !u.includes('/ready?mark='));
  };
  return { requests, settle };
}

/** A collector that is down at first: its URL, and `start()` to bring it up on the same port. */
async function downCollector() {
  const first = await startCollector();
  const listen = first.origin.replace('http://', '');
  await first.stop();
  return { url: first.url, start: () => startCollector({ listen }) };
}

test('paused at init: the offline queue of an earlier view is neither sent nor touched, no session is stored, and all goes out after resume()', async () => {
  const down = await downCollector();
  const url = down.url;
  const config = (paused) => ({ url, transport: 'fetch', app: { name: 'consent' }, paused, user: { email: 'jane@example.com' }, batching: { sendTimeout: 50 } });
  const site = await startStatic({ routes: {
    '/': html(agentPage({ config: config(false) })),
    '/paused': html(agentPage({ config: config(true) })),
  } });
  const context = await browser.newContext();
  const page = await context.newPage();
  let back;
  try {
    // A first view while the collector is down: its items wait in localStorage, with the user's email.
    await page.goto(site.origin + '/');
    await ready(page);
    await page.evaluate(() => { rum.pushEvent('kept-earlier'); return rum.flush(); });
    await page.waitForFunction(() => (localStorage.getItem('wasm_rum_queue') || '').includes('jane@example.com'), null, { timeout: 10000 });
    const kept = await page.evaluate(() => { sessionStorage.clear(); return localStorage.getItem('wasm_rum_queue'); });
    back = await down.start();
    const w = await watch(context, page, back.origin);
    // The next view starts paused (consent not given yet).
    await page.goto(site.origin + '/paused');
    await page.waitForFunction(() => window.rum && window.rum.getSession() !== undefined);
    await page.evaluate(async () => { rum.pushEvent('while-paused'); rum.pushError(new Error('while paused')); await rum.flush(); });
    assert.deepEqual(await w.settle(), [], 'nothing was sent while paused');
    assert.deepEqual(await page.evaluate(() => window.storageWrites), [], 'nothing was written to storage while paused');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wasm_rum_session')), null, 'no session stored');
    assert.equal(await page.evaluate(() => localStorage.getItem('wasm_rum_queue')), kept, 'the kept queue is untouched');
    // Consent given: what the earlier view kept goes out, and collection starts.
    await page.evaluate(async () => { rum.resume(); rum.pushEvent('after-resume'); await rum.flush(); });
    await back.waitForItems('events', (e) => e.name === 'kept-earlier');
    await back.waitForItems('events', (e) => e.name === 'after-resume');
    assert.equal(back.items('events').filter((e) => e.name === 'while-paused').length, 0);
    assert.equal(back.items('exceptions').length, 0, 'the error while paused was not collected');
    assert.ok(await page.evaluate(() => sessionStorage.getItem('wasm_rum_session')), 'the session is stored after resume()');
  } finally {
    await context.close(); await site.stop(); await back?.stop();
  }
});

test('pause() cancels the resend of kept bodies; resume() sends them', async () => {
  const down = await downCollector();
  const url = down.url;
  const config = { url, transport: 'fetch', app: { name: 'consent' }, batching: { sendTimeout: 50 } };
  const site = await startStatic({ routes: { '/': html(agentPage({ config })) } });
  const context = await browser.newContext();
  const page = await context.newPage();
  let back;
  try {
    await page.goto(site.origin + '/');
    await ready(page);
    await page.evaluate(() => { rum.pushEvent('kept-then-paused'); return rum.flush(); });
    // The failed body is kept; a resend is scheduled 2 s later.
    await page.waitForFunction(() => (localStorage.getItem('wasm_rum_queue') || '').includes('kept-then-paused'), null, { timeout: 10000 });
    await page.evaluate(() => rum.pause());
    back = await down.start();
    const w = await watch(context, page, back.origin);
    // Past the scheduled resend (2 s) with a margin: it must not have run.
    await new Promise((r) => setTimeout(r, 3500));
    assert.deepEqual(await w.settle(), [], 'nothing was sent after pause()');
    assert.ok((await page.evaluate(() => localStorage.getItem('wasm_rum_queue'))).includes('kept-then-paused'), 'still kept');
    await page.evaluate(() => rum.resume());
    await back.waitForItems('events', (e) => e.name === 'kept-then-paused');
  } finally {
    await context.close(); await site.stop(); await back?.stop();
  }
});

test('bodies the offline queue let go are reported once the collector is reachable: wasm-rum.items_dropped, reason queue_overflow', async () => {
  const down = await downCollector();
  const url = down.url;
  const config = { url, transport: 'fetch', app: { name: 'drops' }, batching: { sendTimeout: 60000 } };
  const site = await startStatic({ routes: { '/': html(agentPage({ config })) } });
  const context = await browser.newContext();
  const page = await context.newPage();
  let back;
  try {
    await page.goto(site.origin + '/');
    await ready(page);
    // What the page load made is sent (and kept) first; the test starts from an empty queue.
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.evaluate(() => rum.flush());
    await page.waitForFunction(() => localStorage.getItem('wasm_rum_queue'), null, { timeout: 10000 });
    await page.evaluate(() => { localStorage.removeItem('wasm_rum_queue'); localStorage.removeItem('wasm_rum_dropped'); });
    // 30 bodies fail while the collector is down: the queue keeps the newest 20.
    await page.evaluate(async () => { for (let i = 0; i < 30; i++) { rum.pushEvent('lost-or-kept', { i: String(i) }); await rum.flush(); } });
    await page.waitForFunction(() => localStorage.getItem('wasm_rum_dropped') === '10,0,0,0', null, { timeout: 10000 });
    back = await down.start();
    await page.reload();
    const kept = await back.waitForItems('events', (e) => e.name === 'lost-or-kept', { count: 20 });
    // The report rides with the next batch once the collector has answered.
    await ready(page);
    await page.evaluate(() => rum.flush());
    const [report] = await back.waitForItems('events', (e) => e.name === 'wasm-rum.items_dropped');
    assert.deepEqual(report.attributes, { reason: 'queue_overflow', count: '10' });
    assert.deepEqual(kept.map((e) => Number(e.attributes.i)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 10), 'the newest 20 arrived');
    await page.waitForFunction(() => localStorage.getItem('wasm_rum_dropped') === null);
    assert.equal(back.items('events').filter((e) => e.name === 'wasm-rum.items_dropped').length, 1, 'reported once');
  } finally {
    await context.close(); await site.stop(); await back?.stop();
  }
});

test('a promoted session reports what its buffer let go: wasm-rum.items_dropped, reason sampling_buffer', async () => {
  const collector = await startCollector();
  // beforeSend sees every item before the buffer does: it counts what the buffer was offered.
  const config = `{ url: ${JSON.stringify(collector.url)}, app: { name: 'drops' }, sessionTracking: { samplingRate: 0, errorBuffer: 5 }, batching: { sendTimeout: 50 },
    beforeSend: (item) => { window.offered = (window.offered || 0) + 1; return item; } }`;
  const site = await startStatic({ routes: { '/': html(agentPage({ config })) } });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(site.origin + '/');
    await ready(page);
    const offered = await page.evaluate(async () => {
      for (let i = 0; i < 8; i++) rum.pushEvent('buffered', { i: String(i) });
      const offered = window.offered;
      rum.pushError(new Error('promotes'));
      await rum.flush();
      return offered;
    });
    const buffered = await collector.waitForItems('events', (e) => e.name === 'buffered', { count: 5 });
    assert.deepEqual(buffered.map((e) => e.attributes.i), ['3', '4', '5', '6', '7'], 'the buffer kept the last 5');
    await page.evaluate(() => rum.flush());
    const [report] = await collector.waitForItems('events', (e) => e.name === 'wasm-rum.items_dropped');
    assert.ok(offered >= 8);
    assert.deepEqual(report.attributes, { reason: 'sampling_buffer', count: String(offered - 5) });
  } finally {
    await context.close(); await site.stop(); await collector.stop();
  }
});
