// A hostile or careless page: handle methods given values that throw when read, a frozen
// History.prototype, a config that cannot be read, and a misused beforeSend. Nothing may throw
// into the page, no argument may switch the agent off, and what a normal call sends still
// arrives at the real collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// Installed before init(): every error or rejection that reaches the page.
const WATCH = `<script>
window.seen = [];
addEventListener('error', (e) => seen.push('error: ' + e.message));
addEventListener('unhandledrejection', (e) => seen.push('rejection: ' + String(e.reason && e.reason.message || e.reason)));
</script>`;

async function setup(page) {
  const collector = await startCollector();
  const site = await startStatic({ routes: { '/': html(() => page(collector)) } });
  const context = await browser.newContext();
  const p = await context.newPage();
  const console = [];
  p.on('console', (m) => console.push({ type: m.type(), text: m.text() }));
  const pageErrors = [];
  p.on('pageerror', (e) => pageErrors.push(e.message));
  return { collector, site, page: p, console, pageErrors, async close() { await context.close(); await site.stop(); await collector.stop(); } };
}

// Every hostile call, by name. `hostile` builds fresh values so each round starts clean.
const HOSTILE = `
const hostile = () => {
  const throwing = { toString() { throw new Error('toString'); }, toJSON() { throw new Error('toJSON'); } };
  const getter = { ok: 'yes', get boom() { throw new Error('getter'); } };
  const keys = new Proxy({}, { ownKeys() { throw new Error('ownKeys'); } });
  const trap = () => { throw new Error('trap'); };
  const everything = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap });
  const badMessage = new Error('x');
  Object.defineProperty(badMessage, 'message', { get: trap });
  Object.defineProperty(badMessage, 'name', { get: trap });
  return {
    'pushEvent(name whose toString throws)': () => rum.pushEvent(throwing),
    'pushEvent(attribute getter that throws)': () => rum.pushEvent('hostile-getter', getter),
    'pushEvent(attributes Proxy whose ownKeys throws)': () => rum.pushEvent('hostile-keys', keys),
    'pushEvent(domain whose toString throws)': () => rum.pushEvent('hostile-domain', {}, throwing),
    'pushEvent(everything Proxy)': () => rum.pushEvent(everything, everything, everything),
    'pushLog(message whose toString throws)': () => rum.pushLog(throwing),
    'pushLog(options Proxy)': () => rum.pushLog('hostile-log', everything),
    'pushLog(level and context that throw)': () => rum.pushLog('hostile-log-2', { level: throwing, context: getter }),
    'pushMeasurement(type whose toString throws)': () => rum.pushMeasurement({ type: throwing, values: { a: 1 } }),
    'pushMeasurement(values Proxy whose ownKeys throws)': () => rum.pushMeasurement({ type: 'hostile-m', values: keys }),
    'pushMeasurement(values getter that throws)': () => rum.pushMeasurement({ type: 'hostile-m2', values: { a: 1, get b() { throw new Error('b'); } } }),
    'pushMeasurement(everything Proxy)': () => rum.pushMeasurement(everything, everything),
    'pushError(everything Proxy)': () => rum.pushError(everything, everything),
    'pushError(error, {type whose toString throws})': () => rum.pushError(new Error('hostile-type'), { type: throwing }),
    'pushError(error whose message and name throw)': () => rum.pushError(badMessage),
    'pushError(value whose toString and toJSON throw)': () => rum.pushError(throwing, { context: keys }),
    'setUser({id whose toString throws})': () => rum.setUser({ id: throwing }),
    'setUser(username, email, attributes that throw)': () => rum.setUser({ id: 'u1', username: 5, email: throwing, attributes: keys }),
    'setUser(everything Proxy)': () => rum.setUser(everything),
    'setView({name whose toString throws})': () => rum.setView({ name: throwing }),
    'setView(everything Proxy)': () => rum.setView(everything),
  };
};
const runAll = (round) => {
  const thrown = [];
  for (const [name, f] of Object.entries(hostile())) {
    try { f(); } catch (e) { thrown.push(round + ' ' + name + ': ' + (e && e.message)); }
  }
  return thrown;
};`;

