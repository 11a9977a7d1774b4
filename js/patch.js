// wasm-rum's fetch/XMLHttpRequest wrapper for tracing (docs/tracing.md).
//
// It lives in JS rather than as a Rust closure assigned to `window.fetch` so that a failing
// agent can never break the page's requests: every call into the agent is inside try/catch,
// and the original always runs, with `window` (or the XHR) as `this`. The agent decides;
// this file only moves the `traceparent` header and reports how each request ended.
//
// install(begin, end) wraps once. begin([id, request]) (the request packed into one string, see
// begin below) writes its answer at index 2 of that array: nothing (leave the request alone), ''
// (record it, no header) or the header to add;
// end([id, status, errorType]) reports the outcome (status -1: the request never started).
// uninstall() restores each original the agent replaced, unless someone wrapped it after us:
// then our wrapper stays in their chain as a pure pass-through. The agent's own requests do not
// come here: js/send.js posts them through the fetch the page had before this wrapper.

let current = null;
let seq = 0;

const resolve = (url) => new URL(url, document.baseURI).href;
const errorName = (e) => (e && typeof e.name === 'string' && e.name ? e.name : 'Error');

function finish(gen, id, status, error) {
  const end = gen.end;
  if (!end) return;
  try {
    end([id, status, error]);
  } catch {
    // The agent failed; the page's request is unaffected.
  }
}

function begin(gen, kind, method, url, pageHeader) {
  const id = ++seq;
  // One string for the agent to read in one crossing: kind, the URL (an href never holds a raw
  // NUL), NUL, 'h' and the page's traceparent if it set one (header values cannot hold NUL), NUL,
  // then the method (whatever the page passed). The agent writes its answer at index 2 (left
  // unset: leave the request alone).
  const call = [id, kind + url + '\0' + (pageHeader === null ? '' : 'h' + pageHeader) + '\0' + method];
  gen.begin(call);
  const header = call[2];
  return typeof header === 'string' ? { id, header } : null;
}

function wrapFetch(orig, gen) {
  // `fetch.length` is 1 and its name `fetch`; keep both.
  return function fetch(input) {
    const init = arguments[1];
    let args = arguments;
    let id = 0;
    if (gen.begin && (init === undefined || init === null || typeof init === 'object')) {
      try {
        const isRequest = typeof Request === 'function' && input instanceof Request;
        const url = resolve(isRequest ? input.url : input);
        const method = init && init.method !== undefined ? String(init.method) : isRequest ? input.method : 'GET';
        // init.headers replaces a Request's headers, as fetch itself does.
        const source = init && init.headers !== undefined ? init.headers : isRequest ? input.headers : undefined;
        const headers = new Headers(source);
        const pageHeader = headers.get('traceparent');
        const started = begin(gen, 0, method, url, pageHeader);
        if (started) {
          id = started.id;
          if (started.header && pageHeader === null) {
            headers.set('traceparent', started.header);
            // A copy of init with every member fetch would read (own and inherited), so the
            // page's object is never modified.
            const copy = {};
            if (init) for (const k in init) copy[k] = init[k];
            copy.headers = headers;
            args = [input, copy];
          }
        }
      } catch {
        if (id) finish(gen, id, -1, '');
        id = 0;
        args = arguments;
      }
    }
    if (!id) return orig.apply(window, args);
    let p;
    try {
      p = orig.apply(window, args);
    } catch (e) {
      finish(gen, id, 0, errorName(e));
      throw e;
    }
    if (!p || typeof p.then !== 'function') {
      finish(gen, id, -1, '');
      return p;
    }
    // The returned promise settles exactly as the original (same value, same rejection,
    // unhandled if the page does not handle it); only the agent's note is added.
    return p.then(
      (response) => {
        finish(gen, id, response && response.type !== 'opaque' && response.type !== 'opaqueredirect' ? response.status : 0, '');
        return response;
      },
      (error) => {
        finish(gen, id, 0, errorName(error));
        throw error;
      },
    );
  };
}

// Per-XHR state: what open() was given, the traceparent the page set, the request in flight.
const xhrs = new WeakMap();

