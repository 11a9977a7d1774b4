// The collector takes what the real Grafana Faro Web SDK sends: every post gets 202 and becomes
// log lines and series, so a payload our collector accepts is one Alloy accepts and vice versa.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, html, waitFor, metricValue } from './harness.mjs';

test('the real @grafana/faro-web-sdk posts to the collector: 202s, log lines and series', async () => {
  const collector = await startCollector();
  const page = (c) => `<!doctype html><html><head><meta charset="utf-8"></head><body><h1>Faro page</h1>
<script src="/node_modules/@grafana/faro-web-sdk/dist/bundle/faro-web-sdk.iife.js"></script>
<script>
  const { initializeFaro, LogLevel } = window.GrafanaFaroWebSdk;
  const faro = initializeFaro({ url: ${JSON.stringify(c.url)}, app: { name: 'faro-app', version: '9.9.9', environment: 'test' } });
  faro.api.pushLog(['hello from faro'], { level: LogLevel.WARN, context: { feature: 'cart' } });
  faro.api.pushEvent('added_to_cart', { sku: 'A-1' });
  faro.api.pushMeasurement({ type: 'custom', values: { cart_total: 42.5 } });
  faro.api.pushError(new TypeError('faro boom'));
  window.faroReady = true;
</script></body></html>`;
  const site = await startStatic({ routes: { '/': html(() => page(collector)) } });
  const browser = await launchBrowser();
  try {
    const p = await browser.newPage();
    const statuses = [];
    p.on('response', (r) => { if (r.url().startsWith(collector.url) && r.request().method() === 'POST') statuses.push(r.status()); });
    await p.goto(`${site.origin}/`);
    await p.waitForFunction(() => window.faroReady);
    await p.waitForLoadState('load');
    await new Promise((r) => setTimeout(r, 300));
    // Hide the page the way Faro and web-vitals observe it, so final web vitals are sent.
    await p.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const [log] = await collector.waitForItems('logs', (l) => l.message === 'hello from faro', { timeout: 15000 });
    assert.equal(log.level, 'warn');
    await collector.waitForItems('exceptions', (e) => e.value === 'faro boom');
    await collector.waitForItems('events', (e) => e.name === 'added_to_cart');
    await collector.waitForItems('measurements', (m) => m.type === 'web-vitals' && 'fcp' in m.values, { timeout: 15000 });
    assert.ok(statuses.length > 0, 'Faro posted');
    assert.ok(statuses.every((s) => s === 202), `every Faro post answered 202, got ${statuses}`);
    const lines = await waitFor(() => {
      const l = collector.logs();
      return ['log', 'exception', 'event', 'measurement'].every((k) => l.some((x) => x.kind === k && x.app_name === 'faro-app')) && l;
    }, { what: 'a log line of each kind' });
    const ex = lines.find((l) => l.kind === 'exception');
    assert.equal(ex.type, 'TypeError');
    assert.equal(ex.value, 'faro boom');
    assert.match(ex.stacktrace, /TypeError: faro boom/);
    assert.equal(ex.sdk_name, 'faro-web', 'the meta keys follow each line');
    const metrics = await collector.metrics();
    assert.equal(metricValue(metrics, 'web_vitals_seconds_count', { app: 'faro-app', metric: 'fcp' }), 1);
    assert.equal(metricValue(metrics, 'rum_exceptions_total', { app: 'faro-app', type: 'TypeError' }), 1);
    assert.equal(metricValue(metrics, 'rum_events_total', { app: 'faro-app', name: 'added_to_cart' }), 1);
  } finally {
    await browser.close();
    await site.stop();
    await collector.stop();
  }
});
