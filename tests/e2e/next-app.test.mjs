// examples/next-app (App Router, instrumentation-client.ts, a module-level init() imported by a
// client component), installed from the packed tarball, built with `next build` offline and served
// by `next start`: the build prerenders the page in Node (where init() must be a no-op; it used to
// fail with "addEventListener is not defined"), and in Chromium its vitals, an error and a traced
// fetch reach the collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCollector, launchBrowser, waitFor } from './harness.mjs';

const APP = join(ROOT, 'examples', 'next-app');
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const run = (cmd, args, env = ENV) => execFileSync(cmd, args, { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

test('the Next.js example builds offline (a module-level init() in a client module), starts, and reports to the collector', { timeout: 420000 }, async () => {
  const packs = mkdtempSync(join(tmpdir(), 'wasm-rum-pack-'));
  run('npm', ['pack', join(ROOT, 'pkg'), '--pack-destination', packs]);
  const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz')));
  if (!existsSync(join(APP, 'node_modules', 'next'))) run('npm', ['ci', '--no-audit', '--no-fund']);
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', tarball]);
  rmSync(packs, { recursive: true, force: true });

  const collector = await startCollector();
  let server;
  const browser = await launchBrowser();
  try {
    // The collector URL is inlined at build time (NEXT_PUBLIC_*). A build error throws here with its output.
    let built;
    try {
      built = run('npx', ['next', 'build'], { ...ENV, NEXT_PUBLIC_RUM_URL: collector.url });
    } catch (e) {
      assert.fail(`next build failed:\n${e.stdout}\n${e.stderr}`);
    }
    assert.match(built, /Generating static pages/, 'the page was prerendered on the server');

    const port = await freePort();
    server = spawn('npx', ['next', 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: APP, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(origin + '/')).ok, { timeout: 60000, what: 'next start' });

    const page = await browser.newPage();
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
    const traceparents = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/hello')) traceparents.push(r.headers().traceparent); });
    await page.goto(origin + '/');
    await collector.waitForItems('events', (e) => e.name === 'app_start', { timeout: 20000 });
    await page.click('#api');
    await page.waitForFunction(() => document.getElementById('answer').textContent.includes('world'));
    await page.click('#throw');
    await page.click('#caught');
    await page.evaluate(() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); });

    const vitals = await waitFor(() => {
      const v = collector.items('measurements').filter((m) => m.type === 'web-vitals');
      return ['fcp', 'ttfb', 'lcp', 'inp', 'cls'].every((k) => v.some((m) => k in m.values)) && v;
    }, { what: 'all five web vitals', timeout: 20000 });
    assert.equal(vitals[0].meta.app.name, 'next-example');
    const [thrown] = await collector.waitForItems('exceptions', (e) => e.value === 'next button handler failed');
    assert.equal(thrown.type, 'TypeError');
    assert.ok(thrown.stacktrace.frames.length > 0, 'with a parsed stack');
    await collector.waitForItems('exceptions', (e) => e.value === 'caught in a component');

    assert.equal(traceparents.length, 1);
    assert.match(traceparents[0], /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the same-origin call carried a traceparent');
    const answer = JSON.parse(await page.textContent('#answer'));
    assert.equal(answer.traceparent, traceparents[0], 'the route handler received it');
    const span = await waitFor(() => collector.spans().find((s) => s.traceId === traceparents[0].split('-')[1]), { what: 'the fetch span' });
    assert.match(span.attributes.find((a) => a.key === 'url.full').value.stringValue, /\/api\/hello$/);
    assert.deepEqual(warnings.filter((w) => w.startsWith('wasm-rum:')), [], 'no warning from the agent');
  } finally {
    await browser.close();
    if (server && server.exitCode === null) {
      // npx starts next in a process group of its own (detached): end that group.
      process.kill(-server.pid, 'SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    await collector.stop();
  }
});
