// The entry module's synchronous config check, over the case table shared with config.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';
import { validateConfig } from '../../pkg/index.js';

const { cases } = JSON.parse(readFileSync(join(ROOT, 'tests', 'config-cases.json'), 'utf8'));

for (const c of cases) {
  test(`validateConfig: ${c.name}`, () => {
    let got = null;
    try {
      validateConfig(c.config);
    } catch (e) {
      got = `${e.name}: ${e.message}`;
    }
    if (c.error === null) assert.equal(got, null);
    else assert.ok(got && got.startsWith(`${c.error.split(': ')[0]}: wasm-rum: ${c.error.slice(c.error.indexOf(': ') + 2)}`), `expected ${c.error}, got ${got}`);
  });
}

test('validateConfig: RegExps are accepted in the URL and error lists', () => {
  validateConfig({ url: 'http://c/collect', app: { name: 'shop' }, ignoreErrors: [/^Script error/], tracing: { propagateTraceHeaderCorsUrls: [/api\./, 'https://x.test'] } });
});

test('validateConfig: a value that cannot be read (a throwing getter, a Proxy whose traps throw) is a TypeError naming its key', () => {
  const base = { url: 'http://c/collect', app: { name: 'shop' } };
  const trap = () => { throw new Error('trap'); };
  const cases = [
    [{ ...base, get debug() { throw new Error('getter'); } }, 'config.debug'],
    [{ ...base, app: { get name() { throw new Error('getter'); } } }, 'config.app.name'],
    [new Proxy(base, { ownKeys: trap }), 'config'],
    [{ ...base, sessionTracking: new Proxy({}, { ownKeys: trap }) }, 'config.sessionTracking'],
    [{ ...base, ignoreUrls: new Proxy(['a'], { get: (t, k) => (k === '0' ? trap() : t[k]) }) }, 'config.ignoreUrls'],
    [{ ...base, user: { id: 'u', attributes: { get plan() { throw new Error('getter'); } } } }, 'config.user.attributes.plan'],
    [{ ...base, user: { id: 'u', attributes: new Proxy({}, { ownKeys: trap }) } }, 'config.user.attributes'],
  ];
  for (const [config, key] of cases) {
    assert.throws(() => validateConfig(config), (e) => e instanceof TypeError && e.message === `wasm-rum: ${key} cannot be read (a getter or Proxy threw)`, key);
  }
});

test('validateConfig: an unknown key is one console.warn at any depth, with "did you mean" when a known key is close', () => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(' '));
  try {
    validateConfig({
      url: '/collect', app: { name: 'shop', verson: '1' }, debg: true, apikey: 'k', samplingRate: 0.5, colour: 'red',
      sessionTracking: { sampleRate: 0.5 }, batching: { sendTimeOut: 10 }, tracing: { propagateTraceHeaderCorsUrl: [] },
      user: { id: 'u', attributes: { anything: 'goes' } },
    });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings.sort(), [
    'wasm-rum: config.apikey is not a known key; did you mean config.apiKey?',
    'wasm-rum: config.app.verson is not a known key; did you mean config.app.version?',
    'wasm-rum: config.batching.sendTimeOut is not a known key; did you mean config.batching.sendTimeout?',
    'wasm-rum: config.colour is not a known key; it is ignored',
    'wasm-rum: config.debg is not a known key; did you mean config.debug?',
    'wasm-rum: config.samplingRate is not a known key; did you mean config.sessionTracking.samplingRate?',
    'wasm-rum: config.sessionTracking.sampleRate is not a known key; did you mean config.sessionTracking.samplingRate?',
    'wasm-rum: config.tracing.propagateTraceHeaderCorsUrl is not a known key; did you mean config.tracing.propagateTraceHeaderCorsUrls?',
  ]);
});
