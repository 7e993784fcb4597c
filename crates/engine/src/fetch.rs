//! Same-origin HTTP reads from the worker: bounded in size (a body is read as a stream and
//! abandoned past its limit, whatever `Content-Length` says) and retried with backoff when the
//! server or the network fails for a moment.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response, WorkerGlobalScope};

use super::EngineError;

/// Tries per URL: the first and three retries, after 0.5, 1 and 2 s (a static host that
/// restarts or rate-limits for a moment is back within that; a missing file is not retried).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF_MS: i32 = 500;

/// Fetches `url` (relative to the worker) and returns its body of at most `max_bytes`, or an
/// error naming the URL. Network errors and 5xx/429 answers are retried with backoff.
pub async fn fetch_bytes(url: &str, max_bytes: usize) -> Result<Vec<u8>, EngineError> {
    let mut backoff = FIRST_BACKOFF_MS;
    let mut attempt = 1;
    loop {
        match fetch(url, max_bytes).await {
            Ok(bytes) => return Ok(bytes),
            Err(Failed { message, retry }) if !retry || attempt == ATTEMPTS => {
                let tries = if attempt > 1 {
                    format!(" (tried {attempt} times)")
                } else {
                    String::new()
                };
                return Err(EngineError::Network(format!("{message}{tries}")));
            }
            Err(Failed { message, .. }) => {
                web_sys::console::warn_1(&format!("{message}; retrying in {backoff} ms").into());
                sleep_ms(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
        }
    }
}

struct Failed {
    message: String,
    /// Whether another try may succeed (network error, server error), unlike a 404 or a body
    /// over its limit.
    retry: bool,
}

async fn fetch(url: &str, max_bytes: usize) -> Result<Vec<u8>, Failed> {
    let fail = |message: String, retry: bool| Failed { message, retry };
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let response = JsFuture::from(scope.fetch_with_str(url))
        .await
        .map_err(|e| fail(format!("{url}: network error ({})", js_error(&e)), true))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| fail(format!("{url}: not an HTTP response"), false))?;
    if !response.ok() {
        let status = response.status();
        return Err(fail(
            format!("{url}: HTTP {status}"),
            status >= 500 || status == 429,
        ));
    }
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|len| len.trim().parse::<u64>().ok());
    let too_large = |len: String| {
        fail(
            format!("{url}: {len} bytes, more than the {max_bytes} such a file may have"),
            false,
        )
    };
    if let Some(len) = declared.filter(|&len| len > max_bytes as u64) {
        return Err(too_large(len.to_string()));
    }
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| fail(format!("{url}: the body cannot be read"), false))?;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
            fail(
                format!("{url}: the download broke off ({})", js_error(&e)),
                true,
            )
        })?;
        if Reflect::get(&chunk, &"done".into()).is_ok_and(|done| done.is_truthy()) {
            return Ok(bytes);
        }
        let value = Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        let Some(part) = value.dyn_ref::<Uint8Array>() else {
            return Err(fail(format!("{url}: the body is not bytes"), false));
        };
        if bytes.len() + part.length() as usize > max_bytes {
            let _ = reader.cancel();
            return Err(too_large(format!("over {max_bytes}")));
        }
        let at = bytes.len();
        bytes.resize(at + part.length() as usize, 0);
        part.copy_to(&mut bytes[at..]);
    }
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

pub fn js_error(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
