//! The Teach page (`#/teach`): the visitor's own classes. Make 2–20 classes, add samples from the
//! camera or files, teach a new head on a shipped backbone's features (on the active backend),
//! read its held-out accuracy and confusion matrix, and use it everywhere the classifier runs.
//! The project is kept in this browser and can be exported and imported as one file.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlInputElement;

use super::chart::{LineChart, Series};
use super::download::{read_file, save_file};
use super::engine_client::EngineClient;
use super::teach_camera::{TeachCamera, TeachCameraView};
use super::teach_class::{ClassCard, add_files, files_of};
use super::teach_store::request_persistence;
use pinhole_core::model::Preset;
use pinhole_core::protocol::{Request, WeightsFormat};
use pinhole_core::teach::{MAX_PROJECT_FILE_BYTES, MAX_TEACH_CLASSES, Project, TeachReport};

#[component]
pub fn TeachPage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let camera = TeachCamera::new();
    let paste_target = RwSignal::new(None::<u64>);
    let class_error = RwSignal::new(None::<String>);
    let import_error = RwSignal::new(None::<String>);
    let asked_persistence = StoredValue::new(false);

    // Once the project holds something, ask the browser to keep it.
    Effect::new(move || {
        if engine.teach.with(|v| v.samples()) > 0 && !asked_persistence.get_value() {
            asked_persistence.set_value(true);
            spawn_local(async move {
                if let Some(answer) = request_persistence().await
                    && engine.teach_storage.with_untracked(Option::is_none)
                {
                    engine.teach_storage.set(Some(answer));
                }
            });
        }
    });
    let paste = window_event_listener(ev::paste, move |ev| {
        let target = paste_target.get_untracked().or_else(|| {
            engine
                .teach
                .with_untracked(|v| v.project.classes.first().map(|c| c.id))
        });
        if let (Some(class), Some(list)) = (target, ev.clipboard_data().and_then(|dt| dt.files()))
            && list.length() > 0
        {
            ev.prevent_default();
            add_files(engine, class, files_of(&list));
        }
    });
    on_cleanup(move || paste.remove());

    let ready = move || engine.teach_ready.get();
    let teaching = move || engine.teach.with(|v| v.teaching.is_some());
    let add_class = move |_| {
        let mut error = None;
        engine.teach_change(|view| {
            let name = view.next_class_name();
            match view.add_class(&name) {
                Ok((_, persist)) => vec![persist],
                Err(message) => {
                    error = Some(message);
                    Vec::new()
                }
            }
        });
        class_error.set(error);
    };
    let teach = move |_| {
        let request = engine.teach.with_untracked(|v| v.teach_request());
        match request {
            Ok(request) => {
                camera.release();
                let id = engine.next_id();
                engine.teach.update(|v| v.teaching_started(id));
                engine.send_as(id, request, None);
            }
            Err(message) => engine.teach.update(|v| v.message = Some(message)),
        }
    };
    let export_project = move |_| match engine.teach.with_untracked(|v| v.project.encode()) {
        Ok(bytes) => save_file(
            "pinhole-project.pinhole",
            &bytes,
            "application/octet-stream",
        ),
        Err(e) => import_error.set(Some(e.to_string())),
    };
    let import_project = move |ev: ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            let name = file.name();
            let project = read_file(file, MAX_PROJECT_FILE_BYTES, "a project file")
                .await
                .and_then(|bytes| Project::decode(&bytes, &name).map_err(|e| e.to_string()));
            match project {
                Ok(project) => {
                    import_error.set(None);
                    let in_use = project.in_use;
                    engine.teach_change(|view| view.replace_with(project));
                    if in_use {
                        use_head(engine);
                    }
                }
                Err(message) => {
                    import_error.set(Some(format!("{message}. Your project is unchanged.")))
                }
            }
        });
    };

    view! {
        <section class="teach" data-testid="teach" data-ready=move || ready().to_string()
            data-teaching=move || teaching().to_string()>
            <h2>"Teach it your own classes"</h2>
            <p class="lede">"Make a few classes, add samples of each from the camera or your files, \
                and train a new head on the shipped network's features, here on this device. \
                Nothing leaves it."</p>
            {move || engine.teach_storage.get().map(|m| view! {
                <p class="notice" role="note" data-testid="teach-storage">{m}</p>
            })}
            {move || (!ready()).then(|| view! { <p class="busy">"Opening your project…"</p> })}
            <TeachCameraView camera/>
            <ul class="teach-classes" data-testid="teach-classes">
                <For each=move || engine.teach.with(|v| v.project.classes.iter().map(|c| c.id).collect::<Vec<_>>())
                    key=|id| *id children=move |id| view! { <ClassCard class=id camera paste_target/> }/>
            </ul>
            <div class="teach-actions">
                <button data-testid="add-class" on:click=add_class
                    disabled=move || !ready() || teaching() || engine.teach.with(|v| v.project.classes.len() >= MAX_TEACH_CLASSES)>
                    "Add a class"</button>
            </div>
            {move || class_error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <SampleErrors/>
            <TeachSettingsForm/>
            <div class="teach-run">
                <button class="primary" data-testid="teach-train" on:click=teach
                    disabled=move || !ready() || teaching() || engine.teach.with(|v| v.blocker().is_some())>
                    {move || if teaching() { "Training…" } else { "Train" }}</button>
                {move || engine.teach.with(|v| v.blocker()).map(|b| view! { <span class="hint" data-testid="teach-blocker">{b}</span> })}
                {move || engine.teach.with(|v| v.progress.clone()).map(|p| view! {
                    <span class="busy" role="status" data-testid="teach-progress">{p}</span>
                })}
            </div>
            <ul class="warnings" data-testid="teach-warnings">
                {move || engine.teach.with(|v| v.warnings()).into_iter().map(|w| view! { <li class="notice">{w}</li> }).collect_view()}
            </ul>
            {move || engine.teach.with(|v| v.message.clone()).map(|m| view! {
                <p class="error" role="alert" data-testid="teach-error">{m}</p>
            })}
            <TeachCurve/>
            <TeachResult/>
            <div class="teach-files">
                <button data-testid="teach-export-project" on:click=export_project disabled=move || !ready()>
                    "Export project"</button>
                <label class="button">"Import project"
                    <input type="file" accept=".pinhole,application/octet-stream" data-testid="teach-import-project"
                        on:change=import_project disabled=move || !ready() || teaching()/>
                </label>
            </div>
            {move || import_error.get().map(|m| view! { <p class="error" role="alert" data-testid="teach-import-error">{m}</p> })}
        </section>
    }
}

