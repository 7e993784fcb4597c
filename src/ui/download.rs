//! Files the page makes itself (CSV, exported weights) offered as downloads, and object URLs for
//! bytes it shows (PNG previews). Nothing is uploaded.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// A `blob:` URL for `bytes` of MIME type `mime`.
pub fn object_url(bytes: &[u8], mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Offers `bytes` as a file named `file_name`.
pub fn save_file(file_name: &str, bytes: &[u8], mime: &str) {
    let Some(url) = object_url(bytes, mime) else {
        return;
    };
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let Ok(anchor) = document.create_element("a")
    {
        let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
    }
    // The download has started from the URL; release it a minute later.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
}

/// Releases an object URL made by [`object_url`] that nothing shows any more.
pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A file's bytes, or why not: over `limit` (checked before anything is read, so a huge file
/// costs nothing) or unreadable. `what` names the kind of file in the message ("an image").
pub async fn read_file(file: web_sys::File, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let name = file.name();
    if let Some(refusal) = pinhole_core::protocol::too_large(&name, file.size() as u64, limit, what)
    {
        return Err(refusal);
    }
    // `Blob.arrayBuffer()` straight from web-sys: gloo's file futures pulled gloo-worker and
    // bincode into the UI wasm for this one call.
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| {
            let reason = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "the browser refused".into());
            format!("{name}: the file could not be read ({reason})")
        })?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
