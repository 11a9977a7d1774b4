//! The browser edge: everything that touches the page. Converts JS into plain structs and
//! calls into `core`; it holds no logic worth a unit test.

pub mod bindings;
pub mod config_js;
pub mod console;
pub mod errors;
pub mod http;
pub mod js;
pub mod lifecycle;
pub mod listener;
pub mod meta;
pub mod observe;
pub mod storage;
pub mod timing;
pub mod tracing;
pub mod transport;
pub mod vitals;
