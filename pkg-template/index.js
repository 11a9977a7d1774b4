// wasm-rum entry module: validates the config synchronously, loads the wasm, and hands the page
// a handle at once whose calls queue until the agent runs. Never throws into the page after init().
import load, { start } from './wasm_rum.js';

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
  ['wasmUrl', [S, O]],
];
const KNOWN = new Set(RULES.map((r) => r[0]));

const get = (o, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o);
const isRegExp = (v) => Object.prototype.toString.call(v) === '[object RegExp]';

/** Throws one TypeError/RangeError naming the first bad key; warns about unknown keys. */
export function validateConfig(config) {
  if (config === null || typeof config !== O || Array.isArray(config)) {
    throw new TypeError('wasm-rum: init(config) needs a config object, e.g. init({url, app: {name}})');
  }
  for (const [path, type, required, range] of RULES) {
    const v = get(config, path);
    const key = 'config.' + path;
    if (v === undefined || v === null) {
      if (required) throw new TypeError(`wasm-rum: ${key} is required` + (type === S ? ' (a non-empty string)' : ''));
      continue;
    }
    if (type === L) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === S || isRegExp(x))) {
        throw new TypeError(`wasm-rum: ${key} must be an array of strings and RegExps`);
      }
    } else if (type === SL) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === S)) throw new TypeError(`wasm-rum: ${key} must be an array of strings`);
    } else if (Array.isArray(type)) {
      if (type[0] === S && type[1] === O ? !(typeof v === S || v instanceof URL) : !type.includes(v)) {
        throw new TypeError(`wasm-rum: ${key} must be ` + (type[1] === O ? 'a string or URL' : type.map((t) => `'${t}'`).join(' or ')));
      }
    } else if (typeof v !== type || (type === O && Array.isArray(v)) || (type === N && Number.isNaN(v))) {
      throw new TypeError(`wasm-rum: ${key} must be a ${type}`);
    } else if (required && type === S && !v) {
      throw new TypeError(`wasm-rum: ${key} is required (a non-empty string)`);
    } else if (range && !(v >= range[0] && v <= range[1])) {
      throw new RangeError(`wasm-rum: ${key} must be between ${range[0]} and ${range[1]}`);
    }
  }
  const walk = (o, prefix) => {
    for (const k of Object.keys(o)) {
      const path = prefix + k;
      if (!KNOWN.has(path)) console.warn(`wasm-rum: unknown config key config.${path} is ignored`);
      else if (path !== 'user.attributes' && get(config, path) && typeof o[k] === O && !Array.isArray(o[k]) && !isRegExp(o[k]) && !(o[k] instanceof URL)) walk(o[k], path + '.');
    }
  };
  walk(config, '');
}

/** Every value a string: Faro's context/attributes maps accept nothing else. */
export function strMap(o) {
  const out = {};
  if (o && typeof o === O) {
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined) continue;
      try {
        out[k] = typeof v === S ? v : typeof v === O && v !== null ? JSON.stringify(v) : String(v);
      } catch {
        out[k] = '[unserializable]';
      }
    }
  }
  return out;
}

/** A thrown value as {type, value, stack}. */
export function describeError(e, type) {
  if (e instanceof Error || (e && typeof e === O && typeof e.message === S && typeof e.name === S)) {
    return [type || e.name || 'Error', e.message, typeof e.stack === S ? e.stack : undefined];
  }
  let value;
  try {
    value = e === undefined ? 'undefined' : typeof e === S ? e : JSON.stringify(e) ?? String(e);
  } catch {
    value = String(e);
  }
  return [type || 'Error', value, undefined];
}

let current = null;

/** Starts wasm-rum and returns its handle; a second call returns the first handle. */
export function init(config) {
  if (current) {
    if (!current.warned) {
      current.warned = true;
      console.warn('wasm-rum: init() was called again; the first agent keeps running');
    }
    return current.handle;
  }
  validateConfig(config);
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
    user: config.user ? { ...config.user, attributes: strMap(config.user.attributes) } : undefined,
  };
  const debug = (...a) => config.debug && console.debug('wasm-rum:', ...a);

  let agent = null;
  let failed = false;
  // Set when the agent itself failed (a wasm trap, a throw out of a call into it): from then
  // on nothing calls into the wasm again, and the page never sees our failure.
  let dead = false;
  const die = (e) => {
    if (dead) return;
    dead = failed = true;
    const message = e && e.message ? String(e.message) : String(e);
    try {
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
    beforeSend(type, json) {
      const out = config.beforeSend({ type, payload: JSON.parse(json) });
      return out == null ? null : JSON.stringify(out.payload === undefined ? out : out.payload);
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
            cb(level, args);
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
    if (!agent) {
      queue.push([name, args]);
      return undefined;
    }
    try {
      return agent[name](...args);
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
  const autoView = () => { if (!manualView) call('setView', [location.pathname]); };
  const wrapped = {};
  for (const m of ['pushState', 'replaceState']) {
    const orig = history[m];
    if (typeof orig !== F) continue;
    const w = function (...args) {
      const r = orig.apply(this, args);
      try { autoView(); } catch {}
      return r;
    };
    wrapped[m] = [orig, w];
    history[m] = w;
  }
  addEventListener('popstate', autoView);
  const unwatchHistory = () => {
    removeEventListener('popstate', autoView);
    for (const [m, [orig, w]] of Object.entries(wrapped)) if (history[m] === w) history[m] = orig;
  };
  autoView();

  const handle = {
    pushEvent(name, attributes, domain) {
      call('pushEvent', [String(name), strMap(attributes), domain == null ? undefined : String(domain)]);
    },
    pushLog(message, options) {
      const o = options || {};
      call('pushLog', [String(message), o.level == null ? undefined : String(o.level), strMap(o.context)]);
    },
    pushMeasurement(measurement, options) {
      const m = measurement || {};
      call('pushMeasurement', [String(m.type), { ...(m.values || {}) }, strMap(options && options.context)]);
    },
    pushError(error, options) {
      const o = options || {};
      const [type, value, stack] = describeError(error, o.type);
      call('pushError', [type, value, stack, strMap(o.context)]);
    },
    setUser(user) {
      const u = user || {};
      call('setUser', user ? [u.id == null ? '' : String(u.id), u.username, u.email, strMap(u.attributes)] : [undefined, undefined, undefined, {}]);
    },
    setView(view) {
      // The app names its views from now on: automatic views (history) stop.
      manualView = true;
      if (view && view.name != null) call('setView', [String(view.name)]);
    },
    getSession() {
      if (!agent || failed) return null;
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
  load({ module_or_path: wasmUrl })
    .then(() => {
      agent = start(wasmConfig, host);
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