function onXhrEvent(event) {
  try {
    const s = xhrs.get(this);
    if (!s || !s.id) return;
    if (event.type !== 'loadend') {
      s.error = event.type;
      return;
    }
    const id = s.id;
    s.id = 0;
    finish(s.gen, id, s.error ? 0 : this.status, s.error);
  } catch {
    // Never disturb the page's XHR.
  }
}

function wrapXhr(proto, gen, restore) {
  const open0 = proto.open;
  const send0 = proto.send;
  const header0 = proto.setRequestHeader;
  if (typeof open0 !== 'function' || typeof send0 !== 'function' || typeof header0 !== 'function') return;
  const open = function open(method, url) {
    try {
      if (gen.begin) {
        const old = xhrs.get(this);
        // open() on a request in flight cancels it without events.
        if (old && old.id) finish(old.gen, old.id, -1, '');
        xhrs.set(this, { gen, method: String(method), url: resolve(url), page: null, id: 0, error: '', listening: old ? old.listening : false });
      }
    } catch {
      xhrs.delete(this);
    }
    return open0.apply(this, arguments);
  };
  const setRequestHeader = function setRequestHeader(name, value) {
    const result = header0.apply(this, arguments);
    try {
      const s = xhrs.get(this);
      if (s && String(name).toLowerCase() === 'traceparent') s.page = s.page === null ? String(value) : s.page + ', ' + String(value);
    } catch {
      // Ignore: the header was set as the page asked.
    }
    return result;
  };
  const send = function send() {
    let s = null;
    try {
      s = gen.begin ? xhrs.get(this) : null;
      // readyState 1 without a request in flight: open() was called and send() was not yet.
      if (s && s.gen === gen && !s.id && this.readyState === 1) {
        s.error = '';
        const started = begin(gen, 1, s.method, s.url, s.page);
        if (started) {
          s.id = started.id;
          if (started.header && s.page === null) header0.call(this, 'traceparent', started.header);
          if (!s.listening) {
            s.listening = true;
            for (const type of ['error', 'abort', 'timeout', 'loadend']) this.addEventListener(type, onXhrEvent);
          }
        }
      } else {
        s = null;
      }
    } catch {
      if (s && s.id) finish(gen, s.id, -1, '');
      if (s) s.id = 0;
      s = null;
    }
    let result;
    try {
      result = send0.apply(this, arguments);
    } catch (e) {
      // A synchronous request that failed has already reported through loadend; one that
      // never started (wrong state) is dropped.
      if (s && s.id) {
        const id = s.id;
        s.id = 0;
        finish(gen, id, -1, '');
      }
      throw e;
    }
    try {
      // A synchronous request is complete when send() returns.
      if (s && s.id && this.readyState === 4) {
        const id = s.id;
        s.id = 0;
        finish(gen, id, this.status, this.status ? '' : 'error');
      }
    } catch {
      // Ignore.
    }
    return result;
  };
  for (const [key, orig, wrapper] of [['open', open0, open], ['send', send0, send], ['setRequestHeader', header0, setRequestHeader]]) {
    proto[key] = wrapper;
    restore.push([proto, key, orig, wrapper]);
  }
}

/** Wraps fetch and XMLHttpRequest once; false when already installed. */
export function install(beginHook, endHook) {
  if (current) return false;
  const gen = { begin: beginHook, end: endHook };
  const restore = [];
  try {
    if (typeof window.fetch === 'function') {
      const orig = window.fetch;
      const wrapper = wrapFetch(orig, gen);
      window.fetch = wrapper;
      restore.push([window, 'fetch', orig, wrapper]);
    }
  } catch {
    // A page that froze fetch keeps it.
  }
  try {
    if (typeof XMLHttpRequest === 'function') wrapXhr(XMLHttpRequest.prototype, gen, restore);
  } catch {
    // Likewise for XHR.
  }
  current = { gen, restore };
  return true;
}

/** Stops tracing: restores what nobody wrapped after us; the rest becomes a pass-through. */
export function uninstall() {
  const c = current;
  if (!c) return;
  current = null;
  c.gen.begin = null;
  c.gen.end = null;
  for (const [obj, key, orig, wrapper] of c.restore) {
    try {
      if (obj[key] === wrapper) obj[key] = orig;
    } catch {
      // Leave it: the wrapper passes through.
    }
  }
}
