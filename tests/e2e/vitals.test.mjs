// The oracle: Google's web-vitals library and our agent in the same page, in headless Chromium.
// For every metric web-vitals reports, we must report the same value, delta, rating and
// navigation type, as many times (FCP/LCP after a bfcache restore may differ by one frame).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser({ ignoreDefaultArgs: ['--disable-back-forward-cache'] }); });
after(async () => { await browser?.close(); });

import { deflateSync } from 'node:zlib';

/** A noisy PNG (Chrome ignores low-entropy images for LCP), made here so the test needs no image file. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  let seed = 42;
  const noise = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; };
  const raw = Buffer.concat(Array.from({ length: height }, () => Buffer.from([0, ...Array.from({ length: width * 3 }, noise)])));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const HERO = png(600, 400);

/**
 * web-vitals' attribution mapped to Faro's keys, written here from Faro's documented mapping
 * (shared/reference/web-vitals.md §4): numbers only when truthy (the INP LoAF totals when
 * defined), strings only when non-empty. Runs in the page, at report time.
 */
const FARO_MAPPING = `
  const faro = (m) => {
    const a = m.attribution || {}, values = {}, context = {};
    const num = (k, x) => { if (x) values[k] = x; };
    const defined = (k, x) => { if (x !== undefined) values[k] = x; };
    const str = (k, x) => { if (x) context[k] = String(x); };
    if (m.name === 'CLS') {
      num('largest_shift_value', a.largestShiftValue); num('largest_shift_time', a.largestShiftTime);
      str('load_state', a.loadState); str('largest_shift_target', a.largestShiftTarget);
    } else if (m.name === 'FCP') {
      num('first_byte_to_fcp', a.firstByteToFCP); num('time_to_first_byte', a.timeToFirstByte);
      str('load_state', a.loadState);
    } else if (m.name === 'INP') {
      num('interaction_time', a.interactionTime); num('presentation_delay', a.presentationDelay);
      num('input_delay', a.inputDelay); num('processing_duration', a.processingDuration);
      num('next_paint_time', a.nextPaintTime);
      defined('total_script_duration', a.totalScriptDuration);
      defined('total_style_and_layout_duration', a.totalStyleAndLayoutDuration);
      defined('total_paint_duration', a.totalPaintDuration);
      defined('total_unattributed_duration', a.totalUnattributedDuration);
      defined('longest_script_intersecting_duration', a.longestScript?.intersectingDuration);
      str('load_state', a.loadState); str('interaction_target', a.interactionTarget);
      str('interaction_type', a.interactionType); str('longest_script_subpart', a.longestScript?.subpart);
      str('longest_script_invoker_type', a.longestScript?.entry?.invokerType);
    } else if (m.name === 'LCP') {
      num('element_render_delay', a.elementRenderDelay); num('resource_load_delay', a.resourceLoadDelay);
      num('resource_load_duration', a.resourceLoadDuration); num('time_to_first_byte', a.timeToFirstByte);
      str('element', a.target);
    } else if (m.name === 'TTFB') {
      num('dns_duration', a.dnsDuration); num('connection_duration', a.connectionDuration);
      num('request_duration', a.requestDuration); num('waiting_duration', a.waitingDuration);
      num('cache_duration', a.cacheDuration);
    }
    return { values, context };
  };`;

/** A page with web-vitals (attribution build) and our agent; `body` and `script` are the scenario. */
function page(collectorUrl, { body = '', script = '', head = '', reportAllChanges = false, reportSoftNavs = true, late = 0 } = {}) {
  // `late`: both libraries load that many ms after the page has painted (imported then).
  const load = late
    ? `await new Promise((r) => setTimeout(r, ${late}));
  const { onLCP, onCLS, onINP, onFCP, onTTFB } = await import('/node_modules/web-vitals/dist/web-vitals.attribution.js');`
    : `import { onLCP, onCLS, onINP, onFCP, onTTFB } from '/node_modules/web-vitals/dist/web-vitals.attribution.js';`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>vitals</title>${head}
<style>body{margin:0;font-family:sans-serif} .box{width:600px;height:100px;background:#eee} button{width:200px;height:60px}</style></head>
<body>${body}
<script type="module">
  ${load}
  window.__wv = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lcp = e; }).observe({ type: 'largest-contentful-paint', buffered: true });
  ${FARO_MAPPING}
  const keep = (m) => window.__wv.push({ name: m.name, value: m.value, delta: m.delta, rating: m.rating, navigationType: m.navigationType, navigationURL: m.navigationURL, id: m.id, faro: faro(m) });
  // Both sides with the same options; our default for reportSoftNavs is web-vitals' true.
  const opts = { reportAllChanges: ${reportAllChanges}, reportSoftNavs: ${reportSoftNavs} };
  onLCP(keep, opts); onCLS(keep, opts); onINP(keep, opts); onFCP(keep, opts); onTTFB(keep, opts);
  const { init } = await import('/pkg/index.js');
  window.rum = init({ url: ${JSON.stringify(collectorUrl)}, app: { name: 'vitals' }, batching: { sendTimeout: 200 }, webVitals: { reportAllChanges: ${reportAllChanges}, reportSoftNavs: ${reportSoftNavs} } });
  window.busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end) {} };
  ${script}
