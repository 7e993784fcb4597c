//! Same-origin HTTP reads from the worker.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Response, WorkerGlobalScope};

use super::EngineError;

/// Fetches `url` (relative to the page) and returns its body, or an error naming the URL.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, EngineError> {
    fetch(url).await.map_err(EngineError::Network)
}

async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let response = JsFuture::from(scope.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: network error ({})", js_error(&e)))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not an HTTP response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| format!("{url}: {}", js_error(&e)))?,
    )
    .await
    .map_err(|e| format!("{url}: body could not be read ({})", js_error(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

pub fn js_error(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
