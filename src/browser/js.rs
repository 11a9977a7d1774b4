//! Reading fields of JS objects (performance entries, events) without typed bindings.

use crate::prelude::*;

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// `o[key]`, `undefined` when it cannot be read.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    if !o.is_object() && !o.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A finite number field, 0 otherwise.
pub fn num(o: &JsValue, key: &str) -> f64 {
    get(o, key)
        .as_f64()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// A string field, empty otherwise.
pub fn text(o: &JsValue, key: &str) -> String {
    get(o, key).as_string().unwrap_or_default()
}

/// A boolean field, false otherwise.
pub fn flag(o: &JsValue, key: &str) -> bool {
    get(o, key).as_bool().unwrap_or(false)
}

/// `o[name](arg)`, `undefined` when it is not a function or throws.
pub fn call1(o: &JsValue, name: &str, arg: &JsValue) -> JsValue {
    use wasm_bindgen::JsCast;
    get(o, name)
        .dyn_into::<js_sys::Function>()
        .ok()
        .and_then(|f| f.call1(o, arg).ok())
        .unwrap_or(JsValue::UNDEFINED)
}
