//! In-tab training: the form, the controls, live progress and curves, and the trained weights
//! (use, export, import). The engine worker does the work; this draws its events.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlInputElement;

use super::chart::{LineChart, Series};
use super::download::read_file;
use super::engine_client::EngineClient;
use super::train_settings::{DataSourcePicker, SettingsForm, SourceChoice};
use pinhole_core::protocol::{
    DEFAULT_MANIFEST, DataSource, DroppedFile, MAX_DATA_FILE_BYTES, MAX_WEIGHTS_FILE_BYTES,
    Request, TrainSettings, TrainingState, WeightsFormat,
};

/// The training form's values, provided by the app so that they survive a page change.
#[derive(Clone, Copy)]
pub struct TrainForm {
    pub settings: RwSignal<TrainSettings>,
    pub choice: RwSignal<SourceChoice>,
}

impl TrainForm {
    pub fn new() -> Self {
        TrainForm {
            settings: RwSignal::new(TrainSettings::default()),
            choice: RwSignal::new(SourceChoice::Manifest(DEFAULT_MANIFEST.into())),
        }
    }
}

#[component]
pub fn TrainPage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let TrainForm { settings, choice } = expect_context::<TrainForm>();
    let state = move || engine.training.with(|t| t.state);
    let active = move || {
        matches!(
            state(),
            Some(TrainingState::Loading | TrainingState::Running)
        )
    };

    let start = move |_| {
        let settings = settings.get_untracked();
        match choice.get_untracked() {
            SourceChoice::Manifest(url) => engine.send(Request::Train {
                source: DataSource::Manifest { url },
                settings,
            }),
            SourceChoice::Files(files) => spawn_local(async move {
                let mut dropped = Vec::new();
                for file in files {
                    let name = file.name();
                    match read_file(file, MAX_DATA_FILE_BYTES, "a dataset file").await {
                        Ok(bytes) => dropped.push(DroppedFile { name, bytes }),
                        Err(message) => return engine.error.set(Some(message)),
                    }
                }
                engine.send(Request::Train {
                    source: DataSource::Files { files: dropped },
                    settings,
                });
            }),
        }
    };

    view! {
        <section class="train" data-testid="train">
            <h2>"Train a CNN in this tab"</h2>
            <SavedRun/>
            <DataSourcePicker choice/>
            <SettingsForm settings/>
            <div class="controls">
                <button class="primary" data-testid="train-start" on:click=start prop:disabled=active>"Train"</button>
                {move || match state() {
                    Some(TrainingState::Running) => view! {
                        <button data-testid="train-pause" on:click=move |_| engine.send(Request::PauseTraining)>"Pause"</button>
                        <button data-testid="train-stop" on:click=move |_| engine.send(Request::StopTraining)>"Stop"</button>
                    }.into_any(),
                    Some(TrainingState::Paused) => view! {
                        <button data-testid="train-resume" on:click=move |_| engine.send(Request::ResumeTraining)>"Resume"</button>
                        <button data-testid="train-stop" on:click=move |_| engine.send(Request::StopTraining)>"Stop"</button>
                    }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
            <Progress/>
            <Curves/>
            <Weights/>
        </section>
    }
}

/// The run saved in this browser, offered for resuming after a reload or crash.
#[component]
fn SavedRun() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let problem = move || {
        engine.training.with(|t| t.saved_problem.clone()).map(|m| {
            view! {
                <p class="notice" role="note" data-testid="saved-run-problem">{m}</p>
            }
        })
    };
    let saved = move || {
        let saved = engine.training.with(|t| t.saved.clone())?;
        let epochs = saved.history.epochs.len();
        let accuracy = saved
            .history
            .epochs
            .last()
            .filter(|e| e.test_accuracy.is_finite())
            .map(|e| format!(", {:.1}% test accuracy", 100.0 * e.test_accuracy))
            .unwrap_or_default();
        Some(view! {
            <div class="saved-run" role="status" data-testid="saved-run" data-step=saved.step.to_string()>
                <p>{format!(
                    "A saved run: {} on {}, step {} of {} ({epochs} epochs done{accuracy}).",
                    saved.settings.preset, saved.source, saved.step, saved.total_steps
                )}</p>
                {saved.refetchable.then(|| view! {
                    <button data-testid="resume-saved" on:click=move |_| engine.send(Request::ResumeCheckpoint)>"Resume it"</button>
                })}
                <button data-testid="discard-saved" on:click=move |_| engine.send(Request::DiscardCheckpoint)>"Discard"</button>
            </div>
        })
    };
    view! { {problem} {saved} }
}

