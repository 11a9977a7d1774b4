// The transport's requests (src/browser/transport.rs). They go through the `fetch` the page had
// when this module loaded, before js/patch.js wraps it, so the agent's own requests are never
// traced and never seen by wrappers the page installs later. Each answer comes back through the
// one `answer` function the agent installed: no callback per request, nothing left behind by a
// request whose answer never comes.
const original = typeof fetch === 'function' ? fetch : undefined;
let answer;

/** Sets the function answers go to: answer([id, status, retryAfter, sessionStatus]); status 0: failed. */
export function onAnswer(f) {
  answer = f;
}

const report = (id, status, retryAfter, sessionStatus) => {
  try {
    if (answer) answer([id, status, retryAfter, sessionStatus]);
  } catch {
    // The agent failed; its guard has already switched it off.
  }
};

/** POSTs `body`; false when the request could not even start (its answer will not come). */
export function post(id, url, body, contentType, apiKey, sessionId, keepalive) {
  if (!original) return false;
  const headers = { 'content-type': contentType };
  if (apiKey) headers['x-api-key'] = apiKey;
  if (sessionId) headers['x-faro-session-id'] = sessionId;
  try {
    original.call(globalThis, url, { method: 'POST', body, keepalive, credentials: 'omit', headers }).then(
      (r) => report(id, r.status, r.headers.get('retry-after'), r.headers.get('x-faro-session-status')),
      () => report(id, 0, null, null),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * The agent's keys in `localStorage` (`local`) or `sessionStorage`: op 0 reads `key` (`undefined` when
 * absent), 1 writes `value` (false when the store is full, denied or missing), 2 removes it. Never throws.
 */
export function store(local, key, op, value) {
  try {
    const s = local ? localStorage : sessionStorage;
    if (!op) return s.getItem(key) ?? undefined;
    if (op === 1) s.setItem(key, value);
    else s.removeItem(key);
    return true;
  } catch {
    return op ? false : undefined;
  }
}