</script></body></html>`;
}

/** Our report's attribution: everything but the metric, delta and the base context keys. */
function ourAttribution(m) {
  const values = { ...m.values };
  for (const k of ['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'delta']) delete values[k];
  const context = { ...m.context };
  for (const k of ['id', 'rating', 'navigation_type', 'navigation_entry_id', 'navigation_url']) delete context[k];
  return { values, context };
}

async function hide(p) {
  await p.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

async function show(p) {
  await p.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: false, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

const metricOf = (m) => ['lcp', 'inp', 'cls', 'fcp', 'ttfb'].find((k) => k in m.values);

/** Runs one scenario: serves `pages`, lets `drive(page, origin)` act, then compares both sides. */
async function scenario({ pages, drive, expect, frameTolerance = [], init }) {
  const collector = await startCollector();
  const routes = {};
  for (const [path, spec] of Object.entries(pages)) {
    routes[path] = async (req, res) => {
      if (spec.delay) await new Promise((r) => setTimeout(r, spec.delay));
      res.writeHead(200, { 'content-type': spec.type || 'text/html', 'cache-control': 'max-age=0' });
      res.end(typeof spec.html === 'function' ? spec.html(collector.url) : spec.html);
    };
  }
  routes['/hero.png'] = (req, res) => { res.writeHead(200, { 'content-type': 'image/png' }); res.end(HERO); };
  const site = await startStatic({ routes });
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  const p = await context.newPage();
  try {
    await drive(p, site.origin);
    const wv = await p.evaluate(() => window.__wv);
    for (const name of expect) assert.ok(wv.some((m) => m.name === name), `web-vitals reported ${name}: ${JSON.stringify(wv)}`);
    const reported = () => collector.items('measurements').filter((m) => m.type === 'web-vitals');
    const ours = await waitFor(() => {
      const got = reported();
      return got.length >= wv.length ? got : null;
    }, { what: `${wv.length} web-vitals reports at the collector`, timeout: 8000 }).catch((e) => {
      const path = (u) => (u ? new URL(u).pathname : '?');
      const theirs = wv.map((m) => `${m.name} ${m.navigationType} ${path(m.navigationURL)} ${m.value}`);
      const mine = reported().map((m) => `${metricOf(m).toUpperCase()} ${m.context.navigation_type} ${path(m.context.navigation_url)} ${m.values[metricOf(m)]}`);
      throw new Error(`${e.message}\nweb-vitals:\n  ${theirs.join('\n  ')}\nours:\n  ${mine.join('\n  ')}`);
    });
    const names = ['FCP', 'LCP', 'CLS', 'INP', 'TTFB'];
    for (const name of names) {
      const theirs = wv.filter((m) => m.name === name);
      const mine = ours.filter((m) => name.toLowerCase() in m.values);
      assert.equal(mine.length, theirs.length, `${name}: ours ${JSON.stringify(mine.map((m) => m.values))} vs web-vitals ${JSON.stringify(theirs)}`);
      theirs.forEach((t, i) => {
        const m = mine[i];
        const v = m.values[name.toLowerCase()];
        if (frameTolerance.includes(name) && t.navigationType === 'back-forward-cache') {
          assert.ok(Math.abs(v - t.value) <= 17, `${name} within one frame: ${v} vs ${t.value}`);
        } else {
          assert.equal(v, t.value, `${name} value`);
          assert.equal(m.values.delta, t.delta, `${name} delta`);
          // The attribution, key for key, as Faro would have sent web-vitals' own.
          assert.deepEqual(ourAttribution(m), t.faro, `${name} attribution`);
        }
        assert.match(m.context.id, /^v6-\d{13}-\d{13}$/, `${name} id`);
        assert.equal(m.context.navigation_entry_id, 'unknown', 'navigation_entry_id as Faro sends it without its navigation id');
        assert.equal(m.context.rating, t.rating, `${name} rating`);
        assert.equal(m.context.navigation_type, t.navigationType, `${name} navigation type`);
        assert.equal(m.context.navigation_url, t.navigationURL, `${name} navigation URL`);
      });
    }
    return { wv, ours, metrics: await collector.metrics() };
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
}

const ready = (p) => p.waitForFunction(() => window.rum && window.rum.getSession() && window.__wv);

test('a text LCP, finalised by a click', async () => {
  const { ours } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<h1 style="font-size:64px">A headline that paints</h1><button id="b">ok</button>' }) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(400);
      await p.click('#b');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  const lcp = ours.find((m) => 'lcp' in m.values);
  assert.equal(lcp.context.element, 'html>body>h1');
  assert.ok(!('resource_load_delay' in lcp.values), 'a text LCP has no resource load delay');
});

test('an image LCP that replaces an earlier text one', async () => {
  const { ours } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<p id="t" style="font-size:30px">Loading the hero…</p><div id="slot"></div>',
      script: `setTimeout(() => { const i = new Image(); i.src = '/hero.png'; i.width = 600; i.height = 400; i.className = 'hero big'; document.getElementById('slot').appendChild(i); }, 300);` }) } },
    expect: ['LCP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForFunction(() => window.__lcp && window.__lcp.url.endsWith('hero.png'));
      await p.waitForTimeout(200);
      // A trusted input finalises LCP (a scripted visibilitychange does not, in either library).
      await p.mouse.click(5, 5);
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  const lcp = ours.find((m) => 'lcp' in m.values);
  assert.equal(lcp.context.element, '#slot>img.big.hero', 'a short selector: stops at the id');
  assert.ok(lcp.values.resource_load_duration > 0, 'an image LCP has a resource load duration');
});

test('layout shifts spread over two session windows', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<div id="top"></div><div class="box">content</div><div class="box">more</div>',
      script: `const top = document.getElementById('top');
        const grow = (h) => { top.style.height = h + 'px'; };
        setTimeout(() => grow(40), 200); setTimeout(() => grow(60), 300);
        setTimeout(() => grow(160), 1800); setTimeout(() => grow(320), 1900); setTimeout(() => { window.shifted = true; }, 2100);` }) } },
    expect: ['CLS'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForFunction(() => window.shifted);
      await hide(p);
    },
  });
  const cls = wv.find((m) => m.name === 'CLS');
  assert.ok(cls.value > 0, `CLS ${cls.value}`);
  assert.ok(cls.faro.context.largest_shift_target && cls.faro.values.largest_shift_value > 0, JSON.stringify(cls.faro));
});

test('shifts right after input are excluded', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<button id="b">expand</button><div id="gap"></div><div class="box">below</div>',
      script: `document.getElementById('b').addEventListener('click', () => { document.getElementById('gap').style.height = '200px'; });` }) } },
    expect: ['CLS'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(200);
      await p.click('#b');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  assert.equal(wv.find((m) => m.name === 'CLS').value, 0, 'the shift after the click counts for nothing');
});

test('several interactions with different handler costs: INP picks the longest', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<button id="a">a</button><button id="b">b</button><button id="c">c</button>',
      script: `document.getElementById('a').onclick = () => busy(60); document.getElementById('b').onclick = () => busy(260); document.getElementById('c').onclick = () => busy(120);` }) } },
    expect: ['INP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      for (const id of ['a', 'b', 'c']) {
        await p.click('#' + id);
        await p.waitForTimeout(150);
      }
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  const inp = wv.find((m) => m.name === 'INP');
  assert.ok(inp.value >= 260, `INP ${inp.value}`);
  assert.equal(inp.faro.context.interaction_target, '#b', 'the 260 ms button');
  assert.equal(inp.faro.context.interaction_type, 'pointer');
  assert.ok(inp.faro.values.processing_duration >= 260, 'the handler cost is processing time');
  // Chromium has Long Animation Frames: the script that held the frame is attributed (and the
  // comparison above checked our LoAF totals against these, key for key).
  assert.ok(inp.faro.values.total_script_duration >= 250, JSON.stringify(inp.faro));
  assert.equal(inp.faro.context.longest_script_subpart, 'processing-duration');
  assert.equal(inp.faro.context.longest_script_invoker_type, 'event-listener');
});

test('a page hidden and shown again reports again what changed', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<div id="top"></div><div class="box">content</div>',
      script: `window.shift = (h) => { document.getElementById('top').style.height = h + 'px'; };` }) } },
    expect: ['CLS', 'FCP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.evaluate(() => window.shift(50));
      await p.waitForTimeout(300);
      await hide(p);
      await p.waitForTimeout(200);
      await show(p);
      await p.evaluate(() => window.shift(150));
      await p.waitForTimeout(300);
      await hide(p);
      await p.waitForTimeout(200);
    },
  });
  assert.equal(wv.filter((m) => m.name === 'CLS').length, 2, 'CLS reported on each hide, the second with the increase');
});

test('a back/forward-cache restore starts new metrics', async () => {
  let persisted = false;
  const { wv } = await scenario({
    pages: {
      '/': { html: (u) => page(u, { body: '<h1 style="font-size:50px">First page</h1><a id="next" href="/next">next</a><button id="b">slow</button>',
        script: `addEventListener('pageshow', (e) => { if (e.persisted) window.restored = true; });
          document.getElementById('b').onclick = () => busy(150);` }) },
      '/next': { html: '<!doctype html><p>next page</p>' },
    },
    expect: ['FCP', 'TTFB'],
    frameTolerance: ['FCP', 'LCP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(300);
      await p.goto(origin + '/next');
      await p.goBack({ waitUntil: 'commit' });
      persisted = await p.waitForFunction(() => window.restored === true, null, { timeout: 5000 }).then(() => true, () => false);
      assert.ok(persisted, 'pageshow with persisted: true (restored from the back/forward cache)');
      await p.waitForFunction(() => window.__wv.some((m) => m.navigationType === 'back-forward-cache' && m.name === 'FCP'));
      await p.waitForTimeout(300);
      // An interaction after the restore belongs to the new INP instance; hiding reports it and CLS.
      await p.click('#b');
      await p.waitForTimeout(1200);
      await hide(p);
    },
  });
  assert.ok(wv.some((m) => m.name === 'TTFB' && m.navigationType === 'back-forward-cache' && m.value === 0));
  assert.ok(wv.some((m) => m.name === 'INP' && m.navigationType === 'back-forward-cache' && m.value >= 150), JSON.stringify(wv.filter((m) => m.name === 'INP')));
  assert.ok(wv.some((m) => m.name === 'CLS' && m.navigationType === 'back-forward-cache'));
  const ids = wv.filter((m) => m.name === 'FCP').map((m) => m.id);
  assert.equal(new Set(ids).size, 2, 'a new FCP instance (new id) after the restore');
});

test('a slow server response shows in TTFB', async () => {
  const { wv } = await scenario({
    pages: { '/': { delay: 900, html: (u) => page(u, { body: '<h1>slow</h1>' }) } },
    expect: ['TTFB'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForFunction(() => window.__wv.some((m) => m.name === 'TTFB'));
      await p.waitForFunction(() => window.__lcp);
      await p.waitForTimeout(200);
      await hide(p);
    },
  });
  const ttfb = wv.find((m) => m.name === 'TTFB');
  assert.ok(ttfb.value >= 900, `TTFB ${ttfb.value}`);
  assert.equal(ttfb.rating, 'needs-improvement');
});

test('reportAllChanges: every LCP candidate and CLS change is reported, as web-vitals does', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { reportAllChanges: true, body: '<p style="font-size:30px">Loading the hero…</p><div id="top"></div><div id="slot"></div>',
      script: `setTimeout(() => { const i = new Image(); i.src = '/hero.png'; i.width = 600; i.height = 400; document.getElementById('slot').appendChild(i); }, 300);` }) } },
    expect: ['LCP', 'CLS', 'FCP', 'TTFB'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForFunction(() => window.__lcp && window.__lcp.url.endsWith('hero.png'));
      await p.waitForFunction(() => window.__wv.some((m) => m.name === 'CLS'));
      await p.evaluate(() => { document.getElementById('top').style.height = '80px'; });
      await p.waitForTimeout(300);
      await p.mouse.click(5, 5);
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  assert.ok(wv.filter((m) => m.name === 'LCP').length >= 2, `text then image LCP: ${JSON.stringify(wv.filter((m) => m.name === 'LCP'))}`);
  assert.ok(wv.filter((m) => m.name === 'CLS').length >= 2, 'the early CLS 0, then the shift');
});

test('a light first tap still gives INP (through first-input)', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<button id="b">tap</button>' }) } },
    expect: ['INP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(200);
      await p.click('#b');
      // Entries are processed in an idle callback (at most 1 s away); a hide before that
      // finds them already taken from the observer and reports nothing, in both libraries.
      await p.waitForTimeout(1200);
      await hide(p);
    },
  });
  const inp = wv.find((m) => m.name === 'INP');
  assert.ok(inp.value < 40, `INP ${inp.value}: below the 40 ms event threshold`);
});

test('keyboard interactions are attributed as keyboard', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { body: '<input id="field" style="width:300px;height:40px">',
      script: `document.getElementById('field').addEventListener('keydown', () => busy(90));` }) } },
    expect: ['INP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(200);
      await p.focus('#field');
      await p.keyboard.press('a');
      await p.waitForTimeout(1200);
      await hide(p);
    },
  });
  const inp = wv.find((m) => m.name === 'INP');
  assert.ok(inp.value < 200, `INP ${inp.value}`);
  assert.equal(inp.faro.context.interaction_type, 'keyboard');
});

test('a page hidden at load reports no FCP and no LCP, as web-vitals does', async () => {
  const collector = await startCollector();
  const site = await startStatic({ routes: { '/': (req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page(collector.url, { body: '<h1>hidden</h1>' })); } } });
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
  });
  const p = await context.newPage();
  try {
    await p.goto(site.origin + '/');
    await ready(p);
    await p.waitForFunction(() => window.__wv.some((m) => m.name === 'TTFB'));
    await p.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await p.waitForTimeout(500);
    const wv = await p.evaluate(() => window.__wv);
    assert.ok(!wv.some((m) => m.name === 'FCP' || m.name === 'LCP'), 'web-vitals reports neither');
    await collector.waitForItems('measurements', (m) => 'ttfb' in m.values);
    const ours = collector.items('measurements');
    assert.ok(!ours.some((m) => 'fcp' in m.values || 'lcp' in m.values), `we report neither: ${JSON.stringify(ours.map((m) => m.values))}`);
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
});

// A single-page app's route change: a click that pushes a URL and paints new content is a soft
// navigation (Chromium's Soft Navigation API); web-vitals with reportSoftNavs finalises the page's
// metrics and starts the route's. Ours must report the same, each with the URL it measures.
const SPA = {
  body: '<h1 style="font-size:64px">Home page headline</h1><button id="go">cart</button><main id="m"></main>',
  script: `document.getElementById('go').addEventListener('click', () => {
    history.pushState({}, '', '/cart');
    document.getElementById('m').innerHTML = '<h2 style="font-size:56px">The cart route paints this</h2><p id="p">and a line more</p>';
  });`,
};

async function softNavigate(p, origin, { soft = true } = {}) {
  await p.goto(origin + '/');
  await ready(p);
  await p.waitForTimeout(400);
  await p.click('#go');
  await p.waitForFunction(() => performance.getEntriesByType('soft-navigation').length > 0, null, { timeout: 5000 });
  if (soft) await p.waitForFunction(() => window.__wv.some((m) => m.navigationType === 'soft-navigation' && m.name === 'FCP'));
  await p.waitForTimeout(300);
  await p.click('#p'); // finalises the route's LCP, and is an interaction of the route
  await p.waitForTimeout(300);
  await hide(p);
}

test('soft navigation: the page metrics end at the route change and the route gets its own, as web-vitals reportSoftNavs', async () => {
  const supported = await (async () => {
    const c = await browser.newContext(); const p = await c.newPage();
    try { return await p.evaluate(() => PerformanceObserver.supportedEntryTypes.includes('soft-navigation') && typeof PerformanceSoftNavigation?.prototype?.getLargestInteractionContentfulPaint === 'function'); } finally { await c.close(); }
  })();
  assert.ok(supported, 'this Chromium has soft-navigation entries (the machines install 156)');
  let origin;
  const { wv, ours } = await scenario({
    pages: { '/': { html: (u) => page(u, SPA) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS', 'INP'],
    drive: async (p, o) => { origin = o; await softNavigate(p, o); },
  });
  const soft = ours.filter((m) => m.context.navigation_type === 'soft-navigation');
  const names = (list) => list.map((m) => ['lcp', 'inp', 'cls', 'fcp', 'ttfb'].find((k) => k in m.values)).sort();
  assert.deepEqual(names(soft), ['cls', 'fcp', 'inp', 'lcp', 'ttfb'], `the route's five metrics: ${JSON.stringify(soft.map((m) => m.values))}`);
  assert.ok(soft.every((m) => m.context.navigation_url === `${origin}/cart`), 'each names the route');
  assert.equal(soft.find((m) => 'ttfb' in m.values).values.ttfb, 0, 'a soft navigation has no first byte');
  const hard = ours.filter((m) => m.context.navigation_type === 'navigate');
  assert.ok(hard.some((m) => 'lcp' in m.values), 'the page LCP is final at the route change');
  assert.ok(hard.every((m) => m.context.navigation_url === `${origin}/`), 'the page metrics keep the page URL');
  assert.equal(new Set(soft.map((m) => m.context.id)).size, 5, 'new ids');
  assert.ok(wv.filter((m) => m.navigationType === 'soft-navigation').length === soft.length);
});

