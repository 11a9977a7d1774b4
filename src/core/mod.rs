//! Pure Rust: no web-sys, no js-sys. Everything here is tested natively with `cargo test`.

pub mod batch;
pub mod debug;
pub mod errors;
pub mod json;
pub mod outbox;
pub mod payload;
pub mod rand;
pub mod session;
pub mod text;
pub mod time;
pub mod timing;
pub mod trace;
pub mod ua;
pub mod url;
pub mod vitals;
