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
