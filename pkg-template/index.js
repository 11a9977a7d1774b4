// wasm-rum entry module: validates the config synchronously, loads the wasm, and hands the page
// a handle at once whose calls queue until the agent runs. Never throws into the page after init().
import load, { start, call as wasmCall } from './wasm_rum.js';

// The handle's calls into the running agent, by their index here (src/lib.rs `call`).
const OPS = ['pushEvent', 'pushLog', 'pushMeasurement', 'pushError', 'setUser', 'route', 'setView', 'sessionId',
  'sessionSampled', 'pause', 'resume', 'flush', 'shutdown'];

const S = 'string', N = 'number', B = 'boolean', O = 'object', F = 'function', L = 'list', SL = 'strings';
// One table of rules: [path, type, required, [min, max]]. config.rs `validate` mirrors the ranges.
const RULES = [
  ['url', S, 1], ['apiKey', S], ['app', O, 1], ['app.name', S, 1], ['app.version', S],
  ['app.environment', S], ['app.namespace', S], ['app.release', S], ['transport', ['beacon', 'fetch']],
  ['batching', O], ['batching.itemLimit', N, 0, [1, 1000]], ['batching.sendTimeout', N, 0, [0, 600000]],
  ['sessionTracking', O], ['sessionTracking.samplingRate', N, 0, [0, 1]],
  ['sessionTracking.errorBuffer', N, 0, [0, 10000]], ['sessionTracking.inactivityTimeout', N, 0, [1, 1e12]],
  ['sessionTracking.maxSessionDuration', N, 0, [1, 1e12]], ['sessionTracking.persistent', B],
  ['webVitals', O], ['webVitals.reportAllChanges', B], ['tracing', O],
  ['tracing.propagateTraceHeaderCorsUrls', L], ['ignoreUrls', L], ['ignoreErrors', L],
  ['captureConsole', B], ['captureConsoleDisabledLevels', L], ['errors', O],
  ['errors.maxPerMinute', N, 0, [0, 100000]], ['redact', O], ['redact.queryParams', SL], ['beforeSend', F], ['user', O], ['user.id', S],
  ['user.username', S], ['user.email', S], ['user.attributes', O], ['paused', B], ['debug', B],
  ['wasmUrl', [S, O]], ['webVitals.reportSoftNavs', B],
];
const KNOWN = new Set(RULES.map((r) => r[0]));

const isRegExp = (v) => Object.prototype.toString.call(v) === '[object RegExp]';
// config.url: an absolute http(s) URL, or a path on the page's origin (a same-origin collector).
const isUrl = (v) => {
  try {
    return /^(\/|https?:\/\/)\S*$/i.test(v) && !!new URL(v, 'http://x');
  } catch {
    return false;
  }
};

/** The known key an unknown `path` was likely meant as: a sibling at most a third of its letters
 * away (edit distance, any case), or the same name elsewhere. */
function near(path) {
  const dot = path.lastIndexOf('.');
  const name = path.slice(dot + 1).toLowerCase();
  let best, least = Math.max(1, name.length / 3);
  for (const k of KNOWN) {
    const at = k.lastIndexOf('.');
    const other = k.slice(at + 1).toLowerCase();
    let d = other == name ? 0 : least + 1;
    if (d && at == dot && k.startsWith(path.slice(0, dot + 1))) {
      // One row of the Levenshtein table at a time.
      const row = [...other, 0].map((_, j) => j);
      for (const c of name) {
        let diagonal = row[0]++;
        for (let j = 1; j < row.length; j++) {
          const up = row[j];
          row[j] = Math.min(up + 1, row[j - 1] + 1, diagonal + (c != other[j - 1]));
          diagonal = up;
        }
      }
      d = row[other.length];
    }
    if (d <= least) [best, least] = [k, d];
  }
  return best;
}

const unreadable = (key) => new TypeError(`wasm-rum: ${key} cannot be read (a getter or Proxy threw)`);

