// examples/react-app, installed the way a user installs wasm-rum (the npm pack tarball of pkg/),
// type-checked, built with Vite, and loaded in Chromium: its vitals, its errors (thrown and from
// the error boundary), its traced API calls and its route changes reach the collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCollector, startStatic, launchBrowser, waitFor } from './harness.mjs';

const APP = join(ROOT, 'examples', 'react-app');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

test('the React example builds from the packed tarball and reports to the collector', { timeout: 240000 }, async () => {
  const packs = mkdtempSync(join(tmpdir(), 'wasm-rum-pack-'));
  run('npm', ['pack', join(ROOT, 'pkg'), '--pack-destination', packs], ROOT);
  const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz')));
  if (!existsSync(join(APP, 'node_modules', 'vite'))) run('npm', ['ci', '--no-audit', '--no-fund'], APP);
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', tarball], APP);
  rmSync(packs, { recursive: true, force: true });
  run('npx', ['tsc', '--noEmit'], APP);
  run('npx', ['vite', 'build', '--logLevel', 'error'], APP);

  const collector = await startCollector();
  const dist = join(APP, 'dist');
  const index = (req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(readFileSync(join(dist, 'index.html'))); };
  const site = await startStatic({ root: dist, routes: { '/': index, '/about': index } });
  const apiLog = join(collector.dir, 'api.jsonl');
  const api = spawn(join(ROOT, 'target', 'debug', 'demo-api'), ['--listen', '127.0.0.1:0', '--allow-origin', site.origin, '--log-file', apiLog], { stdio: ['ignore', 'pipe', 'ignore'] });
  const apiOrigin = await new Promise((resolve) => api.stdout.on('data', (d) => { const m = /listening on (http:\/\/[\d.:]+)/.exec(String(d)); if (m) resolve(m[1]); }));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const sent = [];
    page.on('request', (r) => { if (r.url().startsWith(apiOrigin)) sent.push(r.headers().traceparent); });
    await page.goto(`${site.origin}/?collector=${encodeURIComponent(collector.url)}&api=${encodeURIComponent(apiOrigin)}`);
    await page.waitForSelector('#slow');
    await page.waitForTimeout(800);
    for (const id of ['slow', 'api', 'throw', 'about', 'break']) {
      await page.click('#' + id);
      await page.waitForTimeout(400);
    }
    await page.evaluate(() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); });

    await collector.waitForItems('events', (e) => e.name === 'app_start');
    const vitals = await waitFor(() => {
      const v = collector.items('measurements').filter((m) => m.type === 'web-vitals');
      return ['fcp', 'ttfb', 'lcp', 'inp', 'cls'].every((k) => v.some((m) => k in m.values)) && v;
    }, { what: 'all five web vitals' });
    assert.ok(vitals.find((m) => 'inp' in m.values).values.inp >= 300, 'INP includes the 300 ms handler');
    const [thrown] = await collector.waitForItems('exceptions', (e) => e.value === 'button handler failed');
    assert.equal(thrown.type, 'TypeError');
    assert.ok(thrown.stacktrace.frames.length > 0);
    const [boundary] = await collector.waitForItems('exceptions', (e) => e.value === 'render failed in <Broken>');
    assert.equal(boundary.context.boundary, 'App');
    assert.match(boundary.context.componentStack, /\n\s+at \S+ \(http/, 'the component stack travels as context (minified names in a production build)');
    assert.equal(boundary.meta.view.name, 'about', 'the view follows the route');
    assert.equal(new URL(boundary.meta.page.url).pathname, '/about', 'errors carry the route they happened on');
    // The client-side route change is a soft navigation (Chromium): the route gets its own vitals.
    const soft = await waitFor(() => collector.items('measurements').find((m) => m.type === 'web-vitals' && m.context.navigation_type === 'soft-navigation' && 'fcp' in m.values), { what: "the /about route's soft-navigation FCP" });
    assert.equal(new URL(soft.context.navigation_url).pathname, '/about');
    assert.ok(sent.length > 0 && sent.every(Boolean), 'the API call carried a traceparent');
    const trace = sent[0].split('-')[1];
    await waitFor(() => collector.spans().some((s) => s.traceId === trace), { what: 'the API span' });
    await waitFor(() => existsSync(apiLog) && readFileSync(apiLog, 'utf8').includes(trace), { what: 'the trace id in the API log' });
  } finally {
    await browser.close();
    api.kill();
    await site.stop();
    await collector.stop();
  }
});
