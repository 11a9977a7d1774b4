// Size caps: a 1 MiB log message and a 1 MiB error message arrive cut to 8 192 UTF-8 bytes
// with the `…[truncated]` suffix, an item over 32 KiB loses its last attributes, and the rest
// of their batch arrives with them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const SUFFIX = '…[truncated]';
const bytes = (s) => Buffer.byteLength(s, 'utf8');

for (const transport of ['beacon', 'fetch']) {
  test(`${transport}: 1 MiB messages arrive truncated, a 32 KiB item loses its last attributes, and the rest of the batch arrives`, async () => {
    const collector = await startCollector();
    const config = { url: collector.url, app: { name: 'shop' }, transport, batching: { sendTimeout: 60000 } };
    const site = await startStatic({
      routes: {
        '/': html(() => agentPage({
          config,
          after: `
            const mib = 'é'.repeat(1 << 19);
            for (let i = 0; i < 5; i++) rum.pushEvent('before', {i});
            rum.pushLog('L' + mib, {level: 'warn', context: {note: 'x'.repeat(1 << 20)}});
            rum.pushError(new Error('E' + mib));
            const wide = {};
            for (let i = 0; i < 100; i++) wide['a' + i] = 'v'.repeat(1000);
            rum.pushEvent('wide', wide);
            for (let i = 0; i < 5; i++) rum.pushEvent('after', {i});
            await rum.flush();`,
        })),
      },
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${site.origin}/`);
      const [log] = await collector.waitForItems('logs', (l) => l.message.startsWith('L'));
      assert.ok(log.message.endsWith(SUFFIX), 'the log message ends with the suffix');
      assert.ok(bytes(log.message) <= 8192 && bytes(log.message) > 8150, `log message is ${bytes(log.message)} bytes`);
      assert.equal(log.message, 'L' + 'é'.repeat(4088) + SUFFIX, 'cut on a character boundary');
      assert.equal(log.level, 'warn');
      assert.ok(log.context.note.endsWith(SUFFIX) && bytes(log.context.note) <= 8192, 'context values are capped too');
      const [error] = await collector.waitForItems('exceptions', (e) => e.value.startsWith('E'));
      assert.ok(error.value.endsWith(SUFFIX));
      assert.ok(bytes(error.value) <= 8192, `error message is ${bytes(error.value)} bytes`);
      assert.ok(error.stacktrace.frames.length > 0, 'the stack still has its frames');
      const [wide] = await collector.waitForItems('events', (e) => e.name === 'wide');
      const keys = Object.keys(wide.attributes).map((k) => Number(k.slice(1))).sort((a, b) => a - b);
      assert.ok(keys.length >= 25 && keys.length < 100, `${keys.length} of 100 attributes kept`);
      assert.deepEqual(keys, Array.from({ length: keys.length }, (_, i) => i), 'the first ones kept, the last ones dropped');
      const rest = await collector.waitForItems('events', (e) => e.name === 'before' || e.name === 'after', { count: 10 });
      assert.equal(rest.length, 10);
      // The shrunk item is reported once the collector has answered, with the next batch.
      const report = await waitFor(async () => {
        await page.evaluate(() => rum.flush());
        return collector.items('events').find((e) => e.name === 'wasm-rum.items_dropped' && e.attributes.reason === 'oversize');
      }, { what: 'the oversize report' });
      assert.equal(report.attributes.count, '1', 'one item was shrunk');
      for (const r of collector.requests()) assert.ok(JSON.stringify(r.body).length < 60000, 'every body fits a beacon');
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
      await site.stop();
      await collector.stop();
    }
  });
}
