/** A string or a RegExp; strings match as documented per option, RegExps are tested as given. */
export type UrlMatcher = string | RegExp;

/** What `beforeSend` receives and may return changed. */
export interface TransportItem {
  /** `log`, `exception`, `measurement`, `event` or `trace` (one span). */
  type: 'log' | 'exception' | 'measurement' | 'event' | 'trace';
  /** The item as it goes on the wire (Faro format). */
  payload: Record<string, unknown>;
}

/** The user, sent in `meta.user`. */
export interface RumUser {
  id?: string;
  username?: string;
  email?: string;
  attributes?: Record<string, string>;
}

/** Configuration for {@link init}. Times are in milliseconds. */
export interface RumConfig {
  /**
   * Collector URL (required): an absolute http(s) URL, e.g. `https://collector.example.com/collect`,
   * or a path on the page's origin starting with `/` (`/collect`, a same-origin proxy).
   */
  url: string;
  /** Sent as `x-api-key`; forces the `fetch` transport. */
  apiKey?: string;
  /** The app: `name` is required. */
  app: { name: string; version?: string; environment?: string; namespace?: string; release?: string };
  /** `'beacon'` (default: `sendBeacon`, no CORS preflight) or `'fetch'` (JSON, for the OpenTelemetry faroreceiver). */
  transport?: 'beacon' | 'fetch';
  /** Batching: send at `itemLimit` items (default 50) or `sendTimeout` ms after the first (default 5000). */
  batching?: { itemLimit?: number; sendTimeout?: number };
  /** Sessions and sampling. */
  sessionTracking?: {
    /** Share of sessions kept, 0..1 (default 1). Sessions with errors are always kept. */
    samplingRate?: number;
    /** Items an unsampled session keeps in memory until its first error (default 50). */
    errorBuffer?: number;
    /** Inactivity that ends a session (default 900000, 15 minutes). */
    inactivityTimeout?: number;
    /** Age that ends a session (default 14400000, 4 hours). */
    maxSessionDuration?: number;
    /** Keep the session in localStorage instead of sessionStorage (default false). */
    persistent?: boolean;
  };
  /** Web Vitals: `reportAllChanges` reports every change, not just final values (default false);
   * `reportSoftNavs` starts new metrics at each soft navigation of a single-page app, as
   * web-vitals' option of that name (default true; only where the browser has soft-navigation entries). */
  webVitals?: { reportAllChanges?: boolean; reportSoftNavs?: boolean };
  /** Tracing: other origins that receive `traceparent` (same-origin calls always do). */
  tracing?: { propagateTraceHeaderCorsUrls?: UrlMatcher[] };
  /** Requests to these URLs are neither traced nor recorded (strings match as substrings). */
  ignoreUrls?: UrlMatcher[];
  /** Errors whose message matches are dropped (strings match as substrings). */
  ignoreErrors?: UrlMatcher[];
  /** Turn console calls into logs (default false). */
  captureConsole?: boolean;
  /** Console levels not captured (default `['debug', 'trace', 'log']`). */
  captureConsoleDisabledLevels?: Array<'trace' | 'debug' | 'info' | 'log' | 'warn' | 'error'>;
  /** Error limits: `maxPerMinute` (default 30). */
  errors?: { maxPerMinute?: number };
  /**
   * URL redaction. Every URL sent loses its `user:password@` and its fragment (a hash route
   * `#/…` or `#!/…` keeps its path), and the values of sensitive query parameters become
   * `REDACTED`. `queryParams` adds names to the built-in list (token, password, secret, key,
   * auth, code, session, signature, sig, jwt, pwd, pass, passwd, …), matched the same way:
   * percent-decoded, case-insensitive, by whole tokens of the name (split on `_`, `-`, `.`
   * and camelCase), so `'customer_id'` matches `customerId` and `x-customer-id`.
   */
  redact?: { queryParams?: string[] };
  /**
   * Changes or drops each item before it is batched: return the item (changed), or `null` to
   * drop it. Synchronous only: any other return (a Promise, a string) keeps the item unchanged,
   * with one console.warn.
   */
  beforeSend?: (item: TransportItem) => TransportItem | null;
  /** The user, if known at start. */
  user?: RumUser;
  /** Start paused, e.g. until consent (default false). */
  paused?: boolean;
  /** Log the agent's decisions with `console.debug` (default false). */
  debug?: boolean;
  /**
   * Where to fetch `wasm_rum_bg.wasm` from (default: next to this module). With Vite,
   * `import wasmUrl from 'wasm-rum/wasm_rum_bg.wasm?url'` gives a URL that works in `vite dev`
   * with no `optimizeDeps` change. When the URL answers with something other than WebAssembly
   * (an HTML page, a 404) the agent stays off with one console.warn naming it.
   */
  wasmUrl?: string | URL;
}

/**
 * The running agent. Every method is safe before the wasm has loaded and never throws, whatever
 * it is given: a value that cannot be read is skipped (named once via console.debug with `debug`).
 */
export interface Rum {
  /** A custom event. */
  pushEvent(name: string, attributes?: Record<string, unknown>, domain?: string): void;
  /** A log line. */
  pushLog(message: string, options?: { level?: 'trace' | 'debug' | 'info' | 'log' | 'warn' | 'error'; context?: Record<string, unknown> }): void;
  /** A measurement. */
  pushMeasurement(measurement: { type: string; values: Record<string, number> }, options?: { context?: Record<string, unknown> }): void;
  /** An error the app caught (an error boundary, say). */
  pushError(error: unknown, options?: { type?: string; context?: Record<string, unknown> }): void;
  /** Sets the user, or clears it with `null`. */
  setUser(user: RumUser | null): void;
  /** Names the current view (overrides the automatic one). */
  setView(view: { name: string }): void;
  /** The session, or `null` until the agent knows it. */
  getSession(): { id: string; sampled: boolean } | null;
  /** Stop collecting: nothing is collected, stored or sent until `resume()`. */
  pause(): void;
  /** Collect again. */
  resume(): void;
  /** Hand everything queued to the browser now. */
  flush(): Promise<void>;
  /** Send what is left and remove every listener and wrapper the agent installed. */
  shutdown(): Promise<void>;
}

/**
 * Starts wasm-rum. Throws a TypeError/RangeError naming the key when the config is wrong (a value
 * that cannot be read, such as a throwing getter, is a TypeError too);
 * a second call returns the first handle. On the server (no `window`, `document` or global
 * `addEventListener`, as in Node during server rendering) it checks the config all the same and
 * returns a no-op handle: no listener, timer or wasm load; `getSession()` is `null`, `flush()` and
 * `shutdown()` resolve.
 */
export function init(config: RumConfig): Rum;

/** The synchronous config check `init()` runs. */
export function validateConfig(config: unknown): void;
