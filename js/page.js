// The page lifecycle's one-shot callbacks (src/browser/lifecycle.rs), their option objects made
// here rather than field by field across the boundary.

/** `f` on the next `kind` event at the window (capture, once). */
export function once(kind, f) {
  addEventListener(kind, f, { capture: true, once: true });
}

/** `f` in an idle callback at most 1 s away, or in a 0 ms timeout where there is none (Safari). */
export function idle(f) {
  try {
    requestIdleCallback(f, { timeout: 1000 });
  } catch {
    setTimeout(f, 0);
  }
}