/** The problem with one config value, or undefined. */
function check(v, type, required, range, key) {
  if (v === undefined || v === null) {
    return required ? new TypeError(`wasm-rum: ${key} is required` + (type === S ? ' (a non-empty string)' : '')) : undefined;
  }
  if (type === L) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === S || isRegExp(x))) return new TypeError(`wasm-rum: ${key} must be an array of strings and RegExps`);
  } else if (type === SL) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === S)) return new TypeError(`wasm-rum: ${key} must be an array of strings`);
  } else if (Array.isArray(type)) {
    if (type[0] === S && type[1] === O ? !(typeof v === S || v instanceof URL) : !type.includes(v)) {
      return new TypeError(`wasm-rum: ${key} must be ` + (type[1] === O ? 'a string or URL' : type.map((t) => `'${t}'`).join(' or ')));
    }
  } else if (typeof v !== type || (type === O && Array.isArray(v)) || (type === N && Number.isNaN(v))) {
    return new TypeError(`wasm-rum: ${key} must be a${type === O ? 'n' : ''} ${type}`);
  } else if (required && type === S && !v) {
    return new TypeError(`wasm-rum: ${key} is required (a non-empty string)`);
  } else if (key == 'config.url' && !isUrl(v)) {
    return new TypeError(`wasm-rum: ${key} must be an absolute http(s) URL or a path starting with /`);
  } else if (range && !(v >= range[0] && v <= range[1])) {
    return new RangeError(`wasm-rum: ${key} must be between ${range[0]} and ${range[1]}`);
  }
  return undefined;
}

/**
 * Reads every known key once into a plain copy (lists copied, user.attributes as strings), so
 * nothing the page controls is read again. Throws one TypeError/RangeError naming the first bad
 * key (a value whose getter or Proxy throws is one); warns about unknown keys.
 */
function readConfig(config) {
  let isObject;
  try {
    isObject = config !== null && typeof config === O && !Array.isArray(config);
  } catch {
    throw unreadable('config');
  }
  if (!isObject) throw new TypeError('wasm-rum: init(config) needs a config object, e.g. init({url, app: {name}})');
  // The page's objects by path ('' is the config), and their copies.
  const raw = { '': config };
  const out = {};
  const copies = { '': out };
  for (const [path, type, required, range] of RULES) {
    const key = 'config.' + path;
    const dot = path.lastIndexOf('.');
    const parent = path.slice(0, dot < 0 ? 0 : dot);
    const name = path.slice(dot + 1);
    if (raw[parent] == null) continue;
    let v, problem;
    try {
      v = raw[parent][name];
      if ((type === L || type === SL) && Array.isArray(v)) v = Array.from(v);
      problem = check(v, type, required, range, key);
    } catch {
      throw unreadable(key);
    }
    if (problem) throw problem;
    if (v == null) continue;
    if (path === 'user.attributes') {
      v = strMap(v, (k) => { throw unreadable(key + k); });
    } else if (type === O) {
      raw[path] = v;
      v = copies[path] = {};
    }
    copies[parent][name] = v;
  }
  for (const path in raw) {
    let keys;
    try {
      keys = Object.keys(raw[path]);
    } catch {
      throw unreadable(path ? 'config.' + path : 'config');
    }
    for (const k of keys) {
      const p = path ? path + '.' + k : k;
      if (!KNOWN.has(p)) {
        const like = near(p);
        console.warn(`wasm-rum: config.${p} is not a known key; ` + (like ? `did you mean config.${like}?` : 'it is ignored'));
      }
    }
  }
  return out;
}

/** Throws one TypeError/RangeError naming the first bad key; warns about unknown keys. */
export function validateConfig(config) {
  readConfig(config);
}

/**
 * Every own enumerable value of `o` through `convert` (undefined: left out). `bad(key)` hears of
 * each value that cannot be read ('.name'), or '' when the keys themselves cannot be.
 */