#[component]
fn Progress() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let view_of = move || engine.training.get();
    move || {
        let t = view_of();
        let state = t.state?;
        let state_name = format!("{state:?}").to_lowercase();
        let step = t.latest_step().map(|s| s.step).unwrap_or(0);
        let total = t.run.as_ref().map(|r| r.total_steps).unwrap_or(0);
        let pace = t.pace.clone();
        let fraction = if total > 0 {
            step as f64 / total as f64
        } else {
            0.0
        };
        let headline = match state {
            TrainingState::Loading => "Loading data…".to_string(),
            TrainingState::Running => "Training".into(),
            TrainingState::Paused => "Paused".into(),
            TrainingState::Stopped => "Stopped".into(),
            TrainingState::Finished => "Finished".into(),
            TrainingState::EarlyStopped => "Stopped early".into(),
            TrainingState::Failed => "Training could not run".into(),
        };
        let workers = pace.as_ref().map_or(1, |p| p.workers);
        let detail = pace.map(|p| {
            let split = match p.workers {
                1 => String::new(),
                n => format!(" · on {n} CPU workers"),
            };
            format!(
                "step {step} of {total} · {:.1} images/s · {:.0} ms/step · lr {:.3} · ETA {}{split}",
                p.images_per_second,
                p.step_ms,
                p.lr,
                duration(p.eta_seconds)
            )
        });
        let run = t.run.clone().map(|r| {
            format!(
                "{} on {} ({} training, {} test records, batch {}, {} steps per epoch, {})",
                r.settings.preset,
                r.source,
                r.train_records,
                r.test_records,
                r.settings.batch_size,
                r.steps_per_epoch,
                r.backend.label()
            )
        });
        let message = t.message.clone();
        let failed = matches!(state, TrainingState::Failed)
            || (state == TrainingState::Paused && message.is_some());
        Some(view! {
            <div class="progress" data-testid="training" data-state=state_name data-step=step.to_string()
                data-workers=workers.to_string()
                data-checkpoint=t.checkpoint_step.map(|s| s.to_string()).unwrap_or_default()>
                <p><strong>{headline}</strong> " " {run}</p>
                <progress max="1" value=fraction.to_string()></progress>
                {detail.map(|d| view! { <p data-testid="training-pace">{d}</p> })}
                {t.data.clone().map(|(m, done, total)| view! {
                    <p class="data" data-testid="data-progress">{m}
                        {(total > 0).then(|| format!(" ({:.1} of {:.1} MB)", done as f64 / 1e6, total as f64 / 1e6))}
                    </p>
                })}
                {message.map(|m| view! {
                    <p class=if failed { "error" } else { "notice" } role="alert" data-testid="training-message">{m}</p>
                })}
                {t.checkpoint_step.map(|s| view! { <p class="saved">{format!("Checkpoint saved in this browser at step {s}.")}</p> })}
                {t.checkpoint_failed.clone().map(|m| view! {
                    <p class="error" role="alert" data-testid="checkpoint-failed">{m} ". Training goes on in memory."</p>
                })}
            </div>
        })
    }
}

#[component]
fn Curves() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let has_points = move || engine.training.with(|t| !t.history.steps.is_empty());
    let loss = Signal::derive(move || {
        engine.training.with(|t| {
            vec![Series {
                name: "loss per step",
                class: "s-loss",
                points: t
                    .history
                    .steps
                    .iter()
                    .map(|p| (p.step as f64, p.loss as f64))
                    .collect(),
                markers: false,
            }]
        })
    });
    let accuracy = Signal::derive(move || {
        engine.training.with(|t| {
            let per_epoch = t.run.as_ref().map(|r| r.steps_per_epoch).unwrap_or(1) as f64;
            vec![
                Series {
                    name: "train (per step)",
                    class: "s-train",
                    points: t
                        .history
                        .steps
                        .iter()
                        .map(|p| (p.step as f64 / per_epoch, 100.0 * p.train_accuracy as f64))
                        .collect(),
                    markers: false,
                },
                Series {
                    name: "test (per epoch)",
                    class: "s-test",
                    points: t
                        .history
                        .epochs
                        .iter()
                        .map(|e| (e.epoch as f64, 100.0 * e.test_accuracy as f64))
                        .collect(),
                    markers: true,
                },
            ]
        })
    });
    let epochs = move || engine.training.with(|t| t.history.epochs.clone());
    view! {
        <Show when=has_points>
            <div class="charts">
                <LineChart title="Loss" testid="loss-chart" x_label="steps" series=loss/>
                <LineChart title="Accuracy (%)" testid="accuracy-chart" x_label="epochs" y_range=(0.0, 100.0) series=accuracy/>
            </div>
            <table class="epochs" data-testid="epochs">
                <thead><tr><th>"Epoch"</th><th>"Train loss"</th><th>"Train acc."</th><th>"Test acc."</th><th>"Time"</th></tr></thead>
                <tbody>
                    {move || epochs().into_iter().map(|e| view! {
                        <tr data-testid="epoch-row" data-test-accuracy=e.test_accuracy.to_string()>
                            <td>{e.epoch}</td>
                            <td>{format!("{:.3}", e.train_loss)}</td>
                            <td>{format!("{:.1}%", 100.0 * e.train_accuracy)}</td>
                            <td>{format!("{:.1}%", 100.0 * e.test_accuracy)}</td>
                            <td>{duration(e.seconds)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Show>
    }
}

/// Use the trained network, export it, or import a weights file.
#[component]
fn Weights() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let has_model = move || {
        engine
            .training
            .with(|t| t.state.is_some_and(|s| s.has_model()))
    };
    let export = move |format| {
        engine.send(Request::ExportWeights {
            format,
            trained: true,
        })
    };
    let on_import = move |ev: ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            let name = file.name();
            match read_file(file, MAX_WEIGHTS_FILE_BYTES, "a weights file").await {
                Ok(bytes) => engine.send(Request::ImportWeights { name, bytes }),
                Err(message) => engine.error.set(Some(message)),
            }
        });
    };
    view! {
        <fieldset class="weights">
            <legend>"Weights"</legend>
            <button data-testid="use-trained" prop:disabled=move || !has_model()
                on:click=move |_| engine.send(Request::UseTrainedModel)>"Use the trained model"</button>
            <button data-testid="export-safetensors" prop:disabled=move || !has_model()
                on:click=move |_| export(WeightsFormat::Safetensors)>"Export .safetensors"</button>
            <button data-testid="export-pinhole" prop:disabled=move || !has_model()
                on:click=move |_| export(WeightsFormat::Pinhole)>"Export Pinhole .bin"</button>
            <label>"Import weights (.safetensors or a weights/ .bin) "
                <input type="file" accept=".safetensors,.bin" data-testid="import-weights" on:change=on_import/>
            </label>
        </fieldset>
    }
}

/// 3725 s → "1 h 2 min".
fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "–".into();
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
