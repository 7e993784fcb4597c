//! Measures inference and training speed of every preset on the active backend.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::json::to_json;
use pinhole_core::model::Preset;
use pinhole_core::protocol::{MAX_CPU_WORKERS, OpCheck, Request, TrainingCheck};

/// The training check's figures as the page shows them in JSON (`{"ops": .., "checks": ..}`).
#[derive(serde::Serialize)]
struct TrainingCheckJson<'a> {
    ops: &'a [OpCheck],
    checks: &'a [TrainingCheck],
}

#[component]
pub fn BenchmarkPanel() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let runs = RwSignal::new(5usize);
    let batch = RwSignal::new(64usize);
    let run = move |_| {
        engine.send(Request::Benchmark {
            presets: Preset::ALL.to_vec(),
            batch: batch.get_untracked(),
            runs: runs.get_untracked(),
        });
    };
    let steps = RwSignal::new(3usize);
    let run_training = move |_| {
        engine.send(Request::BenchmarkTraining {
            presets: Preset::ALL.to_vec(),
            batch: batch.get_untracked(),
            steps: steps.get_untracked(),
        });
    };
    let check_training = move |_| {
        engine.send(Request::CheckTraining {
            presets: Preset::ALL.to_vec(),
            batch: 32,
            steps: steps.get_untracked(),
        });
    };
    view! {
        <section class="benchmark" data-testid="benchmark">
            <h2>"Speed on this device"</h2>
            <p class="caption">"Each preset, timed here on the backend in use (switch it in the header), \
                on real test records. The training check compares every layer's gradients and a few \
                training steps with the CPU's."</p>
            <CpuWorkers/>
            <fieldset class="bench-group">
                <legend>"Inference"</legend>
                <label>"Batch " <input type="number" min="1" max="256" data-testid="bench-batch"
                    prop:value=move || batch.get().to_string()
                    on:change=move |ev| batch.set(event_target_value(&ev).parse().unwrap_or(64))/></label>
                <label>"Timed runs " <input type="number" min="1" max="50" data-testid="bench-runs"
                    prop:value=move || runs.get().to_string()
                    on:change=move |ev| runs.set(event_target_value(&ev).parse().unwrap_or(5))/></label>
                <button class="primary" data-testid="run-benchmark" on:click=run>"Run inference benchmark"</button>
            </fieldset>
            <fieldset class="bench-group">
                <legend>"Training"</legend>
                <label>"Timed steps " <input type="number" min="1" max="50" data-testid="bench-steps"
                    prop:value=move || steps.get().to_string()
                    on:change=move |ev| steps.set(event_target_value(&ev).parse().unwrap_or(3))/></label>
                <button class="primary" data-testid="run-train-benchmark" on:click=run_training>"Run training benchmark"</button>
                <button data-testid="check-training" on:click=check_training
                    title="Trains each preset a few steps here and on the CPU from the same network and compares every tensor">
                    "Check training against the CPU"</button>
            </fieldset>
            {move || failed(engine.benchmark.with(|b| b.inference.clone()))}
            {move || engine.benchmark.with(|b| b.inference.clone()).and_then(Result::ok).map(|results| {
                let json = to_json(&results, true).unwrap_or_default();
                view! {
                    <table>
                        <tr><th>"preset"</th><th>"backend"</th><th>"ms / image (batch 1)"</th><th>"images/s (batch)"</th><th>"workers"</th></tr>
                        {results.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.preset.name()}</td>
                                <td>{r.backend.label()}</td>
                                <td>{format!("{:.2}", r.latency_ms)}</td>
                                <td>{format!("{:.0}", r.images_per_second)}</td>
                                <td>{r.workers}</td>
                            </tr>
                        }).collect_view()}
                    </table>
                    <pre data-testid="benchmark-json">{json}</pre>
                }
            })}
            {move || failed(engine.benchmark.with(|b| b.training.clone()))}
            {move || engine.benchmark.with(|b| b.training.clone()).and_then(Result::ok).map(|results| {
                let json = to_json(&results, true).unwrap_or_default();
                view! {
                    <table>
                        <tr><th>"preset"</th><th>"backend"</th><th>"batch"</th><th>"ms / training step"</th><th>"images/s"</th><th>"workers"</th></tr>
                        {results.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.preset.name()}</td>
                                <td>{r.backend.label()}</td>
                                <td>{r.batch}</td>
                                <td>{format!("{:.0}", r.step_ms)}</td>
                                <td>{format!("{:.1}", r.images_per_second)}</td>
                                <td>{r.workers}</td>
                            </tr>
                        }).collect_view()}
                    </table>
                    <pre data-testid="train-benchmark-json">{json}</pre>
                }
            })}
            {move || failed(engine.benchmark.with(|b| b.check.clone()))}
            {move || engine.benchmark.with(|b| b.check.clone()).and_then(Result::ok).map(|(ops, checks)| {
                let json = to_json(&TrainingCheckJson { ops: &ops, checks: &checks }, true).unwrap_or_default();
                view! {
                    <table data-testid="op-check">
                        <tr><th>"layer gradients"</th><th>"largest difference (relative)"</th><th>"NaN/inf"</th></tr>
                        {ops.iter().map(|o| view! {
                            <tr><td>{o.name.clone()}</td><td>{format!("{:.2e}", o.worst_relative)}</td><td>{o.non_finite}</td></tr>
                        }).collect_view()}
                    </table>
                    <table data-testid="train-check">
                        <tr><th>"preset"</th><th>"step"</th><th>"CPU loss"</th><th>"loss here"</th><th>"furthest tensor"</th><th>"max |Δ|"</th><th>"its scale"</th><th>"NaN/inf"</th></tr>
                        {checks.iter().flat_map(|c| c.steps.iter().map(move |s| {
                            let worst = s.worst.first().cloned();
                            view! {
                                <tr data-agrees=c.agrees.to_string()>
                                    <td>{c.preset.name()}</td>
                                    <td>{s.step}</td>
                                    <td>{format!("{:.4}", s.loss_cpu)}</td>
                                    <td>{format!("{:.4}", s.loss)}</td>
                                    <td>{worst.as_ref().map(|w| w.name.clone())}</td>
                                    <td>{worst.as_ref().map(|w| format!("{:.2e}", w.max_abs_diff))}</td>
                                    <td>{worst.as_ref().map(|w| format!("{:.2e}", w.max_abs))}</td>
                                    <td>{worst.as_ref().map(|w| w.non_finite)}</td>
                                </tr>
                            }
                        })).collect_view()}
                    </table>
                    <table data-testid="momentum-check">
                        <tr><th>"preset"</th><th>"momentum resumed from a checkpoint here vs saved: furthest tensor"</th><th>"max |Δ|"</th><th>"its scale"</th><th>"NaN/inf"</th></tr>
                        {checks.iter().map(|c| {
                            let worst = c.momentum.first().cloned();
                            view! {
                                <tr>
                                    <td>{c.preset.name()}</td>
                                    <td>{worst.as_ref().map(|w| w.name.clone())}</td>
                                    <td>{worst.as_ref().map(|w| format!("{:.2e}", w.max_abs_diff))}</td>
                                    <td>{worst.as_ref().map(|w| format!("{:.2e}", w.max_abs))}</td>
                                    <td>{worst.as_ref().map(|w| w.non_finite)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </table>
                    <pre data-testid="train-check-json">{json}</pre>
                }
            })}
        </section>
    }
}

/// A benchmark's or check's failure, where its result would be.
fn failed<T>(result: Option<Result<T, String>>) -> Option<impl IntoView> {
    let message = result?.err()?;
    Some(view! { <p class="error" role="alert" data-testid="benchmark-error">{message}</p> })
}

/// The CPU worker pool: how many workers hold the network, their memory, and the setting.
#[component]
fn CpuWorkers() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let chosen = RwSignal::new(String::new());
    let apply = move |_| {
        let count = chosen.get_untracked().trim().parse::<usize>().ok();
        engine.set_workers(count.map(|n| n.clamp(1, MAX_CPU_WORKERS)));
    };
    view! {
        <fieldset class="bench-group" data-testid="cpu-workers">
            <legend>"CPU workers"</legend>
            {move || engine.pool.get().map(|pool| {
                let memory = pool.memory_bytes.iter()
                    .map(|b| format!("{:.0} MB", *b as f64 / 1e6))
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <p data-testid="pool-status" data-ready=pool.ready data-wanted=pool.wanted
                        data-cores=pool.cores>
                        {format!("{} of {} workers hold the network ({} cores here); memory per worker: {memory}.",
                            pool.ready, pool.wanted, pool.cores)}
                    </p>
                    {pool.problem.map(|p| view! { <p class="notice" role="note" data-testid="pool-problem">{p}</p> })}
                }
            })}
            <label>"Workers " <input type="number" min="1" max=MAX_CPU_WORKERS.to_string()
                data-testid="workers-count" placeholder="auto"
                title="Empty: one worker per core"
                prop:value=move || chosen.get()
                on:input=move |ev| chosen.set(event_target_value(&ev))/></label>
            <button data-testid="set-workers" on:click=apply
                title="Empty: one worker per core">"Use"</button>
        </fieldset>
    }
}
