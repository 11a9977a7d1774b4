// Replaces the dead slots of the wasm's function table with one shared `unreachable` stub, so that
// wasm-opt (run next, scripts/build.mjs) removes the code only the table kept alive. Every slot keeps
// its index: code and data hold slot numbers as constants (function pointers, vtables).
//
// Why slots die: walrus (wasm-bindgen) and binaryen keep every element-segment entry, so a function
// whose address LLVM once took stays in the module with everything it calls, even after the code
// that took the address is gone. In wasm-bindgen 0.2.130 that is ~32 `convert::closures::_::invoke`
// instances that only the (deleted) descriptor functions referenced; JS calls closures through the
// exported invoke functions, Rust through the dyn vtable. The table itself is internal: not imported,
// not exported, and the glue never touches it (checked below), so only the module's own code can
// reach a slot, by a `call_indirect` on an index the code computed.
//
// A slot is stubbed when (rules in this order; the counts are printed per rule):
//   1. its index appears in no i32.const / i64.const (either 32-bit half) of any function body or
//      global initialiser and in no aligned 4-byte little-endian word of any data segment, and its
//      function is not exported. LLVM never computes a function-pointer index arithmetically, so
//      such a slot can never be the operand of a call_indirect.
//   2. (only for the `tiny` build, whose #[panic_handler] in src/lib.rs is a bare `unreachable`;
//      checked below on `rust_begin_unwind`) its function is core::fmt code: `core::fmt::…`,
//      `<… as core::fmt::Display>::fmt`, `<… as core::fmt::Debug>::fmt`, `core::fmt::builders::…`,
//      `Formatter`. In that build formatting only ever happens for a panic message: a panic site
//      stores the slot numbers of the Display/Debug functions in a `fmt::Arguments` and calls
//      panic_fmt, and the handler traps without reading the message, so no formatting function is
//      ever called. The agent itself never formats (src/ has no format!/write! outside tests, and
//      its to_string() calls are on &str, which does not go through core::fmt). That is checked
//      here too: after pruning, no core::fmt function may still be reachable; if one is, live code
//      formats at runtime (through the slots just stubbed), and the step throws.
//   3. its index appears only in constants of functions that rules 1 and 2 made unreachable (the
//      code that could have called through it can no longer run); repeated until nothing changes.
//      Data words still count: who reads the data is not tracked.
// Anything else that becomes unreachable is left to wasm-opt. (Slots that only a data word names stay,
// e.g. js_sys's jspi RawWakerVTable: who reads the data is not tracked.) In the 2026-12 build: 29 slots
// by rule 1 (27 invoke instances, BorrowMutError Display, one Externref shim), 9 by rule 2, 0 by rule 3.
//
// It throws if the module is not shaped as expected (one internal funcref table with one active
// element segment at a constant offset, active data at constant offsets, no other table operations
// on it, the tiny panic handler), so a wasm-bindgen or Rust upgrade cannot silently ship a broken
// module. Names must still be present (wasm-bindgen's output; they are kept in the output).
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const STUB = 'wasm_rum::prune_table::dead_slot';
const FMT = [
  /\bcore(\[[0-9a-f]+\])?::fmt::/, // core::fmt::write, builders, `<T as core::fmt::Display>::fmt`, `… as core::fmt::Debug>::fmt`
  /\bFormatter\b/,
];
const isFmt = (name) => FMT.some((re) => re.test(name));

/**
 * Prunes `file` in place (or writes `out`). `tiny`: the build has the trapping panic handler (rule 2).
 * Returns the summary it prints: per rule the slots stubbed (with the functions' names), functions and
 * bytes freed (binary size without names, before wasm-opt).
 */
