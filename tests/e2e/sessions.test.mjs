// Sessions, sampling with the error override, batching and the beacon transport, at the real collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function setup(config, after = '') {
  const collector = await startCollector();
  const site = await startStatic({ routes: {
    '/': html(() => agentPage({ config: { url: collector.url, app: { name: 'sess' }, ...config }, after })),
    '/away': html('<!doctype html><p>away</p>'),
  } });
  const context = await browser.newContext();
  const page = await context.newPage();
  return { collector, site, context, page, async close() { await context.close(); await site.stop(); await collector.stop(); } };
}

const ready = (p) => p.waitForFunction(() => window.rum && window.rum.getSession());

test('an unsampled session sends nothing until its first exception, then the buffered items, the exception and what follows', async () => {
  const s = await setup({ sessionTracking: { samplingRate: 0, errorBuffer: 5 }, batching: { sendTimeout: 100 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    assert.equal((await s.page.evaluate(() => rum.getSession())).sampled, false);
    await s.page.evaluate(async () => { for (let i = 0; i < 8; i++) rum.pushEvent('before', { i }); await rum.flush(); });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(s.collector.items('events').filter((e) => e.name === 'before').length, 0, 'nothing sent while unsampled');
    await s.page.evaluate(async () => { rum.pushError(new Error('promoting')); rum.pushEvent('after'); await rum.flush(); });
    await s.collector.waitForItems('exceptions', (e) => e.value === 'promoting');
    const before = await s.collector.waitForItems('events', (e) => e.name === 'before', { count: 3 });
    // The buffer keeps the last 5 items of any kind (a page-load event or a TTFB may be among them).
    const ids = before.map((e) => Number(e.attributes.i));
    assert.deepEqual(ids, ids.map((_, k) => 8 - ids.length + k), `the newest items, oldest first: ${ids}`);
    const heldBeforeException = s.collector.payloads().flatMap((p) => [...(p.events || []), ...(p.measurements || []), ...(p.logs || [])]).filter((x) => x.name !== 'after');
    assert.ok(heldBeforeException.length <= 5, `at most errorBuffer items were held (${heldBeforeException.length})`);
    const [afterEvent] = await s.collector.waitForItems('events', (e) => e.name === 'after');
    assert.equal(afterEvent.meta.session.attributes.isSampled, 'true');
    assert.equal((await s.page.evaluate(() => rum.getSession())).sampled, true, 'the session is promoted');
    // A reload keeps the session and its (promoted) decision.
    const id = (await s.page.evaluate(() => rum.getSession())).id;
    await s.page.reload();
    await ready(s.page);
    assert.deepEqual(await s.page.evaluate(() => rum.getSession()), { id, sampled: true });
  } finally {
    await s.close();
  }
});

test('a sampled session sends everything, and a reload keeps the session', async () => {
  const s = await setup({ sessionTracking: { samplingRate: 1 }, batching: { sendTimeout: 100 } }, `rum.pushEvent('loaded', { at: String(performance.now()) });`);
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    const first = await s.page.evaluate(() => rum.getSession());
    const [e1] = await s.collector.waitForItems('events', (e) => e.name === 'loaded');
    assert.equal(e1.meta.session.id, first.id);
    await s.page.reload();
    await ready(s.page);
    assert.equal((await s.page.evaluate(() => rum.getSession())).id, first.id);
    await s.collector.waitForItems('events', (e) => e.name === 'loaded', { count: 2 });
    assert.ok(s.collector.items('events').every((e) => e.meta.session.id === first.id));
  } finally {
    await s.close();
  }
});

test('a session idle past inactivityTimeout is renewed with a new id', async () => {
  const s = await setup({ sessionTracking: { inactivityTimeout: 400 }, batching: { sendTimeout: 50 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    const first = (await s.page.evaluate(() => rum.getSession())).id;
    await s.page.waitForTimeout(700);
    await s.page.evaluate(async () => { rum.pushEvent('late'); await rum.flush(); });
    const [late] = await s.collector.waitForItems('events', (e) => e.name === 'late');
    assert.notEqual(late.meta.session.id, first, 'a new session');
    assert.equal((await s.page.evaluate(() => rum.getSession())).id, late.meta.session.id);
  } finally {
    await s.close();
  }
});

test('40 items pushed just before navigating away all arrive', async () => {
  const s = await setup({ batching: { sendTimeout: 60000 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    await s.page.evaluate(() => { for (let i = 0; i < 40; i++) rum.pushLog('leaving ' + i); });
    await s.page.goto(s.site.origin + '/away');
    const got = await s.collector.waitForItems('logs', (l) => l.message.startsWith('leaving'), { count: 40 });
    assert.equal(new Set(got.map((l) => l.message)).size, 40);
  } finally {
    await s.close();
  }
});

test('a 200 KB burst arrives whole, in bodies of at most 60 000 bytes', async () => {
  const s = await setup({ batching: { sendTimeout: 100, itemLimit: 1000 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    await s.page.evaluate(async () => { const pad = 'x'.repeat(1000); for (let i = 0; i < 200; i++) rum.pushLog(`burst ${i} ${pad}`); await rum.flush(); });
    const got = await s.collector.waitForItems('logs', (l) => l.message.startsWith('burst'), { count: 200 });
    assert.equal(new Set(got.map((l) => l.message.split(' ')[1])).size, 200);
    const bodies = s.collector.requests().filter((r) => r.body.logs?.some((l) => l.message.startsWith('burst')));
    assert.ok(bodies.length >= 4, `split into several bodies (${bodies.length})`);
    for (const b of bodies) assert.ok(b.content_length <= 60000, `body of ${b.content_length} bytes`);
  } finally {
    await s.close();
  }
});

test('pause() stops collection until resume()', async () => {
  const s = await setup({ batching: { sendTimeout: 50 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    await s.page.evaluate(async () => { rum.pause(); rum.pushEvent('while-paused'); await rum.flush(); rum.resume(); rum.pushEvent('after-resume'); await rum.flush(); });
    await s.collector.waitForItems('events', (e) => e.name === 'after-resume');
    assert.equal(s.collector.items('events').filter((e) => e.name === 'while-paused').length, 0);
  } finally {
    await s.close();
  }
});

test('beforeSend can change and drop items', async () => {
  const collector = await startCollector();
  const page = agentPage({ config: `{ url: ${JSON.stringify(collector.url)}, app: { name: 'bs' }, batching: { sendTimeout: 50 },
    beforeSend: (item) => item.type === 'event' && item.payload.name === 'secret' ? null
      : (item.type === 'log' ? { ...item, payload: { ...item.payload, message: item.payload.message.replace(/\\d{4}/g, '****') } } : item) }`,
    after: `rum.pushEvent('secret'); rum.pushEvent('public'); rum.pushLog('card 4242 used'); await rum.flush();` });
  const site = await startStatic({ routes: { '/': html(page) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(site.origin + '/');
    await collector.waitForItems('events', (e) => e.name === 'public');
    const [log] = await collector.waitForItems('logs', (l) => l.message.startsWith('card'));
    assert.equal(log.message, 'card **** used');
    assert.equal(collector.items('events').filter((e) => e.name === 'secret').length, 0);
  } finally {
    await context.close(); await site.stop(); await collector.stop();
  }
});

test("transport 'fetch' with an apiKey sends JSON with x-api-key and x-faro-session-id, and the keyed collector accepts it", async () => {
  const collector = await startCollector({ args: ['--api-key', 'k3y'] });
  const page = agentPage({ config: { url: collector.url, apiKey: 'k3y', app: { name: 'keyed' }, batching: { sendTimeout: 50 } }, after: `rum.pushEvent('with-key'); await rum.flush();` });
  const site = await startStatic({ routes: { '/': html(page) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(site.origin + '/');
    const [e] = await collector.waitForItems('events', (x) => x.name === 'with-key');
    const req = collector.requests().find((r) => r.body.events?.some((x) => x.name === 'with-key'));
    assert.match(req.content_type, /^application\/json/);
    assert.equal(req.headers['x-api-key'], 'k3y');
    assert.equal(req.headers['x-faro-session-id'], e.meta.session.id);
  } finally {
    await context.close(); await site.stop(); await collector.stop();
  }
});

test('a burst pushed right before leaving arrives whole: what did not fit in the exit budget on the next page view', async () => {
  const s = await setup({ batching: { sendTimeout: 60000, itemLimit: 1000 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    await s.page.evaluate(() => { const pad = 'z'.repeat(1000); for (let i = 0; i < 150; i++) rum.pushLog(`exit ${i} ${pad}`); });
    await s.page.goto(s.site.origin + '/away');
    await new Promise((r) => setTimeout(r, 500));
    const onExit = s.collector.items('logs').filter((l) => l.message.startsWith('exit')).length;
    // What the browser refused at exit (its 64 KiB in-flight budget) was kept for the next view.
    assert.ok(onExit > 0, `something left on exit (${onExit})`);
    await s.page.goto(s.site.origin + '/');
    const got = await s.collector.waitForItems('logs', (l) => l.message.startsWith('exit'), { count: 150 });
    assert.equal(new Set(got.map((l) => l.message.split(' ')[1])).size, 150, 'every item arrived once');
  } finally {
    await s.close();
  }
});

test("transport 'fetch' with the collector down keeps the items and delivers them on the next page view once it is back", async () => {
  const first = await startCollector();
  const listen = first.origin.replace('http://', '');
  const url = first.url;
  await first.stop();
  const page = agentPage({ config: { url, transport: 'fetch', app: { name: 'offline' }, batching: { sendTimeout: 50 } }, after: `window.pushSome = async () => { for (let i = 0; i < 5; i++) rum.pushEvent('offline', { i }); await rum.flush(); };` });
  const site = await startStatic({ routes: { '/': html(page) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  let back;
  try {
    await p.goto(site.origin + '/');
    await ready(p);
    await p.evaluate(() => window.pushSome());
    await p.waitForFunction(() => (localStorage.getItem('wasm_rum_queue') || '').includes('offline'), null, { timeout: 5000 });
    back = await startCollector({ listen });
    await p.reload();
    const got = await back.waitForItems('events', (e) => e.name === 'offline', { count: 5 });
    assert.deepEqual(got.map((e) => e.attributes.i).sort(), ['0', '1', '2', '3', '4']);
    // Each kept body leaves the queue once the collector has answered it: wait for the last answers.
    await p.waitForFunction(() => localStorage.getItem('wasm_rum_queue') === null, null, { timeout: 10000 });
  } finally {
    await context.close(); await site.stop(); await back?.stop();
  }
});

test('views follow history.pushState and popstate until the app calls setView', async () => {
  const s = await setup({ batching: { sendTimeout: 50 } });
  try {
    await s.page.goto(s.site.origin + '/');
    await ready(s.page);
    await s.page.evaluate(async () => { history.pushState(null, '', '/products/42'); rum.pushEvent('on-products'); await rum.flush(); });
    const [a] = await s.collector.waitForItems('events', (e) => e.name === 'on-products');
    assert.equal(a.meta.view.name, '/products/42');
    await s.page.evaluate(async () => { history.back(); await new Promise((r) => addEventListener('popstate', r, { once: true })); rum.pushEvent('back-home'); await rum.flush(); });
    const [b] = await s.collector.waitForItems('events', (e) => e.name === 'back-home');
    assert.equal(b.meta.view.name, '/');
    await s.page.evaluate(async () => { rum.pushEvent('view-a'); history.pushState(null, '', '/second'); rum.pushEvent('view-b'); await rum.flush(); });
    const [va] = await s.collector.waitForItems('events', (e) => e.name === 'view-a');
    const [vb] = await s.collector.waitForItems('events', (e) => e.name === 'view-b');
    assert.deepEqual([va.meta.view.name, vb.meta.view.name], ['/', '/second'], 'items keep the meta they were made under');
    await s.page.evaluate(async () => { rum.setView({ name: 'checkout' }); history.pushState(null, '', '/ignored'); rum.pushEvent('manual'); await rum.flush(); });
    const [c] = await s.collector.waitForItems('events', (e) => e.name === 'manual');
    assert.equal(c.meta.view.name, 'checkout', 'once the app names views, history no longer does');
  } finally {
    await s.close();
  }
});

test("transport 'fetch' honours 429 and Retry-After, then delivers what waited", async () => {
  const collector = await startCollector({ args: ['--rate-limit', '1', '--rate-burst', '1'] });
  const page = agentPage({ config: { url: collector.url, transport: 'fetch', app: { name: 'limited' }, batching: { sendTimeout: 50 } }, after: `window.send = async (name) => { rum.pushEvent(name); await rum.flush(); };` });
  const site = await startStatic({ routes: { '/': html(page) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  const answers = [];
  const posts = [];
  p.on('request', (r) => { if (r.url().startsWith(collector.url) && r.method() === 'POST') posts.push(Date.now()); });
  p.on('response', (r) => { if (r.url().startsWith(collector.url) && r.request().method() === 'POST') answers.push([r.status(), Date.now()]); });
  try {
    await p.goto(site.origin + '/');
    await ready(p);
    await p.evaluate(() => window.send('first'));
    await collector.waitForItems('events', (e) => e.name === 'first');
    // The page-load items (sent 50 ms after load) may take the burst's token before 'first' and
    // give 'first' a 429 of its own: only answers after 'limited' was sent count.
    const seen = answers.length;
    await p.evaluate(() => window.send('limited'));
    await waitFor(() => answers.slice(seen).some(([s]) => s === 429), { what: 'a 429' });
    const limitedAt = answers.slice(seen).find(([s]) => s === 429)[1];
    // The agent has taken the 429 (DevTools may report the answer before the page handles it):
    // the refused body waits in the offline queue.
    await p.waitForFunction(() => (localStorage.getItem('wasm_rum_queue') || '').includes('limited'), null, { timeout: 5000 });
    const handledAt = Date.now();
    await p.evaluate(() => window.send('during-backoff'));
    await collector.waitForItems('events', (e) => e.name === 'limited');
    await collector.waitForItems('events', (e) => e.name === 'during-backoff');
    // Requests started once the agent had the 429 (answers to requests already in flight do not count).
    const early = posts.filter((t) => t >= handledAt && t - limitedAt < 900);
    assert.deepEqual(early.map((t) => t - limitedAt), [], 'nothing was posted before Retry-After had passed');
    assert.ok(posts.some((t) => t - limitedAt >= 900), 'what waited was posted after Retry-After');
  } finally {
    await context.close(); await site.stop(); await collector.stop();
  }
});

test('shutdown() sends what is left and leaves fetch, XHR, history and the listeners as they were', async () => {
  const collector = await startCollector();
  const page = `<!doctype html><body><script type="module">
    window.orig = { fetch: window.fetch, open: XMLHttpRequest.prototype.open, send: XMLHttpRequest.prototype.send, push: history.pushState };
    window.start = async () => { const { init } = await import('/pkg/index.js'); window.rum = init({ url: ${JSON.stringify(collector.url)}, app: { name: 'bye' }, captureConsole: true, batching: { sendTimeout: 60000 } }); };
  </script></body>`;
  const site = await startStatic({ routes: { '/': html(page) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(site.origin + '/');
    await p.waitForFunction(() => window.orig);
    const cdp = await context.newCDPSession(p);
    const count = async () => {
      let total = 0;
      for (const expr of ['window', 'document']) {
        const { result } = await cdp.send('Runtime.evaluate', { expression: expr });
        const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
        total += listeners.length;
      }
      return total;
    };
    const before = await count();
    await p.evaluate(() => window.start());
    await p.waitForFunction(() => window.rum.getSession());
    assert.ok((await count()) > before, 'the agent listens while it runs');
    await p.evaluate(async () => { rum.pushEvent('last-words'); await rum.shutdown(); });
    await collector.waitForItems('events', (e) => e.name === 'last-words');
    assert.equal(await count(), before, 'every listener the agent added is gone');
    const same = await p.evaluate(() => window.fetch === orig.fetch && XMLHttpRequest.prototype.open === orig.open && XMLHttpRequest.prototype.send === orig.send && history.pushState === orig.push);
    assert.equal(same, true, 'fetch, XHR and history are the originals again');
    assert.equal(await p.evaluate(() => fetch('/').then((r) => r.status)), 200);
  } finally {
    await context.close(); await site.stop(); await collector.stop();
  }
});
