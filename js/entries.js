// Bulk readers for the agent's performance observers (src/browser/vitals.rs): one call per batch
// hands the agent flat numbers and one string, instead of one crossing per field. Which fields
// each entry type gives, in order, is the `Entry` layout in src/browser/vitals.rs; strings are
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
    case 'resource':
      nums.push(num(e.startTime), num(e.requestStart), num(e.responseEnd), num(e.activationStart), num(e.responseStart), num(e.workerStart), num(e.fetchStart), num(e.domainLookupStart), num(e.connectStart), num(e.connectEnd), num(e.domInteractive), num(e.domContentLoadedEventStart), num(e.domComplete));
      strs.push(clean(e.name), clean(e.type));
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
    case 'visibility-state':
      nums.push(num(e.startTime));
      strs.push(clean(e.name));
  }
}

const flat = (list) => {
  const nums = [], strs = [];
  for (const e of list) read(e, nums, strs);
  return [new Float64Array(nums), strs.join('\x03')];
};

/**
 * Observes the supported ones of `types` (buffered, with `durationThreshold` when not negative);
 * `f(nums, strings)` gets each batch, several types sorted by `startTime + duration` as
 * web-vitals does. Returns the observer, or undefined when no type is supported or it failed.
 */
export function observe(types, threshold, f) {
  try {
    const kinds = types.split(',').filter((t) => PerformanceObserver.supportedEntryTypes.includes(t));
    if (!kinds.length) return;
    const o = new PerformanceObserver((list) => {
      const entries = list.getEntries();
      if (kinds.length > 1) entries.sort((a, b) => a.startTime + a.duration - (b.startTime + b.duration));
      f(...flat(entries));
    });
    for (const type of kinds) o.observe(threshold < 0 ? { type, buffered: true } : { type, buffered: true, durationThreshold: threshold });
    return o;
  } catch {}
}

/** The entries `o` recorded but has not handed over yet, flat. */
export const take = (o) => flat(o.takeRecords());

/** `performance.getEntriesByType(type)`, flat. */
export const entries = (type) => flat(performance.getEntriesByType(type));
