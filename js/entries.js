// Bulk readers for the agent's performance observers (src/browser/vitals.rs): one call per batch
// hands the agent flat numbers and one string, instead of one crossing per field. Which fields
// each entry type gives, in order, is in the readers of `Flat` in src/core/vitals/entries.rs; strings are
// joined with \x03 (and stripped of it). What the numbers mean is decided in Rust.

const num = (v) => (Number.isFinite(v) ? v : 0);
const clean = (s) => (typeof s === 'string' ? s.replace(/\x03/g, '') : '');

// The way from a node up to the document (at most 65 nodes, up to the first with an id), for
// web-vitals' selector: name \x01 id \x01 classes, nodes joined by \x02.
function chain(n) {
  const parts = [];
  for (; n && n.nodeType !== 9 && parts.length < 65; n = n.parentNode) {
    const el = n.nodeType === 1;
    const id = el ? n.id : '';
    parts.push((el ? n.nodeName.toLowerCase() : n.nodeName.replace(/^#+/, '').toUpperCase()) + '\x01' + id + '\x01' + (el ? [...n.classList].join(' ') : ''));
    if (id) break;
  }
  return parts.join('\x02');
}

function read(e, nums, strs) {
  switch (e.entryType) {
    case 'paint':
      if (e.name === 'first-contentful-paint') nums.push(e.startTime);
      break;
    case 'largest-contentful-paint':
      nums.push(num(e.startTime));
      strs.push(e.element ? chain(e.element) : '', clean(e.id), clean(e.url));
      break;
    case 'navigation':
      nums.push(num(e.activationStart), num(e.responseStart), num(e.workerStart), num(e.fetchStart), num(e.domainLookupStart), num(e.connectStart), num(e.connectEnd), num(e.domInteractive), num(e.domContentLoadedEventStart), num(e.domComplete));
      strs.push(clean(e.type));
    // falls through: then what a resource gives
    case 'resource':
      // Every resource entry reaches the LCP's 50-entry buffer: only what its attribution reads.
      nums.push(num(e.startTime), num(e.requestStart), num(e.responseEnd));
      strs.push(clean(e.name));
      break;
    case 'layout-shift': {
      const nodes = (e.sources || []).map((s) => s.node);
      const node = nodes.find((n) => n instanceof Element) || nodes[0];
      nums.push(num(e.value), num(e.startTime), e.hadRecentInput ? 1 : 0);
      strs.push(node && typeof node === 'object' ? chain(node) : '');
      break;
    }
    case 'event':
    case 'first-input':
      nums.push(num(e.interactionId), num(e.duration), num(e.startTime), num(e.processingStart), num(e.processingEnd));
      strs.push(clean(e.name), e.target && typeof e.target === 'object' ? chain(e.target) : '', clean(e.targetSelector));
      break;
    case 'long-animation-frame': {
      const scripts = e.scripts || [];
      nums.push(num(e.startTime), num(e.duration), num(e.styleAndLayoutStart), scripts.length);
      for (const s of scripts) {
        nums.push(num(s.startTime), num(s.duration), num(s.forcedStyleAndLayoutDuration));
        strs.push(clean(s.invokerType));
      }
      break;
    }
    case 'soft-navigation': {
      // web-vitals reads the largest contentful paint of the interaction so far from the entry.
      let icp;
      try { icp = e.getLargestInteractionContentfulPaint?.(); } catch {}
      nums.push(num(e.interactionId), num(e.startTime), num(e.presentationTime || e.paintTime));
      strs.push(clean(e.name));
      read(icp || { entryType: 'interaction-contentful-paint' }, nums, strs);
      break;
    }
    case 'interaction-contentful-paint': {
      const p = e.largestContentfulPaint;
      nums.push(num(e.interactionId), num(p && p.renderTime));
      strs.push(p && p.element ? chain(p.element) : '', clean(p && p.id), clean(p && p.url));
      break;
    }
    case 'visibility-state':
      nums.push(num(e.startTime));
      strs.push(clean(e.name));
  }
}

// Every field the page-load and traced-resource events use (src/browser/timing.rs), in this order,
// then the Server-Timing count; strings: name, initiatorType, nextHopProtocol, renderBlockingStatus,
// type, then each Server-Timing's name and description.
const FULL = ('startTime duration redirectStart redirectEnd workerStart fetchStart domainLookupStart domainLookupEnd connectStart '
  + 'secureConnectionStart connectEnd requestStart responseStart responseEnd transferSize encodedBodySize decodedBodySize responseStatus '
  + 'activationStart domInteractive domContentLoadedEventStart domContentLoadedEventEnd domComplete loadEventStart loadEventEnd').split(' ');

function full(e, nums, strs) {
  // Of resources, only a fetch/XHR whose response has a Server-Timing is read (the rest never are).
  const st = e.serverTiming || [];
  if (e.entryType == 'resource' && !(st.length && /^(fetch|xmlhttprequest)$/.test(e.initiatorType))) return;
  for (const k of FULL) nums.push(num(e[k]));
  nums.push(st.length);
  strs.push(clean(e.name), clean(e.initiatorType), clean(e.nextHopProtocol), clean(e.renderBlockingStatus), clean(e.type));
  for (const t of st) strs.push(clean(t.name), clean(t.description));
}

const flat = (list, timing) => {
  const nums = [], strs = [];
  for (const e of list) (timing ? full : read)(e, nums, strs);
  return [new Float64Array(nums), strs.join('\x03')];
};
// `timing:` before a type reads its entries with `full()`.
const timing = (types) => /^timing:/.test(types);

/**
 * Observes the supported ones of `types` (after `timing:`, read with `full()`, and a batch
 * without a Server-Timing is not handed over at all) (buffered, with `durationThreshold` when not negative);
 * `f([nums, strings])` gets each batch, several types sorted by `startTime + duration` as
 * web-vitals does. Returns the observer, or undefined when no type is supported or it failed.
 */
export function observe(types, threshold, f) {
  try {
    const t = timing(types);
    const kinds = types.replace(/^timing:/, '').split(',').filter((t) => PerformanceObserver.supportedEntryTypes.includes(t));
    if (!kinds.length) return;
    const o = new PerformanceObserver((list) => {
      const entries = list.getEntries();
      if (kinds.length > 1) entries.sort((a, b) => a.startTime + a.duration - (b.startTime + b.duration));
      if (t && !entries.some((e) => e.serverTiming?.length)) return;
      f(flat(entries, t));
    });
    for (const type of kinds) o.observe(threshold < 0 ? { type, buffered: true } : { type, buffered: true, durationThreshold: threshold });
    return o;
  } catch {}
}

/**
 * A buffered observer of `type` that keeps its `n` latest entries here and hands none over: for
 * the LCP's resource buffer (web-vitals 6.1+), which every resource entry reaches, so that no
 * entry costs a call into the agent. `take(o)` reads what it kept.
 */
export function keep(type, n) {
  try {
    const o = new PerformanceObserver((list) => {
      o.kept = o.kept.concat(list.getEntries()).slice(-n);
    });
    o.kept = [];
    o.observe({ type, buffered: true });
    return o;
  } catch {}
}

/** The entries `o` recorded but has not handed over yet (for a `keep` observer: all it kept), flat. */
export const take = (o) => flat(o.kept || o.takeRecords());

/** `performance.getEntriesByType(type)`, flat. */
export function entries(type) {
  try {
    return flat(performance.getEntriesByType(type.replace(/^timing:/, '')), timing(type));
  } catch {
    // The agent reads it as no entries; nothing throws across the boundary (no `catch` shim).
    return flat([]);
  }
}

/** `v` when it is a string, else undefined (the agent's `as_string`, src/browser/bindings.rs). */
export const str = (v) => (typeof v === 'string' ? v : undefined);

/**
 * An `Error` (or, from another realm, an object with string `name` and `message`) as
 * `[name, message, stack]` (each `undefined` when not a string), in one call for the agent's error
 * capture (src/browser/errors.rs); `undefined` for anything else, or when a getter throws.
 */
export function errorFields(v) {
  try {
    if (v === null || typeof v !== 'object') return;
    const name = v.name, message = v.message;
    if (!(v instanceof Error) && (typeof name !== 'string' || typeof message !== 'string')) return;
    const stack = v.stack;
    const text = (s) => (typeof s === 'string' ? s : undefined);
    return [text(name), text(message), text(stack)];
  } catch {}
}

/**
 * Any value as text a person can read (a console argument, a rejection that is no Error), in one
 * call: strings as they are, `undefined`, `null`, booleans and numbers spelled out, errors as
 * `Name: message`, objects as JSON, anything else (a function, a symbol, a BigInt, a cyclic
 * object) as `[typeof]`.
 */
export function readable(v) {
  try {
    if (typeof v === 'string') return v;
    if (v == null || typeof v === 'boolean' || typeof v === 'number') return String(v);
    const e = errorFields(v);
    if (e) return (e[0] === undefined ? 'Error' : e[0]) + ': ' + (e[1] === undefined ? '' : e[1]);
    const json = JSON.stringify(v);
    if (typeof json === 'string') return json;
  } catch {}
  return '[' + typeof v + ']';
}

/** An `ErrorEvent` as `[error, filename, lineno, colno, message]`, in one call; `undefined` for another event. */
export function errorEvent(ev) {
  try {
    if (typeof ErrorEvent === 'function' && ev instanceof ErrorEvent) return [ev.error, ev.filename, ev.lineno, ev.colno, ev.message];
  } catch {}
}

/** `[location.href, navigator.userAgent, navigator.language, innerWidth, innerHeight]` for the agent's `meta`. */
export function pageFacts() {
  return [location.href, navigator.userAgent, navigator.language, innerWidth, innerHeight];
}

// The page lifecycle's one-shot callbacks (src/browser/lifecycle.rs), their option objects made
// here rather than field by field across the boundary.

/** `f` on the next `kind` event at the window (capture, once). */
export function once(kind, f) {
  try {
    addEventListener(kind, f, { capture: true, once: true });
  } catch {}
}

/** `f` in an idle callback at most 1 s away, or in a 0 ms timeout where there is none (Safari). */
export function idle(f) {
  try {
    requestIdleCallback(f, { timeout: 1000 });
  } catch {
    setTimeout(f, 0);
  }
}
