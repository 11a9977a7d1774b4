// init() on the server (plain Node, as Next.js runs a client module while rendering): the config is
// checked as in the browser, and the handle is a no-op that adds no listener or timer and loads no wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';
import { init, validateConfig } from '../../pkg/index.js';

const { cases } = JSON.parse(readFileSync(join(ROOT, 'tests', 'config-cases.json'), 'utf8'));
const config = { url: 'http://127.0.0.1:12347/collect', app: { name: 'shop' } };

/**
 * Runs `fn` with `globals` set on globalThis and every call to addEventListener, fetch,
 * setTimeout and setInterval counted (the spies do nothing); restores everything after.
 */
async function watched(globals, fn) {
  const calls = [];
  const spy = (name) => (...args) => { calls.push([name, ...args.map(String)]); };
  const names = ['window', 'document', 'addEventListener', 'fetch', 'setTimeout', 'setInterval'];
  const saved = names.map((n) => [n, Object.getOwnPropertyDescriptor(globalThis, n)]);
  const spies = { fetch: spy('fetch'), setTimeout: spy('setTimeout'), setInterval: spy('setInterval'), ...globals };
  for (const [k, v] of Object.entries(spies)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  try {
    return [fn(), calls];
  } finally {
    for (const [n, d] of saved) {
      if (d) Object.defineProperty(globalThis, n, d);
      else delete globalThis[n];
    }
  }
}

/** Every method of the handle, called with odd arguments: none may throw. */
async function useEverything(rum) {
  rum.pushEvent('e', { a: 1 }, 'd');
  rum.pushLog('log', { level: 'warn', context: { k: 'v' } });
  rum.pushMeasurement({ type: 't', values: { v: 1 } });
  rum.pushError(new Error('server'));
  rum.pushError(undefined);
  rum.setUser({ id: 'u' });
  rum.setUser(null);
  rum.setView({ name: '/' });
  rum.pause();
  rum.resume();
  assert.equal(rum.getSession(), null);
  assert.equal(await rum.flush(), undefined);
  assert.equal(await rum.shutdown(), undefined);
  assert.equal(rum.getSession(), null);
}

const servers = [
  ['plain Node (no window, document or addEventListener)', {}],
  ['a partial window shim (window, no document)', { window: {} }],
  ['a shim with window and document but no addEventListener', { window: {}, document: {} }],
  ['a worker-like global (addEventListener, no window or document)', { addEventListener: null }],
];

for (const [name, globals] of servers) {
  test(`init() on the server, ${name}: a no-op handle, no listener, timer or wasm load`, async () => {
    const g = { ...globals };
    const added = [];
    if ('addEventListener' in g) g.addEventListener = (type) => { added.push(type); };
    const [rum, calls] = await watched(g, () => init(config));
    await useEverything(rum);
    assert.deepEqual(added, [], 'no listener added');
    assert.deepEqual(calls, [], 'no fetch (wasm load) and no timer');
    // A second call is as harmless (no "called again" warning on the server: each render calls it).
    const [again] = await watched(g, () => init(config));
    await useEverything(again);
  });
}

test('init() on the server checks the config as the browser does: the same error for every case', async () => {
  for (const c of cases) {
    const message = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    };
    const [got] = await watched({}, () => message(() => init(c.config)));
    assert.equal(got, message(() => validateConfig(c.config)), c.name);
    if (c.error) assert.ok(got, c.name);
  }
  assert.throws(() => init(), /wasm-rum: init\(config\) needs a config object/);
});