test('soft navigation with reportSoftNavs off: one set of metrics for the whole page, as before', async () => {
  const { ours } = await scenario({
    pages: { '/': { html: (u) => page(u, { ...SPA, reportSoftNavs: false }) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS', 'INP'],
    drive: (p, o) => softNavigate(p, o, { soft: false }),
  });
  assert.ok(ours.every((m) => m.context.navigation_type === 'navigate'), JSON.stringify(ours.map((m) => m.context.navigation_type)));
});

// The three CLS cases where we once differed from web-vitals (found with its own test pages).
const HIDDEN_AT_LOAD = () => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  Object.defineProperty(document, 'hidden', { value: true, configurable: true });
};

test('CLS with libraries loaded after the page painted and reportAllChanges: one report, with the buffered shift', async () => {
  const { wv } = await scenario({
    pages: { '/': { html: (u) => page(u, { late: 1200, reportAllChanges: true,
      head: `<script>addEventListener('load', () => setTimeout(() => { document.getElementById('top').style.height = '40px'; }, 100));</script>`,
      body: '<div id="top"></div><h1 style="font-size:40px">Painted before the agent</h1><div class="box">content</div>' }) } },
    expect: ['CLS', 'FCP'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForFunction(() => window.__wv.some((m) => m.name === 'CLS'));
      await p.waitForTimeout(300);
      await hide(p);
      await p.waitForTimeout(200);
    },
  });
  const cls = wv.filter((m) => m.name === 'CLS');
  assert.equal(cls.length, 1, `web-vitals reports CLS once: ${JSON.stringify(cls)}`);
  assert.ok(cls[0].value > 0, 'with the shift made before the libraries loaded');
});

/** A page that moves its content 300 ms after a back/forward-cache restore, with `body`. */
function restoredShift(body, onRestore = '') {
  return {
    '/': { html: (u) => page(u, { body: `<div id="top"></div>${body}`,
      script: `addEventListener('pageshow', (e) => { if (!e.persisted) return; window.restored = true; ${onRestore}
        setTimeout(() => { document.getElementById('top').style.height = '60px'; }, 300); });` }) },
    '/next': { html: '<!doctype html><p>next page</p>' },
  };
}

async function leaveAndRestore(p, origin, { paintedAtLoad = true } = {}) {
  await p.goto(origin + '/');
  await ready(p);
  await p.waitForFunction(() => window.__wv.some((m) => m.name === 'TTFB'));
  if (paintedAtLoad) await p.waitForFunction(() => window.__lcp);
  await p.goto(origin + '/next');
  await p.goBack({ waitUntil: 'commit' });
  const persisted = await p.waitForFunction(() => window.restored === true, null, { timeout: 5000 }).then(() => true, () => false);
  assert.ok(persisted, 'restored from the back/forward cache');
  await p.waitForFunction(() => window.__wv.some((m) => m.navigationType === 'back-forward-cache' && m.name === 'FCP'));
  await p.waitForFunction(() => document.getElementById('top').offsetHeight === 60);
  await p.waitForTimeout(300);
  await hide(p);
}

test('CLS of a page hidden at load and restored from the back/forward cache starts with the restored FCP', async () => {
  const { wv, ours } = await scenario({
    init: HIDDEN_AT_LOAD,
    pages: restoredShift('<h1 style="font-size:50px">Hidden at load</h1><div class="box">content</div>'),
    expect: ['CLS', 'FCP'],
    frameTolerance: ['FCP', 'LCP'],
    drive: (p, origin) => leaveAndRestore(p, origin, { paintedAtLoad: false }),
  });
  const cls = wv.filter((m) => m.name === 'CLS');
  assert.deepEqual(cls.map((m) => m.navigationType), ['back-forward-cache'], JSON.stringify(cls));
  assert.ok(cls[0].value > 0, 'the shift after the restore');
  assert.ok(ours.some((m) => 'cls' in m.values && m.context.navigation_type === 'back-forward-cache'));
});

test('CLS of a page whose first contentful paint comes after a restore is a back-forward-cache metric', async () => {
  const { wv } = await scenario({
    pages: restoredShift('<div id="c"></div>',
      `document.getElementById('c').innerHTML = '<h1 style="font-size:50px">Painted after the restore</h1><div class="box">content</div>';`),
    expect: ['CLS', 'FCP'],
    frameTolerance: ['FCP', 'LCP'],
    drive: (p, origin) => leaveAndRestore(p, origin, { paintedAtLoad: false }),
  });
  const cls = wv.filter((m) => m.name === 'CLS');
  assert.ok(cls.length >= 1 && cls.every((m) => m.navigationType === 'back-forward-cache'), JSON.stringify(cls));
});

// More single-page-app journeys, each compared with web-vitals reportSoftNavs as above.
const ROUTED = {
  body: `<h1 style="font-size:64px">Home page headline</h1><nav><button id="a">one</button><button id="b">two</button><button id="back">back</button><button id="silent">silent</button></nav><main id="m"></main>`,
  script: `const m = document.getElementById('m');
    const go = (path, html) => { history.pushState({}, '', path); m.innerHTML = html; };
    document.getElementById('a').onclick = () => go('/product/1', '<h2 style="font-size:56px">Product one is a text route</h2><div id="gap"></div><p id="p1">details</p><button id="heavy">add to cart</button>');
    document.getElementById('b').onclick = () => go('/product/2', '<img id="hero" src="/hero.png" width="600" height="400"><p id="p2">details</p>');
    document.getElementById('back').onclick = () => history.back();
    document.getElementById('silent').onclick = () => history.pushState({}, '', '/silent');
    addEventListener('popstate', () => { m.innerHTML = '<h2 style="font-size:48px">Home again, painted by popstate</h2><p id="p0">welcome back</p>'; });
    addEventListener('click', (e) => { if (e.target.id === 'heavy') busy(160); });`,
};

const softFcp = (p, path) => p.waitForFunction((path) => window.__wv.some((m) => m.navigationType === 'soft-navigation' && m.name === 'FCP' && new URL(m.navigationURL).pathname === path), path, { timeout: 5000 });
/** Loads the routed page and clicks its first route: the soft navigation to /product/1. */
async function toProductOne(p, origin) {
  await p.goto(origin + '/');
  await ready(p);
  await p.waitForTimeout(400);
  await p.click('#a');
  await softFcp(p, '/product/1');
}

const soft = (list, path) => list.filter((m) => m.context.navigation_type === 'soft-navigation' && new URL(m.context.navigation_url).pathname === path);

test('two route changes, an image LCP on the second: each route its own metrics, through the collector by route', async () => {
  const { ours, metrics } = await scenario({
    pages: { '/': { html: (u) => page(u, ROUTED) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS'],
    drive: async (p, origin) => {
      await toProductOne(p, origin);
      await p.waitForTimeout(300);
      await p.click('#b');
      await softFcp(p, '/product/2');
      await p.waitForFunction(() => document.getElementById('hero')?.complete);
      await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await p.waitForTimeout(300);
      await p.click('#p2');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  for (const path of ['/product/1', '/product/2']) {
    assert.deepEqual(soft(ours, path).map(metricOf).sort(), ['cls', 'fcp', 'inp', 'lcp', 'ttfb'], `${path}: ${JSON.stringify(soft(ours, path).map((m) => m.values))}`);
  }
  const lcp2 = soft(ours, '/product/2').find((m) => 'lcp' in m.values);
  assert.equal(lcp2.context.element, '#hero', `the second route's LCP is its image: ${JSON.stringify(lcp2)}`);
  // Prometheus, as the collector exposes it: the two product routes are one templated page.
  const count = (page, type) => metrics.split('\n')
    .filter((l) => l.startsWith('web_vitals_seconds_count{') && l.includes('metric="lcp"') && l.includes(`page="${page}"`) && l.includes(`navigation_type="${type}"`))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  assert.equal(count('/product/:id', 'soft-navigation'), 2, metrics.split('\n').filter((l) => l.startsWith('web_vitals_seconds_count')).join('\n'));
  assert.equal(count('/', 'navigate'), 1);
});

test('interactions and a layout shift after a route change belong to the route', async () => {
  const { ours } = await scenario({
    pages: { '/': { html: (u) => page(u, ROUTED) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS', 'INP'],
    drive: async (p, origin) => {
      await toProductOne(p, origin);
      // A shift 700 ms after the click (not "recent input"), then a slow and a light tap.
      await p.evaluate(() => new Promise((r) => setTimeout(() => { document.getElementById('gap').style.height = '80px'; r(); }, 700)));
      await p.waitForTimeout(300);
      await p.click('#heavy');
      await p.waitForTimeout(300);
      await p.click('#p1');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  const route = soft(ours, '/product/1');
  const cls = route.find((m) => 'cls' in m.values);
  const inp = route.find((m) => 'inp' in m.values);
  assert.ok(cls && cls.values.cls > 0, `the route's CLS has the shift: ${JSON.stringify(route.map((m) => m.values))}`);
  assert.ok(inp && inp.values.inp >= 160, `the route's INP is the slow tap: ${JSON.stringify(inp)}`);
  const before = ours.filter((m) => m.context.navigation_type === 'navigate');
  assert.ok(!before.some((m) => 'cls' in m.values && m.values.cls > 0), 'the page before the route had no shift');
});

test('a history.back() that repaints is measured as web-vitals measures it', async () => {
  const { wv, ours } = await scenario({
    pages: { '/': { html: (u) => page(u, ROUTED) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS'],
    drive: async (p, origin) => {
      await toProductOne(p, origin);
      await p.waitForTimeout(300);
      await p.click('#back');
      await p.waitForFunction(() => location.pathname === '/' && document.getElementById('p0'));
      await p.waitForTimeout(500);
      await p.click('#p0');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  const back = wv.filter((m) => m.navigationType === 'soft-navigation' && new URL(m.navigationURL).pathname === '/');
  assert.equal(soft(ours, '/').length, back.length, 'the way back: as many metrics as web-vitals');
  assert.ok(soft(ours, '/product/1').length >= 4, 'the route before it');
});

test('a pushState with no paint, or with no user input, is no soft navigation: neither side starts metrics', async () => {
  const { wv, ours } = await scenario({
    pages: { '/': { html: (u) => page(u, { ...ROUTED, script: ROUTED.script + `
      setTimeout(() => { history.pushState({}, '', '/auto'); m.innerHTML = '<h2 style="font-size:56px">Painted by a timer</h2>'; }, 1500);` }) } },
    expect: ['FCP', 'LCP', 'TTFB', 'CLS'],
    drive: async (p, origin) => {
      await p.goto(origin + '/');
      await ready(p);
      await p.waitForTimeout(400);
      await p.click('#silent');
      await p.waitForFunction(() => location.pathname === '/auto', null, { timeout: 5000 });
      await p.waitForTimeout(500);
      await p.click('h1');
      await p.waitForTimeout(300);
      await hide(p);
    },
  });
  assert.equal(wv.filter((m) => m.navigationType === 'soft-navigation').length, 0, JSON.stringify(wv));
  assert.equal(ours.filter((m) => m.context.navigation_type === 'soft-navigation').length, 0);
  assert.ok(ours.every((m) => new URL(m.context.navigation_url).pathname === '/'), 'every metric measures the page');
});
