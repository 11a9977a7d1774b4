//! wasm-rum: Real User Monitoring agent (work in progress).