test('hostile arguments to every handle method throw nothing into the page, and a normal pushEvent afterwards arrives', async () => {
  const s = await setup((c) => agentPage({
    config: { url: c.url, app: { name: 'hostile' }, batching: { sendTimeout: 100 }, debug: true },
    head: WATCH,
    after: `${HOSTILE}
      // Before the wasm is ready (queued) and after (straight into the wasm), twice each.
      const thrown = [...runAll('queued'), ...runAll('queued again')];
      await rum.flush();
      thrown.push(...runAll('running'), ...runAll('running again'));
      rum.pushEvent('after-hostile', { fine: 'yes' });
      await rum.flush();
      window.done = { thrown, session: rum.getSession() };`,
  }));
  try {
    await s.page.goto(`${s.site.origin}/`);
    const r = await s.page.waitForFunction(() => window.done, null, { timeout: 15000 }).then((h) => h.jsonValue());
    assert.deepEqual(r.thrown, [], 'no handle method threw');
    assert.ok(r.session && r.session.id, 'the agent is still running');
    const [ev] = await s.collector.waitForItems('events', (e) => e.name === 'after-hostile');
    assert.deepEqual(ev.attributes, { fine: 'yes' });
    // The readable parts of the hostile calls arrive; the values that threw are left out.
    const [getterEvent] = await s.collector.waitForItems('events', (e) => e.name === 'hostile-getter');
    assert.deepEqual(getterEvent.attributes, { ok: 'yes' });
    const [typed] = await s.collector.waitForItems('exceptions', (e) => e.value === 'hostile-type');
    assert.equal(typed.type, 'Error', 'a type that cannot be read falls back to the error name');
    const [m2] = await s.collector.waitForItems('measurements', (m) => m.type === 'hostile-m2');
    assert.deepEqual(m2.values, { a: 1 });
    assert.deepEqual(await s.page.evaluate(() => window.seen), [], 'no error or rejection reached the page');
    assert.deepEqual(s.pageErrors, []);
    assert.equal(s.collector.items('exceptions').filter((e) => e.type === 'WasmRumFailure').length, 0, 'the agent never failed');
    assert.equal(s.console.filter((m) => m.text.includes('the agent failed')).length, 0);
    // With debug, each skipped value is named once, although every call ran four times.
    const named = await waitFor(() => s.console.filter((m) => m.type === 'debug' && m.text.includes('pushEvent() attributes.boom cannot be read')), { what: 'the debug note' });
    assert.equal(named.length, 1);
  } finally {
    await s.close();
  }
});

test('a frozen History.prototype does not stop init(); the agent runs and views follow setView', async () => {
  const s = await setup((c) => agentPage({
    config: { url: c.url, app: { name: 'frozen' }, batching: { sendTimeout: 100 } },
    head: `${WATCH}<script>Object.freeze(History.prototype);</script>`,
    after: `
      await rum.flush();
      rum.setView({ name: 'checkout' });
      rum.pushEvent('frozen-history');
      await rum.flush();
      window.done = true;`,
  }));
  try {
    await s.page.goto(`${s.site.origin}/`);
    await s.page.waitForFunction(() => window.done, null, { timeout: 15000 });
    const [ev] = await s.collector.waitForItems('events', (e) => e.name === 'frozen-history');
    assert.equal(ev.meta.view.name, 'checkout');
    assert.deepEqual(await s.page.evaluate(() => window.seen), []);
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
  }
});

test('a config that cannot be read is a TypeError naming the key, in a real page', async () => {
  const s = await setup(() => `<!doctype html><body><script type="module">
    import { init } from '/pkg/index.js';
    const results = [];
    const attempt = (config) => { try { init(config); results.push('no error'); } catch (e) { results.push(e.constructor.name + ': ' + e.message); } };
    attempt({ url: 'http://c/collect', app: { name: 'a' }, get batching() { throw new Error('getter'); } });
    attempt(new Proxy({ url: 'http://c/collect', app: { name: 'a' } }, { ownKeys() { throw new Error('ownKeys'); } }));
    attempt({ url: 'http://c/collect', app: { name: 'a' }, user: { id: 'u', attributes: { get plan() { throw new Error('attr'); } } } });
    window.results = results;
  </script></body>`);
  try {
    await s.page.goto(`${s.site.origin}/`);
    const results = await s.page.waitForFunction(() => window.results, null, { timeout: 15000 }).then((h) => h.jsonValue());
    assert.match(results[0], /^TypeError: wasm-rum: config\.batching cannot be read/);
    assert.match(results[1], /^TypeError: wasm-rum: config cannot be read/);
    assert.match(results[2], /^TypeError: wasm-rum: config\.user\.attributes\.plan cannot be read/);
  } finally {
    await s.close();
  }
});

// beforeSend misuse: the items arrive unchanged and one warning names what came back.
for (const [what, hook, warning] of [
  ['a string', `() => 'nope'`, 'beforeSend returned a string'],
  ['a Promise (async)', `async (item) => item`, 'beforeSend returned a Promise; it must be synchronous'],
]) {
  test(`a beforeSend returning ${what} keeps every item unchanged, with one console.warn`, async () => {
    const s = await setup((c) => agentPage({
      config: `{ url: ${JSON.stringify(c.url)}, app: { name: 'bs' }, batching: { sendTimeout: 100 }, beforeSend: ${hook} }`,
      after: `
        rum.pushEvent('checkout', { step: '2' });
        rum.pushLog('cart ready', { level: 'warn' });
        rum.pushMeasurement({ type: 'cart', values: { items: 3 } });
        await rum.flush();`,
    }));
    try {
      await s.page.goto(`${s.site.origin}/`);
      const [ev] = await s.collector.waitForItems('events', (e) => e.name === 'checkout');
      assert.deepEqual(ev.attributes, { step: '2' });
      const [log] = await s.collector.waitForItems('logs', (l) => l.message === 'cart ready');
      assert.equal(log.level, 'warn');
      const [m] = await s.collector.waitForItems('measurements', (x) => x.type === 'cart');
      assert.deepEqual(m.values, { items: 3 });
      const warnings = await waitFor(() => {
        const w = s.console.filter((c) => c.type === 'warning' && c.text.includes(warning));
        return w.length ? w : null;
      }, { what: `the warning "${warning}"` });
      assert.equal(warnings.length, 1, 'one warning for several items');
    } finally {
      await s.close();
    }
  });
}
