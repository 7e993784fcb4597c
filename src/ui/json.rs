//! JSON in the UI through the browser's own `JSON` and serde-wasm-bindgen, not serde_json: the
//! UI's values already cross into JavaScript that way, so its wasm carries no second JSON
//! reader and writer (serde_json's code and its per-type instances were about 90 KB of it).

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as JSON text, indented by two spaces when `pretty`; `None` if it cannot be written
/// (a non-finite float becomes `null`, as in `JSON.stringify`).
pub fn to_json<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Option<String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    let text = if pretty {
        js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2))
    } else {
        js_sys::JSON::stringify(&value)
    };
    text.ok().and_then(|text| text.as_string())
}

/// JSON text as `T`; the error says what was wrong.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|e| {
        e.dyn_ref::<js_sys::Error>()
            .map_or_else(|| "not JSON".to_string(), |e| String::from(e.message()))
    })?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}
