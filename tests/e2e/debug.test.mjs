// `debug: true` tells the truth in console.debug lines, each prefixed `wasm-rum:` (issue 17
// item 2): the sampling decision, one line per flush (items by kind, the items dropped since the
// last flush by reason, bodies, bytes, transport, URL), failures and what was kept, and the first
// send's delay. Without `debug`, the agent prints no such line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor, openPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const lines = (s) => s.console.filter((m) => m.type === 'debug' && m.text.startsWith('wasm-rum:')).map((m) => m.text);
const line = (s, re, what) => waitFor(() => lines(s).find((l) => re.test(l)), { what }).catch((e) => {
  throw new Error(`${e.message}; the debug lines were:\n${lines(s).join('\n')}`);
});

async function journey(config, after, collector) {
  const site = await startStatic({ routes: { '/': html(agentPage({ config: `{ ...${JSON.stringify(config)}, beforeSend: (item) => (item.payload?.name === 'drop-me' ? null : item) }`, after })) } });
  const s = await openPage(browser);
  await s.page.goto(`${site.origin}/`);
  return { ...s, async close() { await s.close(); await site.stop(); await collector?.stop(); } };
}

test('debug: the sampling decision, one line per flush with items by kind, drops by reason, bodies, bytes, transport and URL, the first send delay', async () => {
  const collector = await startCollector();
  const config = { url: collector.url, app: { name: 'debug' }, batching: { sendTimeout: 300 }, ignoreErrors: ['ignored-error'], debug: true };
  const s = await journey(config, `
    rum.pushEvent('drop-me');
    rum.pushEvent('drop-me');
    rum.pushEvent('kept');
    rum.pushLog('hello');
    rum.pushError(new Error('ignored-error happened'));`, collector);
  try {
    const session = await s.page.waitForFunction(() => window.rum.getSession()?.id, null, { timeout: 10000 }).then((h) => h.jsonValue());
    await line(s, new RegExp(`^wasm-rum: session ${session} sampled, samplingRate 1$`), 'the sampling line');
    const sent = await line(s, /^wasm-rum: flush: .*; bodies \d+, \d+ B by beacon to /, 'the flush line');
    assert.match(sent, /dropped:.* beforeSend 2\b/);
    assert.match(sent, /dropped:.* ignoreErrors 1\b/);

    assert.ok(sent.endsWith(` to ${collector.url}`), sent);
    const [ev] = await collector.waitForItems('events', (e) => e.name === 'kept');
    assert.ok(ev);
    // The bodies and bytes told are those the collector received first (its dump re-serialises
    // each body, so the bytes agree within a few).
    const [, count, bytes] = /bodies (\d+), (\d+) B by/.exec(sent).map(Number);
    const first = await waitFor(() => collector.requests().length >= count && collector.requests().slice(0, count), { what: `${count} bodies at the collector` });
    const received = first.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r.body)), 0);
    assert.ok(Math.abs(received - bytes) <= 16 * count, `told ${bytes} B, received ${received} B`);
    // The items told by kind are those the bodies held: the dropped events are not among them.
    const kinds = [['log', 'logs'], ['exception', 'exceptions'], ['measurement', 'measurements'], ['event', 'events']];
    const told = kinds.map(([k, key]) => [k, first.reduce((n, r) => n + (r.body[key]?.length || 0), 0)]).filter(([, n]) => n > 0);
    assert.ok(sent.startsWith(`wasm-rum: flush: ${told.map(([k, n]) => `${k} ${n}`).join(' ')}; dropped:`), sent);
    assert.equal(first.flatMap((r) => r.body.events || []).filter((e) => e.name === 'drop-me').length, 0);
    assert.equal(lines(s).filter((l) => l.includes('beforeSend')).length, 1, 'drops are summed in the flush line, not told one per item');
    const firstSend = await line(s, /^wasm-rum: first send \d+ ms after start$/, 'the first send line');
    assert.ok(Number(/send (\d+) ms/.exec(firstSend)[1]) >= 250, firstSend);
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
  }
});

test('debug: a sampled-out session says so and counts what it holds; a collector that is down is told with the retry', async () => {
  // A port nothing listens on: the fetch transport gets no answer.
  const dead = await startCollector();
  const url = dead.url;
  await dead.stop();
  const config = { url, app: { name: 'debug' }, transport: 'fetch', batching: { sendTimeout: 200 }, sessionTracking: { samplingRate: 0 }, debug: true };
  const s = await journey(config, `
    rum.pushEvent('held');
    await rum.flush();
    rum.pushError(new Error('promotes'));
    await rum.flush();`);
  try {
    await line(s, /^wasm-rum: session \w+ not sampled \(held until an exception\), samplingRate 0$/, 'the sampling line');
    await line(s, /^wasm-rum: flush:; dropped: held \(not sampled\) \d+; bodies 0, 0 B/, 'held items counted while nothing is sent');
    await line(s, /^wasm-rum: flush: .*exception 1\b.*; bodies 1, \d+ B by fetch to http:/, 'the flush line');
    await line(s, /^wasm-rum: no answer, kept, retry in ms \d+$/, 'the failure line');
  } finally {
    await s.close();
  }
});

test('without debug the agent prints no wasm-rum debug line', async () => {
  const collector = await startCollector();
  const s = await journey({ url: collector.url, app: { name: 'quiet' }, batching: { sendTimeout: 100 } }, `rum.pushEvent('quiet');`, collector);
  try {
    await collector.waitForItems('events', (e) => e.name === 'quiet');
    assert.deepEqual(lines(s), []);
    assert.deepEqual(s.console.filter((m) => m.text.startsWith('wasm-rum:')), []);
  } finally {
    await s.close();
  }
});
