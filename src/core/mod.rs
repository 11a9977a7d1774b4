//! Pure Rust: no web-sys, no js-sys. Everything here is tested natively with `cargo test`.

pub mod batch;
pub mod errors;
pub mod json;
pub mod payload;
pub mod queue;
pub mod rand;
pub mod session;
pub mod time;
pub mod timing;
pub mod trace;
pub mod ua;
pub mod url;
pub mod vitals;
