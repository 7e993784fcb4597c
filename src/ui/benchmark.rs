//! Measures inference speed of every preset on the active backend.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use crate::model::Preset;
use crate::protocol::Request;

#[component]
pub fn BenchmarkPanel() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let run = move |_| {
        engine.benchmark.set(None);
        engine.send(Request::Benchmark {
            presets: Preset::ALL.to_vec(),
            batch: 64,
            runs: 5,
        });
    };
    view! {
        <details class="benchmark">
            <summary>"Speed on this device"</summary>
            <button data-testid="run-benchmark" on:click=run>"Run inference benchmark"</button>
            {move || engine.benchmark.get().map(|results| {
                let json = serde_json::to_string_pretty(&results).unwrap_or_default();
                view! {
                    <table>
                        <tr><th>"preset"</th><th>"backend"</th><th>"ms / image (batch 1)"</th><th>"images/s (batch 64)"</th></tr>
                        {results.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.preset.name()}</td>
                                <td>{r.backend.label()}</td>
                                <td>{format!("{:.2}", r.latency_ms)}</td>
                                <td>{format!("{:.0}", r.images_per_second)}</td>
                            </tr>
                        }).collect_view()}
                    </table>
                    <pre data-testid="benchmark-json">{json}</pre>
                }
            })}
        </details>
    }
}
