// scripts/zero-panic-data.mjs on small modules made here: what it zeroes and what it must keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleb, zeroPanicData } from '../../scripts/zero-panic-data.mjs';
import { uleb } from '../../scripts/order-functions.mjs';

const BASE = 1024;
const DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join('');
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];

/** A module with one function returning `constant` and one active data segment at BASE. */
function module(data, constant) {
  const body = [0, 0x41, ...sleb(constant), 0x0b];
  const seg = [0, 0x41, ...sleb(BASE), 0x0b, ...uleb(data.length), ...data];
  return Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 0, 1, 0x7f]), ...section(3, [1, 0]), ...section(5, [1, 0, 1]),
    ...section(10, [1, ...uleb(body.length), ...body]), ...section(11, [1, ...seg])]);
}

function run(text, constant) {
  const file = join(mkdtempSync(join(tmpdir(), 'zero-')), 'm.wasm');
  writeFileSync(file, module([...Buffer.from(text, 'latin1')], constant));
  const zeroed = zeroPanicData(file);
  const b = readFileSync(file);
  assert.ok(WebAssembly.validate(b), 'still a valid module');
  return { zeroed, text: b.toString('latin1') };
}

/** `n` as a little-endian word, as text. */
const word = (n) => String.fromCharCode(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
/** A `&str` of data (address, length) to `needle` inside `text` placed at BASE. */
const strRef = (text, needle) => word(BASE + text.indexOf(needle)) + word(needle.length);

test('panic messages and the paths of panic locations are zeroed in place, other text is kept', () => {
  const path = '/rustc/abc/library/alloc/src/raw_vec/mod.rs';
  const dep = '/home/u/.cargo/registry/src/index.crates.io-1/js-sys-0.3/src/futures/jspi.rs';
  const body = `keep me\0${path}\0capacity overflowRefCell already borrowedwasm-rum\0${dep}`;
  const { zeroed, text } = run(body + strRef(body, path) + strRef(body, dep), 0);
  assert.equal(zeroed, path.length + 'capacity overflow'.length + 'RefCell already borrowed'.length + dep.length);
  assert.ok(text.includes('keep me\0') && text.includes('wasm-rum'));
  assert.ok(!text.includes('.rs') && !text.includes('capacity') && !text.includes('RefCell'));
});

test('a path is zeroed from where its &str starts: text packed right before it stays', () => {
  const path = '/rustc/abc/library/core/src/fmt/mod.rs';
  const body = `/!#/#!/!/url${path}`;
  const { text } = run(body + strRef(body, path), 0);
  assert.ok(text.includes('/!#/#!/!/url\0'), 'the text before it is kept');
  assert.ok(!text.includes('.rs'));
  assert.ok(run(body, 0).text.includes(body), 'no &str to it: nothing zeroed');
});

test('the digit table is zeroed only when no code or data refers to it', () => {
  const text = `xx${DIGITS}yy`;
  assert.ok(!run(text, 7).text.includes(DIGITS), 'unreferenced: zeroed');
  assert.ok(run(text, BASE + 2 + 40).text.includes(DIGITS), 'an address inside it in the code: kept');
  assert.ok(run(text + word(BASE + 2 + 10), 7).text.includes(DIGITS), 'a pointer to it in the data: kept');
});