function copyMap(o, convert, bad) {
  const out = {};
  if (!o || typeof o !== O) return out;
  let keys;
  try {
    keys = Object.keys(o);
  } catch {
    bad('');
    return out;
  }
  for (const k of keys) {
    let v;
    try {
      v = o[k];
    } catch {
      bad('.' + k);
      continue;
    }
    v = convert(v);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const toText = (v) => {
  if (v === undefined || typeof v === S) return v;
  try {
    const s = typeof v === O && v !== null ? JSON.stringify(v) : String(v);
    return typeof s === S ? s : String(v);
  } catch {
    return '[unserializable]';
  }
};

/** Every value a string: Faro's context/attributes maps accept nothing else. */
export function strMap(o, bad = () => {}) {
  return copyMap(o, toText, bad);
}

/** `String(v)`, or undefined when `v` cannot be turned into one (its toString throws). */
const str = (v) => {
  try {
    return String(v);
  } catch {
    return undefined;
  }
};

/** A thrown value as [type, value, stack], every part a string (or an undefined stack). */
export function describeError(e, type) {
  const read = (k) => {
    try {
      const v = e[k];
      return k === 'stack' ? (typeof v === S ? v : undefined) : v == null ? undefined : String(v);
    } catch {
      return undefined;
    }
  };
  let isError = false;
  try {
    isError = e instanceof Error || (!!e && typeof e === O && typeof e.message === S && typeof e.name === S);
  } catch {
    // A Proxy that refuses to be looked at: described by its value below.
  }
  if (isError) return [type || read('name') || 'Error', read('message') ?? '', read('stack')];
  let value;
  try {
    value = e === undefined ? 'undefined' : typeof e === S ? e : JSON.stringify(e) ?? String(e);
  } catch {
    value = str(e) ?? '[unserializable]';
  }
  return [type || 'Error', value, undefined];
}

let current = null;

const none = () => {};
const done = () => Promise.resolve();
// On the server (or a partial window shim): the handle does nothing and never throws.
const inert = {
  pushEvent: none, pushLog: none, pushMeasurement: none, pushError: none, setUser: none, setView: none,
  getSession: () => null, pause: none, resume: none, flush: done, shutdown: done,
};

/**
 * Starts wasm-rum and returns its handle; a second call returns the first handle. On the server
 * the config is checked all the same, and the handle is a no-op: no listener, timer or wasm load.
 */
export function init(pageConfig) {
  if (typeof window > 'u' || typeof document > 'u' || typeof addEventListener != F) {
    readConfig(pageConfig);
    return inert;
  }
  if (current) {
    if (!current.warned) {
      current.warned = true;
      console.warn('wasm-rum: init() was called again; the first agent keeps running');
    }
    return current.handle;
  }
  // From here on only the plain copy is read: the page's object may change or throw later.
  const config = readConfig(pageConfig);
  const split = (list) => {
    const strings = [], regexps = [];
    for (const x of list || []) (typeof x === S ? strings : regexps).push(x);
    return [strings, regexps];
  };
  const [ignoreUrls, ignoreUrlRes] = split(config.ignoreUrls);
  const [ignoreErrors, ignoreErrorRes] = split(config.ignoreErrors);
  const [corsUrls, corsUrlRes] = split(config.tracing && config.tracing.propagateTraceHeaderCorsUrls);
  const regexps = { ignoreUrls: ignoreUrlRes, ignoreErrors: ignoreErrorRes, propagateTraceHeaderCorsUrls: corsUrlRes };
  const wasmConfig = {
    ...config, beforeSend: undefined, wasmUrl: undefined, ignoreUrls, ignoreErrors,
    tracing: { ...(config.tracing || {}), propagateTraceHeaderCorsUrls: corsUrls },
  };
  const debug = (...a) => config.debug && console.debug('wasm-rum:', ...a);
  // A value of the page's that cannot be read or turned into a string is skipped; with `debug`
  // each place is named once (a bounded set: a page may call with ever-new keys).
  const named = new Set();
  const skip = (where) => {
    if (config.debug && named.size < 100 && !named.has(where)) {
      named.add(where);
      debug(`${where} cannot be read (a getter, Proxy or toString threw); it is skipped`);
    }
  };
  // Reads o[k] for a handle method; undefined when it throws.
  const field = (o, k, where) => {
    if (o == null) return undefined;
    try {
      return o[k];
    } catch {
      skip(where + '.' + k);
      return undefined;
    }
  };
  const text = (v, where) => {
    const t = str(v);
    if (t === undefined) skip(where);
    return t;
  };
  const optText = (v, where) => (v == null ? undefined : text(v, where));
  const map = (o, where) => strMap(o, (k) => skip(where + k));
  // A beforeSend that returns something other than an item or null: named once per kind.
  const misused = new Set();
  const misuse = (v) => {
    const what = v !== null && typeof v === O && typeof v.then === F ? 'a Promise; it must be synchronous'
      : (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === O ? 'an object that is not plain' : 'a ' + typeof v)
        + '; it must return the item (an object) or null to drop it';
    if (!misused.has(what)) {
      misused.add(what);
      console.warn(`wasm-rum: beforeSend returned ${what}. The item is sent unchanged`);
    }
  };
  const isPlain = (v) => {
    if (v === null || typeof v !== O) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  };

  // Set once the agent runs: calls go to it instead of the queue.
  let running = false;
  let failed = false;
  // Set when the agent itself failed (a wasm trap, a throw out of a call into it): from then
  // on nothing calls into the wasm again, and the page never sees our failure.
  let dead = false;
  const die = (e) => {
    if (dead) return;
    dead = failed = true;
    try {
      const message = e && e.message ? String(e.message) : String(e);
      console.warn('wasm-rum: the agent failed and is off for this page:', message);
      // Report it once, without the wasm: a minimal Faro payload.
      const body = JSON.stringify({
        meta: { sdk: { name: 'wasm-rum' }, app: { name: config.app.name, version: config.app.version, environment: config.app.environment } },
        exceptions: [{ type: 'WasmRumFailure', value: `wasm-rum stopped: ${e && e.name ? e.name + ': ' : ''}${message}`, timestamp: new Date().toISOString() }],
      });
      if (config.apiKey) fetch(config.url, { method: 'POST', body, keepalive: true, credentials: 'omit', headers: { 'content-type': 'application/json', 'x-api-key': config.apiKey } }).catch(() => {});
      else navigator.sendBeacon(config.url, body);
    } catch {
      // Nothing more to do: the page must not notice.
    }
  };
  let consoleBusy = false;
  const host = {
    hasBeforeSend: typeof config.beforeSend === F,
    // The lists with RegExps: the agent tests only those across the boundary.
    regExps: Object.keys(regexps).filter((k) => regexps[k].length).join(),
    // The item's JSON changed, null to drop it, or the same JSON when beforeSend returned
    // something that is not an item; a throw reaches the agent, which keeps the item too.
    beforeSend(type, json) {
      const before = config.beforeSend;
      const out = before({ type, payload: JSON.parse(json) });
      if (out == null) return null;
      const payload = isPlain(out) && out.payload !== undefined ? out.payload : out;
      if (!isPlain(payload)) {
        misuse(payload);
        return json;
      }
      return JSON.stringify(payload);
    },
    test(list, value) {
      try {
        return (regexps[list] || []).some((re) => { re.lastIndex = 0; return re.test(value); });
      } catch {
        return false;
      }
    },
    // Every callback the agent hands the browser goes through here.
    guard(f) {
      return function (...args) {
        if (dead) return undefined;
        try {
          return f.apply(this, args);
        } catch (e) {
          die(e);
          return undefined;
        }
      };
    },
    // console[level] keeps printing; the agent hears about the call first, except its own lines.
    wrapConsole(level, cb) {
      const original = console[level];
      if (typeof original !== F) return undefined;
      const wrapped = function (...args) {
        if (!consoleBusy && !dead && !(typeof args[0] === S && args[0].startsWith('wasm-rum:'))) {
          consoleBusy = true;
          try {
            cb([level, args]);
          } catch (e) {
            die(e);
          } finally {
            consoleBusy = false;
          }
        }
        return original.apply(this, args);
      };
      console[level] = wrapped;
      return () => { if (console[level] === wrapped) console[level] = original; };
    },
  };

  const queue = [];
  // Errors between init() and the wasm being ready are kept here (bounded) and reported once it
  // is, with their stacks; an event without an error object keeps its location as a frame.
  const early = [];
  const keep = (e) => { if (early.length < 1000) early.push(e); };
  const onError = (ev) => {
    const where = ev.filename ? `    at ${ev.filename}:${ev.lineno || 0}:${ev.colno || 0}` : undefined;
    if (ev.error !== undefined && ev.error !== null) {
      const d = describeError(ev.error);
      keep(d[2] ? d : [d[0], d[1], where]);
    } else {
      keep(['Error', ev.message || 'Script error.', where]);
    }
  };
  const onRejection = (ev) => keep(describeError(ev.reason, ev.reason instanceof Error ? undefined : 'UnhandledRejection'));
  addEventListener('error', onError);
  addEventListener('unhandledrejection', onRejection);

  const call = (name, args) => {
    if (failed) return undefined;
    if (!running) {
      queue.push([name, args]);
      return undefined;
    }
    try {
      return wasmCall(OPS.indexOf(name), args);
    } catch (e) {
      // Our methods do not throw: whatever came out of the wasm means it is broken.
      die(e);
      return undefined;
    }
  };
  let ready;
  const readyPromise = new Promise((r) => (ready = r));

  // Single-page apps: the view follows history.pushState/replaceState and popstate, until the
  // app calls setView itself. Wrappers call the original first and never throw.
  let manualView = false;
  // The page URL and id follow too, whatever names the views: each pushState or popstate to
  // another URL is a new page view; replaceState moves the URL within the same view.
  const autoView = (replace) => {
    if (!manualView) call('setView', [location.pathname]);
    call('route', [location.href, replace === true]);
  };
  const wrapped = {};
  for (const m of ['pushState', 'replaceState']) {
    try {
      const orig = history[m];
      if (typeof orig !== F) continue;
      const w = function (...args) {
        const r = orig.apply(this, args);
        try { autoView(m == 'replaceState'); } catch {}
        return r;
      };
      // Throws where the page froze History.prototype: views then follow popstate only.
      history[m] = w;
      wrapped[m] = [orig, w];
    } catch {
      debug(`history.${m} cannot be wrapped; views follow popstate and setView only`);
    }
  }
  addEventListener('popstate', autoView);
  const unwatchHistory = () => {
    removeEventListener('popstate', autoView);
    for (const [m, [orig, w]] of Object.entries(wrapped)) {
      try {
        if (history[m] === w) history[m] = orig;
      } catch {}
    }
  };
  autoView();

  // Every argument becomes plain strings and numbers here, inside try, before it is queued or
  // reaches the wasm: no argument can throw into the page or switch the agent off.
  const handle = {
    pushEvent(name, attributes, domain) {
      const n = text(name, 'pushEvent() name');
      if (n !== undefined) call('pushEvent', [n, map(attributes, 'pushEvent() attributes'), optText(domain, 'pushEvent() domain')]);
    },
    pushLog(message, options) {
      const m = text(message, 'pushLog() message');
      const level = optText(field(options, 'level', 'pushLog() options'), 'pushLog() options.level');
      if (m !== undefined) call('pushLog', [m, level, map(field(options, 'context', 'pushLog() options'), 'pushLog() options.context')]);
    },
    pushMeasurement(measurement, options) {
      const where = 'pushMeasurement() measurement';
      const type = text(field(measurement, 'type', where), where + '.type');
      const values = copyMap(field(measurement, 'values', where), (v) => (typeof v === N ? v : undefined), (k) => skip(where + '.values' + k));
      if (type !== undefined) call('pushMeasurement', [type, values, map(field(options, 'context', 'pushMeasurement() options'), 'pushMeasurement() options.context')]);
    },
    pushError(error, options) {
      const [type, value, stack] = describeError(error, optText(field(options, 'type', 'pushError() options'), 'pushError() options.type'));
      call('pushError', [type, value, stack, map(field(options, 'context', 'pushError() options'), 'pushError() options.context')]);
    },
    setUser(user) {
      if (!user) return call('setUser', [undefined, undefined, undefined, {}]);
      const where = 'setUser() user';
      const id = optText(field(user, 'id', where), where + '.id');
      call('setUser', [id === undefined ? '' : id, optText(field(user, 'username', where), where + '.username'),
        optText(field(user, 'email', where), where + '.email'), map(field(user, 'attributes', where), where + '.attributes')]);
    },
    setView(view) {
      // The app names its views from now on: automatic views (history) stop.
      manualView = true;
      const name = field(view, 'name', 'setView() view');
      if (name != null) {
        const n = text(name, 'setView() view.name');
        if (n !== undefined) call('setView', [n]);
      }
    },
    getSession() {
      if (!running || failed) return null;
      const id = call('sessionId', []);
      return id ? { id, sampled: !!call('sessionSampled', []) } : null;
    },
    pause() {
      call('pause', []);
    },
    resume() {
      call('resume', []);
    },
    flush() {
      return readyPromise.then(() => call('flush', []));
    },
    shutdown() {
      return readyPromise.then(() => {
        unwatchHistory();
        call('shutdown', []);
        failed = true;
      });
    },
  };
  current = { handle, warned: false };

  const wasmUrl = config.wasmUrl || new URL('./wasm_rum_bg.wasm', import.meta.url);
  // A .wasm served as application/wasm streams; any other answer is read and checked for wasm's
  // first bytes, so a dev server's HTML fallback is named instead of failing on a "magic word".
  fetch(wasmUrl)
    .then(async (r) => {
      const type = r.headers.get('content-type') || 'no content-type';
      if (r.ok && type == 'application/wasm') return r;
      const bytes = new Uint8Array(await r.arrayBuffer());
      if (r.ok && bytes.slice(0, 4).join() == '0,97,115,109') return bytes;
      throw Error(`${r.url} answered ${r.status} ${type}${bytes[0] == 60 ? ' (HTML)' : ''}, not wasm. Vite dev:`
        + ` optimizeDeps: { exclude: ['wasm-rum'] }, or init({ wasmUrl }) with import wasmUrl from 'wasm-rum/wasm_rum_bg.wasm?url'`);
    })
    .then((m) => load({ module_or_path: m }))
    .then(() => {
      // The wasm reads the value at each RULES path, in order (src/config.rs, from_js).
      start(RULES.map(([path]) => path.split('.').reduce((o, k) => (o == null ? o : o[k]), wasmConfig)), host);
      running = true;
      removeEventListener('error', onError);
      removeEventListener('unhandledrejection', onRejection);
      for (const [type, value, stack] of early.splice(0)) call('pushError', [type, value, stack, { early: 'true' }]);
      for (const [name, args] of queue.splice(0)) call(name, args);
      debug('running, session', handle.getSession());
    })
    .catch((e) => {
      failed = true;
      removeEventListener('error', onError);
      removeEventListener('unhandledrejection', onRejection);
      console.warn('wasm-rum: the agent could not start and is off for this page:', e && e.message ? e.message : e);
    })
    .finally(ready);
  return handle;
}