/// Puts the project's head into use as the classifier (uploads, camera, saliency).
pub fn use_head(engine: EngineClient) {
    let head = engine.teach.with_untracked(|v| v.project.head.clone());
    if let Some(head) = head {
        engine.teach_change(|view| vec![view.set_in_use(true)]);
        engine.send(Request::ImportWeights {
            name: head.file_name,
            bytes: head.weights.to_vec(),
        });
    }
}

#[component]
fn SampleErrors() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    view! {
        {move || {
            let errors = engine.teach.with(|v| v.sample_errors.clone());
            (!errors.is_empty()).then(|| view! {
                <div class="error" role="alert" data-testid="sample-errors">
                    <p>{format!("{} file{} could not become samples:", errors.len(), if errors.len() == 1 { "" } else { "s" })}</p>
                    <ul>{errors.into_iter().map(|e| view! { <li data-testid="sample-error">{e}</li> }).collect_view()}</ul>
                    <button on:click=move |_| engine.teach.update(|v| v.sample_errors.clear())>"Dismiss"</button>
                </div>
            })
        }}
    }
}

#[component]
fn TeachSettingsForm() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let settings = move || engine.teach.with(|v| v.project.settings.clone());
    let change = move |f: Box<dyn FnOnce(&mut pinhole_core::teach::TeachSettings)>| {
        engine.teach_change(|view| {
            let mut next = view.project.settings.clone();
            f(&mut next);
            if next.check().is_ok() {
                view.project.settings = next;
            }
            vec![crate::ui_state::Persist::Meta]
        });
    };
    view! {
        <fieldset class="teach-settings" data-testid="teach-settings">
            <legend>"Training"</legend>
            <label>"Backbone "
                <select data-testid="teach-backbone" on:change=move |ev| {
                    if let Ok(p) = event_target_value(&ev).parse::<Preset>() {
                        change(Box::new(move |s| s.backbone = p));
                    }
                }>
                    {[Preset::Full, Preset::Fast].into_iter().map(|p| view! {
                        <option value=p.name() selected=move || settings().backbone == p>{p.name()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Steps "
                <input type="number" min="1" max="10000" data-testid="teach-steps"
                    prop:value=move || settings().steps.to_string()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                            change(Box::new(move |s| s.steps = n));
                        }
                    }/>
            </label>
            <label>"Held out "
                <select data-testid="teach-held-out" on:change=move |ev| {
                    if let Ok(f) = event_target_value(&ev).parse::<f64>() {
                        change(Box::new(move |s| s.held_out = f));
                    }
                }>
                    {[0.0, 0.1, 0.2, 0.3].into_iter().map(|f| view! {
                        <option value=f.to_string() selected=move || (settings().held_out - f).abs() < 1e-9>
                            {format!("{:.0}%", f * 100.0)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label><input type="checkbox" data-testid="teach-shifts" prop:checked=move || settings().shifts
                on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |s| s.shifts = on)); }/>
                " Shifted views too (6 views a sample, not 2)"</label>
        </fieldset>
    }
}

#[component]
fn TeachCurve() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let curve = move || {
        engine.teach.with(|v| {
            if v.curve.is_empty() {
                v.project
                    .head
                    .as_ref()
                    .map(|h| h.report.curve.clone())
                    .unwrap_or_default()
            } else {
                v.curve.clone()
            }
        })
    };
    let loss = Signal::derive(move || {
        vec![Series {
            name: "loss",
            class: "s-loss",
            points: curve()
                .iter()
                .map(|p| (p.step as f64, p.loss as f64))
                .collect(),
            markers: false,
        }]
    });
    let accuracy = Signal::derive(move || {
        vec![Series {
            name: "held-out",
            class: "s-test",
            points: curve()
                .iter()
                .filter_map(|p| {
                    p.held_out_accuracy
                        .map(|a| (p.step as f64, a as f64 * 100.0))
                })
                .collect(),
            markers: false,
        }]
    });
    view! {
        <Show when=move || !curve().is_empty()>
            <div class="charts">
                <LineChart title="Loss" testid="teach-loss" x_label="steps" series=loss/>
                <LineChart title="Held-out accuracy (%)" testid="teach-accuracy" x_label="steps" y_range=(0.0, 100.0) series=accuracy/>
            </div>
        </Show>
    }
}

#[component]
fn TeachResult() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let head = move || engine.teach.with(|v| v.project.head.clone());
    let in_use = move || {
        let head = head();
        engine.model.with(|m| match (m, head) {
            (Some(m), Some(h)) => {
                !m.is_cifar() && m.weights_file.as_deref() == Some(h.file_name.as_str())
            }
            _ => false,
        })
    };
    view! {
        {move || head().map(|head| {
            let report = head.report.clone();
            let stale = engine.teach.with(|v| v.head_is_stale());
            let file_name = head.file_name.clone();
            let weights = head.weights.clone();
            let export = move |_| engine.send(Request::ConvertWeights {
                name: file_name.clone(),
                bytes: weights.to_vec(),
                format: WeightsFormat::Safetensors,
            });
            view! {
                <section class="teach-result" data-testid="teach-result"
                    data-accuracy=report.held_out_accuracy().map(|a| a.to_string()).unwrap_or_default()
                    data-views=report.views.to_string() data-feature-ms=report.feature_ms.to_string()
                    data-features-by=report.features_by.clone()
                    data-head-ms=report.head_ms.to_string()
                    data-in-use=move || in_use().to_string()>
                    <h3>{match report.held_out_accuracy() {
                        Some(a) => format!("Held-out accuracy {:.0}% ({} classes, {} backbone)", a * 100.0, report.classes.len(), report.backbone),
                        None => format!("Trained ({} classes): nothing was held out to measure it", report.classes.len()),
                    }}</h3>
                    <p class="stats">{match report.features_by.as_str() {
                        "" => format!("Features of {} views in {:.0} ms, head in {:.0} ms.", report.views, report.feature_ms, report.head_ms),
                        by => format!("Features of {} views in {:.0} ms ({by}), head in {:.0} ms.", report.views, report.feature_ms, report.head_ms),
                    }}</p>
                    {stale.then(|| view! { <p class="notice" data-testid="teach-stale">"Your classes changed since this head was trained: train again to include the changes."</p> })}
                    <ul class="warnings">{report.warnings.iter().map(|w| view! { <li class="notice">{w.clone()}</li> }).collect_view()}</ul>
                    <ScoreTable report=report.clone()/>
                    <div class="teach-use">
                        <button class="primary" data-testid="teach-use" disabled=in_use
                            on:click=move |_| use_head(engine)>
                            {move || if in_use() { "In use: classify or start the webcam" } else { "Use these classes" }}</button>
                        <a href="#/classify" data-testid="teach-go-classify">"Go to Classify"</a>
                        <button data-testid="teach-export-network" on:click=export>"Export network (.safetensors)"</button>
                    </div>
                </section>
            }
        })}
    }
}

