//! What the page URL and the visitor's remembered choices say: this build's engine, the first
//! backend (`?backend=`), the CPU pool's size (`?workers=`, `localStorage`), the test-only
//! fault hooks (`?test-faults`).

use pinhole_core::protocol::BackendKind;

/// This build's version (`<meta name="pinhole-build">`), or `None` for a build without the hook.
pub fn build_version() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let meta = document.query_selector("meta[name=pinhole-build]").ok()??;
    meta.get_attribute("content").filter(|v| !v.is_empty())
}

/// The engine worker's loader shim of this build.
pub fn engine_loader_url() -> String {
    match build_version() {
        Some(build) => format!("./engine_loader-{build}.js"),
        None => "./engine_loader.js".into(),
    }
}

/// `?test-faults` in the page URL allows the test-only fault requests, and offers them to a
/// test as `window.__pinholeFaults.loseDevice()`.
pub fn test_faults() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|search| search.contains("test-faults"))
}

pub const WORKERS_KEY: &str = "pinhole-cpu-workers";

/// The CPU pool's size: `?workers=N` in the page URL, else the visitor's last choice (kept in
/// `localStorage`), else `None` (one worker per core).
pub fn requested_workers() -> Option<usize> {
    let window = web_sys::window()?;
    let search = window.location().search().ok().unwrap_or_default();
    let from_url = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("workers="))
        .and_then(|n| n.parse().ok());
    from_url.or_else(|| {
        storage_call("getItem", &[WORKERS_KEY.into()])?
            .as_string()?
            .parse()
            .ok()
    })
}

/// `localStorage.<method>(args…)`, through `Reflect` (web-sys's `Storage` would rebuild every
/// crate that uses web-sys); `None` where storage is refused.
pub fn storage_call(method: &str, args: &[wasm_bindgen::JsValue]) -> Option<wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let storage = js_sys::Reflect::get(&window, &"localStorage".into()).ok()?;
    if storage.is_null() || storage.is_undefined() {
        return None;
    }
    let function: js_sys::Function = js_sys::Reflect::get(&storage, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    function
        .apply(&storage, &args.iter().collect::<js_sys::Array>())
        .ok()
}

/// `?backend=cpu` or `?backend=webgpu` in the page URL forces the first backend.
pub fn requested_backend() -> Option<BackendKind> {
    let search = web_sys::window()?.location().search().ok()?;
    if search.contains("backend=cpu") {
        Some(BackendKind::Cpu)
    } else if search.contains("backend=webgpu") {
        Some(BackendKind::WebGpu)
    } else {
        None
    }
}
