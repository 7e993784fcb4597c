//! Which backend the engine runs on, why (when it fell back), and the manual switch.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use crate::protocol::{BackendKind, Request};

#[component]
pub fn BackendBar() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let switch = move |backend: BackendKind| engine.send(Request::SwitchBackend { backend });
    view! {
        <div class="backend" data-testid="backend">
            {move || match engine.backend.get() {
                None => view! { <span data-testid="backend-kind">"starting…"</span> }.into_any(),
                Some(status) => view! {
                    <span data-testid="backend-kind" data-kind=format!("{:?}", status.kind).to_lowercase()>
                        {status.kind.label()}
                    </span>
                    <span class="detail">{status.detail.clone()}</span>
                }.into_any(),
            }}
            <span class="switch">
                <button data-testid="use-webgpu"
                    disabled=move || engine.backend.get().is_none_or(|s| s.kind == BackendKind::WebGpu)
                    on:click=move |_| switch(BackendKind::WebGpu)>"Use WebGPU"</button>
                <button data-testid="use-cpu"
                    disabled=move || engine.backend.get().is_none_or(|s| s.kind == BackendKind::Cpu)
                    on:click=move |_| switch(BackendKind::Cpu)>"Use CPU"</button>
            </span>
        </div>
        {move || engine.backend.get().and_then(|s| s.notice).map(|notice| view! {
            <p class="notice" role="note" data-testid="backend-notice">{notice}</p>
        })}
    }
}
