//! The UI (wasm): mounts `ui::App`. It holds no model code; the engine worker does the work.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(pinhole_ui::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the UI is a WebAssembly app: serve it with `make serve` (see README)");
    std::process::exit(2);
}
