//! Upload classification: pick, drop or paste images; each gets its thumbnail, what the model
//! saw, and the top-5 classes.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};

use super::bars::bar_rows;
use super::download::{read_file, save_file};
use super::engine_client::EngineClient;
use super::explain::ExplainPanel;
use super::json::to_json;
use crate::ui_state::{ImageResult, ImageStatus, predictions_csv};
use pinhole_core::protocol::{MAX_IMAGE_FILE_BYTES, Request};

#[component]
pub fn ClassifyPage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let dragging = RwSignal::new(false);

    let on_pick = move |ev: ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        if let Some(list) = input.files() {
            classify_files(engine, files_of(&list));
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(list) = ev.data_transfer().and_then(|dt| dt.files()) {
            classify_files(engine, files_of(&list));
        }
    };
    let paste = window_event_listener(ev::paste, move |ev| {
        if let Some(list) = ev.clipboard_data().and_then(|dt| dt.files())
            && list.length() > 0
        {
            ev.prevent_default();
            classify_files(engine, files_of(&list));
        }
    });
    on_cleanup(move || paste.remove());

    view! {
        <section class="classify">
            <h2>"Classify images"</h2>
            <label class="drop" class:dragging=move || dragging.get()
                on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <input type="file" multiple accept="image/*" data-testid="file-input" on:change=on_pick/>
                <span>"Drop images here, choose files, or paste from the clipboard. "
                    "PNG, JPEG, WebP, GIF or BMP; they are centre-cropped and shrunk to 32×32."</span>
            </label>
            <div class="result-actions">
                <CsvExport/>
                <button data-testid="clear-results" disabled=move || engine.classify.with(|v| v.results.is_empty())
                    on:click=move |_| engine.remove_results(|_| true)>"Clear results"</button>
            </div>
            <ul class="results" data-testid="results">
                <For each=move || engine.classify.with(|v| v.results.clone())
                    key=|r| (r.id, matches!(r.status, ImageStatus::Pending))
                    children=move |result| view! { <ResultCard result/> }/>
            </ul>
        </section>
    }
}

fn files_of(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

fn classify_files(engine: EngineClient, files: Vec<File>) {
    for file in files {
        let id = engine.next_id();
        let name = file.name();
        let thumbnail = web_sys::Url::create_object_url_with_blob(&file).ok();
        engine
            .classify
            .update(|view| view.add(id, name.clone(), thumbnail));
        spawn_local(async move {
            match read_file(file, MAX_IMAGE_FILE_BYTES, "an image").await {
                Ok(bytes) => engine.send_as(id, Request::Classify { name, bytes }, None),
                Err(message) => engine.classify.update(|view| view.fail(id, message)),
            }
        });
    }
}

#[component]
fn ResultCard(result: ImageResult) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let ImageResult {
        id,
        name,
        thumbnail,
        status,
    } = result;
    let state = match &status {
        ImageStatus::Pending => "pending",
        ImageStatus::Done { .. } => "done",
        ImageStatus::Failed(_) => "failed",
    };
    let body = match status {
        ImageStatus::Pending => view! { <p class="pending">"Classifying…"</p> }.into_any(),
        ImageStatus::Failed(message) => view! {
            <p class="error" role="alert" data-testid="result-error">{message}</p>
        }
        .into_any(),
        ImageStatus::Done {
            top,
            logits,
            input_url,
            pixels,
            millis,
        } => {
            let best = top.first().cloned();
            let top_class = best.as_ref().map_or(0, |p| p.class_index);
            let explain_url = input_url.clone();
            let announcement = best
                .map(|p| format!("{} {:.0}%", p.class_name, p.probability * 100.0))
                .unwrap_or_default();
            let logits = to_json(&logits, false).unwrap_or_default();
            view! {
                {input_url.map(|src| view! {
                    <img class="input32" src=src alt="the 32×32 image the model saw" width="64" height="64"/>
                })}
                <div class="prediction">
                    <p role="status" class="top1" data-testid="top1" data-logits=logits>{announcement}</p>
                    <ol class="bars">{bar_rows(top, 1)}</ol>
                    <small>{format!("{millis:.1} ms")}</small>
                </div>
                <ExplainPanel id pixels top_class input_url=explain_url/>
            }
            .into_any()
        }
    };
    view! {
        <li class="result" data-testid="result" data-name=name.clone() data-state=state>
            {(state != "failed").then(|| thumbnail.map(|src| view! {
                <img class="thumb" src=src alt=name.clone()/>
            }))}
            <button class="remove" data-testid="remove-result" title="Remove this result"
                aria-label=format!("Remove {name}")
                on:click=move |_| engine.remove_results(|r| r.id == id)>"×"</button>
            <div class="body">
                <p class="name">{name.clone()}</p>
                {body}
            </div>
        </li>
    }
}

/// Downloads the finished predictions as CSV (file, top class, probability).
#[component]
fn CsvExport() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let done = move || {
        engine.classify.with(|view| {
            view.results
                .iter()
                .filter(|r| matches!(r.status, ImageStatus::Done { .. }))
                .count()
        })
    };
    let download = move |_| {
        let csv = engine
            .classify
            .with_untracked(|view| predictions_csv(&view.results));
        save_file("pinhole-predictions.csv", csv.as_bytes(), "text/csv");
    };
    view! {
        <button class="csv" data-testid="csv" disabled=move || done() == 0 on:click=download>
            "Export CSV"
        </button>
    }
}