#[component]
fn ScoreTable(report: TeachReport) -> impl IntoView {
    let names: Vec<String> = report.classes.iter().map(|c| c.name.clone()).collect();
    let rows = report.classes.iter().enumerate().map(|(t, c)| {
        let row = report.confusion.get(t).cloned().unwrap_or_default();
        view! {
            <tr data-testid="teach-class-row" data-class=c.name.clone()
                data-accuracy=c.accuracy().map(|a| a.to_string()).unwrap_or_default()>
                <th scope="row">{c.name.clone()}</th>
                <td>{c.trained}</td>
                <td>{c.accuracy().map_or("–".into(), |a| format!("{:.0}% of {}", a * 100.0, c.held_out))}</td>
                {row.into_iter().enumerate().map(|(p, n)| view! {
                    <td class:diagonal=p == t class:miss={n > 0 && p != t}>{n}</td>
                }).collect_view()}
            </tr>
        }
    }).collect_view();
    view! {
        <div class="table-scroll">
            <table class="teach-scores" data-testid="teach-scores">
                <caption>"Held-out samples: rows are the true class, columns what the head predicted"</caption>
                <thead><tr><th>"Class"</th><th>"Trained on"</th><th>"Held-out accuracy"</th>
                    {names.into_iter().map(|n| view! { <th scope="col" class="rot">{n}</th> }).collect_view()}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