export function pruneTable(file, { tiny, out = file, log = console.log } = {}) {
  const fail = (msg) => {
    throw new Error(`prune-table: ${msg} (${file}); the module is not shaped as scripts/prune-table.mjs expects`);
  };
  const debugInfo = binaryen.getDebugInfo();
  binaryen.setDebugInfo(true); // keep the name section through emitBinary / readBinary
  try {
    const input = readFileSync(file);
    const module = binaryen.readBinary(input);
    const shape = inspect(module, fail);
    if (tiny) {
      const handler = functions(module).find((f) => /(^|::)rust_begin_unwind$/.test(f.name));
      if (!handler || !handler.body) fail('no rust_begin_unwind (the #[panic_handler]) with a body');
      if (binaryen.getExpressionId(handler.body) !== binaryen.UnreachableId) {
        fail(`${handler.name} is not a bare \`unreachable\`, so panics may format (is this the \`tiny\` build?)`);
      }
    }
    if (functions(module).some((f) => f.name === STUB)) fail(`a function is already named ${STUB}`);

    const slots = shape.segment.data.slice(); // slot index = shape.offset + i
    const exported = new Set(exportsOf(module, binaryen.ExternalFunction));
    const dataWords = dataWordsOf(module, shape.tableSize);
    const rule = new Array(slots.length).fill(0); // 0: kept, 1..3: stubbed by that rule
    const stubbable = (i) => !rule[i] && !exported.has(slots[i]);
    const unreferenced = (consts) => (i) => stubbable(i) && !consts.has(shape.offset + i) && !dataWords.has(shape.offset + i);

    const mark = (n, pick) => {
      let count = 0;
      for (let i = 0; i < slots.length; i++) if (pick(i)) (rule[i] = n), count++;
      return count;
    };
    // Sizes: a copy with the stubs applied and what became unreachable removed (binaryen's
    // remove-unused-module-elements), without names, before wasm-opt.
    const sizeWith = (marks) => {
      const copy = reduced(module, slots, marks);
      const size = measure(copy);
      copy.dispose();
      return size;
    };
    const base = sizeWith(rule);
    mark(1, unreferenced(constantsOf(module)));
    if (tiny) mark(2, (i) => stubbable(i) && isFmt(slots[i]));
    const first = sizeWith(rule);
    let copy = reduced(module, slots, rule);
    while (mark(3, unreferenced(constantsOf(copy)))) {
      copy.dispose();
      copy = reduced(module, slots, rule);
    }
    const final = measure(copy);
    const left = functions(copy).filter((f) => isFmt(f.name)).map((f) => f.name);
    copy.dispose();
    if (tiny && left.length) {
      throw new Error(`prune-table: core::fmt code is still reachable after pruning (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}): ` +
        `live code formats at runtime, so stubbing the core::fmt slots (rule 2) would make it trap (${file})`);
    }
    const diff = (a, b) => ({ functions: a.functions - b.functions, bytes: a.bytes - b.bytes });
    const labels = { 1: 'unreferenced index', 2: 'core::fmt, tiny panic handler', 3: 'referenced only by code rules 1 and 2 freed' };
    const summary = [1, 2, 3].map((n) => {
      const names = slots.filter((_, i) => rule[i] === n);
      // Rules 1 and 2 measured alone (they overlap: binaryen also empties table-only functions that
      // no reachable call_indirect of their type can call); rule 3 on top of both.
      const freed = !names.length ? { functions: 0, bytes: 0 } : n === 3 ? diff(first, final) : diff(base, sizeWith(rule.map((r) => (r === n ? r : 0))));
      return { rule: n, label: labels[n], slots: names.length, ...freed, names };
    });
    const total = { slots: rule.filter(Boolean).length, ...diff(base, final) };

    // The module itself: one stub, the segment rewritten with the same offset and length.
    module.addFunction(STUB, binaryen.none, binaryen.none, [], module.unreachable());
    const data = slots.map((name, i) => (rule[i] ? STUB : name));
    module.removeElementSegment(shape.segment.name);
    module.addActiveElementSegment(shape.table, shape.segment.name, data, module.i32.const(shape.offset));
    if (!module.validate()) fail('the pruned module does not validate');
    writeFileSync(out, module.emitBinary());
    module.dispose();

    for (const s of summary) {
      log(`prune-table: rule ${s.rule} (${s.label}): ${s.slots} slots stubbed, freeing ${s.functions} functions, ${s.bytes} B${s.rule < 3 ? ' on their own' : ''}`);
    }
    log(`prune-table: ${total.slots} of ${slots.length} slots now call ${STUB}; together ${total.functions} functions, ${total.bytes} B freed (raw, before wasm-opt)`);
    return { summary, total, slots: slots.length };
  } finally {
    binaryen.setDebugInfo(debugInfo);
  }
}

