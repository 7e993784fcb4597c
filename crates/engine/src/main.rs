//! The engine worker (wasm): owns Burn, the device and the model. See `pinhole_engine`.

#[cfg(target_arch = "wasm32")]
fn main() {
    pinhole_engine::run_worker();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the engine is a Web Worker: build it for wasm32 with `trunk build` (see README)");
    std::process::exit(2);
}
