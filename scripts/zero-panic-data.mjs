// Zeroes the bytes of the shipped wasm's data that nothing can read: the messages and file paths of
// panics (the tiny build's panic handler traps without looking at them, src/lib.rs) and the digit
// table that core::fmt's integer formatting left behind (its code is gone: scripts/prune-table.mjs
// and wasm-opt removed it, but wasm-opt keeps every byte of a data segment). The bytes stay where
// they are, so no address moves; zeros compress to almost nothing (-0.45 KB gzip in 2026-12, the
// paths' hashes being the least compressible part).
import { readFileSync, writeFileSync } from 'node:fs';
import { leb, sections, uleb } from './order-functions.mjs';

// Read only by a panic, whose handler ignores its message and location.
const PANIC_ONLY = [
  /memory allocation of /g,
  / bytes failed/g,
  /Tried to shrink to a larger capacity/g,
  /capacity overflow/g,
  /RefCell already mutably borrowed/g,
  /RefCell already borrowed/g,
];
// A panic location's file: a path into std's or a dependency's sources ending in `.rs`, zeroed from
// the byte a `&str` of data points at with the path's exact length (a Location's `file`): strings
// are packed end to end, so where a match starts says nothing.
export const PATH = /\/[\x21-\x7e]*?\.rs/g;
// Zeroed only when no instruction immediate and no word of data holds an address inside it.
const IF_UNREFERENCED = [/(?:[0-9]{2}){100}/g];

/** `n` as a signed LEB128 (an i32.const immediate). */
export const sleb = (n) => {
  const out = [];
  for (;;) {
    const x = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && !(x & 0x40)) || (n === -1 && x & 0x40)) return [...out, x];
    out.push(x | 0x80);
  }
};

/** `n` as a little-endian 32-bit word. */
const word = (n) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

/** Whether `needle` occurs in `hay`. */
function has(hay, needle) {
  const first = needle[0];
  for (let i = hay.indexOf(first); i >= 0; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return true;
  }
  return false;
}

/** Whether any address in [from, to) is written in the code (as an i32.const, or as the offset of a
 * load or store: matched on the raw bytes, so a stray match only keeps the bytes) or as a
 * little-endian word of data. */
function referenced(code, data, from, to) {
  for (let a = from; a < to; a++) {
    if (has(code, [0x41, ...sleb(a)])) return true;
    for (let op = 0x28; op <= 0x3e; op++) for (let align = 0; align <= 3; align++) if (has(code, [op, align, ...uleb(a)])) return true;
    if (has(data, word(a))) return true;
  }
  return false;
}

/** Zeroes what the patterns above find in `file`'s active data segments; returns the bytes zeroed. */
export function zeroPanicData(file) {
  const b = new Uint8Array(readFileSync(file));
  const secs = sections(b);
  const code = secs.find(([id]) => id === 10);
  const dataSec = secs.find(([id]) => id === 11);
  if (!code || !dataSec) return 0;
  const codeBytes = b.subarray(code[2], code[3]);
  const dataBytes = b.subarray(dataSec[2], dataSec[3]);
  let zeroed = 0;
  let [n, i] = leb(b, dataSec[2]);
  for (; n > 0; n--) {
    const flags = b[i++];
    let base = -1;
    if (flags === 0) {
      // i32.const <base> end (a base is never negative: its LEB128 reads the same unsigned)
      [base, i] = leb(b, i + 1);
      i++;
    } else if (flags === 2) {
      return zeroed; // an explicit memory index: not what this build makes; leave everything
    }
    let size;
    [size, i] = leb(b, i);
    const start = i;
    i += size;
    if (base < 0) continue;
    const text = Buffer.from(b.buffer, b.byteOffset + start, size).toString('latin1');
    const zero = (m) => {
      b.fill(0, start + m.index, start + m.index + m[0].length);
      zeroed += m[0].length;
    };
    for (const p of PANIC_ONLY) for (const m of text.matchAll(p)) zero(m);
    for (const m of text.matchAll(PATH)) {
      const end = m.index + m[0].length;
      for (let k = m.index; k < end; k++) {
        if (text[k] === '/' && has(dataBytes, [...word(base + k), ...word(end - k)])) {
          zero({ index: k, 0: text.slice(k, end) });
          break;
        }
      }
    }
    for (const p of IF_UNREFERENCED) {
      for (const m of text.matchAll(p)) {
        if (!referenced(codeBytes, dataBytes, base + m.index, base + m.index + m[0].length)) zero(m);
      }
    }
  }
  writeFileSync(file, b);
  return zeroed;
}