/** The table with the element segment, checked to be internal and used by call_indirect only. */
function inspect(module, fail) {
  if (module.getNumElementSegments() !== 1) fail(`${module.getNumElementSegments()} element segments, expected 1`);
  const segment = binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(0));
  const offset = binaryen.getExpressionInfo(segment.offset);
  if (offset.id !== binaryen.ConstId || offset.type !== binaryen.i32) fail('the element segment has no constant i32 offset');
  const table = binaryen.getTableInfo(module.getTable(segment.table));
  if (table.module) fail(`the function table ${table.name} is imported`);
  if (exportsOf(module, binaryen.ExternalTable).includes(table.name)) fail(`the function table ${table.name} is exported`);
  if (offset.value + segment.data.length > table.initial) fail('the element segment does not fit its table');
  if (segment.data.some((name) => !module.getFunction(name))) fail('an element is not a function');
  const esc = table.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const other = new RegExp(`\\((table\\.\\w+|elem\\.drop|return_call_indirect)\\s+\\$"?${esc}"?[\\s)]`);
  const indirect = /\((?:return_)?call_indirect \$("?)([^\s")]+)\1/g;
  for (const f of functions(module)) {
    if (!f.body) continue;
    const text = binaryen.emitText(f.body);
    if (other.test(text)) fail(`${f.name} uses the function table other than by call_indirect`);
    for (const m of text.matchAll(indirect)) if (m[2] !== table.name) fail(`${f.name} calls through another table, ${m[2]}`);
  }
  for (let i = 0; i < module.getNumDataSegments(); i++) {
    const d = module.getDataSegmentInfo(module.getDataSegmentByIndex(i));
    if (d.passive || typeof d.offset !== 'number') fail(`data segment ${d.name} is not active at a constant offset`);
  }
  return { segment, offset: offset.value, table: table.name, tableSize: table.initial };
}

function functions(module) {
  const out = [];
  for (let i = 0; i < module.getNumFunctions(); i++) out.push(binaryen.getFunctionInfo(module.getFunctionByIndex(i)));
  return out;
}

function exportsOf(module, kind) {
  const out = [];
  for (let i = 0; i < module.getNumExports(); i++) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind === kind) out.push(e.value);
  }
  return out;
}

/** Every 32-bit value of an i32.const, or half of an i64.const, in function bodies and global initialisers. */
function constantsOf(module) {
  const out = new Set();
  const scan = (expr) => {
    for (const m of binaryen.emitText(expr).matchAll(/\((i32|i64)\.const (-?\d+)\)/g)) {
      const v = BigInt.asUintN(64, BigInt(m[2]));
      out.add(Number(v & 0xffffffffn));
      if (m[1] === 'i64') out.add(Number(v >> 32n));
    }
  };
  for (const f of functions(module)) if (f.body) scan(f.body);
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (g.init) scan(g.init);
  }
  return out;
}

/** The aligned little-endian words of the data segments below `limit` (only those can be slot numbers). */
function dataWordsOf(module, limit) {
  const out = new Set();
  for (let i = 0; i < module.getNumDataSegments(); i++) {
    const { offset, data } = module.getDataSegmentInfo(module.getDataSegmentByIndex(i));
    const bytes = new Uint8Array(data);
    for (let a = (offset + 3) & ~3; a + 4 <= offset + bytes.length; a += 4) {
      const j = a - offset;
      const w = (bytes[j] | (bytes[j + 1] << 8) | (bytes[j + 2] << 16) | (bytes[j + 3] << 24)) >>> 0;
      if (w < limit) out.add(w);
    }
  }
  return out;
}

/** A copy of `module` with the marked slots stubbed and what no longer is reachable removed. */
function reduced(module, slots, rule) {
  const copy = binaryen.readBinary(module.emitBinary());
  copy.setFeatures(module.getFeatures());
  const segment = binaryen.getElementSegmentInfo(copy.getElementSegmentByIndex(0));
  const offset = binaryen.getExpressionInfo(segment.offset).value;
  copy.addFunction(STUB, binaryen.none, binaryen.none, [], copy.unreachable());
  copy.removeElementSegment(segment.name);
  copy.addActiveElementSegment(segment.table, segment.name, slots.map((n, i) => (rule[i] ? STUB : n)), copy.i32.const(offset));
  copy.runPasses(['remove-unused-module-elements']);
  return copy;
}

/** Function count and binary size without names. */
function measure(module) {
  binaryen.setDebugInfo(false);
  const bytes = module.emitBinary().length;
  binaryen.setDebugInfo(true);
  // A function whose body binaryen emptied to `unreachable` (referenced, never callable) counts as gone.
  const live = functions(module).filter((f) => f.body && binaryen.getExpressionId(f.body) !== binaryen.UnreachableId).length;
  return { functions: live, bytes };
}

// node scripts/prune-table.mjs in.wasm [out.wasm] [--tiny]
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const [input, output] = args.filter((a) => !a.startsWith('--'));
  if (!input) throw new Error('usage: node scripts/prune-table.mjs in.wasm [out.wasm] [--tiny]');
  pruneTable(input, { tiny: args.includes('--tiny'), out: output ?? input });
}
