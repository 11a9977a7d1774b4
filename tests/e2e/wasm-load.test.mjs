// When the .wasm URL does not answer with WebAssembly (a dev server's HTML fallback, as `vite dev`
// on Vite 7 gives without optimizeDeps.exclude, or a 404), the page sees one console.warn naming
// what came back, from which URL, and the fix; the page itself carries on unharmed. A real .wasm
// served with the wrong content-type still starts, with no warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// What Vite's dev server answers for a path it has no file for: its index.html, 200.
const VITE_FALLBACK = '<!doctype html>\n<html lang="en"><head><script type="module" src="/@vite/client"></script></head><body><div id="root"></div></body></html>\n';

// After init(): the page's own work goes on (its fetch, its handlers), and every handle method
// is called; `done` is set once the agent has given up or started (flush() settles then).
const PAGE_WORK = `
window.seen = [];
addEventListener('error', (e) => seen.push('error: ' + e.message));
addEventListener('unhandledrejection', (e) => seen.push('rejection: ' + String(e.reason && e.reason.message || e.reason)));
rum.pushEvent('clicked', { id: '1' });
rum.pushLog('hello');
rum.setView({ name: 'home' });
await rum.flush();
window.pong = await (await fetch('/ping')).text();
document.body.dataset.ready = 'yes';
window.done = true;
`;

async function load(wasmRoute) {
  const collector = await startCollector();
  const page = agentPage({ config: { url: collector.url, app: { name: 'shop' }, batching: { sendTimeout: 0 } }, body: '<p>shop</p>', after: PAGE_WORK });
  const site = await startStatic({
    routes: {
      '/': html(page),
      '/ping': (req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('pong'); },
      // So that the only console errors are the ones under test (Chromium logs a 404 favicon).
      '/favicon.ico': (req, res) => { res.writeHead(204); res.end(); },
      '/pkg/wasm_rum_bg.wasm': wasmRoute,
    },
  });
  const context = await browser.newContext();
  const p = await context.newPage();
  const console = [];
  p.on('console', (m) => console.push({ type: m.type(), text: m.text() }));
  const pageErrors = [];
  p.on('pageerror', (e) => pageErrors.push(e.message));
  await p.goto(site.origin + '/');
  await p.waitForFunction(() => window.done === true);
  return {
    collector, site, page: p, console, pageErrors,
    async close() { await context.close(); await site.stop(); await collector.stop(); },
  };
}

async function assertUnharmed(s) {
  assert.deepEqual(s.pageErrors, [], 'nothing thrown into the page');
  assert.deepEqual(await s.page.evaluate(() => window.seen), [], 'no error or rejection reached the page');
  assert.equal(await s.page.evaluate(() => window.pong), 'pong', "the page's fetch works");
  assert.equal(await s.page.evaluate(() => document.body.dataset.ready), 'yes');
  assert.equal(await s.page.evaluate(() => rum.getSession()), null);
  assert.equal(await s.page.evaluate(async () => { await rum.shutdown(); return 'ok'; }), 'ok');
}

const cases = [
  ['an HTML page (200, text/html: a dev server fallback)', (req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(VITE_FALLBACK); }, 'answered 200 text/html (HTML), not wasm'],
  ['a 404 (text/plain)', (req, res) => { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); }, 'answered 404 text/plain, not wasm'],
  ['an HTML page with no content-type', (req, res) => { res.writeHead(200); res.end(VITE_FALLBACK); }, 'answered 200 no content-type (HTML), not wasm'],
];

for (const [name, route, what] of cases) {
  test(`a .wasm URL answering ${name}: one warning naming it, the URL and the fix; the page is unharmed`, async () => {
    const s = await load(route);
    try {
      const ours = await waitFor(() => { const w = s.console.filter((m) => m.text.startsWith('wasm-rum:')); return w.length && w; }, { what: 'the warning' });
      assert.equal(ours.length, 1, `one wasm-rum line: ${JSON.stringify(ours)}`);
      assert.equal(ours[0].type, 'warning');
      assert.equal(ours[0].text, `wasm-rum: the agent could not start and is off for this page: ${s.site.origin}/pkg/wasm_rum_bg.wasm ${what}. `
        + "Vite dev: optimizeDeps: { exclude: ['wasm-rum'] }, or init({ wasmUrl }) with import wasmUrl from 'wasm-rum/wasm_rum_bg.wasm?url'");
      const noise = s.console.filter((m) => m.type === 'warning' || /magic word|MIME|instantiate/i.test(m.text));
      assert.deepEqual(noise, ours, 'no other warning (no MIME-type or "magic word" message)');
      await assertUnharmed(s);
      assert.equal(s.collector.requests().length, 0, 'nothing was sent');
    } finally {
      await s.close();
    }
  });
}

test('a real .wasm served as application/octet-stream starts the agent with no warning', async () => {
  const wasm = readFileSync(join(ROOT, 'pkg', 'wasm_rum_bg.wasm'));
  const s = await load((req, res) => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(wasm); });
  try {
    await s.collector.waitForItems('events', (e) => e.name === 'clicked');
    assert.ok(await s.page.evaluate(() => rum.getSession()?.id), 'the agent runs');
    assert.deepEqual(s.console.filter((m) => m.type === 'warning' || m.type === 'error'), []);
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
  }
});
