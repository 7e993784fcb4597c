//! Which backend the engine runs on (for classifying and for training), why (when it fell back
//! or chose automatically), and the manual switch.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use pinhole_core::protocol::{BackendKind, Request};

#[component]
pub fn BackendBar() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let switch = move |backend: BackendKind| engine.send(Request::SwitchBackend { backend });
    view! {
        <div class="backend" data-testid="backend">
            {move || match engine.backend.get() {
                None => view! { <span data-testid="backend-kind">"starting…"</span> }.into_any(),
                Some(status) => view! {
                    <span data-testid="backend-kind" data-kind=kind_name(status.kind)
                        data-training-kind=kind_name(status.training)>
                        {status.kind.label()}
                    </span>
                    <span class="detail">{status.detail.clone()}</span>
                }.into_any(),
            }}
            <span class="switch">
                <button data-testid="use-webgpu"
                    disabled=move || engine.backend.get().is_none_or(|s| chosen(&s, BackendKind::WebGpu))
                    on:click=move |_| switch(BackendKind::WebGpu)>"Use WebGPU"</button>
                <button data-testid="use-cpu"
                    disabled=move || engine.backend.get().is_none_or(|s| chosen(&s, BackendKind::Cpu))
                    on:click=move |_| switch(BackendKind::Cpu)>"Use CPU"</button>
            </span>
        </div>
        {move || engine.backend.get().and_then(|s| s.auto).map(|auto| {
            let ms = |pair: Option<[f64; 2]>| pair.map(|[cpu, gpu]| format!("{cpu:.3},{gpu:.3}")).unwrap_or_default();
            view! {
                <p class="auto-choice" role="status" data-testid="backend-choice"
                    data-state=if auto.pending { "pending" } else { "done" }
                    data-inference-ms=ms(auto.inference_ms) data-training-ms=ms(auto.training_ms)>
                    {auto.reason()}
                </p>
            }
        })}
        {move || engine.backend.get().and_then(|s| s.notice).map(|notice| view! {
            <p class="notice" role="note" data-testid="backend-notice">{notice}</p>
        })}
    }
}

fn kind_name(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::WebGpu => "webgpu",
        BackendKind::Cpu => "cpu",
    }
}

/// Whether the visitor already has every job on `kind` (the button would change nothing).
/// Under the automatic choice both buttons work: each moves every job.
fn chosen(status: &pinhole_core::protocol::BackendStatus, kind: BackendKind) -> bool {
    status.auto.is_none() && status.kind == kind && status.training == kind
}
